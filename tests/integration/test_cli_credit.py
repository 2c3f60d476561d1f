"""Staff at a terminal credit an invoice by its number and read the aging report: clear lines, no tracebacks."""

import csv
import io
from datetime import timedelta

import pytest

from invoicing_plugin.api.reports import AGING_COLUMNS
from tests.conftest import order_payload

TWO_LINES = [
    {"sku": "COFFEE-1", "description": "Coffee beans 1 kg", "quantity": "2", "unit": "kg", "unit_price": "24.90",
     "vat_rate": "13.5"},
    {"sku": "CUP-1", "description": "Espresso cup", "quantity": "6", "unit": "pcs", "unit_price": "7.90",
     "vat_rate": "25.5"},
]


@pytest.fixture
def sold(client, shop):
    order = order_payload("CLI-1", lines=TWO_LINES)
    return client.post("/api/v1/orders", json=order, headers=shop.auth()).json["invoice"]


def test_a_clerk_credits_a_whole_invoice_by_its_number(invoke, client, shop, sold):
    code, lines = invoke("credit-note", "--tenant", shop.slug, "--invoice", sold["number"], "--full",
                         "--reason", "Order cancelled by phone")

    assert code == 0, lines
    invoice = client.get(f"/api/v1/invoices/{sold['id']}", headers=shop.auth("backoffice")).json
    [note] = invoice["credit_notes"]
    assert lines[-1] == f"credit note {note['number']} for invoice {sold['number']}: total -{sold['total_gross']} EUR"
    assert invoice["payment_status"] == "credited" and invoice["open_amount"] == "0.00"


def test_a_clerk_credits_units_of_a_line_given_by_its_position(invoke, client, shop, sold):
    code, lines = invoke("credit-note", "--tenant", shop.slug, "--invoice", sold["number"], "--line", "2:1",
                         "--line", "1:1", "--reason", "One cup broken, one bag short")

    assert code == 0, lines
    # 7.90 + 25.5 % = 9.91 for the cup; 24.90 + 13.5 % = 28.26 for the bag
    assert lines[-1].endswith(": total -38.17 EUR")
    invoice = client.get(f"/api/v1/invoices/{sold['id']}", headers=shop.auth("backoffice")).json
    assert invoice["open_amount"] == format(float(sold["total_gross"]) - 38.17, ".2f")


def test_a_line_may_be_named_by_its_id(invoke, client, shop, sold):
    line_id = sold["lines"][0]["id"]
    code, lines = invoke("credit-note", "--tenant", shop.slug, "--invoice", sold["number"], "--line",
                         f"{line_id}:2", "--reason", "Wrong beans")
    assert code == 0 and lines[-1].endswith(": total -56.52 EUR")


@pytest.mark.parametrize("args, message", [
    ((), "give either --full or one or more --line LINE:QTY"),
    (("--full", "--line", "1:1"), "give either --full or one or more --line LINE:QTY"),
    (("--line", "7:1"), "--line 7:1: invoice 1 has no line '7'; its lines are 1 to 2"),
    (("--line", "1:many"), "--line 1:many: the quantity 'many' must be a number above zero"),
    (("--line", "1"), "--line 1: must be LINE:QTY"),
    (("--line", "1:5"), "--line 1:5: is more than is left to credit on the line (2 of 2)"),
])
def test_bad_lines_are_one_clear_line_and_exit_code_2(invoke, client, shop, sold, args, message):
    code, lines = invoke("credit-note", "--tenant", shop.slug, "--invoice", sold["number"], *args,
                         "--reason", "Test")

    assert code == 2
    assert lines[-1].startswith("error: ") and message in lines[-1]
    invoice = client.get(f"/api/v1/invoices/{sold['id']}", headers=shop.auth("backoffice")).json
    assert invoice["credit_notes"] == []  # nothing was written


def test_two_problems_are_reported_together(invoke, shop, sold):
    code, lines = invoke("credit-note", "--tenant", shop.slug, "--invoice", sold["number"], "--line", "9:1",
                         "--line", "1:-1", "--reason", "Test")
    assert code == 2 and "--line 9:1" in lines[-1] and "--line 1:-1" in lines[-1]


