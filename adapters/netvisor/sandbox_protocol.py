"""The sandbox's Netvisor resources: reading an imported invoice (§1.4), writing the read replies (§1.5),
matching a credit note to its invoice (Netvisor support article 77000554165), and the customer and product
registers (customerlist.nv 77000554179, customer.nv 77000554181, productlist.nv 77000554240, product.nv
77000554243).

Strict as the real one: an invoice must name its customer and every line's product (the required
"customer's linking information" and "product linking information" of 77000554152, and
InvoicingCustomerIdentifier / ProductIdentifier are required by the sales invoice DTD), and they must be in
the registers: an unknown one is INVALID_DATA (§1.3), Netvisor's code for data it cannot accept."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - parsing goes through wire.parse_xml
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from . import wire
from .sandbox_store import SandboxStore, StoredCustomer, StoredInvoice, StoredLine, StoredProduct
from .wire import element

# HTTP statuses the sandbox uses for FAILED answers when a client asks for real status codes (§1.2).
# Netvisor's own table was not available: UNCERTAIN, and our client decides by the code, not by these.
_FAILED_STATUS = {
    "AUTHENTICATION_FAILED": 401, "SERVICE_ACCESS_ERROR": 403, "REQUEST_NOT_UNIQUE": 409,
    "DUPLICATE_DATA": 409, "INVALID_DATA": 400, "INVALID_DATA_SIZE": 400, "PERIOD_LOCK": 400,
    "TECHNICAL_ERROR": 500, "SYSTEM_MAINTANANCE": 503,
}


def failed_status(code: str) -> int:
    return _FAILED_STATUS.get(code, 400)


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} :: {message}")
        self.code = code
        self.message = message


Handler = Callable[[SandboxStore, str, Mapping[str, str], bytes, str], list[ET.Element]]


@dataclass(frozen=True)
class Route:
    method: str
    handle: Handler


def add_sales_invoice(store: SandboxStore, organisation: str, args: Mapping[str, str], body: bytes,
                      base_url: str) -> list[ET.Element]:
    """POST salesinvoice.nv?method=add: store it, answer Replies/InsertedDataIdentifier (§1.4)."""
    if args.get("method", "").lower() != "add":
        raise ProtocolError("INVALID_DATA", "Sandbox supports method=add only")
    invoice = read_invoice(body, organisation)
    _link(store, invoice, body)
    if invoice.number is None and invoice.status != "invoicedraft":
        invoice.number = store.next_number(organisation)  # Netvisor numbers an invoice sent without one
    stored = store.add_invoice(invoice)
    if stored is None:
        raise ProtocolError("DUPLICATE_DATA", f"Laskunumero {invoice.number} on jo käytössä")
    replies = ET.Element("Replies")
    element(replies, "InsertedDataIdentifier", stored.netvisor_key)
    return [replies]


def _link(store: SandboxStore, invoice: StoredInvoice, body: bytes) -> None:
    """Find the invoice's customer and products in the registers, by NetvisorKey (type="netvisor") or by
    code (type="customer"); INVALID_DATA for one that is missing or unknown."""
    sales = wire.child(wire.parse_xml(body), "SalesInvoice")
    identifier = wire.child(sales, "InvoicingCustomerIdentifier")
    value, kind = wire.text(identifier), (wire.attribute(identifier, "type") or "").lower()
    if not value:
        raise ProtocolError("INVALID_DATA", "InvoicingCustomerIdentifier puuttuu")
    if kind not in ("netvisor", "customer"):
        raise ProtocolError("INVALID_DATA", "InvoicingCustomerIdentifier type on netvisor tai customer")
    with store.lock:
        customer = next((c for c in store.customers if c.organisation_id == invoice.organisation_id
                         and (str(c.netvisor_key) == value if kind == "netvisor" else c.code == value)), None)
        if customer is None:
            raise ProtocolError("INVALID_DATA", f"Asiakasta ei löydy asiakasrekisteristä ({kind} {value})")
        invoice.customer_key = customer.netvisor_key
        invoice.customer["identifier"] = customer.code
        invoice.customer["name"] = invoice.customer["name"] or customer.name
        rows = [wire.child(line, "SalesInvoiceProductLine")
                for line in wire.children(wire.child(sales, "InvoiceLines"), "InvoiceLine")]
        for position, (row, line) in enumerate(zip(rows, invoice.lines, strict=True), start=1):
            identifier = wire.child(row, "ProductIdentifier")
            value, kind = wire.text(identifier), (wire.attribute(identifier, "type") or "").lower()
            if not value or kind not in ("netvisor", "customer"):
                raise ProtocolError("INVALID_DATA", f"Rivin {position} ProductIdentifier puuttuu tai sen type "
                                                    "ei ole netvisor tai customer")
            product = next((p for p in store.products if p.organisation_id == invoice.organisation_id
                            and (str(p.netvisor_key) == value if kind == "netvisor" else p.code == value)), None)
            if product is None:
                raise ProtocolError("INVALID_DATA", f"Rivin {position} tuotetta ei löydy tuoterekisteristä "
                                                    f"({kind} {value})")
            line.product_key, line.product_code = product.netvisor_key, product.code


def read_invoice(body: bytes, organisation: str) -> StoredInvoice:
    """The invoice of a salesinvoice.nv body, names read case-insensitively; INVALID_DATA for what
    Netvisor's docs call required (§1.4)."""
    try:
        sales = wire.child(wire.parse_xml(body), "SalesInvoice")
    except ET.ParseError as error:
        raise ProtocolError("INVALID_DATA", f"XML ei ole kelvollinen: {error}") from None
    if sales is None:
        raise ProtocolError("INVALID_DATA", "SalesInvoice puuttuu")

    def required(*path: str) -> str:
        value = wire.text(sales, *path)
        if not value:
            raise ProtocolError("INVALID_DATA", f"{'/'.join(path)} puuttuu")
        return value

    try:
        number_text = wire.text(sales, "SalesInvoiceNumber")
        lines = [_read_line(line) for line in wire.children(wire.child(sales, "InvoiceLines"), "InvoiceLine")]
        invoice = StoredInvoice(
            netvisor_key=0, organisation_id=organisation, number=int(number_text) if number_text else None,
            invoice_date=cast(date, wire.parse_date(required("SalesInvoiceDate"))),  # required: not empty
            due_date=wire.parse_date(wire.text(sales, "SalesInvoiceDueDate")),
            delivery_date=wire.parse_date(wire.text(sales, "SalesInvoiceDeliveryDate")),
            reference=wire.text(sales, "SalesInvoiceReferenceNumber"),
            amount=cast(Decimal, wire.parse_amount(required("SalesInvoiceAmount"))),
            currency=wire.attribute(wire.child(sales, "SalesInvoiceAmount"), "iso4217currencycode") or "EUR",
            status=required("SalesInvoiceStatus").lower(),
            customer={name: wire.text(sales, f"InvoicingCustomer{tag}") for name, tag in (
                ("identifier", "Identifier"), ("name", "Name"), ("address", "AddressLine"),
                ("postcode", "PostNumber"), ("town", "Town"), ("country", "CountryCode"))},
            customer_key=None,
            your_reference=wire.text(sales, "SalesInvoiceYourReference"),
            our_reference=wire.text(sales, "SalesInvoiceOurReference"),
            free_text_before_lines=wire.text(sales, "SalesInvoiceFreeTextBeforeLines"),
            free_text_after_lines=wire.text(sales, "SalesInvoiceFreeTextAfterLines"),
            payment_term_net_days=int(days) if (days := wire.text(sales, "PaymentTermNetDays")) else None,
            lines=lines, xml=body.decode("utf-8", "replace"),
        )
    except ValueError as error:
        raise ProtocolError("INVALID_DATA", f"Virheellinen arvo: {error}") from None
    if not (invoice.customer["identifier"] or invoice.customer["name"]):
        raise ProtocolError("INVALID_DATA", "Asiakas puuttuu")
    if invoice.payment_term_net_days is None and invoice.due_date is None:
        raise ProtocolError("INVALID_DATA", "Maksuehto tai eräpäivä puuttuu")
    if not lines:
        raise ProtocolError("INVALID_DATA", "Laskulla ei ole rivejä")
    return invoice


