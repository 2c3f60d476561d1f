"""The loop closes over real HTTP: order -> invoice -> service -> payment -> callback or poll -> paid -> shop told."""

import json
import time
from collections import Counter
from decimal import Decimal

import pytest
import requests
from flask import Flask, request
from sqlalchemy import func, select

from adapters.loopback import serve_in_thread
from adapters.netvisor.sandbox import demo_settings, running_sandbox
from adapters.ropo24.sandbox import DEMO_APICODE, DEMO_CID, create_sandbox_app
from invoicing_plugin.db import Payment
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload
from webhooks.polling import sync_payments
from webhooks.signing import signed_headers, verify

FAST = WorkerSettings(poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05, max_attempts=20)


class Serving:
    """A WSGI app on a loopback port until stopped."""

    def __init__(self, app) -> None:
        self.app = app
        self._running = serve_in_thread(app)
        self.url = self._running.__enter__()

    def stop(self) -> None:
        self._running.__exit__(None, None, None)


class ShopEndpoint:
    """The web shop's notification receiver: verifies every signature, can be down (503)."""

    def __init__(self, secret: str | None = None) -> None:
        self.secret, self.received, self.down = secret, [], False
        app = Flask("shop")

        @app.post("/hooks/invoicing")
        def hook():
            if self.down:
                return "maintenance", 503
            body = request.get_data()
            verify([self.secret], request.headers, body)  # raises (500) on a bad signature
            self.received.append((request.headers["webhook-id"], json.loads(body)))
            return "", 204

        self.serving = Serving(app)
        self.url = f"{self.serving.url}/hooks/invoicing"


@pytest.fixture
def ropo24():
    serving = Serving(create_sandbox_app())
    yield serving
    serving.stop()


def subscribe(client, shop, endpoint, events):
    response = client.post("/api/v1/webhook-endpoints", json={"url": endpoint.url, "event_types": events},
                           headers=shop.auth("admin"))
    assert response.status_code == 201, response.json
    endpoint.secret = response.json["secret"]
    assert response.json["secret"].startswith("whsec_")
    listed = client.get("/api/v1/webhook-endpoints", headers=shop.auth("admin")).json["items"]
    assert listed[0]["secret"] is None, "shown once only"


def work_until(worker, condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker.run_once()
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_paid_at_the_collection_service_reaches_the_invoice_and_the_shop(client, shop, app, live_server, ropo24):
    admin = shop.auth("admin")
    client.put("/api/v1/tenant/channels/ropo24", json={"default": True, "settings": {
        "base_url": f"{ropo24.url}/rest", "cid": DEMO_CID, "apicode": DEMO_APICODE}}, headers=admin)
    secret = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=admin).json["secret"]
    shop_endpoint = ShopEndpoint()
    subscribe(client, shop, shop_endpoint, ["invoice.finalized", "invoice.delivered", "invoice.paid"])
    # The collection service pushes its notifications to our webhook URL, signed with the tenant's secret.
    sandbox = ropo24.app.extensions["ropo24_sandbox"]
    sandbox.notify_url = f"{live_server}/webhooks/ropo24/{shop.slug}"
    sandbox.sign = lambda body: signed_headers(secret, body)

    invoice = requests.post(f"{live_server}/api/v1/orders", json=order_payload(), headers=shop.auth(),
                            timeout=10).json()["invoice"]
    worker = Worker(plugin_state(app).session_factory, FAST)
    assert work_until(worker, lambda: requests.get(f"{ropo24.url}/_sandbox/jobs", timeout=5).json()["jobs"])

    paid = requests.post(f"{ropo24.url}/_sandbox/pay", json={"billnum": invoice["number"], "amount": "56.52",
                                                            "date": "2026-11-20"}, timeout=10)
    assert paid.status_code == 201
    pushed = requests.get(f"{ropo24.url}/_sandbox/notifications", timeout=5).json()
    assert len(pushed) == 2 and {p["status"] for p in pushed} == {200}, pushed  # job created, then paid
    state = requests.get(f"{live_server}/api/v1/invoices/{invoice['id']}", headers=shop.auth(), timeout=5).json()
    assert (state["payment_status"], state["paid_amount"]) == ("paid", "56.52")

    assert work_until(worker, lambda: any(e["type"] == "invoice.paid" for _, e in shop_endpoint.received))
    types = [event["type"] for _, event in shop_endpoint.received]
    assert types[:1] == ["invoice.finalized"] and "invoice.delivered" in types and "invoice.paid" in types
    paid_event = next(event for _, event in shop_endpoint.received if event["type"] == "invoice.paid")
    assert paid_event["data"]["invoice"]["number"] == invoice["number"]
    assert paid_event["data"]["invoice"]["paid_amount"] == "56.52"
    shop_endpoint.serving.stop()


