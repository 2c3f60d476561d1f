"""The document archive: every stored document lands in an S3-compatible server once, with its SHA-256.

The server is moto in server mode on a loopback port (real HTTP, real S3 wire protocol), with versioning on,
so a second PUT of a key would show as a second version: "once" is counted by the server, not by us.
"""

import hashlib
import socket
import time
import uuid
from datetime import timedelta

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from invoicing_plugin import create_app
from invoicing_plugin.db import Delivery, InvoiceDocument
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

KEYS = {"aws_access_key_id": "archive-test", "aws_secret_access_key": "archive-secret"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class S3Server:
    """moto on one loopback port that can go down (its socket closed: connections refused) and come back."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: ThreadedMotoServer | None = None

    def start(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.stop()
        self.server._server.server_close()  # shutdown() alone leaves the socket listening: connects would hang
        self.server = None

    def client(self):
        return boto3.client("s3", endpoint_url=self.url, region_name="eu-north-1", **KEYS)


@pytest.fixture
def s3():
    server = S3Server()
    server.start()
    yield server
    if server.server is not None:
        server.stop()


@pytest.fixture
def bucket(s3) -> str:
    name = f"archive-{uuid.uuid4().hex[:12]}"  # moto keeps its buckets per process: one per test
    s3.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    s3.client().put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def app(database_url, s3, bucket):
    application = create_app({
        "INVOICING_DATABASE_URL": database_url, "TESTING": True, "INVOICING_ARCHIVE_ENDPOINT": s3.url,
        "INVOICING_ARCHIVE_BUCKET": bucket, "INVOICING_ARCHIVE_PREFIX": "vouchers/",
        "INVOICING_ARCHIVE_ACCESS_KEY": KEYS["aws_access_key_id"],
        "INVOICING_ARCHIVE_SECRET": KEYS["aws_secret_access_key"], "INVOICING_ARCHIVE_TIMEOUT_SECONDS": "5"})
    yield application
    plugin_state(application).engine.dispose()


def _worker(app) -> Worker:
    settings = WorkerSettings.from_settings(plugin_state(app).settings)
    fast = WorkerSettings(batch_size=20, lease=timedelta(seconds=30), max_attempts=50, backoff_base=0.01,
                          backoff_cap=0.05, schedules_every=0, archive=settings.archive)
    return Worker(plugin_state(app).session_factory, fast, name="archiver")


def _drain(worker, rounds=100) -> None:
    for _ in range(rounds):
        if worker.run_once() == 0:
            time.sleep(0.06)
            if worker.run_once() == 0:
                return


def _invoices_with_documents(client, shop, count, kinds=("finvoice", "ubl")) -> list[dict]:
    made = []
    for i in range(count):
        created = client.post("/api/v1/orders", json=order_payload(f"WS-{uuid.uuid4().hex[:8]}-{i}"),
                              headers=shop.auth())
        assert created.status_code == 201, created.json
        invoice = created.json["invoice"]
        for kind in kinds:
            assert client.get(f"/api/v1/invoices/{invoice['id']}/{kind}", headers=shop.auth()).status_code == 200
        made.append(invoice)
    return made


def _versions(s3, bucket) -> dict[str, int]:
    listed = s3.client().list_object_versions(Bucket=bucket).get("Versions", [])
    counts: dict[str, int] = {}
    for version in listed:
        counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


def _assert_archived_once(session, s3, bucket, shop) -> None:
    session.rollback()
    stored = session.scalars(select(InvoiceDocument).where(InvoiceDocument.tenant_id == shop.tenant_id)).all()
    versions = _versions(s3, bucket)
    expected = {f"vouchers/{shop.tenant_id}/{doc.invoice_id}/{doc.kind}.{'pdf' if doc.kind == 'pdf' else 'xml'}": doc
                for doc in stored}
    assert set(versions) == set(expected)
    assert set(versions.values()) == {1}  # no key was put twice
    for key, doc in expected.items():
        got = s3.client().get_object(Bucket=bucket, Key=key)
        body = got["Body"].read()
        assert hashlib.sha256(body).hexdigest() == doc.sha256 == got["Metadata"]["sha256"]


def test_documents_stored_while_the_archive_is_down_land_once_when_it_is_back(app, client, shop, session, s3,
                                                                            bucket):
    invoices = _invoices_with_documents(client, shop, 2, kinds=("finvoice", "ubl", "pdf"))
    worker = _worker(app)
    s3.stop()

    for _ in range(3):
        worker.run_once()
        time.sleep(0.06)
    waiting = client.get("/api/v1/deliveries", query_string={"status": "failed"}, headers=shop.auth("backoffice"))
    archive_waiting = [d for d in waiting.json["items"] if d["channel"] == "archive"]
    assert len(archive_waiting) == 6 and all("did not answer" in d["last_error"] for d in archive_waiting)

    s3.start()
    _drain(worker)

    _assert_archived_once(session, s3, bucket, shop)
    listed = client.get("/api/v1/deliveries", query_string={"invoice_id": invoices[0]["id"]},
                        headers=shop.auth("backoffice")).json["items"]
    assert sorted(d["status"] for d in listed if d["channel"] == "archive") == ["delivered"] * 3


def test_an_attempt_whose_answer_was_lost_and_a_backfill_upload_nothing_twice(app, client, shop, session, s3,
                                                                            bucket, invoke, database_url,
                                                                            monkeypatch):
    _invoices_with_documents(client, shop, 3)
    # Older documents, stored before this installation had an archive: only the backfill sends them.
    code, lines = invoke("archive", "--backfill")  # INVOICING_ARCHIVE_* come from the environment here
    assert code == 2 and "not configured" in lines[-1]
    for name, value in (("ENDPOINT", s3.url), ("BUCKET", bucket), ("PREFIX", "vouchers/"),
                        ("ACCESS_KEY", KEYS["aws_access_key_id"]), ("SECRET", KEYS["aws_secret_access_key"])):
        monkeypatch.setenv(f"INVOICING_ARCHIVE_{name}", value)
    code, lines = invoke("archive", "--backfill")
    assert code == 0 and lines[0].startswith("gave 6 stored documents")
    worker = _worker(app)
    _drain(worker)
    _assert_archived_once(session, s3, bucket, shop)

    # An attempt that reached S3 but whose answer never came back: the delivery is due again, looks first.
    session.rollback()
    one = session.scalars(select(Delivery).where(Delivery.channel == "archive")).first()
    one.status, one.next_attempt_at = "pending", one.created_at
    session.commit()
    _drain(worker)
    session.rollback()
    again = session.execute(select(Delivery.status, Delivery.last_error).where(Delivery.id == one.id)).one()
    assert again.status == "delivered", again

    code, lines = invoke("archive", "--backfill")
    assert code == 0 and lines[0].startswith("gave 0 stored documents")
    assert lines[-1] == "archive deliveries: 6 delivered"
    _drain(worker)
    _assert_archived_once(session, s3, bucket, shop)


def test_a_bucket_that_is_missing_makes_the_copy_dead_and_a_retry_by_hand_sends_it_once(app, client, shop, session,
                                                                                       s3, bucket):
    s3.client().delete_bucket(Bucket=bucket)
    _invoices_with_documents(client, shop, 1, kinds=("finvoice",))
    worker = _worker(app)
    _drain(worker)

    dead = client.get("/api/v1/deliveries", query_string={"status": "dead"}, headers=shop.auth("backoffice"))
    [copy] = [d for d in dead.json["items"] if d["channel"] == "archive"]
    assert "NoSuchBucket" in copy["last_error"]  # permanent: no retries spent on it

    s3.client().create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    s3.client().put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    retried = client.post(f"/api/v1/deliveries/{copy['id']}/retry", headers=shop.auth("backoffice"))
    assert retried.status_code == 200, retried.json
    _drain(worker)

    _assert_archived_once(session, s3, bucket, shop)
    again = client.get(f"/api/v1/deliveries/{copy['id']}", headers=shop.auth("backoffice")).json
    assert again["status"] == "delivered"


def test_a_sent_reminders_pdf_lands_once_in_the_archive_and_a_resend_sends_the_same_bytes(app, client, shop, session,
                                                                                         s3, bucket, smtp_server):
    from datetime import date, datetime, time
    from zoneinfo import ZoneInfo

    from invoicing_plugin.db import ReminderFile
    from invoicing_plugin.services import dunning
    from invoicing_plugin.services.actors import system_actor
    from invoicing_plugin.services.unit_of_work import Database

    port, mailbox = smtp_server
    admin, office = shop.auth("admin"), shop.auth("backoffice")
    client.put("/api/v1/tenant/channels/email", json={"default": False, "settings": {
        "host": "127.0.0.1", "port": port, "security": "none", "from_address": "laskut@kahvila.fi"}}, headers=admin)
    assert client.put("/api/v1/tenant/dunning", json={"auto_send": True, "levels": [
        {"days": 7, "fee": "5.00", "channels": ["email"]}]}, headers=admin).status_code == 200
    invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
    week_late = datetime.combine(date.fromisoformat(invoice["due_date"]) + timedelta(days=7), time(12),
                                 tzinfo=ZoneInfo(shop.timezone))  # the run's clock, injected
    [made] = dunning.run_dunning(Database(plugin_state(app).session_factory), system_actor(shop.tenant_id),
                                 dunning.RunDunning(), now=week_late).created
    worker = _worker(app)
    _drain(worker)

    [(_, message)] = mailbox.messages
    [attachment] = list(message.iter_attachments())
    sent_pdf = attachment.get_content()
    session.rollback()
    [stored] = session.scalars(select(ReminderFile).where(ReminderFile.reminder_id == made.id)).all()
    assert (stored.kind, stored.sha256) == ("pdf", hashlib.sha256(sent_pdf).hexdigest())
    key = f"vouchers/{shop.tenant_id}/{invoice['id']}/reminder-{made.id}/pdf.pdf"
    versions = _versions(s3, bucket)
    assert versions[key] == 1
    got = s3.client().get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == sent_pdf and got["Metadata"]["sha256"] == stored.sha256
    assert got["Metadata"]["reminder-number"] == "M1"
    _assert_archived_once_with_reminders(session, s3, bucket, shop)

    # Sent again (an attempt whose answer was lost): the same stored bytes go out, nothing new is archived.
    session.rollback()
    delivery = session.scalars(select(Delivery).where(Delivery.channel == "reminder:email")).one()
    delivery.status, delivery.next_attempt_at = "pending", delivery.created_at
    session.commit()
    _drain(worker)
    assert len(mailbox.messages) == 2
    [again] = list(mailbox.messages[1][1].iter_attachments())
    assert again.get_content() == sent_pdf
    assert client.get(f"/api/v1/reminders/{made.id}/pdf", headers=office).data == sent_pdf
    assert _versions(s3, bucket)[key] == 1
    session.rollback()
    assert len(session.scalars(select(ReminderFile).where(ReminderFile.reminder_id == made.id)).all()) == 1


def _assert_archived_once_with_reminders(session, s3, bucket, shop) -> None:
    from invoicing_plugin.db import ReminderFile

    session.rollback()
    expected = {f"vouchers/{shop.tenant_id}/{doc.invoice_id}/{doc.kind}.{'pdf' if doc.kind == 'pdf' else 'xml'}": doc
                for doc in session.scalars(select(InvoiceDocument).where(InvoiceDocument.tenant_id == shop.tenant_id))}
    expected |= {f"vouchers/{shop.tenant_id}/{doc.invoice_id}/reminder-{doc.reminder_id}/{doc.kind}."
                 f"{'pdf' if doc.kind == 'pdf' else 'xml'}": doc
                 for doc in session.scalars(select(ReminderFile).where(ReminderFile.tenant_id == shop.tenant_id))}
    versions = _versions(s3, bucket)
    assert set(versions) == set(expected) and set(versions.values()) == {1}
    for key, doc in expected.items():
        assert hashlib.sha256(s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest() == doc.sha256
