"""Credit notes and prepaid invoices as the customer and the receiving system get them, built through the API:
the PDF read back as text, Finvoice 3.0 and Peppol UBL against the official schemas and both official rule sets.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import zxingcpp
from lxml import etree

from invoicing_plugin.documents.xml_validation import validate_finvoice, validate_ubl
from invoicing_plugin.domain.barcode import virtual_barcode
from tests.conftest import order_payload
from tests.unit.documents.official_rules import fatal_asserts
from tests.unit.documents.peppol_rules import NS, violations
from tests.unit.documents.test_pdf import codes, page_texts

D = Decimal
COFFEE = {"sku": "COFFEE-1", "description": "Coffee beans 1 kg", "quantity": "2", "unit": "kg",
          "unit_price": "24.90", "vat_rate": "13.5", "discount_percent": "0"}
CUPS = {"sku": "CUP-6", "description": "Espresso cup", "quantity": "6", "unit": "pcs", "unit_price": "7.90",
        "vat_rate": "25.5", "discount_percent": "10"}
PASTRY = {"sku": "PASTRY", "description": "Pastry", "quantity": "7", "unit": "pcs", "unit_price": "3.45",
          "vat_rate": "13.5", "discount_percent": "15"}
GERMAN_BUYER = {
    "type": "organisation", "name": "Beispiel GmbH", "vat_id": "DE136695976", "email": "rechnung@beispiel.de",
    "language": "en", "address": {"street": "Hauptstraße 1", "postcode": "10115", "city": "Berlin", "country": "DE"},
}
INSTALLATION = {"description": "Installation work", "quantity": "4", "unit": "h", "unit_price": "85.00",
                "vat_rate": "0", "vat_category": "AE"}
TRAVEL = {"description": "Travel", "quantity": "1", "unit": "pcs", "unit_price": "120.00", "vat_rate": "0",
          "vat_category": "AE", "discount_percent": "5"}


def invoice_of(client, shop, external_id, lines, **overrides):
    response = client.post("/api/v1/orders", json=order_payload(external_id, lines=lines, **overrides),
                           headers=shop.auth())
    assert response.status_code == 201, response.json
    return response.json["invoice"]


def credit(client, shop, invoice, reason="Returned goods", **body):
    response = client.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", json={"reason": reason, **body},
                           headers=shop.auth("backoffice"))
    assert response.status_code == 201, response.json
    return response.json


def document(client, shop, invoice, kind):
    response = client.get(f"/api/v1/invoices/{invoice['id']}/{kind}", headers=shop.auth("backoffice"))
    assert response.status_code == 200, response.data[:500]
    return response.data


def line_id(invoice, position):
    return invoice["lines"][position - 1]["id"]


# Each case: the order's lines and overrides, then the credit request made of the invoice it became.
CASES = {
    "full": ([COFFEE, CUPS], {}, lambda invoice: {"full": True}),
    "partial by quantity": ([COFFEE, CUPS], {}, lambda invoice: {
        "lines": [{"invoice_line_id": line_id(invoice, 2), "quantity": "2"}]}),
    "partial by amount": ([COFFEE, CUPS], {}, lambda invoice: {
        "lines": [{"invoice_line_id": line_id(invoice, 2), "amount": "5.00"}]}),
    "gross-priced": ([COFFEE, CUPS, PASTRY], {"prices_include_vat": True}, lambda invoice: {
        "lines": [{"invoice_line_id": line_id(invoice, 2), "quantity": "1"},
                  {"invoice_line_id": line_id(invoice, 3), "amount": "3.33"}]}),
    "reverse charge": ([INSTALLATION, TRAVEL], {"customer": GERMAN_BUYER}, lambda invoice: {
        "lines": [{"invoice_line_id": line_id(invoice, 1), "quantity": "1.5"},
                  {"invoice_line_id": line_id(invoice, 2), "amount": "14.00"}]}),
    "mixed rates": ([COFFEE, CUPS, PASTRY], {}, lambda invoice: {
        "lines": [{"invoice_line_id": line_id(invoice, 1), "quantity": "1"},
                  {"invoice_line_id": line_id(invoice, 2), "amount": "7.77"},
                  {"invoice_line_id": line_id(invoice, 3), "quantity": "3"}]}),
}


def credited(client, shop, name):
    lines, overrides, request = CASES[name]
    invoice = invoice_of(client, shop, f"CN-{name}", lines, **overrides)
    return invoice, credit(client, shop, invoice, **request(invoice))


@pytest.mark.parametrize("name", CASES)
def test_credit_note_ubl_is_a_peppol_credit_note_that_passes_both_official_rule_sets(client, shop, name):
    invoice, note = credited(client, shop, name)

    ubl = document(client, shop, note, "ubl")
    validate_ubl(ubl)
    assert fatal_asserts(ubl) == []
    assert violations(ubl) == []
    root = etree.fromstring(ubl)
    assert etree.QName(root).text == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"

    def text(path):
        return root.xpath(path, namespaces=NS)[0].text

    assert text("cbc:CreditNoteTypeCode") == "381" and text("cbc:ID") == note["number"]
    assert text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == invoice["number"]
    assert text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == invoice["invoice_date"]
    assert "Returned goods" in text("cbc:Note")
    # The stored negative amounts, written positive: the document type says it is a credit.
    assert D(text("cac:LegalMonetaryTotal/cbc:PayableAmount")) == -D(note["total_gross"]) > 0
    assert D(text("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")) == -D(note["total_net"])
    assert D(text("cac:TaxTotal/cbc:TaxAmount")) == -D(note["total_vat"])
    lines = root.xpath("cac:CreditNoteLine", namespaces=NS)
    assert len(lines) == len(note["lines"]) and not root.xpath("cac:InvoiceLine", namespaces=NS)
    for element, stored in zip(lines, note["lines"], strict=True):
        quantity = D(element.xpath("cbc:CreditedQuantity", namespaces=NS)[0].text)
        assert quantity == -D(stored["quantity"]) > 0
        assert D(element.xpath("cbc:LineExtensionAmount", namespaces=NS)[0].text) == -D(stored["net_amount"])
    assert not root.xpath("cac:PaymentMeans", namespaces=NS)  # nothing to pay into an account


@pytest.mark.parametrize("name", CASES)
def test_credit_note_finvoice_is_an_inv02_cancel_naming_the_original_with_negative_amounts(client, shop, name):
    invoice, note = credited(client, shop, name)

    finvoice = document(client, shop, note, "finvoice")
    validate_finvoice(finvoice)
    root = etree.fromstring(finvoice)
    details = root.find("InvoiceDetails")
    assert details.findtext("InvoiceTypeCode") == "INV02" and details.findtext("InvoiceTypeCodeUN") == "381"
    assert details.findtext("OriginCode") == "Cancel"
    assert details.findtext("OriginalInvoiceNumber") == invoice["number"]
    assert details.findtext("OriginalInvoiceReference/InvoiceNumber") == invoice["number"]
    assert details.findtext("OriginalInvoiceDate") == invoice["invoice_date"].replace("-", "")
    assert "Returned goods" in details.findtext("InvoiceFreeText")
    gross = D(details.findtext("InvoiceTotalVatIncludedAmount").replace(",", "."))
    assert gross == D(note["total_gross"]) < 0
    rows = root.findall("InvoiceRow")
    assert [D(row.findtext("RowVatExcludedAmount").replace(",", ".")) for row in rows] == [
        D(line["net_amount"]) for line in note["lines"]]
    assert all(D(row.findtext("InvoicedQuantity").replace(",", ".")) < 0 for row in rows)
    assert root.find("VirtualBankBarcode") is None  # nobody pays a credit note by scanning it


@pytest.mark.parametrize(("language", "title", "credits", "reason", "day"), [
    ("fi", "Hyvityslasku", "Hyvittää laskun {number}, päivätty {date}", "Hyvityksen syy: Returned goods",
     lambda d: f"{d.day}.{d.month}.{d.year}"),
    ("sv", "Kreditnota", "Krediterar faktura {number} daterad {date}", "Orsak till krediteringen: Returned goods",
     lambda d: f"{d.day}.{d.month}.{d.year}"),
    ("en", "Credit note", "Credits invoice {number} dated {date}", "Reason for the credit: Returned goods",
     lambda d: f"{d.day} {d:%b} {d.year}"),
])
def test_the_credit_note_pdf_names_itself_the_credited_invoice_and_the_reason_and_asks_for_nothing(
        client, shop, language, title, credits, reason, day):
    customer = order_payload("x")["customer"] | {"language": language}
    invoice = invoice_of(client, shop, f"CN-PDF-{language}", [COFFEE, CUPS], customer=customer)
    note = credit(client, shop, invoice, lines=[{"invoice_line_id": line_id(invoice, 1), "quantity": "1"}])

    pdf = document(client, shop, note, "pdf")
    text = page_texts(pdf)[0]
    assert title in text and note["number"] in text
    invoice_day = date.fromisoformat(invoice["invoice_date"])
    assert credits.format(number=invoice["number"], date=day(invoice_day)) in text
    assert reason in text
    assert "-24,90" in text or "-24.90" in text  # the credited line, negative as stored
    assert "Saajan tilinumero" not in text  # no bank transfer form
    assert codes(pdf) == {}  # no barcode, no QR code


def overpaid_customer_invoice(client, shop):
    """A customer who paid 10.00 too much, then ordered again for 50.00: the credit pays part of it."""
    first = invoice_of(client, shop, "PRE-1", [COFFEE])
    paid = client.post(f"/api/v1/invoices/{first['id']}/payments",
                       json={"amount": str(D(first["total_gross"]) + D("10.00"))}, headers=shop.auth("backoffice"))
    assert paid.status_code == 201, paid.json
    item = {"description": "Barista course", "quantity": "1", "unit": "pcs", "unit_price": "39.84",
            "vat_rate": "25.5"}
    second = invoice_of(client, shop, "PRE-2", [item])
    assert (second["total_gross"], second["allocated_amount"], second["open_amount"]) == ("50.00", "10.00", "40.00")
    return second


def test_an_invoice_paid_partly_from_the_credit_balance_shows_the_prepaid_amount_and_asks_for_the_rest(
        client, shop):
    invoice = overpaid_customer_invoice(client, shop)

    pdf = document(client, shop, invoice, "pdf")
    text = page_texts(pdf)[0]
    assert "Yhteensä 50,00 €" in text
    assert "Ennakkoon maksettu -10,00 €" in text
    assert "Maksettava yhteensä 40,00 €" in text
    assert "Euro 40,00" in text  # the bank transfer form asks for the amount due
    due = date.fromisoformat(invoice["due_date"])
    expected = virtual_barcode("FI4819503000000010", D("40.00"), invoice["reference"], due)
    assert expected in text.replace(" ", "")
    scanned = codes(pdf)  # what a banking app reads off the form: the amount due, not the total
    assert scanned[zxingcpp.BarcodeFormat.Code128] == [expected]
    epc_amount = scanned[zxingcpp.BarcodeFormat.QRCode][0].split("\n")[7]  # EPC069-12: the 8th line
    assert epc_amount.startswith("EUR") and D(epc_amount[3:]) == D("40.00")


def test_the_prepaid_amount_is_in_the_ubl_and_the_finvoice_and_both_still_validate(client, shop):
    invoice = overpaid_customer_invoice(client, shop)

    ubl = document(client, shop, invoice, "ubl")
    validate_ubl(ubl)
    assert fatal_asserts(ubl) == []
    assert violations(ubl) == []
    totals = etree.fromstring(ubl).find("cac:LegalMonetaryTotal", NS)
    assert totals.findtext("cbc:TaxInclusiveAmount", namespaces=NS) == "50.00"
    assert totals.findtext("cbc:PrepaidAmount", namespaces=NS) == "10.00"
    assert totals.findtext("cbc:PayableAmount", namespaces=NS) == "40.00"

    finvoice = document(client, shop, invoice, "finvoice")
    validate_finvoice(finvoice)
    root = etree.fromstring(finvoice)
    assert root.findtext("InvoiceDetails/InvoiceTotalVatIncludedAmount") == "50,00"
    assert root.findtext("InvoiceDetails/InvoicePaidAmount") == "10,00"
    assert root.findtext("PaymentStatusDetails/PaymentStatusCode") == "PARTLYPAID"
    assert root.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount") == "40,00"
    due = date.fromisoformat(invoice["due_date"])
    assert root.findtext("VirtualBankBarcode") == virtual_barcode(
        "FI4819503000000010", D("40.00"), invoice["reference"], due)


def test_an_invoice_without_a_prepaid_amount_has_no_prepaid_lines(client, shop):
    invoice = invoice_of(client, shop, "NO-PRE", [COFFEE])

    assert "Ennakkoon maksettu" not in page_texts(document(client, shop, invoice, "pdf"))[0]
    ubl = etree.fromstring(document(client, shop, invoice, "ubl"))
    assert ubl.find("cac:LegalMonetaryTotal/cbc:PrepaidAmount", NS) is None
    assert etree.fromstring(document(client, shop, invoice, "finvoice")).find(
        "InvoiceDetails/InvoicePaidAmount") is None


def test_a_credit_note_of_an_order_without_a_buyer_reference_names_the_order_instead(client, shop):
    payload = order_payload("NO-REF-1", lines=[COFFEE, CUPS])
    del payload["buyer_reference"]
    invoice = client.post("/api/v1/orders", json=payload, headers=shop.auth()).json["invoice"]
    cancelled = client.post(f"/api/v1/invoices/{invoice['id']}/cancel",
                            json={"reason": "Wrong customer", "release_orders": True}, headers=shop.auth("backoffice"))
    assert cancelled.status_code == 200, cancelled.json
    note = {"id": cancelled.json["cancelled_by_id"]}

    for cancelled_or_credit in (invoice, note):  # the released order still names both (PEPPOL-EN16931-R003)
        ubl = document(client, shop, cancelled_or_credit, "ubl")
        assert etree.fromstring(ubl).findtext("cac:OrderReference/cbc:ID", namespaces=NS) == "NO-REF-1"
        assert fatal_asserts(ubl) == []
