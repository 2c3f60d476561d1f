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
from ..db.tables import table_of
from ..domain.errors import Conflict, InvalidState, ValidationFailed
from ..domain.lifecycle import ISSUED, InvoiceKind, PaymentStatus
from ..domain.payments import amount_problems, excess, payment_status_for
from . import audit, notifications
from .actors import Actor
from .balances import announce_balance, note_credit, settle
from .commands import RecordPayment
from .idempotency import dialect_insert
from .queries import get_invoice
from .tenants import load_tenant
from .unit_of_work import Database, Reply

__all__ = ["PaymentConflict", "PaymentOutcome", "payment_status_for", "payments_of", "record_manual_payment",
           "record_payment"]

# A payment that makes the invoice paid or overpaid is announced as invoice.paid (the event carries the
# payment status), one that leaves it partly paid as invoice.partially_paid.
_EVENT_FOR_STATUS = {PaymentStatus.PAID: "invoice.paid", PaymentStatus.OVERPAID: "invoice.paid",
                     PaymentStatus.PARTIALLY_PAID: "invoice.partially_paid"}


@dataclass(frozen=True)
class PaymentOutcome:
    created: bool  # False: this source's payment was recorded before
    invoice: Invoice
    payment: Payment | None = None


class PaymentConflict(Conflict):
    code = "payment_id_reused"
    title = "This payment id was recorded with other content"


def record_manual_payment(db: Database, actor: Actor, command: RecordPayment, *, reply: Reply | None = None
                          ) -> PaymentOutcome:
    """A payment entered by a person: with `payment_id` entering it again records nothing new."""

    def work(session: Session) -> PaymentOutcome:
        tenant = load_tenant(session, actor)
        invoice = get_invoice(session, actor, command.invoice_id)
        from .invoices import tenant_today

        return record_payment(
            session, actor, invoice.id, amount=command.amount, paid_on=command.paid_on or tenant_today(tenant),
            source="manual", source_payment_id=command.payment_id or f"manual-{uuid.uuid4()}",
            reference=command.reference, note=command.note)

    return db.run(work, reply=reply)


def record_payment(
    session: Session, actor: Actor, invoice_id: uuid.UUID, *, amount: Decimal, paid_on: date, source: str,
    source_payment_id: str, currency: str | None = None, reference: str | None = None, note: str | None = None,
) -> PaymentOutcome:
    """Record one payment of a source (in the caller's transaction); the same payment again changes nothing."""
    invoice = session.scalars(
        select(Invoice).where(Invoice.id == invoice_id, Invoice.tenant_id == actor.tenant_id).with_for_update()
    ).one()
    if invoice.kind == InvoiceKind.PROFORMA:
        raise InvalidState("a pro forma invoice takes no payments: it is not an invoice; convert it into the "
                           "invoice and record the payment there")
    if invoice.status not in ISSUED or invoice.kind != InvoiceKind.INVOICE:
        raise InvalidState(f"payments are recorded against finalised invoices; this one is {invoice.status}")
    problems: dict[str, list[str]] = {}
    if currency and currency != invoice.currency:
        problems["currency"] = [f"the invoice is in {invoice.currency}, the payment in {currency}"]
    if amount_problems(amount, invoice.currency):
        problems["amount"] = amount_problems(amount, invoice.currency)
    if problems:
        raise ValidationFailed(problems)
    table = table_of(Payment)
    inserted = session.execute(
        dialect_insert(session, table)
        .values(id=uuid.uuid4(), tenant_id=actor.tenant_id, invoice_id=invoice.id, amount=amount,
                currency=invoice.currency, paid_on=paid_on, source=source, source_payment_id=source_payment_id,
                reference=reference, note=note, recorded_by=actor.label, recorded_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["tenant_id", "source", "source_payment_id"])
        .returning(table.c.id)
    ).scalar()
    if inserted is None:
        return PaymentOutcome(False, invoice, _same_payment(session, actor, invoice, source, source_payment_id,
                                                            amount, paid_on))
    before = {"payment_status": str(invoice.payment_status), "paid_amount": str(invoice.paid_amount)}
    total = session.scalar(select(func.coalesce(func.sum(Payment.amount), 0))
                           .where(Payment.invoice_id == invoice.id))
    assert total is not None  # COALESCE(SUM, 0)
    invoice.paid_amount = Decimal(total)
    before_status = invoice.payment_status
    settle(invoice)
    status = PaymentStatus(invoice.payment_status)
    changed = status != before_status
    audit.record(session, actor, "invoice.payment_recorded", "invoice", invoice.id, before=before,
                 after={"payment_status": str(status), "paid_amount": str(invoice.paid_amount),
                        "amount": str(amount), "source": source, "source_payment_id": source_payment_id})
    event = _EVENT_FOR_STATUS.get(status)
    # From paid to overpaid is no news for the shop: it was told "paid" already.
    already_paid = before["payment_status"] in (PaymentStatus.PAID, PaymentStatus.OVERPAID)
    if changed and event and not (event == "invoice.paid" and already_paid):
        notifications.notify(session, actor.tenant_id, event, invoice)
    if excess(invoice.total_gross, invoice.paid_amount, invoice.credited_amount, invoice.allocated_amount) > 0:
        note_credit(session, invoice)
        announce_balance(session, actor.tenant_id, invoice.customer_id, invoice.currency, invoice)
    return PaymentOutcome(True, invoice, session.get(Payment, inserted))


def _same_payment(session: Session, actor: Actor, invoice: Invoice, source: str, source_payment_id: str,
                  amount: Decimal, paid_on: date) -> Payment:
    """The payment recorded before under this id, if it says the same; otherwise the id is reused: 409."""
    payment = session.scalars(select(Payment).where(
        Payment.tenant_id == actor.tenant_id, Payment.source == source,
        Payment.source_payment_id == source_payment_id)).one()
    if payment.invoice_id != invoice.id or payment.amount != amount or payment.paid_on != paid_on:
        raise PaymentConflict(
            f"payment {source_payment_id!r} was recorded before as {payment.amount} {payment.currency} on "
            f"{payment.paid_on.isoformat()}" + ("" if payment.invoice_id == invoice.id else " for another invoice")
            + "; use a new payment id for another payment")
    return payment


def payments_of(session: Session, invoice: Invoice) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)
                                .order_by(Payment.paid_on, Payment.recorded_at)))
