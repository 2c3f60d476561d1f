"""Finvoice 3.0 (Finance Finland) e-invoice XML, and the SOAP ebXML frame banks and operators route it by.

Element order, lengths and formats follow Finvoice3.0.xsd (schemas/finvoice/); the rest follows the
implementation guidelines: ISO-8859-15, no namespace, comma decimals, dates as CCYYMMDD.

Credit notes carry NEGATIVE amounts and quantities with positive unit prices, as InvoiceData has them:
Finvoice has no separate credit-note document, so the sign is what tells a receiving system to book a
credit (the XSD's amount pattern allows the minus sign). InvoiceTypeCode INV02 / UN 381 with OriginCode
"Cancel" (the code Finvoice writers send a credit note with), the credited invoice's number and date
(OriginalInvoiceNumber / OriginalInvoiceDate and 3.0's OriginalInvoiceReference, EN 16931 BG-3) and the
reason in the free text say the rest. A credit note has no barcode.

An invoice partly paid from the customer's credit balance states the total as always
(InvoiceTotalVatIncludedAmount, BT-112), the prepaid part as InvoicePaidAmount (BT-113) with payment
status PARTLYPAID (PAID when nothing is left), and asks for the rest only: EpiInstructedAmount (BT-115)
and the barcode carry the amount due.

An invoice in another currency than the seller's (EUR) carries its VAT total in euros as
InvoiceTotalVatAccountingAmount (Finvoice 3.0's element for EN 16931 BT-111, VAT Directive art. 230) and
the rate it was converted at as ExchangeRate (units of the invoice currency per euro, the ECB's
convention; up to 6 decimals as the XSD's exchangeRate type allows).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from lxml import etree

from invoicing_plugin.domain.barcode import virtual_barcode
from invoicing_plugin.domain.invoice_data import InvoiceData, LineData, Party

from .einvoice import (
    TYPE_TEXTS,
    EInvoiceError,
    chunks,
    clean,
    decimals,
    document_note,
    element,
    exemption,
    has_prepaid,
    is_payable,
    language,
    money,
    optional,
    payment_means_code,
    payment_reference,
    payment_terms_text,
    plain,
    routing_address,
    routing_operator,
    unit_code,
)
from .finvoice_soap import ENCODING, finvoice_soap_frame

__all__ = ["finvoice_xml", "finvoice_soap_frame", "TYPE_CODES"]

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_DECLARATION = f'<?xml version="1.0" encoding="{ENCODING}"?>\n'.encode("ascii")
_STYLESHEET = b'<?xml-stylesheet type="text/xsl" href="Finvoice.xsl"?>\n'

# Finance Finland's invoice type codes and UNTDID 1001 codes (380 invoice, 381 credit, 325 pro forma).
# A payment reminder is INV08 (Maventa's list of Finvoice type codes, in ../shared/reference/finnish-einvoicing.md,
# "InvoiceTypeCode values"); UNTDID 1001 has no reminder code, so InvoiceTypeCodeUN (optional in the XSD) is left out.
TYPE_CODES: dict[str, tuple[str, str | None]] = {
    "invoice": ("INV01", "380"), "credit_note": ("INV02", "381"), "proforma": ("INV06", "325"),
    "reminder": ("INV08", None)}


def finvoice_xml(
    invoice: InvoiceData, *, message_id: str, timestamp: datetime, prefer_rf: bool = False
) -> bytes:
    """The Finvoice 3.0 document of a finalised invoice, credit note or pro forma, as ISO-8859-15 bytes.

    `message_id` and `timestamp` identify this transmission (MessageTransmissionDetails). The payment
    reference is the national one for euro invoices unless `prefer_rf`; other currencies always get RF.
    """
    if invoice.kind not in TYPE_CODES:
        raise EInvoiceError(f"Finvoice has no document type for a {invoice.kind!r}")
    if not 2 <= len(message_id) <= 48:
        raise EInvoiceError("a Finvoice message identifier has 2 to 48 characters")
    if not clean(invoice.seller.iban):
        raise EInvoiceError("Finvoice needs the seller's bank account (IBAN) for its payment details")
    reference, is_rf = payment_reference(invoice, prefer_rf)
    attributes = {"Version": "3.0", f"{{{XSI}}}noNamespaceSchemaLocation": "Finvoice3.0.xsd"}
    root = etree.Element("Finvoice", attributes, nsmap={"xsi": XSI})
    _transmission(root, invoice, message_id, timestamp)
    _seller(root, invoice)
    element(root, "InvoiceRecipientLanguageCode", language(invoice))
    _buyer(root, invoice)
    _date(element(root, "DeliveryDetails"), "DeliveryDate", invoice.tax_date)
    _details(root, invoice)
    if has_prepaid(invoice):
        status = "PAID" if invoice.amount_due <= 0 else "PARTLYPAID"
        element(element(root, "PaymentStatusDetails"), "PaymentStatusCode", status)
    if barcode := _barcode(invoice, reference):
        element(root, "VirtualBankBarcode", barcode)
    for line in invoice.lines:
        _row(root, invoice, line)
    _epi(root, invoice, reference, is_rf)
    return _DECLARATION + _STYLESHEET + etree.tostring(root, encoding=ENCODING, xml_declaration=False,
                                                       pretty_print=True)


def comma(text: str) -> str:
    return text.replace(".", ",")


def _amount(parent: etree._Element, tag: str, value: Decimal, currency: str) -> etree._Element:
    return element(parent, tag, comma(money(value, currency)), AmountCurrencyIdentifier=currency)


def _date(parent: etree._Element, tag: str, day: date) -> etree._Element:
    return element(parent, tag, day.strftime("%Y%m%d"), Format="CCYYMMDD")


def _percent(value: Decimal) -> str:
    return comma(decimals(value, 0, 3))


def _transmission(root: etree._Element, invoice: InvoiceData, message_id: str, timestamp: datetime) -> None:
    """Who sends to whom, by e-invoice address and operator; left out when either end has no address,
    since the XSD makes all four mandatory (the invoice then travels as PDF or via the operator's own API).
    The addresses are routing_address's, the very ones the UBL of the same invoice routes by."""
    seller, buyer = invoice.seller, invoice.buyer
    ends = [routing_address(seller), routing_operator(seller), routing_address(buyer), routing_operator(buyer)]
    if not all(ends):
        return
    assert ends[0] is not None and ends[2] is not None  # all(ends) above
    details = element(root, "MessageTransmissionDetails")
    sender = element(details, "MessageSenderDetails")
    element(sender, "FromIdentifier", ends[0], SchemeID=_address_scheme(ends[0]))
    element(sender, "FromIntermediator", ends[1])
    receiver = element(details, "MessageReceiverDetails")
    element(receiver, "ToIdentifier", ends[2], SchemeID=_address_scheme(ends[2]))
    element(receiver, "ToIntermediator", ends[3])
    message = element(details, "MessageDetails")
    element(message, "MessageIdentifier", message_id)
    element(message, "MessageTimeStamp", timestamp.isoformat(timespec="seconds"))


def _address_scheme(address: str) -> str | None:
    # ISO 6523 ICD 0037 marks an OVT code; an IBAN carries no scheme.
    return "0037" if address.startswith("0037") else None


def _names(parent: etree._Element, tag: str, party: Party) -> None:
    name = clean(party.name) or ""
    if len(name) < 2:
        raise EInvoiceError(f"Finvoice needs a name of at least 2 characters, got {party.name!r}")
    pieces = chunks(name, 70)
    if len(pieces[-1]) < 2:  # the XSD's minimum length of 2 also holds for a second line
        pieces = chunks(name, 69)
    for piece in pieces:
        element(parent, tag, piece)


def _address(parent: etree._Element, prefix: str, party: Party) -> None:
    street, town, postcode = clean(party.street), clean(party.city), clean(party.postcode)
    if not all(value and len(value) >= 2 for value in (street, town, postcode)):
        return
    assert town is not None and postcode is not None  # all() above
    address = element(parent, f"{prefix}PostalAddressDetails")
    for piece in chunks(street, 35, limit=3):
        element(address, f"{prefix}StreetName", piece)
    element(address, f"{prefix}TownName", town[:35])
    element(address, f"{prefix}PostCodeIdentifier", postcode[:35])
    optional(address, "CountryCode", party.country)


def _seller(root: etree._Element, invoice: InvoiceData) -> None:
    seller = invoice.seller
    party = element(root, "SellerPartyDetails")
    optional(party, "SellerPartyIdentifier", seller.business_id)
    _names(party, "SellerOrganisationName", seller)
    optional(party, "SellerOrganisationTaxCode", seller.vat_id)
    _address(party, "Seller", seller)
    optional(root, "SellerOrganisationUnitNumber", routing_address(seller))
    if clean(seller.phone) or clean(seller.email):
        communication = element(root, "SellerCommunicationDetails")
        optional(communication, "SellerPhoneNumberIdentifier", (clean(seller.phone) or "")[:35])
        optional(communication, "SellerEmailaddressIdentifier", (clean(seller.email) or "")[:70])
    if not (clean(seller.city) or clean(seller.bic)):
        return
    information = element(root, "SellerInformationDetails")
    optional(information, "SellerHomeTownName", (clean(seller.city) or "")[:35])
    if clean(seller.bic):  # the XSD wants the account and the BIC together
        account = element(information, "SellerAccountDetails")
        element(account, "SellerAccountID", _iban(seller), IdentificationSchemeName="IBAN")
        element(account, "SellerBic", clean(seller.bic), IdentificationSchemeName="BIC")


def _buyer(root: etree._Element, invoice: InvoiceData) -> None:
    buyer, contact = invoice.buyer, invoice.contact
    party = element(root, "BuyerPartyDetails")
    if buyer.type != "person":  # a consumer's identifier would be a personal identity code: never sent
        optional(party, "BuyerPartyIdentifier", buyer.business_id)
    _names(party, "BuyerOrganisationName", buyer)
    optional(party, "BuyerOrganisationTaxCode", buyer.vat_id)
    _address(party, "Buyer", buyer)
    optional(root, "BuyerOrganisationUnitNumber", routing_address(buyer))
    optional(root, "BuyerContactPersonName", (clean(contact.name) or "")[:70] if contact else None)
    phone = clean(contact.phone if contact else None) or clean(buyer.phone)
    email = clean(contact.email if contact else None) or clean(buyer.email)
    if phone or email:
        communication = element(root, "BuyerCommunicationDetails")
        optional(communication, "BuyerPhoneNumberIdentifier", (phone or "")[:35])
        optional(communication, "BuyerEmailaddressIdentifier", (email or "")[:70])


def _details(root: etree._Element, invoice: InvoiceData) -> None:
    currency = invoice.currency
    details = element(root, "InvoiceDetails")
    code: str | None
    un_code: str | None
    code, un_code = TYPE_CODES[invoice.kind]
    element(details, "InvoiceTypeCode", code, CodeListAgencyIdentifier="SPY")
    optional(details, "InvoiceTypeCodeUN", un_code)
    element(details, "InvoiceTypeText", TYPE_TEXTS[language(invoice)][invoice.kind])
    element(details, "OriginCode", "Cancel" if invoice.kind == "credit_note" else "Original")
    element(details, "InvoiceNumber", invoice.number)
    _date(details, "InvoiceDate", invoice.invoice_date)
    if invoice.kind in ("credit_note", "reminder") and invoice.credited_invoice_number:
        # A reminder names the invoice it reminds of the same way (Finvoice3.0.xsd InvoiceDetailsType:
        # OriginalInvoiceNumber, OriginalInvoiceDate, OriginalInvoiceReference). Both the classic elements and
        # 3.0's OriginalInvoiceReference (EN 16931 BG-3): receivers read either.
        element(details, "OriginalInvoiceNumber", invoice.credited_invoice_number)
        if invoice.credited_invoice_date:
            _date(details, "OriginalInvoiceDate", invoice.credited_invoice_date)
        original = element(details, "OriginalInvoiceReference")
        element(original, "InvoiceNumber", invoice.credited_invoice_number)
        if invoice.credited_invoice_date:
            _date(original, "InvoiceDate", invoice.credited_invoice_date)
    optional(details, "OrderIdentifier", (clean(invoice.order_reference) or "")[:70])
    optional(details, "BuyerReferenceIdentifier", (clean(invoice.buyer_reference) or "")[:70])
    _amount(details, "RowsTotalVatExcludedAmount", invoice.total_net, currency)
    _amount(details, "InvoiceTotalVatExcludedAmount", invoice.total_net, currency)
    _amount(details, "InvoiceTotalVatAmount", invoice.total_vat, currency)
    foreign = _tax_currency(invoice)
    if foreign:
        _amount(details, "InvoiceTotalVatAccountingAmount", foreign[0], foreign[1])
    _amount(details, "InvoiceTotalVatIncludedAmount", invoice.total_gross, currency)
    if has_prepaid(invoice):
        _amount(details, "InvoicePaidAmount", invoice.prepaid_amount, currency)
    if foreign and invoice.exchange_rate is not None:
        element(details, "ExchangeRate", comma(decimals(invoice.exchange_rate, 0, 6)))
    if invoice.tax_date != invoice.invoice_date:
        _date(element(details, "VatPoint"), "VatPointDate", invoice.tax_date)
    for group in invoice.vat_breakdown:
        vat = element(details, "VatSpecificationDetails")
        _amount(vat, "VatBaseAmount", group.taxable_amount, currency)
        element(vat, "VatRatePercent", _percent(group.rate))
        element(vat, "VatCode", group.category)
        _amount(vat, "VatRateAmount", group.vat_amount, currency)
        code, reason = exemption(invoice, group.category)
        optional(vat, "VatFreeText", reason)
        optional(vat, "VatExemptionReasonCode", code)
    for piece in chunks(document_note(invoice), 512):
        element(details, "InvoiceFreeText", piece)
    terms = element(details, "PaymentTermsDetails")
    element(terms, "PaymentTermsFreeText", payment_terms_text(invoice)[:70])
    _date(terms, "InvoiceDueDate", invoice.due_date)


def _tax_currency(invoice: InvoiceData) -> tuple[Decimal, str] | None:
    """(VAT total, currency) in the seller's accounting currency when the invoice is in another one."""
    code, amount = invoice.tax_currency, invoice.total_vat_in_tax_currency
    if code and code != invoice.currency and amount is not None:
        return amount, code
    return None


def _iban(seller: Party) -> str:
    return (clean(seller.iban) or "").replace(" ", "").upper()  # printed groups are not an NMTOKEN


def _barcode(invoice: InvoiceData, reference: str) -> str | None:
    """The bank barcode: only for a payable euro invoice to a Finnish account (the barcode's own limits)."""
    iban = _iban(invoice.seller)
    if not (is_payable(invoice) and invoice.currency == "EUR" and iban.startswith("FI")):
        return None
    return virtual_barcode(iban, invoice.amount_due, reference, invoice.due_date)


def _row(root: etree._Element, invoice: InvoiceData, line: LineData) -> None:
    currency = invoice.currency
    row = element(root, "InvoiceRow")
    optional(row, "ArticleIdentifier", (clean(line.sku) or "")[:70])
    description = clean(line.description) or ""
    optional(row, "ArticleName", description[:100])
    if len(description) > 100:
        element(row, "ArticleDescription", description[:512])
    unit_text = (clean(line.unit) or "")[:14] or None
    element(row, "InvoicedQuantity", comma(plain(line.quantity)), QuantityUnitCode=unit_text,
            QuantityUnitCodeUN=unit_code(line.unit))
    if line.service_period_start is not None and line.service_period_end is not None:
        _date(row, "StartDate", line.service_period_start)  # the service period the row bills
        _date(row, "EndDate", line.service_period_end)
    # UnitPriceAmount is VAT-exclusive in Finvoice; a gross-priced line also shows the price the till showed.
    unit_net = line.unit_price
    if invoice.prices_include_vat:
        unit_net = line.unit_price * 100 / (100 + line.vat_rate)
    element(row, "UnitPriceAmount", comma(decimals(unit_net, 2, 5)), AmountCurrencyIdentifier=currency)
    if invoice.prices_include_vat:
        element(row, "UnitPriceVatIncludedAmount", comma(decimals(line.unit_price, 2, 5)),
                AmountCurrencyIdentifier=currency)
    element(row, "RowPositionIdentifier", str(line.position))
    if 0 < line.discount_percent < 1000:
        element(row, "RowDiscountPercent", _percent(line.discount_percent))
    element(row, "RowVatRatePercent", _percent(line.vat_rate))
    element(row, "RowVatCode", line.vat_category)
    _amount(row, "RowVatAmount", line.vat_amount, currency)
    _amount(row, "RowVatExcludedAmount", line.net_amount, currency)
    _amount(row, "RowAmount", line.gross_amount, currency)


def _epi(root: etree._Element, invoice: InvoiceData, reference: str, is_rf: bool) -> None:
    """The payment instruction (EPI): mandatory in every Finvoice, payable or not."""
    seller = invoice.seller
    epi = element(root, "EpiDetails")
    identification = element(epi, "EpiIdentificationDetails")
    _date(identification, "EpiDate", invoice.invoice_date)
    element(identification, "EpiReference", "")
    parties = element(epi, "EpiPartyDetails")
    bank = element(parties, "EpiBfiPartyDetails")
    optional(bank, "EpiBfiIdentifier", seller.bic, IdentificationSchemeName="BIC")
    beneficiary = element(parties, "EpiBeneficiaryPartyDetails")
    element(beneficiary, "EpiNameAddressDetails", cast(str, clean(seller.name))[:35])  # the seller is named
    if seller.business_id and 8 <= len(cast(str, clean(seller.business_id))) <= 11:
        element(beneficiary, "EpiBei", clean(seller.business_id))
    element(beneficiary, "EpiAccountID", _iban(seller), IdentificationSchemeName="IBAN")
    instruction = element(epi, "EpiPaymentInstructionDetails")
    element(instruction, "EpiRemittanceInfoIdentifier", reference,
            IdentificationSchemeName="ISO" if is_rf else "SPY")
    element(instruction, "EpiInstructedAmount", comma(_epi_amount(invoice.amount_due)),
            AmountCurrencyIdentifier=invoice.currency)
    element(instruction, "EpiCharge", "SHA", ChargeOption="SHA")
    _date(instruction, "EpiDateOptionDate", invoice.due_date)
    element(instruction, "EpiPaymentMeansCode", payment_means_code(invoice))


def _epi_amount(amount: Decimal) -> str:
    """The EPI amount always has exactly two decimals (1500,00 for yen), so a 3-decimal amount cannot go."""
    text = money(amount, "EUR")
    if Decimal(text) != amount:
        raise EInvoiceError(f"Finvoice's payment amount has two decimals; {amount} cannot be expressed")
    return text
