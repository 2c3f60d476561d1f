"""Order and invoice states and the transitions between them."""

from __future__ import annotations

from enum import StrEnum

from .errors import InvalidState


class InvoicingMode(StrEnum):
    IMMEDIATE = "immediate"  # finalise and deliver at once
    QUEUE = "queue"  # a draft waits for back-office approval
    COLLECT = "collect"  # no invoice yet: the order waits for an invoice run


class OrderStatus(StrEnum):
    READY_FOR_INVOICING = "ready_for_invoicing"
    AWAITING_APPROVAL = "awaiting_approval"
    INVOICED = "invoiced"
    CANCELLED = "cancelled"


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PROFORMA = "proforma"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    FINALIZED = "finalized"
    DISCARDED = "discarded"
    CANCELLED = "cancelled"  # finalised, then credited in full by a cancellation (its credit note)


# Numbered documents: they were issued, stay as they are, and take payments (a payment on a cancelled
# invoice becomes credit on the customer's balance).
ISSUED = frozenset({InvoiceStatus.FINALIZED, InvoiceStatus.CANCELLED})


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERPAID = "overpaid"
    CREDITED = "credited"


_INVOICE_TRANSITIONS = {
    InvoiceStatus.DRAFT: {InvoiceStatus.FINALIZED, InvoiceStatus.DISCARDED},
    # Immutable: corrected by a credit note, never edited or deleted; a cancellation marks it cancelled.
    InvoiceStatus.FINALIZED: {InvoiceStatus.CANCELLED},
    InvoiceStatus.DISCARDED: set(),
    InvoiceStatus.CANCELLED: set(),
}

_ORDER_TRANSITIONS = {
    OrderStatus.READY_FOR_INVOICING: {OrderStatus.AWAITING_APPROVAL, OrderStatus.INVOICED, OrderStatus.CANCELLED},
    OrderStatus.AWAITING_APPROVAL: {OrderStatus.INVOICED, OrderStatus.CANCELLED, OrderStatus.READY_FOR_INVOICING},
    # Only by cancelling its invoice with release_orders: the order is invoiced again, correctly.
    OrderStatus.INVOICED: {OrderStatus.READY_FOR_INVOICING},
    OrderStatus.CANCELLED: set(),
}

_WHY_NOT = {
    InvoiceStatus.FINALIZED: "a finalised invoice is never edited or deleted; correct it with a credit note",
    InvoiceStatus.DISCARDED: "the draft was discarded",
    InvoiceStatus.CANCELLED: "the invoice was cancelled by a credit note",
}


def check_invoice_transition(current: InvoiceStatus, target: InvoiceStatus) -> None:
    if target not in _INVOICE_TRANSITIONS[current]:
        reason = _WHY_NOT.get(current, "")
        raise InvalidState(f"invoice is {current}, it cannot become {target}" + (f": {reason}" if reason else ""))


def check_order_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in _ORDER_TRANSITIONS[current]:
        raise InvalidState(f"order is {current}, it cannot become {target}")
