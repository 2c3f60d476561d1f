"""The invoice's customer and products in Netvisor's registers: found, created when missing, remembered.

The documented flow for a sales invoice (Netvisor's flow examples, "Add new sales invoice and payment"):
look the customer up with customerlist.nv, create it with customer.nv when it is not there; look the
products up with productlist.nv, create the missing ones with product.nv; then import the invoice naming
both. What was found or created is kept per tenant (`ExternalRef`, service "netvisor", kinds "customer" and
"product") through `DeliveryContext.external_refs`, so the next invoice of the same customer or product
asks nothing. Every lookup comes before a creation, which makes a creation whose answer was lost safe to
repeat: the retry finds what the first attempt created.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from adapters.base import AdapterError, ExternalRefs, InvoiceData, LineData

from .client import NetvisorClient, RegisterRow
from .config import NetvisorConfig
from .invoice_xml import Links, customer_xml, product_code, product_xml

SERVICE = "netvisor"


class MemoryRefs:
    """The mapping for one channel object when no tenant store was given (tests, a host's own calls)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], str] = {}

    def get(self, service: str, kind: str, our_key: str) -> str | None:
        return self.rows.get((service, kind, our_key))

    def put(self, service: str, kind: str, our_key: str, their_key: str,
            detail: Mapping[str, object] | None = None) -> None:
        self.rows[(service, kind, our_key)] = their_key


@dataclass
class Resolved:
    links: Links
    # What Netvisor does not hold and we did not create (create_missing off): named in the refusal.
    missing: list[str] = field(default_factory=list)
    # Some link came from the tenant's mapping unchecked: when Netvisor refuses it (deleted there, another
    # company since), the channel resolves again with `trust_mapping=False`.
    from_mapping: bool = False


def person_code(invoice: InvoiceData) -> str:
    """Our customer code for a person in Netvisor's register: our customer id without dashes (32 characters,
    within the 50 of internalidentifier). A person has no business ID to be found by."""
    if not invoice.customer_id:
        raise AdapterError(f"invoice {invoice.number} names no customer id, which Netvisor needs as the "
                           "customer code of a person", retryable=False, code="missing_customer")
    return invoice.customer_id.replace("-", "").upper()


def _business_id(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()


def _lowest(rows: list[RegisterRow]) -> RegisterRow:
    return min(rows, key=lambda row: (int(row.netvisor_key) if row.netvisor_key.isdigit() else 0, row.netvisor_key))


class Registers:
    def __init__(self, client: NetvisorClient, config: NetvisorConfig, refs: ExternalRefs,
                 *, trust_mapping: bool = True) -> None:
        self.client, self.config, self.refs = client, config, refs
        self.trust_mapping = trust_mapping
        self.used_mapping = False

    def _known(self, kind: str, our_key: str) -> str | None:
        if not self.trust_mapping:
            return None
        known = self.refs.get(SERVICE, kind, our_key)
        self.used_mapping = self.used_mapping or known is not None
        return known

    def resolve(self, invoice: InvoiceData) -> Resolved:
        """The links of the invoice, products first checked for codes (a line without one is refused
        before anything is sent), then the customer, then each distinct product once."""
        codes = {}
        for line in invoice.lines:
            code = product_code(line, self.config)
            if code is None:
                raise AdapterError(
                    f"line {line.position} ({line.description}) of invoice {invoice.number} has no SKU and the "
                    "Netvisor channel has no default_product_code: Netvisor requires a product on every line "
                    "(ProductIdentifier); give the line a SKU or set default_product_code",
                    retryable=False, code="missing_product")
            codes[line.position] = code
        resolved = Resolved(Links(customer=("", ""), products={}))
        customer = self._customer(invoice, resolved.missing)
        products: dict[str, tuple[str, str]] = {}
        first_line: dict[str, LineData] = {}
        for line in invoice.lines:
            first_line.setdefault(codes[line.position], line)
        for code, line in first_line.items():
            products[code] = self._product(code, line, invoice.prices_include_vat, resolved.missing)
        resolved.links = Links(customer=customer,
                               products={position: products[code] for position, code in codes.items()})
        resolved.from_mapping = self.used_mapping
        return resolved

    @staticmethod
    def _created_meanwhile(error: AdapterError, look: Callable[[], list[RegisterRow]]) -> str:
        """A refused creation (INVALID_DATA: e.g. a code taken since our lookup, by another worker creating
        the same customer or product) is looked up once more; raise the refusal when still not there."""
        if error.code != "INVALID_DATA":
            raise error
        rows = look()
        if not rows:
            raise error
        return _lowest(rows).netvisor_key

    def _customer(self, invoice: InvoiceData, missing: list[str]) -> tuple[str, str]:
        buyer = invoice.buyer
        business_id = None if buyer.type == "person" else (buyer.business_id or buyer.vat_id)
        if self.config.customer_identifier == "business_id" and business_id:
            return ("customer", business_id)  # the tenant keeps Netvisor's customer codes equal to business IDs
        our_key = business_id or person_code(invoice)
        known = self._known("customer", our_key)
        if known:
            return ("netvisor", known)
        matches = self._matching_customers(our_key, bool(business_id))
        if matches:
            row = _lowest(matches)
            self.refs.put(SERVICE, "customer", our_key, row.netvisor_key,
                          {"how": "found", "code": row.code, "name": row.name})
            return ("netvisor", row.netvisor_key)
        if not self.config.create_missing:
            missing.append(f"customer {buyer.name} ({our_key})")
            return ("customer", our_key)  # Netvisor decides; it refuses a code its register does not hold
        try:
            inserted = self.client.add_customer(customer_xml(buyer, None if business_id else our_key))
        except AdapterError as error:
            found = self._created_meanwhile(error, lambda: self._matching_customers(our_key, bool(business_id)))
            self.refs.put(SERVICE, "customer", our_key, found, {"how": "found", "name": buyer.name})
            return ("netvisor", found)
        self.refs.put(SERVICE, "customer", our_key, inserted.netvisor_key, {"how": "created", "name": buyer.name})
        return ("netvisor", inserted.netvisor_key)

    def _matching_customers(self, our_key: str, by_business_id: bool) -> list[RegisterRow]:
        """customerlist.nv's keyword also matches names: keep the rows whose business ID (organisations) or
        customer code (persons) is exactly ours."""
        rows = self.client.list_customers(our_key)
        if by_business_id:
            return [row for row in rows if _business_id(row.organisation_identifier) == _business_id(our_key)]
        return [row for row in rows if row.code.strip().upper() == our_key]

    def _product(self, code: str, line: LineData, gross: bool, missing: list[str]) -> tuple[str, str]:
        known = self._known("product", code)
        if known:
            return ("netvisor", known)
        matches = [row for row in self.client.list_products(code) if row.code.strip() == code]
        if matches:
            row = _lowest(matches)
            self.refs.put(SERVICE, "product", code, row.netvisor_key, {"how": "found", "name": row.name})
            return ("netvisor", row.netvisor_key)
        if not self.config.create_missing:
            missing.append(f"product {code}")
            return ("customer", code)
        try:
            inserted = self.client.add_product(product_xml(code, line, gross, self.config.product_group))
        except AdapterError as error:
            found = self._created_meanwhile(error, lambda: [
                row for row in self.client.list_products(code) if row.code.strip() == code])
            self.refs.put(SERVICE, "product", code, found, {"how": "found", "name": line.description})
            return ("netvisor", found)
        self.refs.put(SERVICE, "product", code, inserted.netvisor_key, {"how": "created", "name": line.description})
        return ("netvisor", inserted.netvisor_key)
