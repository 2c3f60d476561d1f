"""Receivables aging: the buckets always add up to the open receivables, not yet due included; credit is its own
column; each customer's row is their balance of that day, as the statement and the customer's account say."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.fi import ytunnus

from invoicing_plugin.examples import CUSTOMER
from invoicing_plugin.services.aging import BUCKETS, bucket_for
from tests.conftest import order_payload

ZERO = Decimal(0)
CENT = Decimal("0.01")
_numbers = itertools.count(1000001)


def new_customer() -> dict:
    """An organisation no earlier example has used (a valid, unused business ID)."""
    while True:
        base = str(next(_numbers))
        for digit in "0123456789":
            if ytunnus.is_valid(base + digit):
                return {"type": "organisation", "name": f"Asiakas {base} Oy", "business_id": f"{base}-{digit}",
                        "language": "fi", "address": CUSTOMER["address"]}


@dataclass
class Ledger:
    """What the test itself did to one customer, by date: the oracle the report is checked against."""

    invoices: dict[str, dict] = field(default_factory=dict)  # id -> {gross, invoice_date, due_date}
    events: list[tuple[str, str | None, Decimal, date]] = field(default_factory=list)  # kind, invoice id, amount, day

    def open_and_credit(self, as_of: date) -> tuple[dict[str, Decimal], Decimal]:
        left: dict[str, Decimal] = {
            invoice_id: (invoice["gross"] if invoice["invoice_date"] <= as_of else ZERO)
            for invoice_id, invoice in self.invoices.items()}
        spent = ZERO
        for kind, invoice_id, amount, day in self.events:
            if day > as_of:
                continue
            if invoice_id is not None:
                left[invoice_id] -= amount  # a payment, a credit note (positive here), credit applied
            if kind in ("allocation", "refund"):
                spent += amount
        buckets = dict.fromkeys(BUCKETS, ZERO)
        for invoice_id, amount in left.items():
            if amount > 0:
                buckets[bucket_for((as_of - self.invoices[invoice_id]["due_date"]).days)] += amount
        credit = sum((-amount for amount in left.values() if amount < 0), ZERO) - spent
        return buckets, credit


def day(value: str) -> date:
    return date.fromisoformat(value)


class Account:
    """One customer of the shop, driven through the API, with the ledger of what happened."""

    def __init__(self, client, shop):
        self.client, self.shop, self.office = client, shop, shop.auth("backoffice")
        self.customer = new_customer()
        self.customer_id: str | None = None
        self.ledger = Ledger()
        self.ids: list[str] = []
        self.today = shop.today()

    def record_allocation(self, invoice: dict, before: Decimal) -> None:
        applied = Decimal(invoice["allocated_amount"]) - before
        if applied:
            self.ledger.events.append(("allocation", invoice["id"], applied, self.today))

    def invoice(self, price: Decimal, rate: str, days_ago: int, terms: int) -> None:
        line = {"description": "Service", "quantity": "1", "unit_price": str(price), "vat_rate": rate}
        order = order_payload(f"AG-{next(_numbers)}", customer=self.customer, lines=[line],
                              invoicing={"mode": "queue", "payment_terms_days": terms})
        draft = self.client.post("/api/v1/orders", json=order, headers=self.shop.auth()).json["invoice"]
        invoice_date = self.today - timedelta(days=days_ago)
        response = self.client.post(f"/api/v1/invoices/{draft['id']}/finalize",
                                    json={"invoice_date": invoice_date.isoformat()}, headers=self.office)
        assert response.status_code == 200, response.json
        invoice = response.json
        self.customer_id = invoice["customer_id"]
        self.ids.append(invoice["id"])
        self.ledger.invoices[invoice["id"]] = {"gross": Decimal(invoice["total_gross"]),
                                               "invoice_date": day(invoice["invoice_date"]),
                                               "due_date": day(invoice["due_date"])}
        self.record_allocation(invoice, ZERO)  # the customer's credit pays it as far as it goes

    def pay(self, which: int, share: Decimal, days_after: int) -> None:
        invoice_id = self.ids[which % len(self.ids)]
        gross = self.ledger.invoices[invoice_id]["gross"]
        amount = max((gross * share).quantize(CENT), CENT)
        paid_on = min(self.ledger.invoices[invoice_id]["invoice_date"] + timedelta(days=days_after), self.today)
        response = self.client.post(f"/api/v1/invoices/{invoice_id}/payments", headers=self.office,
                                    json={"amount": str(amount), "paid_on": paid_on.isoformat()})
        if response.status_code == 201:
            self.ledger.events.append(("payment", invoice_id, amount, paid_on))
        else:  # a credited or cancelled invoice may refuse it; never a server error
            assert response.status_code in (409, 422), response.json

    def credit(self, which: int, share: Decimal | None) -> None:
        invoice_id = self.ids[which % len(self.ids)]
        invoice = self.client.get(f"/api/v1/invoices/{invoice_id}", headers=self.office).json
        body: dict = {"reason": "Hypothesis", "full": True}
        if share is not None:
            amount = max((Decimal(invoice["lines"][0]["net_amount"]) * share).quantize(CENT), CENT)
            body = {"reason": "Hypothesis", "lines": [{"invoice_line_id": invoice["lines"][0]["id"],
                                                       "amount": str(amount)}]}
        response = self.client.post(f"/api/v1/invoices/{invoice_id}/credit-notes", json=body, headers=self.office)
        if response.status_code == 201:
            note = response.json
            self.ledger.events.append(("credit_note", invoice_id, -Decimal(note["total_gross"]),
                                       day(note["invoice_date"])))
        else:  # everything credited already
            assert response.status_code in (409, 422), response.json

    def apply_credit(self, which: int) -> None:
        invoice_id = self.ids[which % len(self.ids)]
        invoice = self.client.get(f"/api/v1/invoices/{invoice_id}", headers=self.office).json
        [balance] = self.client.get(f"/api/v1/customers/{self.customer_id}", headers=self.office).json["balances"]
        amount = min(Decimal(balance["credit_available"]), Decimal(invoice["open_amount"]))
        response = self.client.post(f"/api/v1/invoices/{invoice_id}/apply-credit", json={"amount": str(amount)},
                                    headers=self.office)
        if response.status_code == 200:
            self.record_allocation(response.json, Decimal(invoice["allocated_amount"]))
        else:  # no credit, or nothing open
            assert amount <= 0 and response.status_code == 422, response.json

    def refund(self, share: Decimal) -> None:
        [balance] = self.client.get(f"/api/v1/customers/{self.customer_id}", headers=self.office).json["balances"]
        amount = (Decimal(balance["credit_available"]) * share).quantize(CENT)
        if amount <= 0:
            return
        response = self.client.post(f"/api/v1/customers/{self.customer_id}/refunds", headers=self.office,
                                    json={"amount": str(amount), "refund_id": f"R-{next(_numbers)}"})
        assert response.status_code == 201, response.json
        self.ledger.events.append(("refund", None, amount, self.today))


shares = st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal("1"), Decimal("1.2"), Decimal("3")])
invoices = st.tuples(st.just("invoice"), st.decimals(Decimal("1.00"), Decimal("900.00"), places=2),
                     st.sampled_from(["25.5", "13.5"]), st.integers(0, 200), st.integers(0, 60))
steps = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 5), shares, st.integers(0, 90)),
    st.tuples(st.just("credit"), st.integers(0, 5), st.one_of(st.none(), shares)),
    st.tuples(st.just("apply_credit"), st.integers(0, 5)),
    st.tuples(st.just("pay"), st.integers(0, 5), st.just(Decimal("3")), st.integers(0, 90)),  # credit to apply
    st.tuples(st.just("refund"), st.sampled_from([Decimal("0.5"), Decimal("1")])),
    invoices,
)


def aging(client, shop, as_of: date | None = None, **headers):
    query = {"as_of": as_of.isoformat()} if as_of else {}
    response = client.get("/api/v1/reports/receivables-aging", query_string=query,
                          headers={**shop.auth("backoffice"), **headers})
    assert response.status_code == 200, response.get_json()
    return response


def amounts(row: dict) -> dict[str, Decimal]:
    return {name: Decimal(row[name]) for name in (*BUCKETS, "total", "unapplied_credit", "balance")}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(first=invoices, later=st.lists(steps, min_size=1, max_size=10),
       days=st.lists(st.integers(-250, 150), min_size=1, max_size=3))
def test_the_buckets_always_add_up_to_the_open_receivables(client, shop, first, later, days):
    account = Account(client, shop)
    for kind, *args in [first, *later]:
        getattr(account, kind)(*args)

    for as_of in [account.today, *(account.today + timedelta(days=offset) for offset in days)]:
        report = aging(client, shop, as_of).json
        for row in [*report["rows"], *report["totals"]]:
            values = amounts(row)
            assert sum(values[name] for name in BUCKETS) == values["total"], row
            assert values["total"] - values["unapplied_credit"] == values["balance"], row
        for total in report["totals"]:
            rows = [amounts(row) for row in report["rows"] if row["currency"] == total["currency"]]
            assert amounts(total) == {key: sum((row[key] for row in rows), ZERO) for key in amounts(total)}

        buckets, credit = account.ledger.open_and_credit(as_of)
        mine = [row for row in report["rows"] if row["customer"]["id"] == account.customer_id]
        expected = {**buckets, "total": sum(buckets.values(), ZERO), "unapplied_credit": credit,
                    "balance": sum(buckets.values(), ZERO) - credit}
        if not mine:
            assert all(value == 0 for value in expected.values()), (as_of, expected)
            continue
        assert amounts(mine[0]) == expected, as_of
        # The row's balance is the customer's balance at the end of that day, as their statement has it.
        statement = client.get(f"/api/v1/customers/{account.customer_id}/statement", headers=account.office,
                               query_string={"from": "2000-01-01", "to": as_of.isoformat()}).json
        assert statement["closing_balance"] == mine[0]["balance"]
        if as_of == account.today:
            [standing] = client.get(f"/api/v1/customers/{account.customer_id}",
                                    headers=account.office).json["balances"]
            assert (standing["open_amount"], standing["credit_available"]) == (
                mine[0]["total"], mine[0]["unapplied_credit"])


def test_each_invoice_is_aged_by_its_due_date(client, shop):
    account = Account(client, shop)
    # Due (terms 14) in 10 days, due today, 1, 30, 31, 61, 91 and 200 days ago.
    for days_ago in (4, 14, 15, 44, 45, 75, 105, 214):
        account.invoice(Decimal("100.00"), "25.5", days_ago, 14)  # 125.50 each
    account.pay(0, Decimal("0.5"), 0)  # 62.75 of the one not yet due is paid

    [row] = aging(client, shop).json["rows"]
    assert {name: row[name] for name in BUCKETS} == {
        "not_due": "188.25", "1_30": "251.00", "31_60": "125.50", "61_90": "125.50", "91_120": "125.50",
        "over_120": "125.50"}
    assert row["total"] == "941.25" and row["unapplied_credit"] == "0.00"


def test_credit_applied_to_an_invoice_lowers_its_open_amount_and_the_credit_alike(client, shop):
    account = Account(client, shop)
    account.invoice(Decimal("100.00"), "25.5", 30, 14)  # 125.50
    account.pay(0, Decimal("1.2"), 0)  # 25.10 too much
    account.invoice(Decimal("100.00"), "25.5", 0, 14)  # 125.50, of which 25.10 paid from the credit at once

    [row] = aging(client, shop).json["rows"]
    assert (row["not_due"], row["unapplied_credit"], row["balance"]) == ("100.40", "0.00", "100.40")
    [row] = aging(client, shop, account.today - timedelta(days=1)).json["rows"]  # before the new invoice
    assert (row["total"], row["unapplied_credit"], row["balance"]) == ("0.00", "25.10", "-25.10")


def test_an_overpayment_is_unapplied_credit_beside_the_buckets(client, shop):
    account = Account(client, shop)
    account.invoice(Decimal("100.00"), "25.5", 60, 14)  # 125.50, 46 days overdue
    account.invoice(Decimal("100.00"), "25.5", 0, 14)  # 125.50, not due yet
    account.pay(1, Decimal("1.2"), 0)  # 150.60 paid on the new one: 25.10 too much

    [row] = aging(client, shop).json["rows"]
    assert (row["31_60"], row["not_due"], row["total"]) == ("125.50", "0.00", "125.50")  # credit not netted in
    assert (row["unapplied_credit"], row["balance"]) == ("25.10", "100.40")


def test_as_of_a_past_day_counts_only_what_had_happened_by_then(client, shop):
    account = Account(client, shop)
    account.invoice(Decimal("100.00"), "25.5", 50, 14)  # 125.50, due 36 days ago
    account.pay(0, Decimal("1"), 40)  # paid in full 10 days ago
    today = account.today

    assert aging(client, shop).json["rows"] == []
    [row] = aging(client, shop, today - timedelta(days=11)).json["rows"]
    assert (row["1_30"], row["total"]) == ("125.50", "125.50")  # 25 days overdue then
    [row] = aging(client, shop, today - timedelta(days=40)).json["rows"]
    assert (row["not_due"], row["total"]) == ("125.50", "125.50")
    assert aging(client, shop, today - timedelta(days=51)).json["rows"] == []  # not invoiced yet


def test_the_csv_has_a_row_per_customer_and_currency(client, shop, other_shop):
    first, second = Account(client, shop), Account(client, shop)
    first.invoice(Decimal("100.00"), "25.5", 40, 14)
    second.invoice(Decimal("10.00"), "25.5", 0, 14)
    Account(client, other_shop).invoice(Decimal("999.00"), "25.5", 0, 14)  # another tenant's: never shown

    as_json = aging(client, shop).json
    response = aging(client, shop, Accept="text/csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["customer_id", "customer_name", "business_id", "currency", *BUCKETS, "total",
                             "unapplied_credit", "balance"]
    assert [(r["customer_name"], r["currency"], r["1_30"], r["not_due"], r["total"]) for r in rows] == [
        (first.customer["name"], "EUR", "125.50", "0.00", "125.50"),
        (second.customer["name"], "EUR", "0.00", "12.55", "12.55")]
    assert [r["customer"]["id"] for r in as_json["rows"]] == [r["customer_id"] for r in rows]
    assert as_json["totals"] == [{"currency": "EUR", "not_due": "12.55", "1_30": "125.50", "31_60": "0.00",
                                  "61_90": "0.00", "91_120": "0.00", "over_120": "0.00", "total": "138.05",
                                  "unapplied_credit": "0.00", "balance": "138.05"}]


@pytest.mark.parametrize("query, accept, status", [
    ({"as_of": "2026-02-30"}, None, 422),
    ({"asof": "2026-02-01"}, None, 422),
    ({}, "application/pdf", 406),
])
def test_bad_queries_are_problems(client, shop, query, accept, status):
    headers = {**shop.auth("backoffice"), **({"Accept": accept} if accept else {})}
    response = client.get("/api/v1/reports/receivables-aging", query_string=query, headers=headers)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert client.get("/api/v1/reports/receivables-aging", headers=shop.auth("checkout")).status_code == 403
