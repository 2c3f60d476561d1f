"""Our InvoiceData as the body of Netvisor's salesinvoice.nv?method=add (reference §1.4), of
matchcreditnote.nv, which links a credit note to its invoice, and of customer.nv and product.nv, which add
the invoice's customer and products to Netvisor's registers. Every body begins with its root element, with
no XML declaration (support.netvisor.fi 77000466681)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - building only, nothing is parsed here
from collections.abc import Mapping
from dataclasses import dataclass

from adapters.base import InvoiceData, LineData, Party

from .config import NetvisorConfig
from .wire import element, serialise

_DIGITS = re.compile(r"[0-9]+")

_CREDIT_NOTE_TEXT = {
    "fi": "Hyvityslasku laskulle {number}",
    "sv": "Kreditnota för faktura {number}",
    "en": "Credit note for invoice {number}",
}


_LANGUAGES = {"fi": "FI", "sv": "SE", "en": "EN"}


@dataclass(frozen=True)
class Links:
    """How the invoice names what Netvisor's registers hold: the customer as (type, value) of
    InvoicingCustomerIdentifier, and each line's product as (type, value) of ProductIdentifier, by line
    position. `type` is "netvisor" (a NetvisorKey) or "customer" (a code), as the DTD allows."""

    customer: tuple[str, str]
    products: Mapping[int, tuple[str, str]]


def netvisor_invoice_number(invoice: InvoiceData) -> int:
    """SalesInvoiceNumber is an integer in Netvisor (§1.4). Our number is used when it is all digits;
    a prefixed number ("A-1001") goes with its trailing digits (1001). Two series of one tenant that
    both feed Netvisor would then collide; the lookup's reference check catches that instead of hiding it."""
    number = sent_number(invoice.number)
    return invoice.sequence_number if number is None else number


def sales_invoice_xml(invoice: InvoiceData, config: NetvisorConfig, links: Links) -> bytes:
    """The XML, elements in the order of §1.4 (Netvisor's clients validate against ordered schemas).

    Each product line carries its line sum and VAT sum: Netvisor then books the sums we computed instead of
    recomputing them from price and count, which is what its article on rounding differences of imported
    invoices recommends (support.netvisor.fi 77000578212; giving the line sum makes the VAT sum mandatory)."""
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
    _customer(sales, invoice, links.customer)
    element(sales, "PaymentTermNetDays", invoice.payment_terms_days)
    lines = ET.SubElement(sales, "InvoiceLines")
    for line in invoice.lines:
        _line(ET.SubElement(lines, "InvoiceLine"), line, invoice.prices_include_vat, config,
              links.products[line.position])
    return serialise(root, declaration=False)


def match_credit_note_xml(credit_note_key: str, invoice_key: str) -> bytes:
    """The body of matchcreditnote.nv, spelt as Netvisor's article 77000554165 shows it (lowercase)."""
    root = ET.Element("root")
    match = ET.SubElement(root, "matchcreditnote")
    element(match, "creditnotenetvisorkey", credit_note_key)
    element(match, "invoicenetvisorkey", invoice_key)
    return serialise(root, declaration=False)


def customer_xml(buyer: Party, customer_code: str | None) -> bytes:
    """customer.nv?method=add (support.netvisor.fi 77000554181, "Import customer details"; element order of
    its customer.dtd). An organisation gets the next free customer code (internalidentifier
    type="automatic") and its business ID as externalidentifier; a person gets our customer code. The
    e-invoice address and operator go in customerfinvoicedetails (the operator must be one Netvisor knows),
    the language in customeradditionalinformation/invoicinglanguage."""
    root = ET.Element("root")
    customer = ET.SubElement(root, "customer")
    base = ET.SubElement(customer, "customerbaseinformation")
    person = buyer.type == "person"
    if customer_code:
        element(base, "internalidentifier", customer_code)
    else:
        element(base, "internalidentifier", type="automatic")
    business_id = None if person else (buyer.business_id or buyer.vat_id)
    if business_id:
        element(base, "externalidentifier", business_id)
    element(base, "name", buyer.name)
    for tag, value in (("streetaddress", buyer.street), ("city", buyer.city), ("postnumber", buyer.postcode)):
        if value:
            element(base, tag, value)
    element(base, "country", buyer.country or "FI", type="ISO-3166")
    if buyer.phone:
        element(base, "phonenumber", buyer.phone)
    if buyer.email:
        element(base, "email", buyer.email)
    element(base, "isactive", 1)
    element(base, "isprivatecustomer", 1 if person else 0)
    if buyer.einvoice_address:
        details = ET.SubElement(customer, "customerfinvoicedetails")
        element(details, "finvoiceaddress", buyer.einvoice_address)
        if buyer.einvoice_operator:
            element(details, "finvoiceroutercode", buyer.einvoice_operator)
    language = _LANGUAGES.get((buyer.language or "").lower())
    if language:
        extra = ET.SubElement(customer, "customeradditionalinformation")
        element(extra, "invoicinglanguage", language)
    return serialise(root, declaration=False)


