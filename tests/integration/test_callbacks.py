"""Signed callbacks mark invoices paid, once, in any order; forged or broken ones change nothing (DESIGN §7)."""

import json
import logging
import time
import uuid

import pytest
from sqlalchemy import func, select

from invoicing_plugin.db import InboxEvent, Payment
from tests.conftest import order_payload
from webhooks.signing import signed_headers


@pytest.fixture
def secret(client, shop):
    response = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=shop.auth("admin"))
    assert response.status_code == 200, response.json
    assert response.json["url"] == f"/webhooks/ropo24/{shop.slug}"
    return response.json["secret"]


@pytest.fixture
def invoice(client, shop):
    return client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]


def message(invoice, *, event="payment", amount="56.52", message_id=None, statustext="Paid", when=None):
    body = {"id": message_id or f"m-{uuid.uuid4()}", "event": event, "jobid": 1000001,
            "billnum": invoice["number"], "billcode": invoice["reference"], "status": 9, "statustext": statustext,
            "date": "2026-11-20", "created_at": when or "2026-11-20T10:00:00+00:00"}
    if event == "payment":
        body.update(paidamount=amount, paydate="2026-11-20")
    return body


def send(client, shop, secret, messages, *, raw=None, headers=None, provider="ropo24"):
    body = raw if raw is not None else json.dumps({"messages": messages}).encode()
    signed = headers if headers is not None else signed_headers(secret, body)
    return client.post(f"/webhooks/{provider}/{shop.slug}", data=body,
                       headers={**signed, "Content-Type": "application/json"})


def payments_status(client, shop, invoice):
    return client.get(f"/api/v1/invoices/{invoice['id']}/payments", headers=shop.auth("backoffice")).json


def count(session, model):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_a_signed_paid_event_marks_the_invoice_paid(client, shop, secret, invoice):
    response = send(client, shop, secret, [message(invoice)])
    assert response.status_code == 200 and response.json == {"received": 1, "duplicates": 0, "unmatched": 0}
    paid = payments_status(client, shop, invoice)
    assert (paid["payment_status"], paid["paid_amount"]) == ("paid", "56.52")
    assert [(p["source"], p["amount"], p["paid_on"]) for p in paid["items"]] == [("ropo24", "56.52", "2026-11-20")]
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=shop.auth()).json["payment_status"] == "paid"


def test_the_same_event_ten_times_is_one_payment(client, shop, secret, invoice, session):
    paid = message(invoice, message_id="m-1")
    answers = [send(client, shop, secret, [paid]).json for _ in range(10)]
    assert answers[0] == {"received": 1, "duplicates": 0, "unmatched": 0}
    assert all(answer == {"received": 0, "duplicates": 1, "unmatched": 0} for answer in answers[1:])
    assert count(session, Payment) == 1 and count(session, InboxEvent) == 1
    assert payments_status(client, shop, invoice)["paid_amount"] == "56.52"


def test_events_out_of_order_leave_the_right_final_amounts(client, shop, secret, invoice):
    # The full payment's event arrives first, the earlier partial one late; "sent" comes after "paid".
    send(client, shop, secret, [message(invoice, amount="36.52", when="2026-11-20T12:00:00+00:00")])
    send(client, shop, secret, [message(invoice, event="jobstatus", statustext="Invoicing",
                                        when="2026-11-19T08:00:00+00:00")])
    send(client, shop, secret, [message(invoice, amount="20.00", statustext="Partly paid",
                                        when="2026-11-20T09:00:00+00:00")])
    paid = payments_status(client, shop, invoice)
    assert (paid["payment_status"], paid["paid_amount"]) == ("paid", "56.52")
    timeline = client.get(f"/api/v1/invoices/{invoice['id']}/timeline", headers=shop.auth("backoffice")).json
    kinds = [item["kind"] for item in timeline["items"]]
    assert "sent" in kinds and kinds.count("payment") == 2 and "invoice.finalized" in kinds