def test_unknown_invoice_number_tenant_and_credit_note_are_refused_clearly(invoke, client, shop, sold):
    assert invoke("credit-note", "--tenant", shop.slug, "--invoice", "999", "--full", "--reason", "x") == (
        2, ["error: no invoice number '999' (a draft has no number yet)"])
    code, lines = invoke("credit-note", "--tenant", "nobody", "--invoice", "1", "--full", "--reason", "x")
    assert code == 2 and lines[-1] == "error: no tenant 'nobody'"
    code, lines = invoke("credit-note", "--tenant", shop.slug, "--invoice", sold["number"], "--full",
                         "--reason", "first")
    note_number = lines[-1].split()[2]
    code, lines = invoke("credit-note", "--tenant", shop.slug, "--invoice", note_number, "--full",
                         "--reason", "again")
    assert code == 2 and "a credit note is not credited" in lines[-1]


def test_another_tenants_invoice_is_not_found(invoke, client, shop, other_shop, sold):
    code, lines = invoke("credit-note", "--tenant", other_shop.slug, "--invoice", sold["number"], "--full",
                         "--reason", "not mine")
    assert code == 2 and "no invoice number" in lines[-1]
    assert client.get(f"/api/v1/invoices/{sold['id']}", headers=shop.auth("backoffice")).json["credit_notes"] == []


def test_a_number_in_two_series_needs_the_series(invoke, client, shop, sold):
    client.put("/api/v1/tenant/number-series/shop2", json={"prefix": "", "next_number": int(sold["number"])},
               headers=shop.auth("admin"))
    twin = client.post("/api/v1/orders", json=order_payload("CLI-2", invoicing={"mode": "immediate",
                                                                                 "series": "shop2"}),
                       headers=shop.auth()).json["invoice"]
    assert twin["number"] == sold["number"]

    code, lines = invoke("credit-note", "--tenant", shop.slug, "--invoice", sold["number"], "--full",
                         "--reason", "which one?")
    assert code == 2 and "is in series default, shop2: say which with --series" in lines[-1]

    code, lines = invoke("credit-note", "--tenant", shop.slug, "--invoice", sold["number"], "--series", "shop2",
                         "--full", "--reason", "this one")
    assert code == 0
    assert client.get(f"/api/v1/invoices/{twin['id']}", headers=shop.auth("backoffice")).json["open_amount"] == "0.00"
    assert client.get(f"/api/v1/invoices/{sold['id']}", headers=shop.auth("backoffice")).json["credit_notes"] == []


def test_the_aging_report_prints_a_table_and_csv(invoke, client, shop, sold):
    today = shop.today()
    client.post(f"/api/v1/invoices/{sold['id']}/payments", json={"amount": "10.00"}, headers=shop.auth("backoffice"))
    open_amount = format(float(sold["total_gross"]) - 10, ".2f")

    code, lines = invoke("aging", "--tenant", shop.slug)
    assert code == 0
    assert lines[0] == f"Receivables aging of Kahvila Oy as of {today.isoformat()}"
    header, customer, total = lines[1].split(), lines[3].split(), lines[5].split()
    assert header[:4] == ["customer", "business", "ID", "cur"]
    assert customer[:4] == ["Esimerkki", "Oy", "2617416-4", "EUR"]
    assert customer[4] == open_amount and customer[-3] == open_amount  # not due yet, and the total
    assert total[:2] == ["total", "EUR"] and total[-3] == open_amount

    code, lines = invoke("aging", "--tenant", shop.slug, "--as-of", (today - timedelta(days=1)).isoformat(), "--csv")
    assert code == 0 and lines == [",".join(AGING_COLUMNS)]  # the day before the invoice: nothing open

    code, lines = invoke("aging", "--tenant", shop.slug, "--csv")
    [row] = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert row["customer_name"] == "Esimerkki Oy" and row["not_due"] == open_amount and row["total"] == open_amount


def test_aging_with_a_bad_date_or_tenant_is_a_clear_message(invoke, shop):
    code, lines = invoke("aging", "--tenant", shop.slug, "--as-of", "31.1.2026")
    assert code == 2 and "'31.1.2026' does not match the format '%Y-%m-%d'" in "\n".join(lines)
    code, lines = invoke("aging", "--tenant", "nobody")
    assert code == 2 and lines[-1] == "error: no tenant 'nobody'"