def product_xml(code: str, line: LineData, gross: bool, group: str) -> bytes:
    """product.nv?method=add (support.netvisor.fi 77000554243, "Import product"): code, group (found or
    created by name), name, unit price net or gross as our line has it, unit, active, a sales product."""
    root = ET.Element("root")
    base = ET.SubElement(ET.SubElement(root, "product"), "productbaseinformation")
    element(base, "productcode", code)
    element(base, "productgroup", group)
    element(base, "name", line.description[:200])
    element(base, "unitprice", abs(line.unit_price), type="gross" if gross else "net")
    if line.unit:
        element(base, "unit", line.unit[:50])
    element(base, "isactive", 1)
    element(base, "issalesproduct", 1)
    return serialise(root, declaration=False)


def sent_number(number: str) -> int | None:
    """The SalesInvoiceNumber an invoice numbered `number` went to Netvisor with (see
    netvisor_invoice_number): the number itself when all digits, else its trailing digits."""
    if _DIGITS.fullmatch(number):
        return int(number)
    digits = re.search(r"([0-9]+)$", number)
    return int(digits.group(1)) if digits else None


def _customer(sales: ET.Element, invoice: InvoiceData, link: tuple[str, str]) -> None:
    buyer = invoice.buyer
    element(sales, "InvoicingCustomerIdentifier", link[1], type=link[0])  # required by the DTD
    # Giving any address element stops Netvisor from pulling the address from its register (§1.4), so the
    # invoice shows the address the order carried.
    element(sales, "InvoicingCustomerName", buyer.name)
    for tag, value in (
        ("InvoicingCustomerAddressLine", buyer.street), ("InvoicingCustomerPostNumber", buyer.postcode),
        ("InvoicingCustomerTown", buyer.city), ("InvoicingCustomerCountryCode", buyer.country or "FI"),
    ):
        if value:
            element(sales, tag, value)


def product_code(line: LineData, config: NetvisorConfig) -> str | None:
    """The product code a line goes to Netvisor with: its SKU, else the default product code; None when
    it has neither (the line cannot be sent: ProductIdentifier is required)."""
    if config.product_codes == "sku" and line.sku:
        return line.sku
    return config.default_product_code or None


def _line(parent: ET.Element, line: LineData, gross: bool, config: NetvisorConfig, link: tuple[str, str]) -> None:
    product = ET.SubElement(parent, "SalesInvoiceProductLine")
    element(product, "ProductIdentifier", link[1], type=link[0])
    element(product, "ProductName", line.description)
    quantity, unit_price = line.quantity, line.unit_price
    if unit_price < 0:  # Netvisor credits by negative quantity (§1.4); keep the sign on the quantity
        quantity, unit_price = -quantity, -unit_price
    element(product, "ProductUnitPrice", unit_price, type="gross" if gross else "net")
    element(product, "ProductVatPercentage", line.vat_rate, vatcode=config.vat_code(line.vat_category))
    element(product, "SalesInvoiceProductLineQuantity", quantity)
    element(product, "SalesInvoiceProductLineDiscountPercentage", line.discount_percent)
    # Our rounded sums, negative on a credit note (77000554152). The line sum is on the basis of the unit
    # price (gross when prices include VAT); UNCERTAIN, as no source says which one Netvisor means.
    element(product, "SalesInvoiceProductLineVatSum", line.vat_amount)
    element(product, "SalesInvoiceProductLineSum", line.gross_amount if gross else line.net_amount)
