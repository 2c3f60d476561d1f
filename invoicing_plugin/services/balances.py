"""Customer balances: open amounts, credit from credit notes and overpayments, applying it, refunding it.

Nothing here is a running total (DESIGN §3): an invoice keeps the sums of its payments, credit notes and
allocations under its row lock, and a customer's standing is computed from those sums and the allocation and
refund rows. A customer's credit is what their invoices received beyond what is due on them, less what was
applied to other invoices or refunded; applying or refunding it locks the customer's row, so two clerks never
spend the same credit twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..db import Allocation, Customer, Invoice, Refund, Tenant
from ..db.tables import table_of
from ..domain.currency import minor_units
from ..domain.errors import Conflict, InvalidState, NotFound, ValidationFailed
from ..domain.lifecycle import ISSUED, InvoiceKind
from ..domain.payments import amount_problems, excess, open_amount, payment_status_for
from . import audit, notifications
from .actors import Actor
from .claims import claims_by_invoice, split
from .commands import ApplyCredit, RecordRefund
from .customers import StoredCustomer
from .idempotency import dialect_insert
from .queries import get_invoice
from .rows import NewRow
from .tenants import load_tenant
from .unit_of_work import Database, Reply

ZERO = Decimal(0)


@dataclass(frozen=True)
class Standing:
    """A customer's position in one currency. `balance` > 0: they owe us; < 0: we owe them."""

    currency: str
    invoiced: Decimal  # gross of their finalised invoices, and what sent reminders claimed on them
    credited: Decimal  # taken off by credit notes
    paid: Decimal
    refunded: Decimal
    open_amount: Decimal  # what their invoices (and their reminders' claims) still await
    credit_available: Decimal  # what may be applied to an invoice or refunded

    @property
    def balance(self) -> Decimal:
        return self.open_amount - self.credit_available


def settle(invoice: Invoice) -> None:
    """The payment status from the invoice's sums (call with its row locked, after changing one of them)."""
    invoice.payment_status = payment_status_for(
        invoice.paid_amount, invoice.total_gross, invoice.credited_amount, invoice.allocated_amount)


def invoice_open_amount(invoice: Invoice) -> Decimal:
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in ISSUED:
        return ZERO
    return open_amount(invoice.total_gross, invoice.paid_amount, invoice.credited_amount, invoice.allocated_amount)


