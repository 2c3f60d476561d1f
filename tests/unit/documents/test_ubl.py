"""Peppol BIS 3 UBL: what a receiving access point and the buyer's purchase ledger read from our documents."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from invoicing_plugin.documents.einvoice import EInvoiceError
from invoicing_plugin.documents.ubl import ubl_xml
from invoicing_plugin.documents.ubl_parties import endpoint
from invoicing_plugin.documents.xml_validation import validate_ubl
from invoicing_plugin.domain.invoice_data import Party
from tests.factories import BUYER, invoice_data
from tests.unit.documents.einvoice_cases import cases, peppol_cases
from tests.unit.documents.peppol_rules import Document

CASES = peppol_cases()


@pytest.mark.parametrize("name", CASES)
def test_every_ubl_document_validates_against_its_ubl_21_schema(name):
    validate_ubl(ubl_xml(CASES[name]))


@pytest.mark.parametrize("name", CASES)
def test_ubl_totals_equal_the_invoice_totals_to_the_cent(name):
    invoice = CASES[name]
    sign = -1 if invoice.kind == "credit_note" else 1
    doc = Document(ubl_xml(invoice))

    assert doc.amount("cac:LegalMonetaryTotal/cbc:LineExtensionAmount") == invoice.total_net * sign
    assert doc.amount("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount") == invoice.total_net * sign
    assert doc.amount("cac:TaxTotal/cbc:TaxAmount") == invoice.total_vat * sign
    assert doc.amount("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == invoice.total_gross * sign
    assert doc.amount("cac:LegalMonetaryTotal/cbc:PayableAmount") == invoice.total_gross * sign
    breakdown = {(g.category, g.rate.normalize()): (g.taxable_amount * sign, g.vat_amount * sign)
                 for g in invoice.vat_breakdown}
    read_back = {
        (doc.text("cac:TaxCategory/cbc:ID", s), doc.amount("cac:TaxCategory/cbc:Percent", s).normalize()):
        (doc.amount("cbc:TaxableAmount", s), doc.amount("cbc:TaxAmount", s))
        for s in doc.all("cac:TaxTotal/cac:TaxSubtotal")
    }
    assert read_back == breakdown


def test_an_invoice_is_a_bis3_invoice_380_with_due_date_and_references():
    doc = Document(ubl_xml(CASES["mixed rates with a discount"]))

    assert doc.root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
    assert doc.text("cbc:InvoiceTypeCode") == "380"
    assert doc.text("cbc:ID") == "1001"
    assert (doc.text("cbc:IssueDate"), doc.text("cbc:DueDate")) == ("2026-11-21", "2026-12-05")
    assert (doc.text("cbc:BuyerReference"), doc.text("cac:OrderReference/cbc:ID")) == ("PO-778", "WS-10001")
    assert doc.text("cac:Delivery/cbc:ActualDeliveryDate") == "2026-11-21"
    assert doc.text("cac:PaymentMeans/cbc:PaymentMeansCode") == "58"
    assert doc.text("cac:PaymentMeans/cbc:PaymentID") == "110013"
    account = doc.all("cac:PaymentMeans/cac:PayeeFinancialAccount")[0]
    assert doc.text("cbc:ID", account) == "FI4819503000000010"
    assert doc.text("cac:FinancialInstitutionBranch/cbc:ID", account) == "NDEAFIHH"


def test_a_credit_note_is_a_creditnote_381_with_positive_amounts_and_the_credited_invoice():
    doc = Document(ubl_xml(CASES["credit note"]))

    assert doc.root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    assert doc.text("cbc:CreditNoteTypeCode") == "381"
    assert doc.text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == "1000"
    assert doc.text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == "2026-11-21"
    assert doc.amount("cac:LegalMonetaryTotal/cbc:PayableAmount") == Decimal("260.66")
    assert all(Decimal(q) > 0 for q in doc.all("cac:CreditNoteLine/cbc:CreditedQuantity/text()"))
    assert doc.all("cac:PaymentMeans") == []  # the seller pays back, not the buyer
    assert doc.text("cac:PaymentTerms/cbc:Note") == "Hyvitys laskusta 1000"


def test_a_proforma_has_no_peppol_document_and_is_refused():
    with pytest.raises(EInvoiceError, match="proforma"):
        ubl_xml(cases()["proforma"])


def test_a_credit_note_without_the_credited_invoice_is_refused():
    with pytest.raises(EInvoiceError, match="credits"):
        ubl_xml(replace(CASES["credit note"], credited_invoice_number=None))


def test_an_invoice_without_buyer_or_order_reference_is_refused_r003():
    with pytest.raises(EInvoiceError, match="R003"):
        ubl_xml(replace(CASES["mixed rates with a discount"], buyer_reference=None, order_reference=None))


def test_an_ovt_address_is_routed_with_scheme_0216():
    doc = Document(ubl_xml(CASES["mixed rates with a discount"]))

    seller = doc.all("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID")[0]
    buyer = doc.all("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID")[0]
    assert (seller.get("schemeID"), seller.text) == ("0216", "003707375462")
    assert (buyer.get("schemeID"), buyer.text) == ("0216", "003726174164")


@pytest.mark.parametrize(("party", "expected"), [
    (BUYER, ("0216", "003726174164")),
    (replace(BUYER, einvoice_address="00372617416400042"), ("0216", "00372617416400042")),
    (replace(BUYER, einvoice_address="fi07 9920 1901 2614 67"), ("9918", "FI0799201901261467")),
    (replace(BUYER, einvoice_address=None), ("0216", "003726174164")),
    (Party(name="Beispiel GmbH", vat_id="DE136695976", country="DE"), ("9930", "DE136695976")),
    (Party(name="Exempel AB", vat_id="SE556703748501", country="SE"), ("0007", "5567037485")),
    (Party(name="Eksempel AS", vat_id="NO974760673MVA", country="NO"), ("0192", "974760673")),
])
def test_the_endpoint_falls_back_from_ovt_to_business_id_and_vat_number(party, expected):
    assert endpoint(party) == expected


@pytest.mark.parametrize("address", ["HELLO", "0192:974760673"])
def test_a_stored_address_that_is_no_ovt_code_or_iban_is_refused_not_replaced(address):
    # It was once accepted; routing the UBL by the business ID instead sent it where the Finvoice did not go.
    with pytest.raises(EInvoiceError, match=f"e-invoice address '{address}' of Esimerkki Oy must be an OVT code"):
        endpoint(replace(BUYER, einvoice_address=address))


def test_a_buyer_with_no_address_of_any_kind_cannot_be_sent_through_peppol():
    with pytest.raises(EInvoiceError, match="no electronic address"):
        endpoint(Party(name="Maija Meikäläinen", type="person"))


def test_parties_carry_vat_number_and_business_id_for_the_buyers_ledger():
    doc = Document(ubl_xml(CASES["mixed rates with a discount"]))
    buyer = doc.all("cac:AccountingCustomerParty/cac:Party")[0]

    assert doc.text("cac:PartyTaxScheme/cbc:CompanyID", buyer) == "FI26174164"
    assert doc.text("cac:PartyTaxScheme/cac:TaxScheme/cbc:ID", buyer) == "VAT"
    assert doc.text("cac:PartyLegalEntity/cbc:RegistrationName", buyer) == "Esimerkki Oy"
    company = doc.all("cac:PartyLegalEntity/cbc:CompanyID", buyer)[0]
    assert (company.text, company.get("schemeID")) == ("2617416-4", "0212")
    assert doc.text("cac:Contact/cbc:Name", buyer) == "Matti Meikäläinen"


def test_a_discount_shows_as_gross_price_less_price_discount():
    doc = Document(ubl_xml(CASES["mixed rates with a discount"]))
    cup = doc.lines()[1]

    assert doc.text("cac:Price/cbc:PriceAmount", cup) == "7.11"
    assert doc.text("cac:Price/cac:AllowanceCharge/cbc:BaseAmount", cup) == "7.90"
    assert doc.text("cac:Price/cac:AllowanceCharge/cbc:Amount", cup) == "0.79"
    assert doc.text("cbc:LineExtensionAmount", cup) == "42.66"


def test_gross_priced_lines_get_net_prices_that_multiply_back_to_the_line_net():
    doc = Document(ubl_xml(CASES["gross pricing"]))
    cappuccino = doc.lines()[0]

    # 3 x 4.90 at 13.5 % is 12.95 net; 4.32 (4.90 / 1.135) x 3 would be 12.96: the price gets a decimal more.
    assert doc.text("cbc:LineExtensionAmount", cappuccino) == "12.95"
    assert doc.text("cac:Price/cbc:PriceAmount", cappuccino) == "4.317"
    assert doc.text("cbc:InvoicedQuantity", cappuccino) == "3"


def test_exemption_reasons_name_the_vatex_code_in_the_invoice_language():
    doc = Document(ubl_xml(CASES["intra-community supply"]))
    category = doc.all("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory")[0]

    assert doc.text("cbc:ID", category) == "K"
    assert doc.text("cbc:TaxExemptionReasonCode", category) == "VATEX-EU-IC"
    assert doc.text("cbc:TaxExemptionReason", category) == "Intra-community supply"
    deliver_to = "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode"
    assert doc.text(deliver_to) == "DE"


def test_a_consumer_with_only_an_email_gets_no_ubl_rather_than_an_invalid_one():
    # EM is not in Peppol's EAS subset (PEPPOL-EN16931-CL008): an access point would refuse the document.
    with pytest.raises(EInvoiceError, match="an email is not a Peppol address") as raised:
        ubl_xml(cases()["person buyer without an e-invoice address"])

    assert raised.value.code == "no_peppol_address"


def test_a_consumer_with_an_ovt_address_is_addressed_by_it():
    person = Party(name="Maija Meikäläinen", type="person", email="maija@example.fi",
                   einvoice_address="003726174164", einvoice_operator="003721291126")

    assert endpoint(person) == ("0216", "003726174164")


@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_a_sek_invoice_names_eur_as_tax_currency_with_a_second_tax_total_in_euros(kind):
    invoice = CASES["SEK credit note" if kind == "credit_note" else "SEK"]
    sign = -1 if kind == "credit_note" else 1
    doc = Document(ubl_xml(invoice))

    assert doc.text("cbc:DocumentCurrencyCode") == "SEK" and doc.text("cbc:TaxCurrencyCode") == "EUR"
    totals = doc.all("cac:TaxTotal")
    assert len(totals) == 2 and doc.all("cac:TaxSubtotal", totals[1]) == []
    euro = doc.all("cbc:TaxAmount", totals[1])[0]
    assert euro.get("currencyID") == "EUR"
    # A credit note's UBL amounts are positive, the euro VAT too (PEPPOL-EN16931-R055: the same sign).
    assert Decimal(euro.text) == (invoice.total_vat * sign / Decimal("11.2345")).quantize(Decimal("0.01")) > 0
    assert Decimal(euro.text) == invoice.total_vat_in_tax_currency * sign


def test_a_euro_invoice_has_no_tax_currency():
    doc = Document(ubl_xml(CASES["mixed rates with a discount"]))

    assert doc.text("cbc:TaxCurrencyCode") is None and len(doc.all("cac:TaxTotal")) == 1


def test_a_different_date_of_supply_becomes_the_tax_point_date():
    invoice = invoice_data()
    invoice = replace(invoice, tax_date=invoice.invoice_date.replace(day=15))
    document = ubl_xml(invoice)

    validate_ubl(document)
    assert Document(document).text("cbc:TaxPointDate") == "2026-11-15"