def test_partial_and_over_payments(client, shop, secret, invoice):
    send(client, shop, secret, [message(invoice, amount="50.00")])
    assert payments_status(client, shop, invoice)["payment_status"] == "partially_paid"
    send(client, shop, secret, [message(invoice, amount="10.00")])
    paid = payments_status(client, shop, invoice)
    assert (paid["payment_status"], paid["paid_amount"]) == ("overpaid", "60.00")


@pytest.mark.parametrize("tamper", ["wrong_secret", "stale", "future", "missing_header", "changed_body"])
def test_forged_or_altered_callbacks_are_refused_and_change_nothing(client, shop, secret, invoice, session,
                                                                     caplog, tamper):
    body = json.dumps({"messages": [message(invoice)]}).encode()
    headers = {
        "wrong_secret": signed_headers("whsec_" + "A" * 44, body),
        "stale": signed_headers(secret, body, timestamp=int(time.time()) - 301),
        "future": signed_headers(secret, body, timestamp=int(time.time()) + 301),
        "missing_header": {k: v for k, v in signed_headers(secret, body).items() if k != "webhook-signature"},
        "changed_body": signed_headers(secret, body),
    }[tamper]
    if tamper == "changed_body":
        body = body.replace(b"56.52", b"99.99")
    with caplog.at_level(logging.DEBUG):
        response = send(client, shop, secret, None, raw=body, headers=headers)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert count(session, Payment) == 0 and count(session, InboxEvent) == 0
    assert secret not in caplog.text and secret[6:20] not in caplog.text and "56.52" not in caplog.text


@pytest.mark.parametrize("raw, status", [
    (b"{not json", 400), (b'{"messages": "no"}', 400), (b'{"messages": [{"event": "payment"}]}', 400),
    (b'{"messages": [{"id": "m", "event": "payment", "billnum": "1", "paidamount": 56.52, "date": "2026-11-20"}]}',
     400),
    (b"x" * 300_000, 413),
])
def test_malformed_and_oversized_bodies_are_refused(client, shop, secret, invoice, session, raw, status):
    response = send(client, shop, secret, None, raw=raw, headers=signed_headers(secret, raw))
    assert response.status_code == status
    assert count(session, Payment) == 0 and count(session, InboxEvent) == 0


def test_unknown_providers_tenants_and_unconfigured_secrets_are_404(client, shop, secret, other_shop):
    body = b'{"messages": []}'
    assert send(client, shop, secret, None, raw=body, provider="paypal").status_code == 404
    assert client.post("/webhooks/ropo24/no-such-shop", data=body,
                       headers=signed_headers(secret, body)).status_code == 404
    assert send(client, other_shop, secret, None, raw=body).status_code == 404  # B has no ropo24 secret


def test_an_unknown_event_type_is_acknowledged_and_logged(client, shop, secret, invoice, caplog):
    generic_secret = client.post("/api/v1/tenant/inbound-webhooks/generic", headers=shop.auth("admin")).json["secret"]
    body = json.dumps({"id": "evt_1", "type": "invoice.viewed", "created_at": "2026-11-20T10:00:00Z",
                       "data": {"invoice_number": invoice["number"]}}).encode()
    with caplog.at_level(logging.INFO):
        response = client.post(f"/webhooks/generic/{shop.slug}", data=body,
                               headers={**signed_headers(generic_secret, body), "Content-Type": "application/json"})
    assert response.status_code == 200
    assert "ignored generic event evt_1 of type 'invoice.viewed'" in caplog.text
    inbox = client.get("/api/v1/inbox", headers=shop.auth("backoffice")).json["items"]
    assert inbox[0]["status"] == "ignored"


