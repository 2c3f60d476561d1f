"""The EU VIES check at intake, over real HTTP to the VIES sandbox (SOAP through zeep, the shipped WSDL).

Reverse-charge (AE) and intra-community (K) lines need the buyer's VAT ID confirmed: valid -> 201, invalid ->
422 on customer.vat_id, unavailable -> a draft held as vat_check_pending that the worker finalises once VIES
answers valid, without anyone touching it.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from adapters.vies import vies_checker
from adapters.vies.sandbox import running_sandbox
from invoicing_plugin import create_app
from invoicing_plugin.db import Delivery, Invoice, Order, VatCheck
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import vat_checks
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import make_shop, order_payload

BUYER = {"type": "organisation", "name": "Exempel Handel AB", "vat_id": "SE556703748501", "language": "en",
         "email": "faktura@exempel.se",
         "address": {"street": "Drottninggatan 1", "postcode": "111 51", "city": "Stockholm", "country": "SE"}}
NOT_REGISTERED = "SE556000016701"  # check digits pass; VIES does not know it
REVERSE_CHARGE = [{"description": "Installation", "quantity": "1", "unit_price": "1000.00", "vat_rate": "0",
                   "vat_category": "AE"}]
INTRA_COMMUNITY = [{"description": "Espresso machine", "quantity": "1", "unit_price": "800.00", "vat_rate": "0",
                    "vat_category": "K"}]
FAST = WorkerSettings(lease=timedelta(seconds=30), poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05,
                      schedules_every=0, vat_recheck_every=0.01,
                      vat_policy=vat_checks.VatPolicy(recheck_base=timedelta(milliseconds=50),
                                                      recheck_cap=timedelta(milliseconds=200)))


@pytest.fixture
def vies():
    with running_sandbox() as (url, store):
        yield url, store


@pytest.fixture
def vies_app(database_url, vies):
    application = create_app({"INVOICING_DATABASE_URL": database_url, "INVOICING_DB_POOL_SIZE": "10",
                              "INVOICING_VIES_URL": vies[0], "INVOICING_VIES_TIMEOUT_SECONDS": "5", "TESTING": True})
    yield application
    plugin_state(application).engine.dispose()


@pytest.fixture
def shop(vies_app):
    return make_shop(vies_app)


@pytest.fixture
def client(vies_app):
    return vies_app.test_client()


@pytest.fixture
def session(vies_app):
    db = plugin_state(vies_app).session_factory()
    yield db
    db.close()


def worker_for(app, vies_url, **policy):
    settings = replace(FAST, vies_url=vies_url, vat_policy=replace(FAST.vat_policy, **policy))
    return Worker(plugin_state(app).session_factory, settings)


def vat_check(session, check_id):
    session.rollback()  # a fresh look
    return session.get(VatCheck, uuid.UUID(check_id))


def order(external_id, vat_id=BUYER["vat_id"], lines=REVERSE_CHARGE, mode="immediate"):
    payload = order_payload(external_id, customer={**BUYER, "vat_id": vat_id}, lines=lines)
    payload["invoicing"]["mode"] = mode
    return payload


def post(client, shop, payload):
    return client.post("/api/v1/orders", json=payload, headers=shop.auth())


def test_a_valid_vat_id_is_invoiced_with_the_consultation_number_kept_as_proof(client, shop, session, vies):
    response = post(client, shop, order("VIES-1"))
    assert response.status_code == 201, response.json
    invoice = response.json["invoice"]
    assert invoice["status"] == "finalized" and invoice["number"] and invoice["hold_reason"] is None
    check = vat_check(session, invoice["vat_check_id"])
    assert (check.status, check.vat_id, check.name) == ("valid", "SE556703748501", "Exempel Handel AB")
    assert check.requester_vat_id == "FI07375462"  # the merchant's own VAT ID, from its business ID
    assert check.consultation_number and len(check.consultation_number) == 16
    [asked] = vies[1].checks
    assert (asked["requester"], asked["consultation_number"]) == ("FI07375462", check.consultation_number)


def test_an_invalid_vat_id_is_refused_naming_it_and_nothing_is_written(client, shop, session):
    response = post(client, shop, order("VIES-2", vat_id=NOT_REGISTERED, lines=INTRA_COMMUNITY))
    assert response.status_code == 422, response.json
    [problem] = response.json["errors"]
    assert problem["field"] == "customer.vat_id" and NOT_REGISTERED in problem["detail"]
    assert session.scalar(select(func.count()).select_from(Order)) == 0
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_vies_is_asked_only_about_an_otherwise_valid_order(client, shop, vies):
    payload = order("VIES-3", vat_id=NOT_REGISTERED)
    payload["invoicing"]["series"] = "nonexistent"
    fields = {problem["field"] for problem in post(client, shop, payload).json["errors"]}
    assert fields == {"invoicing.series"} and vies[1].checks == []


def test_orders_without_reverse_charge_or_intra_community_lines_never_ask_vies(client, shop, vies):
    response = post(client, shop, order("VIES-4", vat_id=NOT_REGISTERED, lines=[
        {"description": "Coffee", "quantity": "1", "unit_price": "10.00", "vat_rate": "25.5"}]))
    assert response.status_code == 201 and response.json["invoice"]["vat_check_id"] is None
    assert vies[1].checks == []


def test_a_valid_answer_is_reused_for_a_day_and_an_unavailable_one_never(client, shop, vies):
    url, store = vies
    store.queue_fault("MS_UNAVAILABLE", country="SE")
    assert post(client, shop, order("VIES-5")).json["invoice"]["hold_reason"] == "vat_check_pending"
    assert post(client, shop, order("VIES-6")).json["invoice"]["status"] == "finalized"
    assert post(client, shop, order("VIES-7")).json["invoice"]["status"] == "finalized"
    assert [check["fault"] or check["valid"] for check in store.checks] == ["MS_UNAVAILABLE", True]


@pytest.mark.parametrize("fault", ["MS_UNAVAILABLE", "TIMEOUT", "SERVICE_UNAVAILABLE", "MS_MAX_CONCURRENT_REQ",
                                   "GLOBAL_MAX_CONCURRENT_REQ", "HTTP_503"])
def test_vies_unavailable_holds_the_invoice_as_a_draft_never_reported_valid(client, shop, session, vies, fault):
    vies[1].queue_fault(fault)
    response = post(client, shop, order("VIES-8"))
    assert response.status_code == 201, response.json
    invoice = response.json["invoice"]
    assert (invoice["status"], invoice["number"], invoice["hold_reason"]) == ("draft", None, "vat_check_pending")
    assert response.json["order"]["status"] == "awaiting_approval"
    check = vat_check(session, invoice["vat_check_id"])
    assert (check.status, check.fault, check.consultation_number) == ("unavailable", fault, None)
    approve = client.post(f"/api/v1/invoices/{invoice['id']}/finalize", json={}, headers=shop.auth("backoffice"))
    assert approve.status_code == 409 and approve.json["code"] == "vat_check_pending"


def test_ms_unavailable_then_valid_is_finalised_by_the_worker_without_anyone_touching_it(
        client, shop, session, vies, vies_app, memory_channel):
    client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
               headers=shop.auth("admin"))
    url, store = vies
    store.queue_fault("MS_UNAVAILABLE", count=2, country="SE")  # intake, then the worker's first re-check
    response = post(client, shop, order("VIES-9"))
    assert response.status_code == 201 and response.json["invoice"]["hold_reason"] == "vat_check_pending"
    invoice_id = response.json["invoice"]["id"]

    worker = worker_for(vies_app, url)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not memory_channel.held:
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(timeout=10)

    shown = client.get(f"/api/v1/invoices/{invoice_id}", headers=shop.auth("backoffice")).json
    assert (shown["status"], shown["hold_reason"]) == ("finalized", None) and shown["number"]
    check = vat_check(session, shown["vat_check_id"])
    assert check.status == "valid" and check.consultation_number
    assert [c["fault"] or c["valid"] for c in store.checks] == ["MS_UNAVAILABLE", "MS_UNAVAILABLE", True]
    assert session.scalar(select(Order.status).where(Order.invoice_id == uuid.UUID(invoice_id))) == "invoiced"
    assert session.scalar(select(Delivery.status).where(Delivery.invoice_id == uuid.UUID(invoice_id))) == "delivered"


def test_a_held_draft_that_turns_out_invalid_stays_a_draft_with_the_reason(client, shop, session, vies, vies_app):
    url, store = vies
    store.queue_fault("TIMEOUT", vat_id=NOT_REGISTERED)
    invoice_id = post(client, shop, order("VIES-10", vat_id=NOT_REGISTERED)).json["invoice"]["id"]
    assert worker_for(vies_app, url, recheck_base=timedelta(0)).recheck_vat_ids() == 1
    shown = client.get(f"/api/v1/invoices/{invoice_id}", headers=shop.auth("backoffice")).json
    assert (shown["status"], shown["hold_reason"]) == ("draft", "vat_id_invalid")
    assert vat_check(session, shown["vat_check_id"]).status == "invalid"


def test_a_queued_draft_is_released_but_left_for_the_back_office(client, shop, vies, vies_app):
    url, store = vies
    store.queue_fault("MS_UNAVAILABLE")
    invoice_id = post(client, shop, order("VIES-11", mode="queue")).json["invoice"]["id"]
    assert worker_for(vies_app, url, recheck_base=timedelta(0)).recheck_vat_ids() == 1
    shown = client.get(f"/api/v1/invoices/{invoice_id}", headers=shop.auth("backoffice")).json
    assert (shown["status"], shown["hold_reason"]) == ("draft", None)
    approve = client.post(f"/api/v1/invoices/{invoice_id}/finalize", json={}, headers=shop.auth("backoffice"))
    assert approve.status_code == 200 and approve.json["status"] == "finalized"


def test_without_vies_configured_reverse_charge_rests_on_the_check_digits(app, database_url):
    client, shop = app.test_client(), make_shop(app)
    response = post(client, shop, order("VIES-12", vat_id=NOT_REGISTERED))
    assert response.status_code == 201 and response.json["invoice"]["status"] == "finalized"
    assert response.json["invoice"]["vat_check_id"] is None


def test_check_vat_from_the_terminal_prints_the_answer(invoke, vies, monkeypatch):
    monkeypatch.setenv("INVOICING_VIES_URL", vies[0])
    code, lines = invoke("check-vat", "FI 2077 4740", "--requester", "FI07375462")
    assert code == 0, lines
    shown = dict(line.split(":", 1) for line in lines)
    assert shown["status"].strip() == "valid" and shown["vat_id"].strip() == "FI20774740"
    assert shown["name"].strip() == "Toinen Kauppa Oy"
    assert shown["address"].strip() == "Aleksanterinkatu 1, 00100 HELSINKI"
    assert len(shown["consultation number"].strip()) == 16
    code, lines = invoke("check-vat", NOT_REGISTERED)
    assert code == 1 and lines[0].split() == ["status:", "invalid"]


def test_check_vat_as_a_tenant_keeps_the_answer_as_its_proof(invoke, vies, monkeypatch, app, session):
    monkeypatch.setenv("INVOICING_VIES_URL", vies[0])
    shop = make_shop(app)
    vies[1].queue_fault("MS_UNAVAILABLE")
    code, lines = invoke("check-vat", "FI20774740", "--tenant", shop.slug)
    assert code == 1 and "fault:               MS_UNAVAILABLE" in lines
    code, lines = invoke("check-vat", "FI20774740", "--tenant", shop.slug)
    assert code == 0 and lines[0].split() == ["status:", "valid"]
    assert session.scalars(select(VatCheck.status).order_by(VatCheck.checked_at)).all() == ["unavailable", "valid"]
    assert session.scalar(select(VatCheck.requester_vat_id).where(VatCheck.status == "valid")) == "FI07375462"


def test_check_vat_without_vies_configured_says_how_to(invoke, monkeypatch):
    monkeypatch.delenv("INVOICING_VIES_URL", raising=False)
    code, lines = invoke("check-vat", "FI20774740")
    assert code == 2


def test_held_vat_ids_are_asked_again_with_backoff(client, shop, session, vies, vies_app):
    url, store = vies
    store.queue_fault("MS_UNAVAILABLE", count=5)
    post(client, shop, order("VIES-13"))
    post(client, shop, order("VIES-14"))  # the same VAT ID: one question for both
    db = plugin_state(vies_app).database
    checker = vies_checker(url)
    policy = vat_checks.VatPolicy(recheck_base=timedelta(minutes=1), recheck_cap=timedelta(minutes=10))
    first = session.scalar(select(func.max(VatCheck.checked_at)))
    # Two unanswered in a row (one per order): the first re-check waits 2 minutes.
    assert vat_checks.recheck_held(db, checker, policy, now=first + timedelta(seconds=110)) == 0
    assert vat_checks.recheck_held(db, checker, policy, now=first + timedelta(seconds=130)) == 1
    # Three now: the next waits 4 minutes from the last.
    assert vat_checks.recheck_held(db, checker, policy, now=first + timedelta(seconds=130 + 230)) == 0
    assert vat_checks.recheck_held(db, checker, policy, now=first + timedelta(seconds=130 + 250)) == 1
    assert len(store.checks) == 4


def test_a_held_order_in_another_currency_keeps_its_rate_and_still_needs_one(client, shop, vies, vies_app):
    url, store = vies
    store.queue_fault("MS_UNAVAILABLE", count=2)
    missing = post(client, shop, {**order("VIES-15"), "currency": "SEK"})
    assert missing.status_code == 422 and {e["field"] for e in missing.json["errors"]} == {"exchange_rate"}
    held = post(client, shop, {**order("VIES-16"), "currency": "SEK", "exchange_rate": "11.2345"}).json["invoice"]
    assert (held["status"], held["hold_reason"]) == ("draft", "vat_check_pending")
    assert worker_for(vies_app, url, recheck_base=timedelta(0)).recheck_vat_ids() == 1
    shown = client.get(f"/api/v1/invoices/{held['id']}", headers=shop.auth("backoffice")).json
    assert (shown["status"], shown["exchange_rate"], shown["currency"]) == ("finalized", "11.2345", "SEK")
