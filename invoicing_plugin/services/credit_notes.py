"""Credit notes and cancellations: correcting a finalised invoice, which is never edited itself.

The credited invoice's row is locked while a credit note is planned and written, so concurrent credits of
one invoice are planned one after the other, each against what the others left: together they never
credit more than the invoice, per line or in total. Draft credit notes count as taken until discarded, so
approving one later never finds its lines credited meanwhile.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Delivery, Invoice, InvoiceLine, Order, Tenant
from ..domain.credits import (
    AmountCredit,
    CreditPlan,
    OriginalLine,
    QuantityCredit,
    everything_left,
    plan_credit,
)
from ..domain.errors import InvalidState, ValidationFailed
from ..domain.lifecycle import (
    InvoiceKind,
    InvoiceStatus,
    OrderStatus,
    PaymentStatus,
    check_invoice_transition,
    check_order_transition,
)
from . import audit, notifications
from .actors import Actor
from .balances import announce_balance, note_credit, settle
from .commands import CancelInvoice, CreateCreditNote
from .invoices import InvoiceResult, finalize, state
from .notifications import WEBHOOK_CHANNEL
from .queries import get_invoice, orders_of_invoice
from .tenants import load_tenant, tenant_rules
from .unit_of_work import Database, Reply

ZERO = Decimal(0)


def create_credit_note(db: Database, actor: Actor, command: CreateCreditNote, *, reply: Reply | None = None
                       ) -> InvoiceResult:
    """Credit a finalised invoice fully or by lines; the credit note is finalised at once unless a draft."""

    def work(session: Session) -> InvoiceResult:
        tenant = load_tenant(session, actor)
        original = get_invoice(session, actor, command.invoice_id, for_update=True)
        check_creditable(session, original)
        lines = original_lines(session, original)
        if command.full:
            requests = everything_left(lines, original.prices_include_vat)
        else:
            requests = [QuantityCredit(item.invoice_line_id, item.quantity) if item.quantity is not None
                        else AmountCredit(item.invoice_line_id, item.amount or ZERO) for item in command.lines]
        credit_note = write_credit_note(session, actor, tenant, original, lines, requests, command.reason)
        if not command.draft:
            finalize(session, actor, tenant, credit_note, orders=[])
        return InvoiceResult(credit_note, ())

    return db.run(work, reply=reply)


def cancel_invoice(db: Database, actor: Actor, command: CancelInvoice, *, reply: Reply | None = None
                   ) -> InvoiceResult:
    """Credit what is left of an invoice with one credit note and mark it cancelled by that credit note."""

    def work(session: Session) -> InvoiceResult:
        tenant = load_tenant(session, actor)
        original = get_invoice(session, actor, command.invoice_id, for_update=True)
        check_creditable(session, original)
        pending = session.scalars(select(Invoice.id).where(
            Invoice.credited_invoice_id == original.id, Invoice.status == InvoiceStatus.DRAFT)).first()
        if pending is not None:
            raise InvalidState(f"credit note draft {pending} of this invoice waits for approval: approve or "
                               "discard it before cancelling the invoice")
        lines = original_lines(session, original)
        requests = everything_left(lines, original.prices_include_vat)
        if not requests:
            raise InvalidState("everything on this invoice is credited already by its credit notes; there is "
                               "nothing left to cancel")
        before = state(original)
        credit_note = write_credit_note(session, actor, tenant, original, lines, requests, command.reason)
        finalize(session, actor, tenant, credit_note, orders=[])
        check_invoice_transition(InvoiceStatus(original.status), InvoiceStatus.CANCELLED)
        original.status = InvoiceStatus.CANCELLED
        original.cancelled_by_id = credit_note.id
        original.cancelled_at = datetime.now(UTC)
        original.version = original.version + 1
        released = release_orders(session, original) if command.release_orders else []
        audit.record(session, actor, "invoice.cancelled", "invoice", original.id, before=before,
                     after={**state(original), "cancelled_by": credit_note.number, "reason": command.reason,
                            "released_orders": [str(order_id) for order_id in released]})
        notifications.notify(session, tenant.id, "invoice.cancelled", original,
                             extra={"credit_note": notifications.event_data(credit_note),
                                    "released_orders": [str(order_id) for order_id in released]})
        return InvoiceResult(original, tuple(orders_of_invoice(session, original.id)))

    return db.run(work, reply=reply)


def check_creditable(session: Session, invoice: Invoice) -> None:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        raise InvalidState("a credit note is not credited: it is final as it is (and a cancellation cannot be "
                           "cancelled); issue a new invoice if money is owed after all")
    if invoice.kind == InvoiceKind.PROFORMA:
        raise InvalidState("a pro forma invoice is not an invoice: it is never credited or cancelled; convert "
                           "it into the invoice and correct that one")
    if invoice.status == InvoiceStatus.DRAFT:
        raise InvalidState("a draft is not credited: discard it (or correct it) instead")
    if invoice.status == InvoiceStatus.DISCARDED:
        raise InvalidState("the draft was discarded: there is nothing to credit")
    if invoice.status == InvoiceStatus.CANCELLED:
        cancelled_by = session.get(Invoice, invoice.cancelled_by_id) if invoice.cancelled_by_id else None
        raise InvalidState("the invoice was cancelled" + (f" by credit note {cancelled_by.number}"
                                                          if cancelled_by is not None else "")
                           + ": there is nothing left to credit")


def original_lines(session: Session, invoice: Invoice) -> list[OriginalLine]:
    """The invoice's lines with what its credit notes (finalised or waiting as drafts) took of each."""
    taken: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    amount_credited: set[uuid.UUID] = set()
    rows = session.execute(
        select(InvoiceLine.credited_line_id, InvoiceLine.credit_type, InvoiceLine.quantity,
               InvoiceLine.net_amount, InvoiceLine.vat_amount, InvoiceLine.gross_amount)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.credited_invoice_id == invoice.id, Invoice.status != InvoiceStatus.DISCARDED)
    ).all()
    for line_id, credit_type, quantity, net, vat, gross in rows:
        assert line_id is not None  # every line of a credit note names the line it credits
        sums = taken[line_id]
        if credit_type == "quantity":
            sums["quantity"] += abs(quantity)
        else:
            amount_credited.add(line_id)
        sums["net"] -= net
        sums["vat"] -= vat
        sums["gross"] -= gross
    return [
        OriginalLine(
            id=line.id, quantity=line.quantity, unit_price=line.unit_price,
            discount_percent=line.discount_percent, vat_rate=line.vat_rate, vat_category=line.vat_category,
            net_amount=line.net_amount, vat_amount=line.vat_amount, gross_amount=line.gross_amount,
            credited_quantity=taken[line.id]["quantity"], credited_net=taken[line.id]["net"],
            credited_vat=taken[line.id]["vat"], credited_gross=taken[line.id]["gross"],
            has_amount_credits=line.id in amount_credited)
        for line in invoice.lines
    ]


