"""Rules for payments: what amount can be a payment, and what the sum of payments makes of an invoice."""

from __future__ import annotations

from decimal import Decimal

from .currency import minor_units
from .lifecycle import PaymentStatus

# The most decimals any currency in use has (KWD, BHD, OMR...): the bound when the currency is not known yet.
MAX_MINOR_UNITS = 3
# Far above any invoice (domain.orders.MAX_TOTAL) and within every stored column's range.
MAX_PAYMENT = Decimal("999999999999")


def amount_problems(amount: Decimal, currency: str | None) -> list[str]:
    """A payment is a positive amount in the currency's minor unit; a refund is a credit note."""
    if not amount.is_finite():
        return ["must be a number"]
    if amount <= 0:
        return ["must be more than zero (money paid back to a customer is a refund from their credit balance)"]
    places = minor_units(currency) if currency else MAX_MINOR_UNITS
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        return [f"may have at most {places} decimals" + (f" in {currency}" if currency else "")]
    if amount > MAX_PAYMENT:
        return [f"must be at most {MAX_PAYMENT}"]
    return []


def payment_status_for(paid: Decimal, gross: Decimal, credited: Decimal = Decimal(0),
                       allocated: Decimal = Decimal(0)) -> PaymentStatus:
    """From sums only, so any order of payments, credits and allocations ends in the same status: what is
    due is the gross less its credit notes; it is met by payments and credit applied from the balance."""
    due = gross - credited
    received = paid + allocated
    if gross > 0 and due <= 0:
        return PaymentStatus.CREDITED
    if received <= 0:
        return PaymentStatus.UNPAID
    if received < due:
        return PaymentStatus.PARTIALLY_PAID
    return PaymentStatus.PAID if received == due else PaymentStatus.OVERPAID


def open_amount(gross: Decimal, paid: Decimal, credited: Decimal, allocated: Decimal) -> Decimal:
    """What the customer still owes on an invoice (never below zero: more is credit on their balance)."""
    return max(gross - credited - paid - allocated, Decimal(0))


def excess(gross: Decimal, paid: Decimal, credited: Decimal, allocated: Decimal) -> Decimal:
    """What was paid or credited beyond the invoice: credit on the customer's balance."""
    return max(paid + allocated - (gross - credited), Decimal(0))
