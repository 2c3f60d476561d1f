"""Payments: one row per payment of a source, summed into the invoice's paid amount and payment status.

Because the status is derived from the sum of distinct payments, a repeated event changes nothing and
events in any order (partial after full, paid before sent) end in the same amounts. The invoice row is
locked while its sum is recomputed, so concurrent payments cannot lose each other's update.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Invoice, Payment
from ..domain.errors import InvalidState, ValidationFailed
from ..domain.lifecycle import InvoiceKind, InvoiceStatus, PaymentStatus
from . import audit, notifications
from .actors import Actor
from .idempotency import dialect_insert


@dataclass(frozen=True)
class PaymentOutcome:
    created: bool  # False: this source's payment was recorded before
    invoice: Invoice


def payment_status_for(paid: Decimal, gross: Decimal) -> PaymentStatus:
    if paid <= 0:
        return PaymentStatus.UNPAID
    if paid < gross:
        return PaymentStatus.PARTIALLY_PAID
    return PaymentStatus.PAID if paid == gross else PaymentStatus.OVERPAID


def record_payment(
    session: Session, actor: Actor, invoice_id: uuid.UUID, *, amount: Decimal, paid_on: date, source: str,
    source_payment_id: str, currency: str | None = None, reference: str | None = None, note: str | None = None,
) -> PaymentOutcome:
    invoice = session.scalars(
        select(Invoice).where(Invoice.id == invoice_id, Invoice.tenant_id == actor.tenant_id).with_for_update()
    ).one()
    if invoice.status != InvoiceStatus.FINALIZED or invoice.kind != InvoiceKind.INVOICE:
        raise InvalidState(f"payments are recorded against finalised invoices; this one is {invoice.status}")
    if currency and currency != invoice.currency:
        raise ValidationFailed({"currency": [f"the invoice is in {invoice.currency}, the payment in {currency}"]})
    if amount == 0:
        raise ValidationFailed({"amount": ["may not be zero"]})
    table = Payment.__table__
    inserted = session.execute(
        dialect_insert(session, table)
        .values(id=uuid.uuid4(), tenant_id=actor.tenant_id, invoice_id=invoice.id, amount=amount,
                currency=invoice.currency, paid_on=paid_on, source=source, source_payment_id=source_payment_id,
                reference=reference, note=note, recorded_by=actor.label, recorded_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["tenant_id", "source", "source_payment_id"])
        .returning(table.c.id)
    ).scalar()
    if inserted is None:
        return PaymentOutcome(False, invoice)
    before = {"payment_status": str(invoice.payment_status), "paid_amount": str(invoice.paid_amount)}
    total = session.scalar(select(func.coalesce(func.sum(Payment.amount), 0))
                           .where(Payment.invoice_id == invoice.id))
    invoice.paid_amount = Decimal(total)
    status = payment_status_for(invoice.paid_amount, invoice.total_gross)
    changed = status != invoice.payment_status
    invoice.payment_status = status
    audit.record(session, actor, "invoice.payment_recorded", "invoice", invoice.id, before=before,
                 after={"payment_status": str(status), "paid_amount": str(invoice.paid_amount),
                        "amount": str(amount), "source": source, "source_payment_id": source_payment_id})
    if changed and status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_PAID):
        notifications.notify(session, actor.tenant_id, f"invoice.{status.value}", invoice)
    return PaymentOutcome(True, invoice)


def payments_of(session: Session, invoice: Invoice) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)
                                .order_by(Payment.paid_on, Payment.recorded_at)))
