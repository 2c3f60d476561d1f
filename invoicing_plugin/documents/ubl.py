"""Peppol BIS Billing 3.0 documents (UBL 2.1 Invoice and CreditNote) from plain invoice data.

Element order follows the UBL 2.1 XSDs (schemas/ubl-2.1/); content follows the BIS 3 rules: one
TaxTotal with a subtotal per (category, rate) carrying exemption reasons for E, AE, K and G, totals that
add up (BR-CO-10..16), a buyer reference or order reference (R003), both endpoints (R010, R020), no empty
elements (R008), '.' decimals with at most the currency's minor unit on amounts.

A credit note is a CreditNote (381) with POSITIVE amounts and quantities and a BillingReference to the
credited invoice (number and date, BG-3); InvoiceData's negative credit-note amounts are negated here.
The reason for the credit goes in the note (BT-22). A pro forma has no Peppol document type (BIS 3
allows no 325) and is refused.

An invoice partly paid from the customer's credit balance carries it as PrepaidAmount (BT-113), and
PayableAmount (BT-115) is the total less it (BR-CO-16).

An invoice in another currency than the seller's (EUR) names EUR as its VAT accounting currency
(TaxCurrencyCode, BT-6) and carries a second TaxTotal with only the VAT total in euros (BT-111), as
BR-53 and PEPPOL-EN16931-R054/R055 ask. BIS 3 has no element for the exchange rate; Finvoice and the
PDF state it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from invoicing_plugin.domain.invoice_data import InvoiceData

from .einvoice import (
    EInvoiceError,
    clean,
    document_note,
    exemption,
    has_prepaid,
    money,
    payment_means_code,
    payment_reference,
    payment_terms_text,
    plain,
)
from .ubl_lines import add_line
from .ubl_parties import CAC, CBC, cac, cbc, party

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
NAMESPACES = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}


def ubl_xml(invoice: InvoiceData, *, prefer_rf: bool = False) -> bytes:
    """The Peppol BIS 3 UBL document of a finalised invoice or credit note, as UTF-8 bytes.

    Raises EInvoiceError for a pro forma, a credit note without the credited invoice's number, or an
    invoice with neither a buyer reference nor an order reference (PEPPOL-EN16931-R003).
    """
    if invoice.kind not in ("invoice", "credit_note"):
        raise EInvoiceError(
            f"Peppol BIS 3 has no document type for a {invoice.kind!r} (only invoices and credit notes)")
    credit = invoice.kind == "credit_note"
    if credit and not clean(invoice.credited_invoice_number):
        raise EInvoiceError("a Peppol credit note must name the invoice it credits")
    buyer_reference, order_reference = clean(invoice.buyer_reference), clean(invoice.order_reference)
    if not (buyer_reference or order_reference):
        raise EInvoiceError(
            "Peppol BIS 3 needs the buyer's reference or an order reference (PEPPOL-EN16931-R003)")
    sign = -1 if credit else 1
    currency = invoice.currency
    name = "CreditNote" if credit else "Invoice"
    namespace = NAMESPACES[name]
    root = etree.Element(f"{{{namespace}}}{name}", nsmap={None: namespace, "cac": CAC, "cbc": CBC})

    cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    cbc(root, "ProfileID", PROFILE_ID)
    cbc(root, "ID", invoice.number)
    cbc(root, "IssueDate", _iso(invoice.invoice_date))
    tax_point = invoice.tax_date if invoice.tax_date != invoice.invoice_date else None
    if credit:  # UBL 2.1 CreditNote has no DueDate and puts TaxPointDate before the type code
        if tax_point:
            cbc(root, "TaxPointDate", _iso(tax_point))
        cbc(root, "CreditNoteTypeCode", "381")
    else:
        cbc(root, "DueDate", _iso(invoice.due_date))
        cbc(root, "InvoiceTypeCode", "380")
    if note := document_note(invoice):
        cbc(root, "Note", note)
    if tax_point and not credit:
        cbc(root, "TaxPointDate", _iso(tax_point))
    cbc(root, "DocumentCurrencyCode", currency)
    tax_currency = _tax_currency(invoice)
    if tax_currency:
        cbc(root, "TaxCurrencyCode", tax_currency)
    if buyer_reference:
        cbc(root, "BuyerReference", buyer_reference)
    if order_reference:
        cbc(cac(root, "OrderReference"), "ID", order_reference)
    if credit:
        reference = cac(cac(root, "BillingReference"), "InvoiceDocumentReference")
        cbc(reference, "ID", clean(invoice.credited_invoice_number))
        if invoice.credited_invoice_date:
            cbc(reference, "IssueDate", _iso(invoice.credited_invoice_date))

    party(cac(root, "AccountingSupplierParty"), invoice.seller)
    party(cac(root, "AccountingCustomerParty"), invoice.buyer, invoice.contact)
    _delivery(root, invoice)
    if not credit:
        _payment_means(root, invoice, prefer_rf)
    cbc(cac(root, "PaymentTerms"), "Note", payment_terms_text(invoice))
    _tax_total(root, invoice, sign)
    if tax_currency and invoice.total_vat_in_tax_currency is not None:
        # BT-111: a second TaxTotal with only the amount in the VAT accounting currency (PEPPOL-EN16931-R054).
        cbc(cac(root, "TaxTotal"), "TaxAmount", money(invoice.total_vat_in_tax_currency * sign, tax_currency),
            currencyID=tax_currency)
    _monetary_total(root, invoice, sign)
    for line in invoice.lines:
        add_line(root, invoice, line, credit)
    return _DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True)


def _tax_currency(invoice: InvoiceData) -> str | None:
    """BT-6, only when it differs from the invoice's currency (PEPPOL-EN16931-R005) and the amount is known."""
    code = invoice.tax_currency
    if code and code != invoice.currency and invoice.total_vat_in_tax_currency is not None:
        return code
    return None


