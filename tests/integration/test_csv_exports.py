"""The accountant's CSVs: what a spreadsheet shows of a month's invoices, lines and credit notes."""

import csv
import io
from decimal import Decimal

from tests.conftest import order_payload

TEA = {"sku": "TEA-1", "description": "=HYPERLINK(\"x\") tea", "quantity": "3", "unit": "pcs",
       "unit_price": "4.99", "vat_rate": "25.5", "discount_percent": "10"}


def _rows(response, delimiter=","):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True)), delimiter=delimiter))


def _invoice(client, shop, external_id, lines=None):
    payload = order_payload(external_id)
    if lines is not None:
        payload["lines"] = lines
    created = client.post("/api/v1/orders", json=payload, headers=shop.auth())
    assert created.status_code == 201, created.json
    return created.json["invoice"]


def test_each_invoice_is_a_row_with_its_vat_per_rate_and_its_credit_note_refers_to_it(client, shop):
    first = _invoice(client, shop, "WS-1")
    second = _invoice(client, shop, "WS-2", [order_payload()["lines"][0], TEA])
    credit = client.post(f"/api/v1/invoices/{first['id']}/cancel", json={"reason": "Wrong customer"},
                         headers=shop.auth("backoffice"))
    assert credit.status_code in (200, 201), credit.json

    rows = _rows(client.get("/api/v1/exports/invoices.csv", headers=shop.auth("backoffice")))

    assert [row["number"] for row in rows][:2] == [first["number"], second["number"]]
    by_number = {row["number"]: row for row in rows}
    two = by_number[second["number"]]
    assert (two["net_13.5"], two["vat_13.5"], two["gross_13.5"]) == ("49.80", "6.72", "56.52")
    assert (two["net_25.5"], two["vat_25.5"], two["gross_25.5"]) == ("13.47", "3.43", "16.90")
    assert two["gross"] == second["total_gross"] == "73.42"
    assert (two["business_id"], two["vat_id"], two["customer_name"]) == ("2617416-4", "FI26174164", "Esimerkki Oy")
    assert two["open"] == "73.42" and two["paid"] == "0.00" and two["kind"] == "invoice"
    note = next(row for row in rows if row["kind"] == "credit_note")
    assert note["credited_invoice_number"] == first["number"] and note["gross"] == "-" + first["total_gross"]
    assert by_number[first["number"]]["open"] == "0.00"
    assert sum(Decimal(row["gross"]) for row in rows) == Decimal(second["total_gross"])


def test_finnish_excel_gets_semicolons_and_decimal_commas_and_no_formulas(client, shop):
    invoice = _invoice(client, shop, "WS-1", [TEA])

    lines = _rows(client.get("/api/v1/exports/invoice-lines.csv", query_string={"delimiter": ";", "decimal": ","},
                             headers=shop.auth("backoffice")), delimiter=";")

    assert len(lines) == 1
    line = lines[0]
    assert line["invoice_number"] == invoice["number"]
    assert (line["quantity"], line["unit_price"], line["discount_percent"], line["vat_rate"]) == ("3", "4,99", "10",
                                                                                                  "25,5")
    assert (line["net"], line["vat"], line["gross"]) == ("13,47", "3,43", "16,90")
    assert line["description"].startswith("'=")  # a spreadsheet shows it as text, never runs it


def test_a_period_shows_only_its_invoices_and_another_tenant_sees_none_of_them(client, shop, other_shop):
    _invoice(client, shop, "WS-1")
    last_year = shop.today().replace(year=shop.today().year - 1, day=1)
    assert _rows(client.get("/api/v1/exports/invoices.csv", query_string={"to": last_year.isoformat()},
                            headers=shop.auth("backoffice"))) == []
    assert _rows(client.get("/api/v1/exports/invoices.csv", headers=other_shop.auth("backoffice"))) == []
    assert len(_rows(client.get("/api/v1/exports/invoice-lines.csv", headers=shop.auth("backoffice")))) == 1


def test_bad_export_parameters_are_all_named_at_once(client, shop):
    response = client.get("/api/v1/exports/invoices.csv", query_string={
        "delimiter": ",", "decimal": ",", "from": "2026-02-01", "to": "2026-01-01"}, headers=shop.auth("backoffice"))
    assert response.status_code == 422
    assert {error["field"] for error in response.json["errors"]} >= {"decimal", "from"}
    assert client.get("/api/v1/exports/invoices.csv", headers=shop.auth("checkout")).status_code == 403


def test_the_same_rows_open_in_excel_with_amounts_as_numbers(client, shop):
    import openpyxl

    invoice = _invoice(client, shop, "WS-1", [order_payload()["lines"][0], TEA])

    response = client.get("/api/v1/exports/invoices.xlsx", headers=shop.auth("backoffice"))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
    header, row = [list(values) for values in sheet.iter_rows(values_only=True)]
    cells = dict(zip(header, row, strict=True))
    assert cells["number"] == invoice["number"] and cells["business_id"] == "2617416-4"
    assert Decimal(str(cells["gross"])) == Decimal("73.42") and not isinstance(cells["gross"], str)
    assert Decimal(str(cells["vat_25.5"])) == Decimal("3.43")

    lines = client.get("/api/v1/exports/invoice-lines.xlsx", headers=shop.auth("backoffice"))
    sheet = openpyxl.load_workbook(io.BytesIO(lines.data), read_only=True).active
    assert len(list(sheet.iter_rows(values_only=True))) == 3
