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
        return ["must be more than zero (money paid back to a customer is recorded with a credit note)"]
    places = minor_units(currency) if currency else MAX_MINOR_UNITS
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        return [f"may have at most {places} decimals" + (f" in {currency}" if currency else "")]
    if amount > MAX_PAYMENT:
        return [f"must be at most {MAX_PAYMENT}"]
    return []


def payment_status_for(paid: Decimal, gross: Decimal) -> PaymentStatus:
    if paid <= 0:
        return PaymentStatus.UNPAID
    if paid < gross:
        return PaymentStatus.PARTIALLY_PAID
    return PaymentStatus.PAID if paid == gross else PaymentStatus.OVERPAID