def standings(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[Standing]:
    """The customer's standing per currency they were invoiced in (their tenant's currency first)."""
    rows = session.execute(
        select(Invoice.id, Invoice.currency, Invoice.total_gross, Invoice.credited_amount, Invoice.paid_amount,
               Invoice.allocated_amount)
        .where(Invoice.tenant_id == tenant_id, Invoice.customer_id == customer_id,
               Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(ISSUED))
    ).all()
    claimed = claims_by_invoice(session, tenant_id, customer_id=customer_id)
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for invoice_id, currency, gross, credited, paid, allocated in rows:
        bucket = sums[currency]
        claims = claimed[invoice_id].amount if invoice_id in claimed else ZERO
        # Reminders' fees and interest are receivables too (DESIGN §3); money paid beyond the invoice settles them.
        own, open_claims, extra = split(gross - credited - paid - allocated, claims)
        bucket["invoiced"] += gross + claims
        bucket["credited"] += credited
        bucket["paid"] += paid
        bucket["open"] += own + open_claims
        bucket["excess"] += extra
    for model, key in ((Allocation, "allocations"), (Refund, "refunded")):
        for currency, total in session.execute(
            select(model.currency, func.sum(model.amount))
            .where(model.tenant_id == tenant_id, model.customer_id == customer_id).group_by(model.currency)
        ):
            sums[currency][key] += Decimal(total)
    return [
        Standing(currency=currency, invoiced=bucket["invoiced"], credited=bucket["credited"], paid=bucket["paid"],
                 refunded=bucket["refunded"], open_amount=bucket["open"],
                 credit_available=bucket["excess"] - bucket["allocations"] - bucket["refunded"])
        for currency, bucket in sorted(sums.items())
    ]


def standing(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str) -> Standing:
    for found in standings(session, tenant_id, customer_id):
        if found.currency == currency:
            return found
    return Standing(currency, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)


def open_items(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[Invoice]:
    """The customer's finalised invoices that still await money, oldest due first."""
    candidates = session.scalars(
        select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.customer_id == customer_id,
                              Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(ISSUED))
        .where(Invoice.total_gross - Invoice.credited_amount - Invoice.paid_amount - Invoice.allocated_amount > 0)
        .order_by(Invoice.due_date, Invoice.number)
    ).all()
    return [invoice for invoice in candidates if invoice_open_amount(invoice) > 0]


def lock_customer(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> Customer:
    customer = session.scalars(
        select(Customer).where(Customer.id == customer_id, Customer.tenant_id == tenant_id).with_for_update()
    ).first()
    if customer is None:
        raise NotFound("no such customer")
    return customer


def note_credit(session: Session, invoice: Invoice) -> None:
    """After a payment or credit note: if the invoice now received more than is due, its customer has credit
    from now on (the flag that lets finalising skip balances for everyone else)."""
    if excess(invoice.total_gross, invoice.paid_amount, invoice.credited_amount, invoice.allocated_amount) > 0:
        session.execute(update(Customer).where(Customer.id == invoice.customer_id,
                                               Customer.has_had_credit.is_(False)).values(has_had_credit=True))


def allocate(session: Session, actor: Actor, tenant: Tenant, invoice: Invoice, amount: Decimal | None, *,
             how: str) -> Allocation | None:
    """Apply the customer's credit to `invoice` (row locked by the caller): `amount`, or as much as both allow.

    Locks the customer's row first, so the credit is counted once whoever applies it at the same moment.
    """
    lock_customer(session, tenant.id, invoice.customer_id)
    available = standing(session, tenant.id, invoice.customer_id, invoice.currency).credit_available
    owed = invoice_open_amount(invoice)
    if amount is None:
        amount = min(available, owed)
        if amount <= 0:
            return None
    else:
        problems = amount_problems(amount, invoice.currency)
        if not problems and amount > owed:
            problems = [f"is more than the invoice's open amount of {owed} {invoice.currency}"]
        if not problems and amount > available:
            problems = [f"is more than the customer's credit of {max(available, ZERO)} {invoice.currency}"]
        if problems:
            raise ValidationFailed({"amount": problems})
    from .invoices import tenant_today

    allocation = Allocation(
        id=uuid.uuid4(), tenant_id=tenant.id, customer_id=invoice.customer_id, invoice_id=invoice.id,
        currency=invoice.currency, amount=amount, allocated_on=tenant_today(tenant), how=how,
        recorded_by=actor.label, recorded_at=datetime.now(UTC))
    session.add(allocation)
    before = {"payment_status": str(invoice.payment_status), "allocated_amount": str(invoice.allocated_amount)}
    invoice.allocated_amount = invoice.allocated_amount + amount
    settle(invoice)
    session.flush()
    audit.record(session, actor, "invoice.credit_applied", "invoice", invoice.id, before=before,
                 after={"payment_status": str(invoice.payment_status),
                        "allocated_amount": str(invoice.allocated_amount), "amount": str(amount), "how": how})
    announce_balance(session, tenant.id, invoice.customer_id, invoice.currency, invoice)
    return allocation


def allocate_at_finalisation(session: Session, actor: Actor, tenant: Tenant, invoice: Invoice | NewRow,
                             customer: Customer | StoredCustomer | None = None) -> None:
    """The tenant's automatic rule: a customer's credit pays their newly finalised invoice as far as it goes.

    `invoice` may be the row intake just wrote (a NewRow); its amounts are then updated from the stored row.
    A customer who never had credit (the checkout's usual case) costs nothing here: `customer`, if at hand.
    """
    if not tenant.apply_credit_automatically or invoice.kind != InvoiceKind.INVOICE:
        return
    customer = customer or session.get_one(Customer, invoice.customer_id)
    if not customer.has_had_credit:
        return
    stored = invoice if isinstance(invoice, Invoice) else session.get_one(Invoice, invoice.id)
    if allocate(session, actor, tenant, stored, None, how="automatic") is not None and stored is not invoice:
        invoice.allocated_amount = stored.allocated_amount
        invoice.payment_status = stored.payment_status


def apply_credit(db: Database, actor: Actor, command: ApplyCredit, *, reply: Reply | None = None) -> Invoice:
    """A clerk pays (part of) an invoice from the customer's credit balance."""

    def work(session: Session) -> Invoice:
        tenant = load_tenant(session, actor)
        invoice = get_invoice(session, actor, command.invoice_id, for_update=True)
        if invoice.kind != InvoiceKind.INVOICE or invoice.status not in ISSUED:
            raise InvalidState("credit is applied to finalised invoices; this is a "
                               f"{invoice.status} {str(invoice.kind).replace('_', ' ')}")
        allocate(session, actor, tenant, invoice, command.amount, how="manual")
        return invoice

    return db.run(work, reply=reply)


class RefundConflict(Conflict):
    code = "refund_id_reused"
    title = "This refund id was recorded with other content"


@dataclass(frozen=True)
class RefundOutcome:
    created: bool
    refund: Refund
    standing: Standing


def record_refund(db: Database, actor: Actor, command: RecordRefund, *, reply: Reply | None = None
                  ) -> RefundOutcome:
    """Record money paid back out of the customer's credit; never more than the credit, never twice."""

    def work(session: Session) -> RefundOutcome:
        tenant = load_tenant(session, actor)
        customer = lock_customer(session, tenant.id, command.customer_id)
        currency = command.currency or tenant.currency
        from .invoices import tenant_today

        paid_on = command.paid_on or tenant_today(tenant)
        earlier = session.scalars(select(Refund).where(Refund.tenant_id == tenant.id,
                                                       Refund.refund_id == command.refund_id)).first()
        if earlier is not None:
            if (earlier.customer_id, earlier.amount, earlier.currency, earlier.paid_on) != (
                    customer.id, command.amount, currency, paid_on):
                raise RefundConflict(
                    f"refund {command.refund_id!r} was recorded before as {earlier.amount} {earlier.currency} "
                    f"on {earlier.paid_on.isoformat()}; use a new refund id for another refund")
            return RefundOutcome(False, earlier, standing(session, tenant.id, customer.id, currency))
        available = standing(session, tenant.id, customer.id, currency).credit_available
        problems = amount_problems(command.amount, currency)
        if not problems and command.amount > available:
            problems = [f"is more than the customer's credit of {max(available, ZERO)} {currency}"]
        if problems:
            raise ValidationFailed({"amount": problems})
        table = table_of(Refund)
        session.execute(dialect_insert(session, table).values(
            id=uuid.uuid4(), tenant_id=tenant.id, customer_id=customer.id, refund_id=command.refund_id,
            currency=currency, amount=command.amount, paid_on=paid_on, note=command.note,
            recorded_by=actor.label, recorded_at=datetime.now(UTC)))
        refund = session.scalars(select(Refund).where(Refund.tenant_id == tenant.id,
                                                      Refund.refund_id == command.refund_id)).one()
        after = standing(session, tenant.id, customer.id, currency)
        audit.record(session, actor, "customer.refund_recorded", "customer", customer.id,
                     before={"credit_available": str(available)},
                     after={"credit_available": str(after.credit_available), "amount": str(command.amount),
                            "currency": currency, "refund_id": command.refund_id})
        announce_balance(session, tenant.id, customer.id, currency)
        return RefundOutcome(True, refund, after)

    return db.run(work, reply=reply)


def announce_balance(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str,
                     invoice: Invoice | None = None) -> None:
    """customer.balance_changed to the shop's endpoints, with the standing after the change."""
    now = standing(session, tenant_id, customer_id, currency)
    places = Decimal(1).scaleb(-minor_units(currency))
    data: dict[str, Any] = {"customer": {
        "id": str(customer_id), "currency": currency,
        "balance": str(now.balance.quantize(places)), "open_amount": str(now.open_amount.quantize(places)),
        "credit_available": str(now.credit_available.quantize(places))}}
    if invoice is not None:
        data["invoice"] = notifications.event_data(invoice)
    notifications.queue_event(session, tenant_id, "customer.balance_changed", data,
                              invoice_id=invoice.id if invoice is not None else None)
