"""The typed commands the use cases take: frozen dataclasses, the same whoever calls (API, CLI, host, worker).

The HTTP layer builds them from JSON it has checked for shape; a host application builds them in
code. Business rules are checked by the use case that takes the command, every problem at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..domain.invoice_data import Contact  # the buyer's person who ordered: the same on the order and invoice
from ..domain.lifecycle import InvoiceKind, InvoicingMode
from .idempotency import canonical_digest

if TYPE_CHECKING:
    from ..domain.vat import VatRate


@dataclass(frozen=True)
class Address:
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class CustomerDetails:
    type: str  # organisation or person
    name: str
    business_id: str | None = None
    vat_id: str | None = None
    einvoice_address: str | None = None
    einvoice_operator: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    address: Address = field(default_factory=Address)

    def as_details(self) -> dict[str, Any]:
        """The flat form the customer register keeps (address fields beside the others)."""
        # Field by field, not asdict(): its deep copies of plain strings cost more than the rest of the lookup.
        details = {name: getattr(self, name) for name in _DETAIL_FIELDS}
        details.update((name, getattr(self.address, name)) for name in _ADDRESS_FIELDS)
        return details


_DETAIL_FIELDS = tuple(f.name for f in fields(CustomerDetails) if f.name != "address")
_ADDRESS_FIELDS = tuple(f.name for f in fields(Address))


@dataclass(frozen=True)
class OrderLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    sku: str | None = None
    unit: str | None = None
    vat_category: str | None = None
    discount_percent: Decimal = Decimal(0)
    # The service period the line bills (both or neither), for VAT and the e-invoice's line period.
    service_period_start: date | None = None
    service_period_end: date | None = None


@dataclass(frozen=True)
class Invoicing:
    mode: InvoicingMode = InvoicingMode.IMMEDIATE
    payment_terms_days: int | None = None
    series: str | None = None
    channels: tuple[str, ...] | None = None
    # proforma: a pro forma invoice (numbered in the tenant's pro forma series, sent by email only), which
    # POST /invoices/{id}/convert later turns into the invoice; `series` is then the invoice's series.
    kind: InvoiceKind = InvoiceKind.INVOICE


@dataclass(frozen=True)
class SubmitOrder:
    """An order from a web shop or a POS terminal, to be invoiced as `invoicing.mode` says."""

    source: str  # webshop or pos
    external_id: str
    customer: CustomerDetails
    lines: tuple[OrderLine, ...]
    currency: str | None = None  # default: the merchant's
    prices_include_vat: bool = False
    delivery_date: date | None = None  # the tax date; default: the merchant's today
    store_id: str | None = None
    terminal_id: str | None = None
    cashier: str | None = None
    contact: Contact | None = None
    buyer_reference: str | None = None
    notes: str | None = None
    invoicing: Invoicing = field(default_factory=Invoicing)
    exchange_rate: Decimal | None = None  # units of `currency` per euro; default: the merchant's imported rate
    # Tells a retry (same content) from another order reusing the external id. The API takes it from
    # the JSON as sent; by default it is the command's own content.
    fingerprint: str = ""

    def content_fingerprint(self) -> str:
        if self.fingerprint:
            return self.fingerprint
        content = asdict(self) | {"fingerprint": ""}
        if self.invoicing.kind == InvoiceKind.INVOICE:
            # Left out at its default, so orders stored before pro formas existed keep their fingerprint.
            del content["invoicing"]["kind"]
        if self.exchange_rate is None:  # likewise for orders stored before exchange rates
            del content["exchange_rate"]
        for line in content["lines"]:  # and for lines without a service period (before they had one)
            if line["service_period_start"] is None and line["service_period_end"] is None:
                del line["service_period_start"], line["service_period_end"]
        return canonical_digest("order", content)

    @classmethod
    def from_validated(cls, data: Mapping[str, Any], fingerprint: str) -> SubmitOrder:
        """From the order JSON after its schema has loaded it (decimals, dates and identifiers parsed)."""
        customer = dict(data["customer"])
        invoicing = dict(data.get("invoicing") or {})
        return cls(
            source=data["source"], external_id=data["external_id"],
            customer=CustomerDetails(**{**customer, "address": Address(**(customer.get("address") or {}))}),
            lines=tuple(OrderLine(**line) for line in data["lines"]),
            currency=data.get("currency"), prices_include_vat=data.get("prices_include_vat", False),
            delivery_date=data.get("delivery_date"), store_id=data.get("store_id"),
            terminal_id=data.get("terminal_id"), cashier=data.get("cashier"),
            contact=Contact(**data["contact"]) if data.get("contact") is not None else None,
            buyer_reference=data.get("buyer_reference"), notes=data.get("notes"),
            invoicing=Invoicing(
                mode=InvoicingMode(invoicing.get("mode", InvoicingMode.IMMEDIATE)),
                payment_terms_days=invoicing.get("payment_terms_days"), series=invoicing.get("series"),
                channels=tuple(invoicing["channels"]) if invoicing.get("channels") is not None else None,
                kind=InvoiceKind(invoicing.get("kind", InvoiceKind.INVOICE))),
            exchange_rate=data.get("exchange_rate"), fingerprint=fingerprint,
        )


@dataclass(frozen=True)
class FinalizeInvoice:
    """Approve a draft. `invoice_date`: default the date the draft was given, else the merchant's today; never
    in the future. `expected_version`: the version the clerk saw (If-Match); another one is refused."""

    invoice_id: uuid.UUID
    invoice_date: date | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class BillingDetails:
    """The customer's billing details as this one invoice shows them (the customer register is left as it is)."""

    name: str | None = None
    address: Address | None = None
    einvoice_address: str | None = None
    einvoice_operator: str | None = None
    email: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class EditDraft:
    """Replace parts of a draft before it is approved; what is None stays as it is."""

    invoice_id: uuid.UUID
    expected_version: int | None = None  # If-Match: the version the clerk edited
    lines: tuple[OrderLine, ...] | None = None
    invoice_date: date | None = None
    payment_terms_days: int | None = None
    buyer_reference: str | None = None
    notes: str | None = None
    billing: BillingDetails | None = None
    series: str | None = None


