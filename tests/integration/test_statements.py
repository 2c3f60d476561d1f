"""A customer's account statement: the opening balance, every movement of the period in date order, the closing
balance, which is the customer's balance; as JSON, as a PDF in the customer's language and as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pypdf
import pytest

from tests.conftest import order_payload

COFFEE = {"sku": "COFFEE-1", "description": "Coffee beans 1 kg", "quantity": "2", "unit": "kg",
          "unit_price": "24.90", "vat_rate": "13.5"}  # 2 x 24.90 + 13.5 % = 56.52
CUPS = {"sku": "CUP-1", "description": "Espresso cup", "quantity": "10", "unit": "pcs", "unit_price": "9.25",
        "vat_rate": "25.5"}  # 92.50 + 25.5 % = 116.09


def invoice_on(client, shop, external_id: str, day, lines=(COFFEE,), **overrides) -> dict:
    """A finalised invoice dated `day` (a queued draft approved with that invoice date)."""
    order = order_payload(external_id, lines=list(lines), invoicing={"mode": "queue", "payment_terms_days": 14},
                          **overrides)
    draft = client.post("/api/v1/orders", json=order, headers=shop.auth()).json["invoice"]
    response = client.post(f"/api/v1/invoices/{draft['id']}/finalize", json={"invoice_date": day.isoformat()},
                           headers=shop.auth("backoffice"))
    assert response.status_code == 200, response.json
    return response.json


def pay(client, shop, invoice: dict, amount: str, day) -> None:
    response = client.post(f"/api/v1/invoices/{invoice['id']}/payments",
                           json={"amount": amount, "paid_on": day.isoformat()}, headers=shop.auth("backoffice"))
    assert response.status_code == 201, response.json


@pytest.fixture
def history(client, shop, session):
    """Forty days of one customer: every kind of movement, and what never belongs on a statement."""
    today, office = shop.today(), shop.auth("backoffice")
    first = invoice_on(client, shop, "S-1", today - timedelta(days=40))  # 56.52
    pay(client, shop, first, "30.00", today - timedelta(days=35))
    second = invoice_on(client, shop, "S-2", today - timedelta(days=3), lines=(CUPS,))  # 116.09
    pay(client, shop, second, "126.09", today - timedelta(days=2))  # 10.00 too much: credit
    line = first["lines"][0]["id"]
    note = client.post(f"/api/v1/invoices/{first['id']}/credit-notes", headers=office, json={
        "reason": "One bag short", "lines": [{"invoice_line_id": line, "quantity": "1"}]}).json  # -28.26
    # 26.52 was open on the first invoice: 1.74 of the credit note is credit too. 1.74 is paid back...
    customer = first["customer_id"]
    refund = client.post(f"/api/v1/customers/{customer}/refunds", headers=office,
                         json={"amount": "1.74", "refund_id": "R-1", "paid_on": today.isoformat()})
    assert refund.status_code == 201, refund.json
    # ... and the other 10.00 pays part of the next invoice when it is finalised.
    third = client.post("/api/v1/orders", json=order_payload("S-3"), headers=shop.auth()).json["invoice"]
    assert third["allocated_amount"] == "10.00"
    # Never on a statement: a draft, a discarded draft, a pro forma.
    client.post("/api/v1/orders", json=order_payload("S-4", invoicing={"mode": "queue"}), headers=shop.auth())
    discarded = client.post("/api/v1/orders", json=order_payload("S-5", invoicing={"mode": "queue"}),
                            headers=shop.auth()).json["invoice"]
    client.post(f"/api/v1/invoices/{discarded['id']}/discard", headers=office)
    proforma = client.post("/api/v1/orders", json=order_payload("S-6", invoicing={"kind": "proforma"}),
                           headers=shop.auth()).json["invoice"]
    assert proforma["kind"] == "proforma" and proforma["status"] == "finalized"
    return {"customer": customer, "first": first, "second": second, "note": note, "third": third,
            "today": today}


def statement(client, shop, customer, **query):
    response = client.get(f"/api/v1/customers/{customer}/statement", query_string=query,
                          headers=shop.auth("backoffice"))
    assert response.status_code == 200, response.get_json()
    return response


def test_a_period_from_before_the_first_invoice_to_today_ends_at_the_customers_balance(client, shop, history):
    today = history["today"]
    body = statement(client, shop, history["customer"], **{"from": (today - timedelta(days=400)).isoformat(),
                                                            "to": today.isoformat()}).json

    [balance] = client.get(f"/api/v1/customers/{history['customer']}", headers=shop.auth("backoffice")).json["balances"]
    assert body["opening_balance"] == "0.00"
    assert body["closing_balance"] == balance["balance"] == "46.52"  # what the third invoice still awaits
    kinds = [(m["kind"], m["document"], m["amount"]) for m in body["movements"]]
    first, second, note, third = (history[k]["number"] for k in ("first", "second", "note", "third"))
    assert kinds == [
        ("invoice", first, "56.52"),
        ("payment", first, "-30.00"),
        ("invoice", second, "116.09"),
        ("payment", second, "-126.09"),
        ("invoice", third, "56.52"),
        ("credit_note", note, "-28.26"),
        ("allocation", third, "0.00"),
        ("refund", "R-1", "1.74"),
    ]
    assert [m["date"] for m in body["movements"]] == sorted(m["date"] for m in body["movements"])


def test_closing_is_opening_plus_the_movements_and_each_running_balance_follows(client, shop, history):
    today = history["today"]
    body = statement(client, shop, history["customer"], **{"from": (today - timedelta(days=30)).isoformat()}).json

    # The first invoice (56.52) and its payment (30.00) came before the period.
    assert body["opening_balance"] == "26.52"
    assert body["period"] == {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    running = Decimal(body["opening_balance"])
    for movement in body["movements"]:
        running += Decimal(movement["amount"])
        assert movement["balance"] == str(running)
    assert body["closing_balance"] == str(running) == "46.52"
    allocation = next(m for m in body["movements"] if m["kind"] == "allocation")
    assert allocation["applied_amount"] == "10.00"
    assert allocation["description"] == f"Hyvitystä 10,00\xa0€ käytetty laskuun {history['third']['number']}"
    note = next(m for m in body["movements"] if m["kind"] == "credit_note")
    assert note["credited_document"] == history["first"]["number"]


def test_a_period_in_the_past_ends_at_the_balance_of_that_day(client, shop, history):
    today = history["today"]
    body = statement(client, shop, history["customer"], **{"from": (today - timedelta(days=40)).isoformat(),
                                                            "to": (today - timedelta(days=36)).isoformat()}).json
    assert [m["kind"] for m in body["movements"]] == ["invoice"]
    assert (body["opening_balance"], body["closing_balance"]) == ("0.00", "56.52")
    assert body["movements"][0]["due_date"] == (today - timedelta(days=26)).isoformat()


def test_the_csv_has_a_row_per_movement_with_iso_dates_and_decimal_points(client, shop, history):
    today = history["today"]
    response = statement(client, shop, history["customer"], **{"from": (today - timedelta(days=30)).isoformat()})
    as_json = response.json
    response = client.get(f"/api/v1/customers/{history['customer']}/statement",
                          query_string={"from": (today - timedelta(days=30)).isoformat()},
                          headers={**shop.auth("backoffice"), "Accept": "text/csv"})

    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["date", "kind", "document", "description", "amount", "applied_amount", "balance",
                             "currency"]
    assert [(r["date"], r["kind"], r["amount"], r["balance"]) for r in rows] == [
        (m["date"], m["kind"], m["amount"], m["balance"]) for m in as_json["movements"]]
    total = Decimal(as_json["opening_balance"]) + sum(Decimal(r["amount"]) for r in rows)
    assert str(total) == rows[-1]["balance"] == as_json["closing_balance"]


@pytest.mark.parametrize("language, title, closing", [
    ("fi", "Tiliote", "Loppusaldo 56,52 €"),
    ("sv", "Kontoutdrag", "Utgående saldo 56,52 €"),
    ("en", "Account statement", "Closing balance €56.52"),
])
def test_the_pdf_shows_the_closing_balance_in_the_customers_language(client, shop, language, title, closing):
    customer = {**order_payload()["customer"], "language": language}
    invoice = client.post("/api/v1/orders", json=order_payload("P-1", customer=customer),
                          headers=shop.auth()).json["invoice"]
    response = client.get(f"/api/v1/customers/{invoice['customer_id']}/statement",
                          headers={**shop.auth("backoffice"), "Accept": "application/pdf"})

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    assert text.startswith("Kahvila Oy " + title)
    assert closing in text.replace("\xa0", " ")
    assert invoice["number"] in text


def test_a_statement_is_per_currency(client, shop):
    euros = client.post("/api/v1/orders", json=order_payload("C-1"), headers=shop.auth()).json["invoice"]
    crowns = client.post("/api/v1/orders", json=order_payload("C-2", currency="SEK", exchange_rate="11.2345"),
                         headers=shop.auth()).json
    assert crowns["invoice"]["customer_id"] == euros["customer_id"], crowns
    customer = euros["customer_id"]

    in_euros = statement(client, shop, customer).json
    in_crowns = statement(client, shop, customer, currency="SEK").json
    assert [m["document"] for m in in_euros["movements"]] == [euros["number"]]
    assert [m["document"] for m in in_crowns["movements"]] == [crowns["invoice"]["number"]]
    assert in_crowns["currency"] == "SEK" and in_crowns["closing_balance"] == crowns["invoice"]["total_gross"]


def test_without_dates_it_is_this_month_so_far(client, shop):
    invoice = client.post("/api/v1/orders", json=order_payload("M-1"), headers=shop.auth()).json["invoice"]
    body = statement(client, shop, invoice["customer_id"]).json
    today = shop.today()
    assert body["period"] == {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    assert body["closing_balance"] == invoice["total_gross"]


def test_bad_queries_and_unknown_customers_are_problems(client, shop, other_shop):
    invoice = client.post("/api/v1/orders", json=order_payload("B-1"), headers=shop.auth()).json["invoice"]
    path = f"/api/v1/customers/{invoice['customer_id']}/statement"
    office = shop.auth("backoffice")

    response = client.get(path, query_string={"from": "2026-02-30", "currency": "XXX", "colour": "red"},
                          headers=office)
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"from", "currency", "colour"}
    response = client.get(path, query_string={"from": "2026-03-01", "to": "2026-02-01"}, headers=office)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "from"
    response = client.get(path, headers={**office, "Accept": "application/xml"})
    assert response.status_code == 406 and response.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/customers/{uuid.uuid4()}/statement", headers=office).status_code == 404
    assert client.get(path, headers=other_shop.auth("backoffice")).status_code == 404
    assert client.get(path, headers=shop.auth("checkout")).status_code == 403