def _read_line(line: ET.Element) -> StoredLine:
    product = wire.child(line, "SalesInvoiceProductLine")
    price, vat = wire.child(product, "ProductUnitPrice"), wire.child(product, "ProductVatPercentage")
    for name, value in (("ProductName", wire.text(product, "ProductName")),
                        ("ProductUnitPrice", wire.text(price)), ("ProductVatPercentage", wire.text(vat)),
                        ("vatcode", wire.attribute(vat, "vatcode")),
                        ("Quantity", wire.text(product, "SalesInvoiceProductLineQuantity"))):
        if not value:
            raise ProtocolError("INVALID_DATA", f"Rivin {name} puuttuu")
    given_sum = wire.parse_amount(wire.text(product, "SalesInvoiceProductLineSum"))
    given_vat_sum = wire.parse_amount(wire.text(product, "SalesInvoiceProductLineVatSum"))
    if given_sum is not None and given_vat_sum is None:  # 77000578212: a line sum makes the VAT sum mandatory
        raise ProtocolError("INVALID_DATA", "Rivin SalesInvoiceProductLineVatSum puuttuu")
    return StoredLine(
        given_sum=given_sum, given_vat_sum=given_vat_sum,
        product_code=wire.text(product, "ProductIdentifier"), name=wire.text(product, "ProductName") or "",
        unit_price=cast(Decimal, wire.parse_amount(wire.text(price))),  # each checked not empty above
        price_type=(wire.attribute(price, "type") or "net").lower(),
        vat_percent=cast(Decimal, wire.parse_amount(wire.text(vat))), vat_code=wire.attribute(vat, "vatcode") or "",
        quantity=cast(Decimal, wire.parse_amount(wire.text(product, "SalesInvoiceProductLineQuantity"))),
        discount_percent=wire.parse_amount(wire.text(product, "SalesInvoiceProductLineDiscountPercentage"))
        or Decimal("0"),
    )


