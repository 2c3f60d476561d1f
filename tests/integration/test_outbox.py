"""The outbox (DESIGN §6): deliveries are written with the invoice, sent by the worker, never lost or doubled."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from invoicing_plugin.db import Delivery, DeliveryAttempt
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import audit
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

FAST = WorkerSettings(batch_size=10, lease=timedelta(seconds=30), poll_interval=0.01, max_attempts=4,
                      backoff_base=0.01, backoff_cap=0.05)


@pytest.fixture
def service(memory_channel):
    return memory_channel


@pytest.fixture
def connected(client, shop, service):
    """The shop sends every invoice to the in-memory service by default."""
    response = client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
                          headers=shop.auth("admin"))
    assert response.status_code == 200, response.json
    return shop


@pytest.fixture
def worker(app):
    return Worker(plugin_state(app).session_factory, FAST, name="test-worker")


def deliveries(session):
    session.rollback()
    return session.scalars(select(Delivery).order_by(Delivery.created_at)).all()


def drain(worker, rounds=50):
    """Run the worker until nothing is due (waiting out short backoffs)."""
    for _ in range(rounds):
        if worker.run_once() == 0:
            time.sleep(0.06)
            if worker.run_once() == 0:
                return


def test_finalising_writes_a_delivery_per_default_channel(client, connected, session):
    invoice = client.post("/api/v1/orders", json=order_payload(), headers=connected.auth()).json["invoice"]
    [delivery] = deliveries(session)
    assert (delivery.channel, delivery.status, str(delivery.invoice_id)) == ("memory", "pending", invoice["id"])


def test_an_order_may_name_its_channels(client, connected, session):
    payload = order_payload(invoicing={"mode": "immediate", "channels": ["memory"]})
    assert client.post("/api/v1/orders", json=payload, headers=connected.auth()).status_code == 201
    unknown = order_payload("W-2", invoicing={"mode": "immediate", "channels": ["fax"]})
    response = client.post("/api/v1/orders", json=unknown, headers=connected.auth())
    assert response.status_code == 422
    assert response.json["errors"][0]["detail"] == "'fax' is not a channel of this merchant (enabled: memory)"


def test_drafts_are_delivered_only_once_approved(client, connected, session):
    draft = client.post("/api/v1/orders", json=order_payload(invoicing={"mode": "queue"}), headers=connected.auth())
    assert deliveries(session) == []
    client.post(f"/api/v1/invoices/{draft.json['invoice']['id']}/finalize", headers=connected.auth("backoffice"))
    assert [d.status for d in deliveries(session)] == ["pending"]


def test_a_failed_finalisation_leaves_no_delivery(client, connected, session, monkeypatch):
    original = audit.record

    def crash(db, actor, action, *args, **kwargs):
        if action == "invoice.finalized":
            raise RuntimeError("crash after the outbox row was written")
        return original(db, actor, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", crash)
    assert client.post("/api/v1/orders", json=order_payload(), headers=connected.auth()).status_code == 500
    assert deliveries(session) == []


def test_the_worker_delivers_and_records_the_attempt(client, connected, worker, service, session):
    invoice = client.post("/api/v1/orders", json=order_payload(), headers=connected.auth()).json["invoice"]
    assert worker.run_once() == 1

    held = service.held["1"]
    assert (held.reference, held.total_gross, held.buyer.business_id) == (invoice["reference"],
                                                                          __import__("decimal").Decimal("56.52"),
                                                                          "2617416-4")
    assert held.order_reference == "WS-10001"
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.external_id, delivery.attempts) == ("delivered", "M-1", 1)
    [attempt] = session.scalars(select(DeliveryAttempt)).all()
    assert (attempt.outcome, attempt.http_status, attempt.worker) == ("delivered", 201, "test-worker")
    assert attempt.duration_ms >= 0


def test_retryable_failures_back_off_and_the_invoice_arrives_once(client, connected, worker, service, session):
    service.fail_next(3)
    client.post("/api/v1/orders", json=order_payload(), headers=connected.auth())
    worker.run_once()
    [delivery] = deliveries(session)
    assert delivery.status == "failed" and delivery.last_error == "service unavailable"
    [attempt] = session.scalars(select(DeliveryAttempt)).all()
    assert delivery.next_attempt_at > attempt.started_at, "the retry is scheduled after the failed attempt"

    drain(worker)
    [delivery] = deliveries(session)
    assert delivery.status == "delivered" and delivery.attempts == 4
    assert service.sends["1"] == 4 and list(service.held) == ["1"]
    outcomes = session.scalars(select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.id)).all()
    assert outcomes == ["retry", "retry", "retry", "delivered"]


def test_retry_after_is_honoured(client, connected, worker, service, session):
    service.fail_next(1, http_status=429, retry_after=120)
    client.post("/api/v1/orders", json=order_payload(), headers=connected.auth())
    worker.run_once()
    [delivery] = deliveries(session)
    assert delivery.next_attempt_at >= datetime.now(UTC) + timedelta(seconds=115)


def test_a_permanent_error_is_dead_at_once_and_a_retry_by_hand_delivers_it(client, connected, worker, service, session):
    service.fail_next(1, retryable=False, message="INVALID_DATA :: customer missing", http_status=400)
    client.post("/api/v1/orders", json=order_payload(), headers=connected.auth())
    worker.run_once()
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.last_error) == ("dead", "INVALID_DATA :: customer missing")
    assert worker.run_once() == 0, "a dead delivery is not retried on its own"

    backoffice = connected.auth("backoffice")
    listed = client.get("/api/v1/deliveries", headers=backoffice).json["items"]
    assert listed[0]["status"] == "dead" and listed[0]["last_error"] == "INVALID_DATA :: customer missing"
    retried = client.post(f"/api/v1/deliveries/{delivery.id}/retry", headers=backoffice)
    assert retried.status_code == 200 and retried.json["status"] == "pending"
    worker.run_once()
    detail = client.get(f"/api/v1/deliveries/{delivery.id}", headers=backoffice).json
    assert detail["status"] == "delivered"
    assert [a["outcome"] for a in detail["attempt_log"]] == ["dead", "delivered"]
    assert detail["attempt_log"][0]["http_status"] == 400


def test_exhausted_retries_go_dead_with_the_last_error(client, connected, worker, service, session):
    service.fail_next(10)
    client.post("/api/v1/orders", json=order_payload(), headers=connected.auth())
    drain(worker)
    [delivery] = deliveries(session)
    assert delivery.status == "dead" and delivery.attempts == 4
    assert delivery.last_error == "gave up after 4 attempts: service unavailable"


def test_after_an_unknown_outcome_the_worker_looks_before_sending_again(client, connected, worker, service, session):
    service.apply_then_fail = 1  # the service stores the invoice, then the answer is lost
    client.post("/api/v1/orders", json=order_payload(), headers=connected.auth())
    drain(worker)
    [delivery] = deliveries(session)
    assert delivery.status == "delivered"
    assert service.sends["1"] == 1 and service.lookups["1"] == 1, "found by lookup, not sent twice"
    outcomes = session.scalars(select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.id)).all()
    assert outcomes == ["retry", "found"]


def test_a_claim_whose_worker_died_is_taken_over_after_its_lease(client, connected, app, service, session):
    from invoicing_plugin.db.engine import unit_of_work
    from invoicing_plugin.services import outbox

    client.post("/api/v1/orders", json=order_payload(), headers=connected.auth())
    factory = plugin_state(app).session_factory
    db = factory()
    with unit_of_work(db):  # a worker claims it and dies before doing anything
        [claimed] = outbox.claim_due(db, "dead-worker", limit=10, lease=timedelta(milliseconds=200))
    db.close()
    survivor = Worker(factory, FAST, name="survivor")
    assert survivor.run_once() == 0, "not while the lease lasts"
    time.sleep(0.3)
    assert survivor.run_once() == 1
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert service.lookups["1"] == 1 and service.sends["1"] == 1


def test_a_channel_that_cannot_be_built_is_dead_with_the_reason(client, connected, worker, session, app):
    client.post("/api/v1/orders", json=order_payload(), headers=connected.auth())
    # The merchant disables the channel before the worker gets there.
    from invoicing_plugin.db import Tenant

    tenant = session.get(Tenant, connected.tenant_id)
    tenant.channels = {"memory": {"enabled": False, "default": True, "settings": {"password": "right"}}}
    session.commit()
    worker.run_once()
    [delivery] = deliveries(session)
    assert delivery.status == "dead" and delivery.last_error == "the channel 'memory' is not enabled for this merchant"


def test_channel_settings_are_checked_and_secrets_never_shown(client, shop, service):
    admin = shop.auth("admin")
    wrong = client.put("/api/v1/tenant/channels/memory", json={"settings": {"password": "wrong"}}, headers=admin)
    assert wrong.status_code == 422 and wrong.json["errors"][0] == {
        "field": "settings", "pointer": "#/settings", "detail": "password is wrong"}
    unknown = client.put("/api/v1/tenant/channels/fax", json={"settings": {}}, headers=admin)
    assert unknown.status_code == 422 and "no channel named 'fax'" in unknown.json["errors"][0]["detail"]
    saved = client.put("/api/v1/tenant/channels/memory", json={"settings": {"password": "right", "host": "h"}},
                       headers=admin)
    assert saved.json["channels"]["memory"]["settings"] == {"password": "********", "host": "h"}
    assert "right" not in client.get("/api/v1/tenant", headers=admin).get_data(as_text=True)


def test_a_retry_by_hand_of_a_delivered_delivery_is_refused(client, connected, worker, session):
    client.post("/api/v1/orders", json=order_payload(), headers=connected.auth())
    worker.run_once()
    [delivery] = deliveries(session)
    response = client.post(f"/api/v1/deliveries/{delivery.id}/retry", headers=connected.auth("backoffice"))
    assert response.status_code == 409


def test_deliveries_are_the_back_offices(client, connected):
    assert client.get("/api/v1/deliveries", headers=connected.auth()).status_code == 403
    assert client.get(f"/api/v1/deliveries/{uuid.uuid4()}", headers=connected.auth("backoffice")).status_code == 404


def test_a_stuck_worker_count_never_exceeds_one_claim(client, connected, app, session):
    from invoicing_plugin.db.engine import unit_of_work
    from invoicing_plugin.services import outbox

    for i in range(5):
        client.post("/api/v1/orders", json=order_payload(f"W-{i}"), headers=connected.auth())
    factory = plugin_state(app).session_factory
    claimed = []
    for name in ("a", "b", "c"):
        db = factory()
        with unit_of_work(db):
            claimed += outbox.claim_due(db, name, limit=2, lease=timedelta(minutes=5))
        db.close()
    assert len(claimed) == 5 and len({c.id for c in claimed}) == 5
    assert session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "in_progress")) == 5
