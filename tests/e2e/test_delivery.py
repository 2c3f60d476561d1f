"""Delivery end to end over real HTTP: API -> outbox -> worker processes -> the services' sandboxes."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from adapters.netvisor.sandbox import demo_settings, running_sandbox
from invoicing_plugin.db import Delivery
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

INVOICING = str(Path(sys.executable).with_name("invoicing"))
FAST = WorkerSettings(poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05, max_attempts=10)


@pytest.fixture
def netvisor():
    with running_sandbox() as (url, app):
        yield url


def connect(client, shop, name, settings):
    response = client.put(f"/api/v1/tenant/channels/{name}", json={"default": True, "settings": settings},
                          headers=shop.auth("admin"))
    assert response.status_code == 200, response.json


def sandbox_state(url):
    return requests.get(f"{url}/_sandbox/state", timeout=10).json()


def statuses(session):
    session.rollback()
    return dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())


def wait_for(condition, timeout=60.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def test_an_order_finalised_through_the_api_arrives_in_netvisor(client, shop, app, netvisor):
    connect(client, shop, "netvisor", demo_settings(netvisor))
    invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
    Worker(plugin_state(app).session_factory, FAST).run_once()

    [held] = sandbox_state(netvisor)["invoices"]
    assert str(held["number"]) == invoice["number"] == "1"
    assert held["reference"] == invoice["reference"]
    assert held["customer"]["name"] == "Esimerkki Oy" and held["customer"]["identifier"] == "101"  # its code there
    [customer] = sandbox_state(netvisor)["customers"]
    assert customer["business_id"] == "2617416-4" and held["customer_key"] == customer["netvisor_key"]
    assert Decimal(held["amount"]) == Decimal(invoice["total_gross"])
    assert Decimal(held["lines_total"]) == Decimal(invoice["total_net"])
    assert [(line["name"], line["quantity"], line["unit_price"], line["vat_percent"]) for line in held["lines"]] == [
        ("Coffee beans 1 kg", "2", "24.90", "13.5")]
    assert held["our_reference"] == "WS-10001" and held["status"] == "unsent"
    assert held["accepted"] == 1
    delivery = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"][0]
    assert delivery["status"] == "delivered" and delivery["external_id"] == str(held["netvisor_key"])


def test_an_order_arrives_in_ropo24(client, shop, app):
    from adapters.loopback import serve_in_thread
    from adapters.ropo24.sandbox import DEMO_APICODE, DEMO_CID, create_sandbox_app

    with serve_in_thread(create_sandbox_app()) as base:
        connect(client, shop, "ropo24", {"base_url": f"{base}/rest", "cid": DEMO_CID, "apicode": DEMO_APICODE})
        invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
        Worker(plugin_state(app).session_factory, FAST).run_once()
        jobs = requests.get(f"{base}/_sandbox/jobs", timeout=10).json()["jobs"]
        [job] = jobs
        assert job["billnum"] == invoice["number"] and job["billcode"] == invoice["reference"]
        assert job["dataset"]["govid"] == "2617416-4" and job["dataset"]["company"] == "Esimerkki Oy"
        assert job["dataset"]["evoice"] == "003726174164" and job["dataset"]["sendtype"] == "evoice"
        assert (job["net"], job["gross"]) == (invoice["total_net"], invoice["total_gross"])


def test_after_five_failures_the_invoice_is_delivered_exactly_once(client, shop, app, netvisor, session):
    connect(client, shop, "netvisor", demo_settings(netvisor))
    requests.post(f"{netvisor}/_sandbox/faults", json={"kind": "500", "count": 5}, timeout=10)
    client.post("/api/v1/orders", json=order_payload(), headers=shop.auth())
    worker = Worker(plugin_state(app).session_factory, FAST)

    assert wait_for(lambda: worker.run_once() >= 0 and statuses(session) == {"delivered": 1}, timeout=30)
    [held] = sandbox_state(netvisor)["invoices"]
    assert held["accepted"] == 1
    log = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"][0]
    assert log["attempts"] >= 6


def worker_process(database_url: str, **extra: str) -> subprocess.Popen:
    env = {**os.environ, "INVOICING_DATABASE_URL": database_url, "INVOICING_WORKER_LEASE_SECONDS": "3",
           "INVOICING_WORKER_POLL_SECONDS": "0.05", "INVOICING_WORKER_BATCH_SIZE": "5",
           "INVOICING_DELIVERY_BACKOFF_BASE_SECONDS": "0.05", "INVOICING_DELIVERY_BACKOFF_CAP_SECONDS": "0.5"}
    return subprocess.Popen([INVOICING, "worker"], env={**env, **extra}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_a_worker_killed_mid_run_loses_nothing_and_doubles_nothing(client, shop, netvisor, database_url, session):
    connect(client, shop, "netvisor", demo_settings(netvisor))
    for i in range(200):
        assert client.post("/api/v1/orders", json=order_payload(f"K-{i}"), headers=shop.auth()).status_code == 201

    first = worker_process(database_url)
    assert wait_for(lambda: len(sandbox_state(netvisor)["invoices"]) >= 40, timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = len(sandbox_state(netvisor)["invoices"])
    assert killed_at < 200, "the kill came mid-run"

    second = worker_process(database_url)
    try:
        assert wait_for(lambda: statuses(session) == {"delivered": 200}, timeout=120), statuses(session)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0, "SIGTERM stops the worker cleanly"
    held = sandbox_state(netvisor)["invoices"]
    assert sorted(int(h["number"]) for h in held) == list(range(1, 201))
    assert {h["accepted"] for h in held} == {1}, "every invoice accepted exactly once"


def test_two_workers_deliver_each_of_many_invoices_exactly_once(client, shop, netvisor, database_url, engine_name,
                                                                 session):
    count = 1000 if engine_name == "postgresql" else 200
    connect(client, shop, "netvisor", demo_settings(netvisor))
    for i in range(count):
        assert client.post("/api/v1/orders", json=order_payload(f"T-{i}"), headers=shop.auth()).status_code == 201

    workers = [worker_process(database_url) for _ in range(2)]
    try:
        assert wait_for(lambda: statuses(session) == {"delivered": count}, timeout=300), statuses(session)
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=20)
    held = sandbox_state(netvisor)["invoices"]
    assert len(held) == count
    assert {h["received"] for h in held} == {1}, "no invoice was even sent twice"
    from invoicing_plugin.db import DeliveryAttempt

    session.rollback()
    workers_used = session.scalars(select(DeliveryAttempt.worker).distinct()).all()
    assert len(workers_used) == 2, "both workers took part"


def test_wrong_credentials_are_dead_at_once_and_a_retry_after_the_fix_delivers(client, shop, app, netvisor, session):
    wrong = {**demo_settings(netvisor), "customer_key": "not-the-key"}
    connect(client, shop, "netvisor", wrong)
    client.post("/api/v1/orders", json=order_payload(), headers=shop.auth())
    worker = Worker(plugin_state(app).session_factory, FAST)
    worker.run_once()

    backoffice = shop.auth("backoffice")
    [dead] = client.get("/api/v1/deliveries", headers=backoffice).json["items"]
    assert dead["status"] == "dead" and "AUTHENTICATION_FAILED" in dead["last_error"]
    assert "not-the-key" not in client.get(f"/api/v1/deliveries/{dead['id']}", headers=backoffice).get_data(True)
    assert worker.run_once() == 0

    connect(client, shop, "netvisor", demo_settings(netvisor))  # the admin fixes the key
    assert client.post(f"/api/v1/deliveries/{dead['id']}/retry", headers=backoffice).status_code == 200
    worker.run_once()
    assert client.get(f"/api/v1/deliveries/{dead['id']}", headers=backoffice).json["status"] == "delivered"
    [held] = sandbox_state(netvisor)["invoices"]
    assert held["accepted"] == 1


def test_a_worker_killed_during_the_call_leaves_an_interrupted_attempt_and_the_invoice_arrives_once(
        client, shop, netvisor, database_url, session):
    from invoicing_plugin.db import DeliveryAttempt

    connect(client, shop, "netvisor", demo_settings(netvisor))
    # Netvisor stores the invoice, then stays silent: the worker is in the middle of its call when killed.
    requests.post(f"{netvisor}/_sandbox/faults", json={"kind": "timeout_after_store", "delay": 60}, timeout=5)
    assert client.post("/api/v1/orders", json=order_payload("KILL-1"), headers=shop.auth()).status_code == 201

    first = worker_process(database_url, INVOICING_SYNC_PAYMENTS_SECONDS="0")  # the fault is for the delivery
    try:
        assert wait_for(lambda: len(sandbox_state(netvisor)["invoices"]) == 1, timeout=30)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    session.rollback()
    [attempt] = session.scalars(select(DeliveryAttempt)).all()
    assert attempt.outcome == "started" and attempt.duration_ms is None, "the attempt was written before the call"

    requests.delete(f"{netvisor}/_sandbox/faults", timeout=5)
    second = worker_process(database_url)  # its lease of 3 s runs out, then the delivery is due again
    try:
        assert wait_for(lambda: statuses(session) == {"delivered": 1}, timeout=60), statuses(session)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    session.rollback()
    outcomes = session.scalars(select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.id)).all()
    assert outcomes == ["interrupted", "found"], "the killed attempt is marked, the next one asks before sending"
    [held] = sandbox_state(netvisor)["invoices"]
    assert held["accepted"] == 1, "the invoice arrived once"


def test_an_invoice_run_with_finalize_delivers_each_invoice_to_netvisor_once(client, shop, app, netvisor):
    connect(client, shop, "netvisor", demo_settings(netvisor))
    day = shop.today() - timedelta(days=1)
    other = {"type": "organisation", "name": "Toinen Asiakas Oy", "business_id": "2077474-0",
             "email": "laskut@toinen.fi", "address": {"street": "Kauppakatu 2", "postcode": "33100",
                                                      "city": "Tampere", "country": "FI"}}
    for i, customer in enumerate([None, other, None, other, None]):
        payload = order_payload(f"RUN-{i}", delivery_date=day.isoformat(), invoicing={"mode": "collect"},
                                **({"customer": customer} if customer else {}))
        assert client.post("/api/v1/orders", json=payload, headers=shop.auth()).status_code == 201
    run = client.post("/api/v1/invoice-runs", json={"period_from": day.isoformat(), "period_to": day.isoformat(),
                                                    "finalize": True}, headers=shop.auth("backoffice")).json
    worker = Worker(plugin_state(app).session_factory, FAST)
    while worker.run_once():
        pass

    done = client.get(f"/api/v1/invoice-runs/{run['id']}", headers=shop.auth("backoffice")).json
    assert done["status"] == "completed" and done["progress"]["invoices_made"] == 2
    held = sandbox_state(netvisor)["invoices"]
    assert sorted(str(h["number"]) for h in held) == sorted(i["number"] for i in done["invoices"]) == ["1", "2"]
    assert {h["accepted"] for h in held} == {1} and {h["received"] for h in held} == {1}
    assert sorted(Decimal(h["amount"]) for h in held) == sorted(Decimal(i["total_gross"]) for i in done["invoices"])