def list_sales_invoices(store: SandboxStore, organisation: str, args: Mapping[str, str], body: bytes,
                        base_url: str) -> list[ET.Element]:
    """GET salesinvoicelist.nv (§1.5) with invoicenumber / invoicesabovenetvisorkey / invoicestatus."""
    above, number = _int_arg(args, "invoicesabovenetvisorkey"), _int_arg(args, "invoicenumber")
    status = args.get("invoicestatus", "").lower()
    listing = ET.Element("SalesInvoiceList")
    with store.lock:
        for invoice in sorted(store.invoices, key=lambda i: i.netvisor_key):
            if (invoice.organisation_id != organisation
                    or (above is not None and invoice.netvisor_key <= above)
                    or (number is not None and invoice.number != number)
                    or (status and invoice.status != status)):
                continue
            row = ET.SubElement(listing, "SalesInvoice")
            element(row, "NetvisorKey", invoice.netvisor_key)
            element(row, "InvoiceNumber", invoice.number)
            element(row, "Invoicedate", invoice.invoice_date, format="ansi")
            element(row, "InvoiceStatus", invoice.status)
            element(row, "CustomerCode", invoice.customer["identifier"])
            element(row, "CustomerName", invoice.customer["name"])
            element(row, "ReferenceNumber", invoice.reference)
            element(row, "InvoiceSum", invoice.amount)
            element(row, "OpenSum", invoice.open_sum)
            element(row, "Uri", f"{base_url}/getsalesinvoice.nv?netvisorkey={invoice.netvisor_key}")
    return [listing]