def write_credit_note(session: Session, actor: Actor, tenant: Tenant, original: Invoice,
                      lines: list[OriginalLine], requests: list[QuantityCredit | AmountCredit], reason: str
                      ) -> Invoice:
    """Plan the credit against what is left and store it as a draft credit note (every problem at once)."""
    credited_so_far = sum((line.credited_gross for line in lines), ZERO)
    plan: CreditPlan = plan_credit(lines, requests, original.currency, original.prices_include_vat,
                                   original.total_gross, credited_so_far)
    if plan.problems:
        raise ValidationFailed(plan.problems)
    originals = {line.id: line for line in original.lines}
    now = datetime.now(UTC)
    credit_note = Invoice(
        id=uuid.uuid4(), tenant_id=tenant.id, kind=InvoiceKind.CREDIT_NOTE, status=InvoiceStatus.DRAFT,
        payment_status=PaymentStatus.CREDITED, source=original.source,
        series=tenant.credit_note_series or original.series, currency=original.currency,
        prices_include_vat=original.prices_include_vat, tax_date=original.tax_date, payment_terms_days=0,
        language=original.language, buyer=dict(original.buyer), contact=original.contact,
        customer_id=original.customer_id, buyer_reference=original.buyer_reference, notes=None,
        channels=channels_of(session, original), total_net=plan.net, total_vat=plan.vat, total_gross=plan.gross,
        paid_amount=ZERO, credited_amount=ZERO, allocated_amount=ZERO, version=1,
        credited_invoice_id=original.id, credit_reason=reason, created_at=now, updated_at=now)
    credit_note.lines = [
        InvoiceLine(
            id=uuid.uuid4(), tenant_id=tenant.id, position=position, order_id=originals[item.original.id].order_id,
            credited_line_id=item.original.id, credit_type=item.credit_type,
            sku=originals[item.original.id].sku, description=originals[item.original.id].description,
            quantity=item.quantity, unit=originals[item.original.id].unit, unit_price=item.unit_price,
            discount_percent=item.discount_percent, vat_rate=item.original.vat_rate,
            vat_category=item.original.vat_category, net_amount=item.net_amount, vat_amount=item.vat_amount,
            gross_amount=item.gross_amount,
            # It takes back (part of) what the credited line billed, for that line's service period.
            service_period_start=originals[item.original.id].service_period_start,
            service_period_end=originals[item.original.id].service_period_end)
        for position, item in enumerate(plan.lines, start=1)
    ]
    session.add(credit_note)
    session.flush()
    audit.record(session, actor, "credit_note.created", "invoice", credit_note.id, after={
        **state(credit_note), "credits": original.number, "reason": reason})
    return credit_note


def channels_of(session: Session, invoice: Invoice) -> list[str]:
    """The channels the invoice went out through: its credit note follows it there."""
    names = session.scalars(select(Delivery.channel).where(
        Delivery.invoice_id == invoice.id, Delivery.channel != WEBHOOK_CHANNEL).distinct()).all()
    return sorted(names)


def credit_finalized(session: Session, actor: Actor, tenant: Tenant, credit_note: Invoice) -> None:
    """What approving a credit note does to the invoice it credits (called by `invoices.finalize`)."""
    original = session.scalars(select(Invoice).where(
        Invoice.id == credit_note.credited_invoice_id, Invoice.tenant_id == tenant.id).with_for_update()).one()
    before = {"payment_status": str(original.payment_status), "credited_amount": str(original.credited_amount)}
    original.credited_amount = original.credited_amount - credit_note.total_gross
    settle(original)
    note_credit(session, original)
    original.version = original.version + 1
    audit.record(session, actor, "invoice.credited", "invoice", original.id, before=before, after={
        "payment_status": str(original.payment_status), "credited_amount": str(original.credited_amount),
        "credit_note": credit_note.number})
    notifications.notify(session, tenant.id, "invoice.credited", original,
                         subscribed=tenant_rules(session, tenant).webhooks,
                         extra={"credit_note": notifications.event_data(credit_note)})
    announce_balance(session, tenant.id, original.customer_id, original.currency, original)


def release_orders(session: Session, invoice: Invoice) -> list[uuid.UUID]:
    """The cancelled invoice's orders wait to be invoiced again (by an invoice run, or by hand)."""
    released = []
    for order in session.scalars(select(Order).where(Order.invoice_id == invoice.id)):
        check_order_transition(OrderStatus(order.status), OrderStatus.READY_FOR_INVOICING)
        order.status = OrderStatus.READY_FOR_INVOICING
        order.invoice_id = None
        released.append(order.id)
    return released
