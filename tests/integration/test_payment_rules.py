"""Payments that cannot be right are refused with a clear answer and change nothing; paid means told."""

import pytest
from sqlalchemy import func, select

from invoicing_plugin.db import Delivery, InboxEvent, Payment
from tests.conftest import order_payload
from tests.integration.test_callbacks import message, send


@pytest.fixture
def secret(client, shop):
    return client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=shop.auth("admin")).json["secret"]


@pytest.fixture
def invoice(client, shop):
    return client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]


def rows(session, model, *where):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize(("amount", "problem"), [
    ("-5.00", "must be more than zero"),
    ("0", "must be more than zero"),
    ("0.00", "must be more than zero"),
    ("0.025", "may have at most 2 decimals in EUR"),
    ("0.005", "may have at most 2 decimals in EUR"),
])
def test_a_manual_payment_that_cannot_be_right_is_refused(client, shop, invoice, session, amount, problem):
    response = client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": amount},
                           headers=shop.auth("backoffice"))
    assert response.status_code == 422, response.json
    assert response.json["errors"][0]["field"] == "amount" and problem in response.json["errors"][0]["detail"]
    assert rows(session, Payment) == 0


def test_extra_zeros_are_not_extra_decimals(client, shop, invoice):
    response = client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": "10.5000"},
                           headers=shop.auth("backoffice"))
    assert response.status_code == 201 and response.json["paid_amount"] == "10.50"


def test_a_payment_id_sent_again_with_another_amount_is_a_conflict(client, shop, invoice, session):
    url = f"/api/v1/invoices/{invoice['id']}/payments"
    first = client.post(url, json={"amount": "20.00", "paid_on": "2026-11-21", "payment_id": "cash-7"},
                        headers=shop.auth("backoffice"))
    assert first.status_code == 201
    for other in ({"amount": "25.00", "paid_on": "2026-11-21"}, {"amount": "20.00", "paid_on": "2026-11-22"}):
        again = client.post(url, json={**other, "payment_id": "cash-7"}, headers=shop.auth("backoffice"))
        assert again.status_code == 409 and again.json["code"] == "payment_id_reused", again.json
        assert "20.00" in again.json["detail"]
    assert rows(session, Payment) == 1
    assert client.get(url, headers=shop.auth()).json["paid_amount"] == "20.00"


@pytest.mark.parametrize("amount", ["-1000.00", "12.34567", "0.00"])
def test_a_callback_with_an_impossible_amount_is_refused_for_good_and_kept_as_rejected(
        client, shop, secret, invoice, session, amount):
    event = message(invoice, amount=amount, message_id="m-bad")
    response = send(client, shop, secret, [event])
    assert response.status_code == 422, "a 4xx: the provider does not send it again"
    assert response.json["code"] == "callback_rejected" and response.json["rejected"][0]["event_id"] == "m-bad"
    assert rows(session, Payment) == 0
    [row] = session.scalars(select(InboxEvent)).all()
    assert row.status == "rejected" and amount in row.note
    again = send(client, shop, secret, [event])
    assert again.status_code == 422 and rows(session, Payment) == 0, "a repeat is refused the same way"
    listed = client.get("/api/v1/inbox?status=rejected", headers=shop.auth("backoffice")).json["items"]
    assert [item["event_id"] for item in listed] == ["m-bad"]


def test_a_batch_records_its_good_events_and_names_the_rejected_one(client, shop, secret, invoice, session):
    response = send(client, shop, secret, [message(invoice, amount="-1.00", message_id="m-bad"),
                                           message(invoice, amount="10.00", message_id="m-good")])
    assert response.status_code == 422 and [r["event_id"] for r in response.json["rejected"]] == ["m-bad"]
    assert response.json["received"] == 2
    assert rows(session, Payment) == 1


@pytest.fixture
def listening(client, shop):
    response = client.post("/api/v1/webhook-endpoints", headers=shop.auth("admin"), json={
        "url": "https://shop.example/hooks", "event_types": ["invoice.paid", "invoice.partially_paid"]})
    assert response.status_code == 201, response.json


def events_sent(session):
    session.rollback()
    return [(d.payload["event"]["type"], d.payload["event"]["data"]["invoice"]["payment_status"])
            for d in session.scalars(select(Delivery).where(Delivery.channel == "webhook")
                                     .order_by(Delivery.created_at)).all()]


def test_an_invoice_overpaid_by_its_only_payment_is_announced_as_paid(client, shop, invoice, listening, session):
    response = client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": "60.00"},
                           headers=shop.auth("backoffice"))
    assert response.json["payment_status"] == "overpaid"
    assert events_sent(session) == [("invoice.paid", "overpaid")]


def test_paid_then_overpaid_is_announced_once(client, shop, invoice, listening, session):
    url = f"/api/v1/invoices/{invoice['id']}/payments"
    client.post(url, json={"amount": "20.00"}, headers=shop.auth("backoffice"))
    client.post(url, json={"amount": "36.52"}, headers=shop.auth("backoffice"))
    client.post(url, json={"amount": "1.00"}, headers=shop.auth("backoffice"))
    assert events_sent(session) == [("invoice.partially_paid", "partially_paid"), ("invoice.paid", "paid")]
