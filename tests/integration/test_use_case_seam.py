"""The seam where requests, the CLI, the worker and host applications call the use cases (DESIGN §10)."""

import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import func, select

from invoicing_plugin.db import IdempotencyRecord, InboxEvent, Order, Payment, guard
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import documents, inbox, intake
from invoicing_plugin.services.actors import system_actor
from invoicing_plugin.services.commands import Address, CustomerDetails, OrderLine, SubmitOrder
from tests.conftest import order_payload


def host_order() -> SubmitOrder:
    """As in the README: an order a host application builds in code."""
    from decimal import Decimal

    return SubmitOrder(
        source="webshop", external_id="HOST-1",
        customer=CustomerDetails(type="organisation", name="Esimerkki Oy", business_id="2617416-4",
                                 address=Address(city="Helsinki", country="FI")),
        lines=(OrderLine(description="Coffee beans 1 kg", quantity=Decimal(2), unit_price=Decimal("24.90"),
                         vat_rate=Decimal("13.5")),))


def test_the_readmes_services_without_http_example(app, shop):
    db = plugin_state(app).database
    actor = system_actor(shop.tenant_id, "host:webshop")
    result = intake.submit_order(db, actor, host_order())
    assert result.created and result.invoice.number == "1" and str(result.invoice.total_gross) == "56.52"
    again = intake.submit_order(db, actor, host_order())
    assert not again.created and again.invoice.id == result.invoice.id, "the same order again: the same invoice"


def test_a_use_case_refuses_a_rule_breaking_command_with_every_problem(app, shop, session):
    from decimal import Decimal

    from invoicing_plugin.domain.errors import ValidationFailed
    from invoicing_plugin.services.commands import Invoicing

    command = SubmitOrder(
        source="webshop", external_id="HOST-2", customer=CustomerDetails(type="organisation", name="X Oy",
                                                                         business_id="2617416-4"),
        lines=(OrderLine(description="A", quantity=Decimal(1), unit_price=Decimal(10), vat_rate=Decimal(7)),
               OrderLine(description="B", quantity=Decimal(1), unit_price=Decimal(10), vat_rate=Decimal(99))),
        invoicing=Invoicing(series="nope", channels=("ropo24",)))
    with pytest.raises(ValidationFailed) as raised:
        intake.submit_order(plugin_state(app).database, system_actor(shop.tenant_id), command)
    assert set(raised.value.errors) == {"lines[0].vat_rate", "lines[1].vat_rate", "invoicing.series",
                                        "invoicing.channels"}
    assert session.scalar(select(func.count()).select_from(Order)) == 0


def test_rendering_a_document_inside_a_transaction_is_refused(app, shop, client):
    invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
    db = plugin_state(app).database
    actor = system_actor(shop.tenant_id)
    import uuid

    with pytest.raises(guard.ExternalCallInTransaction):
        db.run(lambda session: documents.invoice_document(db, actor, uuid.UUID(invoice["id"]), "ubl", {}))
    assert documents.invoice_document(db, actor, uuid.UUID(invoice["id"]), "ubl", {}).content.startswith(b"<?xml")


def test_an_http_call_inside_a_transaction_fails_the_test_suite(app):
    # The suite's guard (tests/conftest.py) stands for every adapter: none may call out with a transaction open.
    db = plugin_state(app).database
    with pytest.raises(guard.ExternalCallInTransaction):
        db.run(lambda session: requests.get("http://127.0.0.1:9/", timeout=1))


# -- nothing slow holds a lock a checkout waits for ---------------------------------------------------


def timed_order(live_server, shop, external_id) -> float:
    started = time.monotonic()
    response = requests.post(f"{live_server}/api/v1/orders", json=order_payload(external_id),
                             headers=shop.auth(), timeout=30)
    assert response.status_code == 201, response.text
    return time.monotonic() - started


@pytest.fixture
def sqlite_only(engine_name):
    if engine_name != "sqlite":
        pytest.skip("the lock this guards against is SQLite's single writer")


def test_an_order_during_a_slow_pdf_is_answered_at_once(sqlite_only, live_server, shop, client, monkeypatch):
    from invoicing_plugin.documents import pdf

    invoice = client.post("/api/v1/orders", json=order_payload("FIRST"), headers=shop.auth()).json["invoice"]
    real = pdf.render_invoice_pdf

    def slow(*args, **kwargs):
        time.sleep(2)
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_invoice_pdf", slow)
    reader = threading.Thread(target=lambda: requests.get(f"{live_server}/api/v1/invoices/{invoice['id']}/pdf",
                                                          headers=shop.auth(), timeout=30))
    reader.start()
    time.sleep(0.3)  # the PDF is being rendered now
    assert timed_order(live_server, shop, "DURING-PDF") < 0.3
    reader.join()