def get_sales_invoice(store: SandboxStore, organisation: str, args: Mapping[str, str], body: bytes,
                      base_url: str) -> list[ET.Element]:
    """GET getsalesinvoice.nv?netvisorkey=...; an unknown key is OK with an empty <SalesInvoice /> (§1.3)."""
    key = _int_arg(args, "netvisorkey")
    sales = ET.Element("SalesInvoice")
    with store.lock:
        invoice = next((i for i in store.invoices
                        if i.netvisor_key == key and i.organisation_id == organisation), None)
        if invoice is None:
            return [sales]
        element(sales, "SalesInvoiceNetvisorKey", invoice.netvisor_key)
        element(sales, "SalesInvoiceNumber", invoice.number)
        element(sales, "SalesInvoiceDate", invoice.invoice_date, format="ansi")
        element(sales, "SalesInvoiceDueDate", invoice.due_date, format="ansi")
        element(sales, "SalesInvoiceReferencenumber", invoice.reference)  # sic: lowercase n in responses
        element(sales, "SalesInvoiceAmount", invoice.amount, iso4217currencycode=invoice.currency,
                currencyrate="1")
        element(sales, "InvoiceStatus", invoice.status.capitalize())
        element(sales, "SalesInvoiceYourReference", invoice.your_reference)
        element(sales, "SalesInvoiceOurReference", invoice.our_reference)
        element(sales, "InvoicingCustomerName", invoice.customer["name"])
        lines = ET.SubElement(sales, "InvoiceLines")
        for line in invoice.lines:
            product = ET.SubElement(ET.SubElement(lines, "InvoiceLine"), "SalesInvoiceProductLine")
            element(product, "ProductIdentifier", line.product_code)
            element(product, "ProductName", line.name)
            element(product, "ProductUnitPrice", line.unit_price, type=line.price_type)
            element(product, "ProductVatPercentage", line.vat_percent, vatcode=line.vat_code)
            element(product, "SalesInvoiceProductLineQuantity", line.quantity)
            element(product, "SalesInvoiceProductLineSum", line.line_sum)
            element(product, "SalesInvoiceProductLineVatSum", line.vat_sum)
    return [sales]


def list_sales_payments(store: SandboxStore, organisation: str, args: Mapping[str, str], body: bytes,
                        base_url: str) -> list[ET.Element]:
    """GET salespaymentlist.nv (§1.5): Date as D.M.YYYY, Sum with a comma."""
    above, number = _int_arg(args, "abovenetvisorkey"), _int_arg(args, "invoicenumber")
    listing = ET.Element("SalesPaymentList")
    with store.lock:
        for payment in sorted(store.payments, key=lambda p: p.netvisor_key):
            if (payment.organisation_id != organisation
                    or (above is not None and payment.netvisor_key <= above)
                    or (number is not None and payment.invoice_number != number)):
                continue
            row = ET.SubElement(listing, "SalesPayment")
            element(row, "NetvisorKey", payment.netvisor_key)
            element(row, "Name", payment.payer_name)
            element(row, "Date", wire.finnish_date(payment.date))
            element(row, "Sum", payment.amount)
            element(row, "ReferenceNumber", payment.reference)
            element(row, "InvoiceNumber", payment.invoice_number)
            element(row, "BankStatus", "OK")
    return [listing]


def match_credit_note(store: SandboxStore, organisation: str, args: Mapping[str, str], body: bytes,
                      base_url: str) -> list[ET.Element]:
    """POST matchcreditnote.nv: link a credit note to the invoice it credits, both by NetvisorKey.

    Netvisor documents (support.netvisor.fi article 77000554165, "Matching credit note to invoice") that
    both must exist, be sent (not drafts) and be in the same currency. What it answers otherwise is not
    documented; the sandbox refuses with INVALID_DATA, its code for data it cannot accept (§1.3), and also
    refuses a credit note matched to another invoice before and a credit beyond what is left of the invoice.
    """
    try:
        match = wire.child(wire.parse_xml(body), "MatchCreditNote")
    except ET.ParseError as error:
        raise ProtocolError("INVALID_DATA", f"XML ei ole kelvollinen: {error}") from None
    keys = {}
    for name in ("CreditNoteNetvisorKey", "InvoiceNetvisorKey"):
        value = wire.text(match, name)
        if not value or not value.isdigit():
            raise ProtocolError("INVALID_DATA", f"{name} puuttuu tai ei ole numero")
        keys[name] = int(value)
    with store.lock:
        credit_note = store.by_key(organisation, keys["CreditNoteNetvisorKey"])
        invoice = store.by_key(organisation, keys["InvoiceNetvisorKey"])
        if credit_note is None or not credit_note.is_credit_note:
            raise ProtocolError("INVALID_DATA", f"Hyvityslaskua ei löydy (NetvisorKey "
                                                f"{keys['CreditNoteNetvisorKey']})")
        if invoice is None or invoice.is_credit_note:
            raise ProtocolError("INVALID_DATA", f"Hyvitettävää laskua ei löydy (NetvisorKey "
                                                f"{keys['InvoiceNetvisorKey']})")
        if "invoicedraft" in (credit_note.status, invoice.status):
            raise ProtocolError("INVALID_DATA", "Laskuluonnosta ei voi kohdistaa")
        if credit_note.currency != invoice.currency:
            raise ProtocolError("INVALID_DATA", "Hyvityslasku ja lasku ovat eri valuutassa")
        if credit_note.credited_invoice_key not in (None, invoice.netvisor_key):
            raise ProtocolError("INVALID_DATA", f"Hyvityslasku on jo kohdistettu laskulle (NetvisorKey "
                                                f"{credit_note.credited_invoice_key})")
        left = invoice.amount - invoice.matched
        if credit_note.credited_invoice_key is None and -credit_note.amount > left:
            raise ProtocolError("INVALID_DATA", f"Hyvitys {wire.comma(-credit_note.amount)} ylittää laskun "
                                                f"hyvittämättömän summan {wire.comma(left)}")
        store.match_credit_note(credit_note, invoice)
    return []


