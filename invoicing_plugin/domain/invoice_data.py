"""Plain, immutable invoice data: what adapters and document renderers get, with no ORM or Flask behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Party:
    """The seller (a tenant, fixed at finalisation) or the buyer (the customer, fixed when drafted)."""

    name: str
    type: str = "organisation"  # or "person" (buyers only)
    business_id: str | None = None  # Finnish Y-tunnus "2617416-4"
    vat_id: str | None = None  # "FI26174164"
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = "FI"  # ISO 3166 alpha-2
    email: str | None = None
    phone: str | None = None
    einvoice_address: str | None = None  # OVT "003726174164", an IBAN, or operator-specific
    einvoice_operator: str | None = None  # "003721291126" (Maventa) or a bank BIC
    language: str | None = None  # fi, sv, en
    iban: str | None = None  # seller only
    bic: str | None = None  # seller only


@dataclass(frozen=True)
class Contact:
    """The buyer's person who ordered."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class LineData:
    position: int
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal  # net, or gross when the invoice's prices include VAT
    discount_percent: Decimal
    vat_rate: Decimal  # percent, e.g. Decimal("25.5")
    vat_category: str  # S, Z, E, AE, K, G
    net_amount: Decimal  # rounded; lines add up to the totals exactly
    vat_amount: Decimal  # this line's share of its group's VAT
    gross_amount: Decimal
    sku: str | None = None
    service_period_start: date | None = None  # the period the line bills, both or neither
    service_period_end: date | None = None


@dataclass(frozen=True)
class VatGroupData:
    category: str
    rate: Decimal
    taxable_amount: Decimal
    vat_amount: Decimal
    gross_amount: Decimal


@dataclass(frozen=True)
class InvoiceData:
    """A finalised invoice, credit note or proforma, as every channel and document sees it.

    Amounts are Decimal in `currency`, already rounded to its minor unit; for a credit note they are
    negative. Totals equal the sums of `vat_breakdown` and of `lines`.
    """

    id: str
    tenant_id: str
    kind: str  # invoice, credit_note, proforma
    number: str
    sequence_number: int
    reference: str  # Finnish national reference, "1012"
    reference_rf: str  # ISO 11649, "RF341012"
    invoice_date: date
    tax_date: date
    due_date: date
    payment_terms_days: int
    currency: str
    prices_include_vat: bool
    language: str
    seller: Party
    buyer: Party
    lines: tuple[LineData, ...]
    vat_breakdown: tuple[VatGroupData, ...]
    total_net: Decimal
    total_vat: Decimal
    total_gross: Decimal
    contact: Contact | None = None
    buyer_reference: str | None = None  # the buyer's own reference / PO number
    order_reference: str | None = None  # the shop's order id (external id)
    notes: str | None = None
    # Credit notes only: the invoice they credit (its number and date: the unambiguous reference VAT
    # Directive art. 219 and 226b ask for), its id, reference number and the channels' ids for it, and why.
    credited_invoice_number: str | None = None
    credited_invoice_date: date | None = None
    credited_invoice_id: str | None = None
    credited_invoice_reference: str | None = None
    credit_reason: str | None = None
    # Paid from the customer's credit balance before the invoice was sent: a prepaid amount (UBL
    # PrepaidAmount); the amount to pay is total_gross - prepaid_amount.
    prepaid_amount: Decimal = Decimal(0)
    # Our id of the buyer (a channel that keeps its own customer register keys by it, e.g. Netvisor's persons).
    customer_id: str | None = None
    # An invoice in another currency than the seller's (EUR): the VAT total in the seller's currency (VAT
    # Directive art. 230; EN 16931 BT-6 tax_currency, BT-111 total_vat_in_tax_currency, same sign as
    # total_vat) and the rate it was converted at, as units of `currency` per unit of `tax_currency`.
    tax_currency: str | None = None
    exchange_rate: Decimal | None = None
    total_vat_in_tax_currency: Decimal | None = None

    @property
    def amount_due(self) -> Decimal:
        return self.total_gross - self.prepaid_amount