def test_an_order_during_a_slow_netvisor_poll_is_answered_at_once(sqlite_only, live_server, app, shop, client,
                                                                  monkeypatch):
    from adapters.netvisor import NetvisorClient
    from adapters.netvisor.sandbox import demo_settings, running_sandbox
    from webhooks.polling import sync_payments

    with running_sandbox() as (netvisor, _):
        client.put("/api/v1/tenant/channels/netvisor", json={"default": True, "settings": demo_settings(netvisor)},
                   headers=shop.auth("admin"))
        real = NetvisorClient.list_sales_payments

        def slow(self, *args, **kwargs):
            time.sleep(2)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(NetvisorClient, "list_sales_payments", slow)
        poller = threading.Thread(target=lambda: sync_payments(plugin_state(app).session_factory))
        poller.start()
        time.sleep(0.3)  # the poll is waiting for Netvisor now
        assert timed_order(live_server, shop, "DURING-POLL") < 0.3
        poller.join()


# -- registration ---------------------------------------------------------------------------------------


def test_a_fresh_api_process_reprocesses_an_unmatched_netvisor_event(app, shop, client, database_url, session):
    from webhooks.providers import netvisor as netvisor_events

    draft = client.post("/api/v1/orders", json=order_payload(invoicing={"mode": "queue"}),
                        headers=shop.auth()).json["invoice"]
    event = netvisor_events.payment_event({"netvisor_key": "77", "date": "2026-11-20", "amount": "56.52",
                                           "invoice_number": "1", "reference": None, "payer": "Esimerkki Oy"})
    receipt = inbox.receive_events(plugin_state(app).database, shop.tenant_id, "netvisor", [event])
    assert receipt.unmatched == 1, "invoice 1 does not exist yet"
    assert client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice")).json[
        "number"] == "1"
    event_id = session.scalar(select(InboxEvent.id))
    # A new interpreter that only creates the app and calls the API: no module of polling imported first.
    script = textwrap.dedent(f"""
        from invoicing_plugin import create_app
        app = create_app({{"INVOICING_DATABASE_URL": {database_url!r}}})
        response = app.test_client().post("/api/v1/inbox/{event_id}/reprocess",
                                          headers={{"Authorization": "Bearer {shop.backoffice}"}})
        print(response.status_code, response.get_json()["items"][0]["status"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["200", "processed"], done.stderr[-2000:]
    session.rollback()
    assert [str(p.amount) for p in session.scalars(select(Payment))] == ["56.5200"] or \
        [str(p.amount.normalize()) for p in session.scalars(select(Payment))] == ["56.52"]


# -- checkout keys stay apart -----------------------------------------------------------------------------


@pytest.fixture
def second_checkout_key(app, shop):
    from invoicing_plugin.services import tenant_admin
    from invoicing_plugin.services.commands import CreateApiKey

    return tenant_admin.create_api_key(plugin_state(app).database, system_actor(shop.tenant_id),
                                       CreateApiKey("checkout", "the POS")).secret


def test_another_checkout_key_cannot_read_an_order_by_posting_it_again(client, shop, second_checkout_key):
    first = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth())
    assert first.status_code == 201
    other = {"Authorization": f"Bearer {second_checkout_key}"}
    again = client.post("/api/v1/orders", json=order_payload(), headers=other)
    assert again.status_code == 409 and again.json["code"] == "order_exists_for_another_key"
    assert "invoice" not in again.json and "existing_order_id" not in again.json
    assert first.json["order"]["id"] not in again.get_data(as_text=True)
    assert first.json["invoice"]["reference"] not in again.get_data(as_text=True)


def test_an_idempotency_key_replays_only_to_the_api_key_that_sent_it(client, shop, second_checkout_key, session):
    first = client.post("/api/v1/orders", json=order_payload(), headers={**shop.auth(), "Idempotency-Key": "k-1"})
    assert first.status_code == 201
    other = {"Authorization": f"Bearer {second_checkout_key}", "Idempotency-Key": "k-1"}
    again = client.post("/api/v1/orders", json=order_payload(), headers=other)
    assert again.status_code == 409 and "Idempotent-Replayed" not in again.headers
    assert first.json["order"]["id"] not in again.get_data(as_text=True)
    # Its own new order under the same key string is its own.
    own = client.post("/api/v1/orders", json=order_payload("POS-OWN"), headers=other)
    assert own.status_code == 201
    replay = client.post("/api/v1/orders", json=order_payload("POS-OWN"), headers=other)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json == own.json
    session.rollback()
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 2


# -- approving with a date ----------------------------------------------------------------------------------


def draft(client, shop, external_id="Q-1"):
    return client.post("/api/v1/orders", json=order_payload(external_id, invoicing={"mode": "queue"}),
                       headers=shop.auth()).json["invoice"]


def test_approving_takes_an_invoice_date_not_in_the_future(client, shop, app):
    queued = draft(client, shop)
    today = datetime.now(ZoneInfo("Europe/Helsinki")).date()  # the shop's calendar day, not the machine's
    url = f"/api/v1/invoices/{queued['id']}/finalize"
    future = client.post(url, json={"invoice_date": (today + timedelta(days=1)).isoformat()},
                         headers=shop.auth("backoffice"))
    assert future.status_code == 422 and future.json["errors"][0]["field"] == "invoice_date"
    unknown = client.post(url, json={"invoice_date": today.isoformat(), "number": "99"},
                          headers=shop.auth("backoffice"))
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "number"
    assert client.get(f"/api/v1/invoices/{queued['id']}", headers=shop.auth()).json["status"] == "draft"
    earlier = (today - timedelta(days=3)).isoformat()
    done = client.post(url, json={"invoice_date": earlier}, headers=shop.auth("backoffice"))
    assert done.status_code == 200 and done.json["invoice_date"] == earlier and done.json["number"] == "1"


def test_a_chronological_series_refuses_a_date_before_its_latest_invoice(client, shop, app):
    assert client.put("/api/v1/tenant/number-series/default", json={"chronological_dates": True},
                      headers=shop.auth("admin")).status_code == 200
    first, second = draft(client, shop, "Q-1"), draft(client, shop, "Q-2")
    assert client.post(f"/api/v1/invoices/{first['id']}/finalize", headers=shop.auth("backoffice")).status_code == 200
    today = client.get(f"/api/v1/invoices/{first['id']}", headers=shop.auth()).json["invoice_date"]
    from datetime import date

    before = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    refused = client.post(f"/api/v1/invoices/{second['id']}/finalize", json={"invoice_date": before},
                          headers=shop.auth("backoffice"))
    assert refused.status_code == 422 and "number order" in refused.json["errors"][0]["detail"]
    assert client.post(f"/api/v1/invoices/{second['id']}/finalize", json={"invoice_date": today},
                       headers=shop.auth("backoffice")).json["number"] == "2"


def test_a_channel_another_package_adds_can_report_payments_too(client, shop, app, session):
    """A third party's channel that also implements PaymentSource is polled into the same inbox, with its
    own provider registered in code; polling knows it by what it is, not by its name."""
    from adapters.base import EventPage
    from invoicing_plugin import channels
    from invoicing_plugin.domain.provider_events import PAYMENT, InvoiceRef, ProviderEvent
    from webhooks import providers
    from webhooks.polling import sync_payments

    invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
    handed_out: list[str | None] = []

    class Bank:
        name, provider = "bank", "bank"

        def __init__(self, settings):
            self.settings = settings

        def deliver(self, invoice, context):
            raise AssertionError("not used")

        def lookup(self, invoice, context):
            return None

        def fetch_events(self, cursor):
            handed_out.append(cursor)
            if cursor == "2":
                return EventPage([], "2")
            return EventPage([{"id": "tx-1", "number": invoice["number"], "amount": "56.52"}], "2")

    def bank_event(raw):
        from datetime import UTC, date, datetime
        from decimal import Decimal

        return ProviderEvent(event_id=raw["id"], kind=PAYMENT, provider_type="credit", occurred_at=datetime.now(UTC),
                             invoice=InvoiceRef(number=raw["number"]), amount=Decimal(raw["amount"]),
                             paid_on=date(2026, 11, 20), payment_id=raw["id"], raw=raw)

    channels.register("bank", Bank)
    providers.register(providers.Provider("bank", reparse=bank_event))
    try:
        assert client.put("/api/v1/tenant/channels/bank", json={"settings": {}},
                          headers=shop.auth("admin")).status_code == 200
        report = sync_payments(plugin_state(app).session_factory)
        assert "bank: 1 new events, 0 seen before, 0 kept for review" in report.lines
        assert handed_out == [None, "2"], "the cursor the service gave is where the next poll starts"
        sync_payments(plugin_state(app).session_factory)
        assert handed_out[-1] == "2"
    finally:
        channels._registered.pop("bank", None)
        providers._registered.pop("bank", None)
    paid = client.get(f"/api/v1/invoices/{invoice['id']}/payments", headers=shop.auth()).json
    assert (paid["payment_status"], [p["source"] for p in paid["items"]]) == ("paid", ["bank"])