def _arg(args: Mapping[str, str], name: str) -> str:
    return next((v for k, v in args.items() if k.lower() == name), "").strip()


def _element(body: bytes, *path: str) -> ET.Element:
    try:
        found = wire.child(wire.parse_xml(body), *path)
    except ET.ParseError as error:
        raise ProtocolError("INVALID_DATA", f"XML ei ole kelvollinen: {error}") from None
    if found is None:
        raise ProtocolError("INVALID_DATA", f"{'/'.join(path)} puuttuu")
    return found


def _add_only(args: Mapping[str, str]) -> None:
    # 77000554181 / 77000554243: without a method, INVALID_DATA; the sandbox does not edit.
    if _arg(args, "method").lower() != "add":
        raise ProtocolError("INVALID_DATA", "Sandbox supports method=add only")


def list_customers(store: SandboxStore, organisation: str, args: Mapping[str, str], body: bytes,
                   base_url: str) -> list[ET.Element]:
    """GET customerlist.nv (77000554179): keyword matched in name, customer code and business ID (and name
    extension, which the sandbox does not keep); customercodelist narrows to those codes."""
    keyword = _arg(args, "keyword").lower()
    codes = {c.strip() for c in _arg(args, "customercodelist").split(",") if c.strip()}
    listing = ET.Element("Customerlist")
    with store.lock:
        for customer in sorted(store.customers, key=lambda c: c.netvisor_key):
            fields = (customer.name, customer.code, customer.business_id or "")
            if (customer.organisation_id != organisation or (codes and customer.code not in codes)
                    or (keyword and not any(keyword in value.lower() for value in fields))):
                continue
            row = ET.SubElement(listing, "Customer")
            element(row, "Netvisorkey", customer.netvisor_key)
            element(row, "Name", customer.name)
            element(row, "Code", customer.code)
            element(row, "OrganisationIdentifier", None if customer.is_person else customer.business_id)
            element(row, "CustomerGroupID")
            element(row, "CustomerGroupName")
            element(row, "Uri", f"{base_url}/getcustomer.nv?id={customer.netvisor_key}")
    return [listing]


def add_customer(store: SandboxStore, organisation: str, args: Mapping[str, str], body: bytes,
                 base_url: str) -> list[ET.Element]:
    """POST customer.nv?method=add (77000554181): the new customer's NetvisorKey in InsertedDataIdentifier.
    internalidentifier type="automatic" and empty takes the next free customer code."""
    _add_only(args)
    customer = _element(body, "Customer")
    base = wire.child(customer, "CustomerBaseInformation")
    name = wire.text(base, "Name")
    if base is None or not name:
        raise ProtocolError("INVALID_DATA", "customerbaseinformation/name puuttuu")
    internal = wire.child(base, "InternalIdentifier")
    code = wire.text(internal)
    automatic = (wire.attribute(internal, "type") or "").lower() == "automatic"
    details = wire.child(customer, "CustomerFinvoiceDetails")
    if wire.text(details, "FinvoiceAddress") and not wire.text(details, "FinvoiceRouterCode"):
        raise ProtocolError("INVALID_DATA", "Verkkolaskuoperaattori puuttuu")  # it must be found (77000554181)
    with store.lock:
        if not code:
            if not automatic:
                raise ProtocolError("INVALID_DATA", "Asiakastunnus puuttuu")
            code = store.next_customer_code(organisation)
        elif any(c.code == code and c.organisation_id == organisation for c in store.customers):
            raise ProtocolError("INVALID_DATA", f"Asiakastunnus {code} on jo käytössä")
        stored = store.add_customer(StoredCustomer(
            netvisor_key=0, organisation_id=organisation, code=code, name=name,
            business_id=wire.text(base, "ExternalIdentifier"),
            is_person=wire.text(base, "IsPrivateCustomer") == "1",
            address={tag: wire.text(base, tag) for tag in ("StreetAddress", "City", "PostNumber", "Country")},
            einvoice_address=wire.text(details, "FinvoiceAddress"),
            einvoice_operator=wire.text(details, "FinvoiceRouterCode"),
            language=wire.text(customer, "CustomerAdditionalInformation", "InvoicingLanguage")))
    replies = ET.Element("Replies")
    element(replies, "InsertedDataIdentifier", stored.netvisor_key)
    return [replies]