def test_a_generic_payment_event(client, shop, invoice):
    generic_secret = client.post("/api/v1/tenant/inbound-webhooks/generic", headers=shop.auth("admin")).json["secret"]
    body = json.dumps({"id": "evt_2", "type": "payment.received", "created_at": "2026-11-20T10:00:00Z",
                       "data": {"reference": invoice["reference_rf"], "amount": "56.52", "currency": "EUR",
                                "paid_on": "2026-11-20", "payment_id": "bank-tx-99"}}).encode()
    response = client.post(f"/webhooks/generic/{shop.slug}", data=body,
                           headers={**signed_headers(generic_secret, body), "Content-Type": "application/json"})
    assert response.status_code == 200
    assert payments_status(client, shop, invoice)["items"][0]["source_payment_id"] == "bank-tx-99"


def test_an_event_about_an_unknown_invoice_is_kept_for_review_and_can_be_processed_later(
        client, shop, secret, session):
    future = {"number": "2", "reference": "1025", "id": None}
    response = send(client, shop, secret, [message(future, amount="56.52")])
    assert response.json == {"received": 1, "duplicates": 0, "unmatched": 1}
    [kept] = client.get("/api/v1/inbox?status=unmatched", headers=shop.auth("backoffice")).json["items"]
    assert "no finalised invoice matches number 2, reference 1025" in kept["note"]

    client.post("/api/v1/orders", json=order_payload("W-1"), headers=shop.auth())  # invoice 1
    second = client.post("/api/v1/orders", json=order_payload("W-2"), headers=shop.auth()).json["invoice"]
    done = client.post(f"/api/v1/inbox/{kept['id']}/reprocess", headers=shop.auth("backoffice"))
    assert done.status_code == 200 and done.json["items"][0]["status"] == "processed"
    assert payments_status(client, shop, second)["payment_status"] == "paid"


def test_a_rotated_secret_and_its_predecessor_both_work(client, shop, secret, invoice):
    rotated = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=shop.auth("admin")).json["secret"]
    assert send(client, shop, secret, [message(invoice, amount="10.00")]).status_code == 200
    assert send(client, shop, rotated, [message(invoice, amount="10.00")]).status_code == 200
    third = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=shop.auth("admin")).json["secret"]
    assert send(client, shop, secret, [message(invoice)]).status_code == 401, "two rotations retire the first"
    assert send(client, shop, third, [message(invoice, amount="1.00")]).status_code == 200


def test_one_tenants_callback_never_touches_another_tenants_invoice(client, shop, other_shop, invoice, session):
    their_secret = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=other_shop.auth("admin")).json
    response = send(client, other_shop, their_secret["secret"], [message(invoice)])
    assert response.json["unmatched"] == 1
    assert payments_status(client, shop, invoice)["payment_status"] == "unpaid"


def test_a_manual_payment_by_the_back_office(client, shop, invoice):
    backoffice = shop.auth("backoffice")
    url = f"/api/v1/invoices/{invoice['id']}/payments"
    first = client.post(url, json={"amount": "20.00", "paid_on": "2026-11-21", "payment_id": "cash-7"},
                        headers=backoffice)
    assert first.status_code == 201 and first.json["payment_status"] == "partially_paid"
    again = client.post(url, json={"amount": "20.00", "paid_on": "2026-11-21", "payment_id": "cash-7"},
                        headers=backoffice)
    # The same payment again: the payment recorded the first time, nothing new.
    assert again.status_code == 200 and again.json["payment"]["id"] == first.json["payment"]["id"]
    assert again.json["paid_amount"] == "20.00"
    assert client.post(url, json={"amount": "5.00"}, headers=shop.auth()).status_code == 403
    assert client.post(url, json={"amount": 5}, headers=backoffice).status_code == 422


def test_a_draft_takes_no_payment(client, shop):
    draft = client.post("/api/v1/orders", json=order_payload(invoicing={"mode": "queue"}),
                        headers=shop.auth()).json["invoice"]
    response = client.post(f"/api/v1/invoices/{draft['id']}/payments", json={"amount": "1.00"},
                           headers=shop.auth("backoffice"))
    assert response.status_code == 409


def test_an_inbox_id_beyond_64_bits_is_simply_not_found(client, shop):
    response = client.post("/api/v1/inbox/159684165390619232339755008/reprocess", headers=shop.auth("backoffice"))
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
