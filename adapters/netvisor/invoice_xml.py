"""Our InvoiceData as the body of Netvisor's salesinvoice.nv?method=add (reference §1.4), and of
matchcreditnote.nv, which links a credit note to its invoice."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - building only, nothing is parsed here

from adapters.base import InvoiceData, LineData

from .config import NetvisorConfig
from .wire import element, serialise

_DIGITS = re.compile(r"[0-9]+")

_CREDIT_NOTE_TEXT = {
    "fi": "Hyvityslasku laskulle {number}",
    "sv": "Kreditnota för faktura {number}",
    "en": "Credit note for invoice {number}",
}


def netvisor_invoice_number(invoice: InvoiceData) -> int:
    """SalesInvoiceNumber is an integer in Netvisor (§1.4). Our number is used when it is all digits;
    a prefixed number ("A-1001") falls back to its sequence number (1001). Two series of one tenant that
    both feed Netvisor would then collide; the lookup's reference check catches that instead of hiding it."""
    if _DIGITS.fullmatch(invoice.number):
        return int(invoice.number)
    return invoice.sequence_number


def sales_invoice_xml(invoice: InvoiceData, config: NetvisorConfig) -> bytes:
    """The XML, elements in the order of §1.4 (Netvisor's clients validate against ordered schemas)."""
    root = ET.Element("Root")
    sales = ET.SubElement(root, "SalesInvoice")
    element(sales, "SalesInvoiceNumber", netvisor_invoice_number(invoice))
    element(sales, "SalesInvoiceDate", invoice.invoice_date, format="ansi")
    element(sales, "SalesInvoiceDueDate", invoice.due_date)
    element(sales, "SalesInvoiceDeliveryDate", invoice.tax_date)  # the tax point, "toimituspäivä"
    element(sales, "SalesInvoiceReferenceNumber", invoice.reference)
    # The total the buyer pays, VAT included; negative for a credit note (§1.4).
    element(sales, "SalesInvoiceAmount", invoice.total_gross, iso4217currencycode=invoice.currency)
    element(sales, "SalesInvoiceStatus", config.invoice_status, type="netvisor")
    if invoice.kind == "credit_note" and invoice.credited_invoice_number:
        template = _CREDIT_NOTE_TEXT.get(invoice.language, _CREDIT_NOTE_TEXT["fi"])
        text = template.format(number=invoice.credited_invoice_number)
        if invoice.credit_reason:
            text = f"{text}: {invoice.credit_reason}"
        element(sales, "SalesInvoiceFreeTextBeforeLines", text)
    if invoice.notes:
        element(sales, "SalesInvoiceFreeTextAfterLines", invoice.notes)
    if invoice.order_reference:
        element(sales, "SalesInvoiceOurReference", invoice.order_reference)
    # Without a buyer reference, the orderer's name is what the buyer's accounts payable routes by.
    your_reference = invoice.buyer_reference or (invoice.contact.name if invoice.contact else None)
    if your_reference:
        element(sales, "SalesInvoiceYourReference", your_reference)
    _customer(sales, invoice, config)
    element(sales, "PaymentTermNetDays", invoice.payment_terms_days)
    lines = ET.SubElement(sales, "InvoiceLines")
    for line in invoice.lines:
        _line(ET.SubElement(lines, "InvoiceLine"), line, invoice.prices_include_vat, config)
    return serialise(root)


def match_credit_note_xml(credit_note_key: str, invoice_key: str) -> bytes:
    """The body of matchcreditnote.nv, spelt as Netvisor's article 77000554165 shows it (lowercase)."""
    root = ET.Element("root")
    match = ET.SubElement(root, "matchcreditnote")
    element(match, "creditnotenetvisorkey", credit_note_key)
    element(match, "invoicenetvisorkey", invoice_key)
    return serialise(root)


def sent_number(number: str) -> int | None:
    """The SalesInvoiceNumber an invoice numbered `number` went to Netvisor with (see
    netvisor_invoice_number): the number itself when all digits, else its trailing digits."""
    if _DIGITS.fullmatch(number):
        return int(number)
    digits = re.search(r"([0-9]+)$", number)
    return int(digits.group(1)) if digits else None


def _customer(sales: ET.Element, invoice: InvoiceData, config: NetvisorConfig) -> None:
    buyer = invoice.buyer
    if config.customer_identifier == "business_id":
        code = buyer.business_id or buyer.vat_id
        if code:
            element(sales, "InvoicingCustomerIdentifier", code, type="customer")
    # Giving any address element stops Netvisor from pulling the address from its register (§1.4), so the
    # invoice shows the address the order carried.
    element(sales, "InvoicingCustomerName", buyer.name)
    for tag, value in (
        ("InvoicingCustomerAddressLine", buyer.street), ("InvoicingCustomerPostNumber", buyer.postcode),
        ("InvoicingCustomerTown", buyer.city), ("InvoicingCustomerCountryCode", buyer.country or "FI"),
    ):
        if value:
            element(sales, tag, value)


def _line(parent: ET.Element, line: LineData, gross: bool, config: NetvisorConfig) -> None:
    product = ET.SubElement(parent, "SalesInvoiceProductLine")
    code = config.default_product_code
    if config.product_codes == "sku" and line.sku:
        code = line.sku
    if code:
        element(product, "ProductIdentifier", code, type="customer")
    element(product, "ProductName", line.description)
    quantity, unit_price = line.quantity, line.unit_price
    if unit_price < 0:  # Netvisor credits by negative quantity (§1.4); keep the sign on the quantity
        quantity, unit_price = -quantity, -unit_price
    element(product, "ProductUnitPrice", unit_price, type="gross" if gross else "net")
    element(product, "ProductVatPercentage", line.vat_rate, vatcode=config.vat_code(line.vat_category))
    element(product, "SalesInvoiceProductLineQuantity", quantity)
    element(product, "SalesInvoiceProductLineDiscountPercentage", line.discount_percent)