def _iso(day: date) -> str:
    return day.isoformat()


def _delivery(root: etree._Element, invoice: InvoiceData) -> None:
    """The date of supply, which a Finnish invoice must state; intra-community supplies also need the
    deliver-to country (BR-IC-11, BR-IC-12). We know no delivery address, so the buyer's country stands in."""
    delivery = cac(root, "Delivery")
    cbc(delivery, "ActualDeliveryDate", _iso(invoice.tax_date))
    if any(group.category == "K" for group in invoice.vat_breakdown):
        address = cac(cac(delivery, "DeliveryLocation"), "Address")
        cbc(cac(address, "Country"), "IdentificationCode", clean(invoice.buyer.country) or "FI")


def _payment_means(root: etree._Element, invoice: InvoiceData, prefer_rf: bool) -> None:
    iban = (clean(invoice.seller.iban) or "").replace(" ", "")
    if not iban:  # BR-61: a credit transfer needs the account; without one there is nothing to say
        return
    reference, _ = payment_reference(invoice, prefer_rf)
    means = cac(root, "PaymentMeans")
    cbc(means, "PaymentMeansCode", payment_means_code(invoice))
    cbc(means, "PaymentID", reference)
    account = cac(means, "PayeeFinancialAccount")
    cbc(account, "ID", iban)
    if bic := clean(invoice.seller.bic):
        cbc(cac(account, "FinancialInstitutionBranch"), "ID", bic)


def _tax_total(root: etree._Element, invoice: InvoiceData, sign: int) -> None:
    currency = invoice.currency
    total = cac(root, "TaxTotal")
    cbc(total, "TaxAmount", money(invoice.total_vat * sign, currency), currencyID=currency)
    for group in invoice.vat_breakdown:
        subtotal = cac(total, "TaxSubtotal")
        cbc(subtotal, "TaxableAmount", money(group.taxable_amount * sign, currency), currencyID=currency)
        cbc(subtotal, "TaxAmount", money(group.vat_amount * sign, currency), currencyID=currency)
        category = cac(subtotal, "TaxCategory")
        cbc(category, "ID", group.category)
        cbc(category, "Percent", plain(group.rate))
        code, reason = exemption(invoice, group.category)
        if code:
            cbc(category, "TaxExemptionReasonCode", code)
        if reason:
            cbc(category, "TaxExemptionReason", reason)
        cbc(cac(category, "TaxScheme"), "ID", "VAT")


def _monetary_total(root: etree._Element, invoice: InvoiceData, sign: int) -> None:
    currency = invoice.currency

    def amount(tag: str, value: Decimal) -> None:
        cbc(totals, tag, money(value * sign, currency), currencyID=currency)

    totals = cac(root, "LegalMonetaryTotal")
    amount("LineExtensionAmount", invoice.total_net)  # no document-level allowances or charges
    amount("TaxExclusiveAmount", invoice.total_net)
    amount("TaxInclusiveAmount", invoice.total_gross)
    if has_prepaid(invoice):
        amount("PrepaidAmount", invoice.prepaid_amount)
    amount("PayableAmount", invoice.amount_due)