def list_products(store: SandboxStore, organisation: str, args: Mapping[str, str], body: bytes,
                  base_url: str) -> list[ET.Element]:
    """GET productlist.nv (77000554240): keyword matched in product name or code."""
    keyword = _arg(args, "keyword").lower()
    listing = ET.Element("ProductList")
    with store.lock:
        for product in sorted(store.products, key=lambda p: p.netvisor_key):
            if product.organisation_id != organisation or (
                    keyword and keyword not in product.name.lower() and keyword not in product.code.lower()):
                continue
            row = ET.SubElement(listing, "Product")
            element(row, "NetvisorKey", product.netvisor_key)
            element(row, "ProductCode", product.code)
            element(row, "Name", product.name)
            element(row, "UnitPrice", product.unit_price)
            element(row, "UnitGrossPrice")
            element(row, "ProductGroupID")
            element(row, "ProductGroupDescription", product.group)
            element(row, "Uri", f"{base_url}/getproduct.nv?id={product.netvisor_key}")
    return [listing]


def add_product(store: SandboxStore, organisation: str, args: Mapping[str, str], body: bytes,
                base_url: str) -> list[ET.Element]:
    """POST product.nv?method=add (77000554243): product group, name and unit price (net or gross) are
    required; the new product's NetvisorKey in InsertedDataIdentifier."""
    _add_only(args)
    base = _element(body, "Product", "ProductBaseInformation")
    price = wire.child(base, "UnitPrice")
    for name, value in (("productgroup", wire.text(base, "ProductGroup")), ("name", wire.text(base, "Name")),
                        ("unitprice", wire.text(price)), ("unitprice type", wire.attribute(price, "type"))):
        if not value:
            raise ProtocolError("INVALID_DATA", f"{name} puuttuu")
    try:
        unit_price = cast(Decimal, wire.parse_amount(wire.text(price)))
    except ValueError as error:
        raise ProtocolError("INVALID_DATA", f"Virheellinen arvo: {error}") from None
    code = wire.text(base, "ProductCode") or ""
    with store.lock:
        if code and any(p.code == code and p.organisation_id == organisation for p in store.products):
            raise ProtocolError("INVALID_DATA", f"Tuotekoodi {code} on jo käytössä")
        stored = store.add_product(StoredProduct(
            netvisor_key=0, organisation_id=organisation, code=code, name=wire.text(base, "Name") or "",
            group=wire.text(base, "ProductGroup") or "", unit_price=unit_price,
            price_type=(wire.attribute(price, "type") or "net").lower()))
    replies = ET.Element("Replies")
    element(replies, "InsertedDataIdentifier", stored.netvisor_key)
    return [replies]


def _int_arg(args: Mapping[str, str], name: str) -> int | None:
    value = next((v for k, v in args.items() if k.lower() == name), "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ProtocolError("INVALID_DATA", f"{name} ei ole numero") from None


PROTOCOL_ROUTES: dict[str, Route] = {
    "salesinvoice.nv": Route("POST", add_sales_invoice),
    "salesinvoicelist.nv": Route("GET", list_sales_invoices),
    "getsalesinvoice.nv": Route("GET", get_sales_invoice),
    "salespaymentlist.nv": Route("GET", list_sales_payments),
    "matchcreditnote.nv": Route("POST", match_credit_note),
    "customerlist.nv": Route("GET", list_customers),
    "customer.nv": Route("POST", add_customer),
    "productlist.nv": Route("GET", list_products),
    "product.nv": Route("POST", add_product),
}