def test_polling_netvisor_twice_records_each_payment_once(client, shop, app, session):
    with running_sandbox() as (netvisor, _):
        client.put("/api/v1/tenant/channels/netvisor", json={"default": True, "settings": demo_settings(netvisor)},
                   headers=shop.auth("admin"))
        first = client.post("/api/v1/orders", json=order_payload("W-1"), headers=shop.auth()).json["invoice"]
        second = client.post("/api/v1/orders", json=order_payload("W-2"), headers=shop.auth()).json["invoice"]
        factory = plugin_state(app).session_factory
        Worker(factory, FAST).run_once()
        for number, amount in ((first["number"], "50.00"), (first["number"], "6.52"), (second["number"], "10.00")):
            requests.post(f"{netvisor}/_sandbox/payments", json={"invoice_number": number, "amount": amount,
                                                                 "date": "2026-11-20"}, timeout=5)
        report = sync_payments(factory)
        assert "netvisor: 3 new events, 0 seen before, 0 kept for review" in report.lines
        sync_payments(factory)
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Payment)) == 3
        statuses = {i["number"]: (i["payment_status"], i["paid_amount"]) for i in
                    client.get("/api/v1/invoices", headers=shop.auth("backoffice")).json["items"]}
        assert statuses == {"1": ("paid", "56.52"), "2": ("partially_paid", "10.00")}
        # A payment that arrives later is found above the remembered cursor.
        requests.post(f"{netvisor}/_sandbox/payments", json={"invoice_number": second["number"],
                                                            "amount": "46.52", "date": "2026-11-21"}, timeout=5)
        assert "netvisor: 1 new events, 0 seen before, 0 kept for review" in sync_payments(factory).lines


def test_polling_ropo24_and_its_pushes_record_a_payment_once(client, shop, app, live_server, ropo24, session):
    admin = shop.auth("admin")
    client.put("/api/v1/tenant/channels/ropo24", json={"default": True, "settings": {
        "base_url": f"{ropo24.url}/rest", "cid": DEMO_CID, "apicode": DEMO_APICODE}}, headers=admin)
    secret = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=admin).json["secret"]
    sandbox = ropo24.app.extensions["ropo24_sandbox"]
    sandbox.notify_url, sandbox.sign = f"{live_server}/webhooks/ropo24/{shop.slug}", lambda b: signed_headers(secret, b)
    invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
    factory = plugin_state(app).session_factory
    Worker(factory, FAST).run_once()
    requests.post(f"{ropo24.url}/_sandbox/pay", json={"billnum": invoice["number"], "amount": "56.52",
                                                     "date": "2026-11-20"}, timeout=10)
    report = sync_payments(factory)  # the same update, now by polling
    assert any("ropo24:" in line and "seen before" in line for line in report.lines), report.lines
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_shop_endpoint_that_is_down_gets_every_event_after_it_recovers(client, shop, app):
    shop_endpoint = ShopEndpoint()
    subscribe(client, shop, shop_endpoint, ["invoice.finalized", "invoice.paid", "invoice.partially_paid"])
    shop_endpoint.down = True
    backoffice = shop.auth("backoffice")
    for i in range(3):
        invoice = client.post("/api/v1/orders", json=order_payload(f"W-{i}"), headers=shop.auth()).json["invoice"]
        client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": "10.00"}, headers=backoffice)
        client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": "46.52"}, headers=backoffice)
    worker = Worker(plugin_state(app).session_factory, FAST)
    worker.run_once()
    failing = client.get("/api/v1/deliveries", query_string={"status": "failed"}, headers=backoffice).json["items"]
    assert len(failing) == 9 and shop_endpoint.received == []

    shop_endpoint.down = False
    assert work_until(worker, lambda: len(shop_endpoint.received) == 9)
    types = Counter(event["type"] for _, event in shop_endpoint.received)
    assert types == {"invoice.finalized": 3, "invoice.partially_paid": 3, "invoice.paid": 3}
    assert len({message_id for message_id, _ in shop_endpoint.received}) == 9
    shop_endpoint.serving.stop()


def test_polled_updates_without_an_id_are_recorded_once_however_often_they_come(
        client, shop, app, live_server, session):
    # guides/general-add-ons/status-updates-polling shows no id; the pushed notification keeps its own.
    serving = Serving(create_sandbox_app(polled_ids=False))
    try:
        admin = shop.auth("admin")
        client.put("/api/v1/tenant/channels/ropo24", json={"default": True, "settings": {
            "base_url": f"{serving.url}/rest", "cid": DEMO_CID, "apicode": DEMO_APICODE}}, headers=admin)
        secret = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=admin).json["secret"]
        sandbox = serving.app.extensions["ropo24_sandbox"]
        invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
        factory = plugin_state(app).session_factory
        Worker(factory, FAST).run_once()
        requests.post(f"{serving.url}/_sandbox/pay", json={"billnum": invoice["number"], "amount": "20.00",
                                                          "date": "2026-11-20"}, timeout=10)
        first = sync_payments(factory)
        assert any("ropo24: 2 new events" in line for line in first.lines), first.lines  # created, paid
        sandbox.store.fetched.clear()  # Ropo hands the same updates out again
        again = sync_payments(factory)
        assert any("ropo24: 0 new events, 2 seen before" in line for line in again.lines), again.lines
        # The next payment, pushed with its id and then polled without one: still one payment.
        sandbox.notify_url, sandbox.sign = f"{live_server}/webhooks/ropo24/{shop.slug}", lambda b: signed_headers(
            secret, b)
        requests.post(f"{serving.url}/_sandbox/pay", json={"billnum": invoice["number"], "amount": "36.52",
                                                          "date": "2026-11-21"}, timeout=10)
        sync_payments(factory)
        session.rollback()
        assert sorted(session.scalars(select(Payment.amount))) == [Decimal("20.00"), Decimal("36.52")]
        state = client.get(f"/api/v1/invoices/{invoice['id']}", headers=shop.auth()).json
        assert (state["payment_status"], state["paid_amount"]) == ("paid", "56.52")
    finally:
        serving.stop()
