"""Every UBL document we write against the official EN 16931 and Peppol BIS 3 rule sets (zero fatal asserts),
and the documents of a credit note and of an invoice partly or wholly paid from the customer's credit balance.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from invoicing_plugin.documents.finvoice import finvoice_xml
from invoicing_plugin.documents.pdf import render_invoice_pdf
from invoicing_plugin.documents.ubl import ubl_xml
from invoicing_plugin.documents.xml_validation import validate_finvoice, validate_ubl
from tests.factories import invoice_data
from tests.unit.documents.einvoice_cases import peppol_cases
from tests.unit.documents.official_rules import failed_asserts, fatal_asserts
from tests.unit.documents.peppol_rules import NS
from tests.unit.documents.test_pdf import codes, page_texts

CASES = peppol_cases()
D = Decimal


def finvoice(invoice):
    return finvoice_xml(invoice, message_id="1001-test", timestamp=datetime(2026, 11, 21, tzinfo=UTC))


@pytest.mark.parametrize("name", CASES)
def test_every_ubl_case_passes_both_official_rule_sets(name):
    problems = failed_asserts(ubl_xml(CASES[name]))

    assert sorted(p.rule for p in problems if p.flag == "fatal") == []


def test_the_official_rules_run_and_catch_a_wrong_amount_due():
    document = ubl_xml(CASES["credit note"]).replace(b"<cbc:PayableAmount currencyID=\"EUR\">",
                                                     b"<cbc:PayableAmount currencyID=\"EUR\">1")

    assert any("BR-CO-16" in problem for problem in fatal_asserts(document))


def test_the_official_rules_catch_a_credit_line_whose_price_does_not_multiply_out():
    root = etree.fromstring(ubl_xml(CASES["gross-priced credit note"]))
    price = root.xpath("cac:CreditNoteLine[1]/cac:Price/cbc:PriceAmount", namespaces=NS)[0]
    price.text = str(D(price.text) + D("0.5"))

    assert any("R120" in problem for problem in fatal_asserts(etree.tostring(root)))


RATES = [("25.5", "S"), ("13.5", "S"), ("10", "S"), ("0", "Z"), ("0", "AE")]
line_strategy = st.tuples(
    st.decimals(min_value=D("0.001"), max_value=D("500"), places=3),
    st.decimals(min_value=D("0"), max_value=D("2000"), places=2),
    st.sampled_from(RATES),
    st.decimals(min_value=D(0), max_value=D(60), places=1),
).map(lambda t: ("Item", str(t[0]), "pcs", str(t[1]), t[2][0], t[2][1], str(t[3])))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line_strategy, min_size=1, max_size=6), gross=st.booleans(),
       kind=st.sampled_from(["invoice", "credit_note"]))
def test_any_invoice_or_credit_note_passes_the_official_rules(lines, gross, kind):
    invoice = invoice_data(lines=tuple(lines), prices_include_vat=gross, kind=kind)
    if invoice.total_gross == 0:
        return  # nothing invoiced: no shop sends it, and a credit note of nothing is refused

    document = ubl_xml(invoice)
    validate_ubl(document)
    assert fatal_asserts(document) == []


def prepaid(amount: str, **overrides):
    invoice = invoice_data(**overrides)
    return replace(invoice, prepaid_amount=D(amount))


def test_a_prepaid_invoice_asks_only_for_the_amount_due_in_every_format():
    invoice = prepaid("60.00")
    due = invoice.total_gross - D("60.00")

    ubl = ubl_xml(invoice)
    validate_ubl(ubl)
    assert fatal_asserts(ubl) == []
    totals = etree.fromstring(ubl).find("cac:LegalMonetaryTotal", NS)
    assert D(totals.findtext("cbc:PrepaidAmount", namespaces=NS)) == D("60.00")
    assert D(totals.findtext("cbc:PayableAmount", namespaces=NS)) == due
    document = finvoice(invoice)
    validate_finvoice(document)
    root = etree.fromstring(document)
    assert root.findtext("InvoiceDetails/InvoicePaidAmount") == "60,00"
    assert root.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount") == str(due).replace(".", ",")
    text = page_texts(render_invoice_pdf(invoice))[0]
    assert f"Maksettava yhteensä {str(due).replace('.', ',')} €" in text and "Ennakkoon maksettu -60,00 €" in text


@pytest.mark.parametrize(("language", "label"), [("fi", "Ennakkoon maksettu"), ("sv", "Förskottsbetalt"),
                                                 ("en", "Prepaid")])
def test_the_prepaid_amount_is_named_in_the_customers_language(language, label):
    text = page_texts(render_invoice_pdf(prepaid("10.00", language=language)))[0]

    assert label in text


def test_an_invoice_the_credit_balance_paid_in_full_has_no_form_no_barcode_and_nothing_to_pay():
    invoice = invoice_data()
    invoice = replace(invoice, prepaid_amount=invoice.total_gross)

    pdf = render_invoice_pdf(invoice)
    text = page_texts(pdf)[0]
    assert "Maksettava yhteensä 0,00 €" in text
    assert "Saajan tilinumero" not in text and "viitenumeroa" not in text
    assert codes(pdf) == {}
    root = etree.fromstring(finvoice(invoice))
    assert root.findtext("PaymentStatusDetails/PaymentStatusCode") == "PAID"
    assert root.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount") == "0,00"
    assert root.find("VirtualBankBarcode") is None
    ubl = ubl_xml(invoice)
    assert fatal_asserts(ubl) == []
    assert etree.fromstring(ubl).findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "0.00"


def test_a_credit_note_carries_its_reason_in_every_format():
    note = replace(invoice_data(kind="credit_note"), credit_reason="Wrong size delivered",
                   notes="Thank you for your patience")

    text = page_texts(render_invoice_pdf(note))[0]
    assert "Hyvityksen syy: Wrong size delivered" in text
    ubl_note = etree.fromstring(ubl_xml(note)).findtext("cbc:Note", namespaces=NS)
    assert ubl_note == "Thank you for your patience\nHyvityksen syy: Wrong size delivered"
    assert fatal_asserts(ubl_xml(note)) == []  # still one note (PEPPOL-EN16931-R002)
    free_text = etree.fromstring(finvoice(note)).findtext("InvoiceDetails/InvoiceFreeText")
    assert "Wrong size delivered" in free_text


def test_a_pro_forma_keeps_its_finvoice_type_and_origin():
    details = etree.fromstring(finvoice(invoice_data(kind="proforma"))).find("InvoiceDetails")

    assert (details.findtext("InvoiceTypeCode"), details.findtext("OriginCode")) == ("INV06", "Original")