@dataclass(frozen=True)
class DiscardInvoice:
    invoice_id: uuid.UUID
    return_orders: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class InvoiceOrders:
    """Invoice orders that wait for it (ready for invoicing), all of one customer: a draft, or finalised."""

    order_ids: tuple[uuid.UUID, ...]
    finalize: bool = False
    invoice_date: date | None = None


@dataclass(frozen=True)
class ConvertProforma:
    """Make the invoice of a finalised pro forma's orders and close the pro forma. `invoice_date`: as when
    approving a draft; `draft`: leave the invoice as a draft for review instead of finalising it."""

    invoice_id: uuid.UUID
    invoice_date: date | None = None
    draft: bool = False


@dataclass(frozen=True)
class LineCredit:
    """Credit part of one line of the invoice: some of its units (`quantity`) or an `amount` off it (net or
    gross, as the invoice was priced). Exactly one of the two."""

    invoice_line_id: uuid.UUID
    quantity: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class CreateCreditNote:
    """Credit a finalised invoice: `full`, or the `lines` given. Finalised at once unless `draft`."""

    invoice_id: uuid.UUID
    reason: str
    lines: tuple[LineCredit, ...] = ()
    full: bool = False
    draft: bool = False


@dataclass(frozen=True)
class CancelInvoice:
    """Credit everything not yet credited with one credit note and mark the invoice cancelled; with
    `release_orders` its orders wait to be invoiced again."""

    invoice_id: uuid.UUID
    reason: str
    release_orders: bool = False


@dataclass(frozen=True)
class ApplyCredit:
    """Pay (part of) an invoice from its customer's credit balance."""

    invoice_id: uuid.UUID
    amount: Decimal


@dataclass(frozen=True)
class RecordRefund:
    """Money paid back to a customer out of their credit balance; the same `refund_id` again records nothing."""

    customer_id: uuid.UUID
    amount: Decimal
    refund_id: str
    currency: str | None = None  # default: the tenant's currency
    paid_on: date | None = None  # default: the merchant's today
    note: str | None = None


@dataclass(frozen=True)
class RecordPayment:
    """A payment seen by a person (bank statement, cash) or reported by a service."""

    invoice_id: uuid.UUID
    amount: Decimal
    paid_on: date | None = None  # default: the merchant's today
    payment_id: str | None = None  # the caller's id for it: the same id again records nothing new
    reference: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ReprocessInboxEvent:
    inbox_event_id: int


@dataclass(frozen=True)
class RetryDelivery:
    delivery_id: uuid.UUID


# -- the merchant's settings (admin) ---------------------------------------------------------------


@dataclass(frozen=True)
class ChangeTenantSettings:
    changes: Mapping[str, object]  # field name to new value, as TenantSettingsSchema loads them


@dataclass(frozen=True)
class ReplaceVatRates:
    rates: tuple[VatRate, ...]


@dataclass(frozen=True)
class SaveNumberSeries:
    name: str
    prefix: str | None = None
    reference_prefix: str | None = None
    next_number: int | None = None
    chronological_dates: bool | None = None


@dataclass(frozen=True)
class SaveChannel:
    name: str
    enabled: bool = True
    default: bool = False
    settings: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateApiKey:
    role: str
    name: str = ""


@dataclass(frozen=True)
class RevokeApiKey:
    key_id: uuid.UUID


@dataclass(frozen=True)
class AddWebhookEndpoint:
    url: str
    event_types: tuple[str, ...]
    description: str | None = None


@dataclass(frozen=True)
class DisableWebhookEndpoint:
    endpoint_id: uuid.UUID


@dataclass(frozen=True)
class SetInboundSecret:
    provider: str
    secret: str | None = None  # None: a new one is generated


@dataclass(frozen=True)
class CreateTenant:
    name: str
    business_id: str
    slug: str | None = None
    settings: Mapping[str, object] = field(default_factory=dict)  # as TenantCreateSchema loads them
