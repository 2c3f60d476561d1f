"""Finvoice 3.0: what a Finnish bank's or operator's system reads from the documents we send."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from invoicing_plugin.documents.einvoice import EInvoiceError
from invoicing_plugin.documents.finvoice import finvoice_soap_frame, finvoice_xml
from invoicing_plugin.documents.xml_validation import validate_finvoice
from tests.factories import SELLER, invoice_data
from tests.unit.documents.einvoice_cases import PERSON_BUYER, cases

SENT_AT = datetime(2026, 11, 21, 10, 30, tzinfo=timezone(timedelta(hours=2)))
CASES = cases()


def render(invoice, **options) -> bytes:
    return finvoice_xml(invoice, message_id=f"FINV-{invoice.number}", timestamp=SENT_AT, **options)


def amount(root, path: str) -> Decimal:
    return Decimal(root.findtext(path).replace(",", "."))


def amounts(root, path: str) -> list[Decimal]:
    return [Decimal(e.text.replace(",", ".")) for e in root.findall(path)]


@pytest.mark.parametrize("name", CASES)
def test_every_finvoice_validates_against_the_official_schema(name):
    validate_finvoice(render(CASES[name]))


@pytest.mark.parametrize("name", CASES)
def test_finvoice_totals_equal_the_invoice_totals_to_the_cent(name):
    invoice = CASES[name]
    root = etree.fromstring(render(invoice))

    assert amount(root, "InvoiceDetails/InvoiceTotalVatExcludedAmount") == invoice.total_net
    assert amount(root, "InvoiceDetails/RowsTotalVatExcludedAmount") == invoice.total_net
    assert amount(root, "InvoiceDetails/InvoiceTotalVatAmount") == invoice.total_vat
    assert amount(root, "InvoiceDetails/InvoiceTotalVatIncludedAmount") == invoice.total_gross
    assert amount(root, "EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount") == invoice.total_gross
    assert sum(amounts(root, "InvoiceDetails/VatSpecificationDetails/VatBaseAmount")) == invoice.total_net
    assert sum(amounts(root, "InvoiceDetails/VatSpecificationDetails/VatRateAmount")) == invoice.total_vat
    assert sum(amounts(root, "InvoiceRow/RowVatExcludedAmount")) == invoice.total_net
    assert sum(amounts(root, "InvoiceRow/RowVatAmount")) == invoice.total_vat
    assert sum(amounts(root, "InvoiceRow/RowAmount")) == invoice.total_gross


def test_the_document_is_iso_8859_15_with_its_declaration_and_no_namespace():
    document = render(CASES["mixed rates with a discount"])

    assert document.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>\n')
    assert "Matti Meikäläinen".encode("iso-8859-15") in document  # ä is one byte, not UTF-8's two
    root = etree.fromstring(document)
    assert root.tag == "Finvoice" and root.get("Version") == "3.0"


def test_characters_outside_latin_9_survive_as_character_references():
    invoice = replace(CASES["mixed rates with a discount"], notes="Доставка 5 € ✓")
    document = render(invoice)

    validate_finvoice(document)
    assert etree.fromstring(document).findtext("InvoiceDetails/InvoiceFreeText") == "Доставка 5 € ✓"


def test_sample_invoice_carries_comma_decimals_reference_and_barcode():
    invoice = CASES["mixed rates with a discount"]
    root = etree.fromstring(render(invoice))
    details = root.find("InvoiceDetails")

    assert details.findtext("InvoiceTypeCode") == "INV01"
    assert details.find("InvoiceTypeCode").get("CodeListAgencyIdentifier") == "SPY"
    assert details.findtext("InvoiceTypeCodeUN") == "380"
    assert details.findtext("InvoiceTypeText") == "LASKU"
    assert details.findtext("InvoiceNumber") == "1001"
    assert details.findtext("InvoiceDate") == "20261121"
    assert details.find("InvoiceDate").get("Format") == "CCYYMMDD"
    assert details.findtext("BuyerReferenceIdentifier") == "PO-778"
    assert details.findtext("OrderIdentifier") == "WS-10001"
    total = details.find("InvoiceTotalVatIncludedAmount")
    assert (total.text, total.get("AmountCurrencyIdentifier")) == ("260,66", "EUR")
    vat = details.findall("VatSpecificationDetails")
    assert [(v.findtext("VatRatePercent"), v.findtext("VatCode")) for v in vat] == [("25,5", "S"),
                                                                                  ("13,5", "S")]
    assert details.findtext("PaymentTermsDetails/InvoiceDueDate") == "20261205"
    # v4 | the IBAN without FI | 000260 euros 66 cents | 000 | reference to 20 digits | due YYMMDD
    barcode = "4" "4819503000000010" "00026066" "000" "00000000000000110013" "261205"
    assert root.findtext("VirtualBankBarcode") == barcode
    reference = root.find("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier")
    assert (reference.text, reference.get("IdentificationSchemeName")) == ("110013", "SPY")
    assert root.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiDateOptionDate") == "20261205"
    parties = root.find("EpiDetails/EpiPartyDetails")
    assert parties.findtext("EpiBeneficiaryPartyDetails/EpiAccountID") == "FI4819503000000010"
    assert parties.findtext("EpiBfiPartyDetails/EpiBfiIdentifier") == "NDEAFIHH"


def test_sample_rows_show_quantity_unit_price_discount_and_vat():
    rows = etree.fromstring(render(CASES["mixed rates with a discount"])).findall("InvoiceRow")
    cup = rows[1]

    assert cup.findtext("ArticleIdentifier") == "SKU-2"
    assert cup.findtext("ArticleName") == "Espresso cup"
    quantity = cup.find("InvoicedQuantity")
    assert quantity.text == "6"
    assert (quantity.get("QuantityUnitCode"), quantity.get("QuantityUnitCodeUN")) == ("pcs", "C62")
    assert cup.findtext("UnitPriceAmount") == "7,90"
    assert cup.findtext("RowDiscountPercent") == "10"
    assert cup.findtext("RowVatRatePercent") == "25,5"
    assert cup.findtext("RowVatCode") == "S"
    row_amounts = [cup.findtext(tag) for tag in ("RowVatExcludedAmount", "RowVatAmount", "RowAmount")]
    assert row_amounts == ["42,66", "10,88", "53,54"]


def test_the_transmission_details_route_from_the_sellers_to_the_buyers_address():
    root = etree.fromstring(render(CASES["mixed rates with a discount"]))
    details = root.find("MessageTransmissionDetails")

    assert details.findtext("MessageSenderDetails/FromIdentifier") == "003707375462"
    assert details.find("MessageSenderDetails/FromIdentifier").get("SchemeID") == "0037"
    assert details.findtext("MessageSenderDetails/FromIntermediator") == "003721291126"
    assert details.findtext("MessageReceiverDetails/ToIdentifier") == "003726174164"
    assert details.findtext("MessageReceiverDetails/ToIntermediator") == "003721291126"
    assert details.findtext("MessageDetails/MessageIdentifier") == "FINV-1001"
    assert details.findtext("MessageDetails/MessageTimeStamp") == "2026-11-21T10:30:00+02:00"
    assert root.findtext("SellerOrganisationUnitNumber") == "003707375462"
    assert root.findtext("BuyerOrganisationUnitNumber") == "003726174164"
    assert root.findtext("SellerPartyDetails/SellerPartyIdentifier") == "0737546-2"
    assert root.findtext("SellerPartyDetails/SellerOrganisationTaxCode") == "FI07375462"
    account = root.find("SellerInformationDetails/SellerAccountDetails")
    assert account.findtext("SellerAccountID") == "FI4819503000000010"
    assert account.findtext("SellerBic") == "NDEAFIHH"
    assert root.findtext("BuyerContactPersonName") == "Matti Meikäläinen"


def test_an_rf_reference_goes_with_scheme_iso_and_a_version_5_barcode():
    invoice = CASES["mixed rates with a discount"]
    root = etree.fromstring(render(invoice, prefer_rf=True))

    reference = root.find("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier")
    assert (reference.text, reference.get("IdentificationSchemeName")) == (invoice.reference_rf, "ISO")
    assert root.findtext("VirtualBankBarcode").startswith("5")


def test_a_foreign_currency_invoice_gets_an_rf_reference_and_no_euro_barcode():
    root = etree.fromstring(render(CASES["SEK"]))

    assert root.find("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier").get(
        "IdentificationSchemeName") == "ISO"
    assert root.find("VirtualBankBarcode") is None
    assert root.findtext("InvoiceDetails/InvoiceTypeText") == "FAKTURA"
    assert root.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiPaymentMeansCode") == "30"


def test_yen_amounts_have_no_decimals_but_the_payment_amount_keeps_two():
    root = etree.fromstring(render(CASES["JPY"]))

    assert "," not in root.findtext("InvoiceDetails/InvoiceTotalVatIncludedAmount")
    assert root.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount").endswith(",00")


def test_a_credit_note_is_inv02_with_negative_amounts_and_the_credited_invoice():
    invoice = CASES["credit note"]
    root = etree.fromstring(render(invoice))
    details = root.find("InvoiceDetails")

    assert (details.findtext("InvoiceTypeCode"), details.findtext("InvoiceTypeCodeUN")) == ("INV02", "381")
    assert details.findtext("InvoiceTypeText") == "HYVITYSLASKU"
    assert details.findtext("OriginalInvoiceNumber") == "1000"
    assert details.findtext("OriginalInvoiceReference/InvoiceNumber") == "1000"
    assert amount(root, "InvoiceDetails/InvoiceTotalVatIncludedAmount") == -Decimal("260.66")
    assert all(q.text.startswith("-") for q in root.findall("InvoiceRow/InvoicedQuantity"))
    assert all(not p.text.startswith("-") for p in root.findall("InvoiceRow/UnitPriceAmount"))
    assert root.find("VirtualBankBarcode") is None  # nothing to pay


def test_a_proforma_is_inv06_without_a_barcode():
    root = etree.fromstring(render(CASES["proforma"]))

    assert root.findtext("InvoiceDetails/InvoiceTypeCode") == "INV06"
    assert root.findtext("InvoiceDetails/InvoiceTypeText") == "PROFORMALASKU"
    assert root.find("VirtualBankBarcode") is None


def test_gross_priced_rows_show_the_till_price_and_the_net_price():
    row = etree.fromstring(render(CASES["gross pricing"])).findall("InvoiceRow")[0]

    assert row.findtext("UnitPriceVatIncludedAmount") == "4,90"
    assert row.findtext("UnitPriceAmount") == "4,31718"  # 4.90 / 1.135, to the XSD's five decimals


def test_exempt_and_zero_rated_groups_say_why_in_the_vat_specification():
    exempt = etree.fromstring(render(CASES["exempt"])).findall("InvoiceDetails/VatSpecificationDetails")
    export = etree.fromstring(render(CASES["export"])).find("InvoiceDetails/VatSpecificationDetails")

    assert [(v.findtext("VatCode"), v.findtext("VatFreeText")) for v in exempt] == [
        ("S", None), ("E", "Veroton myynti")]
    export_texts = [export.findtext(tag) for tag in ("VatCode", "VatExemptionReasonCode", "VatFreeText")]
    assert export_texts == ["G", "VATEX-EU-G", "Export outside the EU"]


def test_a_person_without_an_e_invoice_address_gets_no_transmission_details_and_no_identifier():
    root = etree.fromstring(render(CASES["person buyer without an e-invoice address"]))

    assert root.find("MessageTransmissionDetails") is None
    assert root.find("BuyerPartyDetails/BuyerPartyIdentifier") is None
    assert root.findtext("BuyerPartyDetails/BuyerOrganisationName") == PERSON_BUYER.name
    assert root.findtext("BuyerCommunicationDetails/BuyerEmailaddressIdentifier") == "maija@example.fi"


def test_a_long_name_is_split_over_two_name_lines_within_the_schema_limit():
    long_name = "Pohjois-Pohjanmaan Kahvipaahtimo ja Leipomo Osuuskunta, Oulun toimipaikka ja verkkokauppa"
    buyer = replace(PERSON_BUYER, name=long_name, type="organisation")
    invoice = replace(CASES["mixed rates with a discount"], buyer=buyer)
    document = render(invoice)

    validate_finvoice(document)
    names = [e.text for e in etree.fromstring(document).findall("BuyerPartyDetails/BuyerOrganisationName")]
    assert "".join(names) == long_name and all(len(n) <= 70 for n in names)


def test_a_printed_iban_and_a_missing_bic_still_give_a_valid_finvoice():
    seller = replace(SELLER, iban="FI48 1950 3000 0000 10", bic=None)
    document = render(invoice_data(seller=seller))

    validate_finvoice(document)
    root = etree.fromstring(document)
    assert root.findtext("EpiDetails/EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiAccountID") == (
        "FI4819503000000010")
    assert root.find("SellerInformationDetails/SellerAccountDetails") is None


def test_a_seller_without_a_bank_account_cannot_send_a_finvoice():
    invoice = invoice_data(seller=replace(SELLER, iban=None))

    with pytest.raises(EInvoiceError, match="IBAN"):
        render(invoice)


def test_a_message_identifier_outside_2_to_48_characters_is_refused():
    with pytest.raises(EInvoiceError, match="2 to 48"):
        finvoice_xml(CASES["mixed rates with a discount"], message_id="X", timestamp=SENT_AT)


def test_the_soap_frame_is_the_ebxml_envelope_followed_by_the_finvoice():
    invoice = CASES["mixed rates with a discount"]
    document = render(invoice)
    frame = finvoice_soap_frame(invoice, document, message_id="FINV-1001", timestamp=SENT_AT)

    envelope_bytes, finvoice_bytes = frame.split(b"<?xml", 2)[1:]
    assert b"<?xml" + finvoice_bytes == document
    envelope = etree.fromstring(b"<?xml" + envelope_bytes)
    ns = {"eb": "http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd",
          "s": "http://schemas.xmlsoap.org/soap/envelope/"}
    header = envelope.find("s:Header/eb:MessageHeader", ns)
    parties = [(p.findtext("eb:PartyId", namespaces=ns), p.findtext("eb:Role", namespaces=ns))
               for p in header.findall("eb:From", ns) + header.findall("eb:To", ns)]
    assert parties == [("003707375462", "Sender"), ("003721291126", "Intermediator"),
                       ("003726174164", "Receiver"), ("003721291126", "Intermediator")]
    assert header.findtext("eb:Action", namespaces=ns) == "ProcessInvoice"
    assert header.findtext("eb:MessageData/eb:MessageId", namespaces=ns) == "FINV-1001"
    assert envelope.find("s:Body/eb:Manifest/eb:Reference", ns).get(
        "{http://www.w3.org/1999/xlink}href") == "FINV-1001"


def test_the_soap_frame_refuses_a_buyer_without_an_e_invoice_address():
    invoice = CASES["person buyer without an e-invoice address"]

    with pytest.raises(EInvoiceError, match="buyer's e-invoice address"):
        finvoice_soap_frame(invoice, render(invoice), message_id="FINV-1001", timestamp=SENT_AT)
