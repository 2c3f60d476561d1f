"""Receivables aging: what each customer owes as of a day, in buckets by days past the due date.

As of a day D, an invoice is counted with what had happened to it by the end of D: its gross if it is dated
on or before D, less its payments paid on or before D, its credit notes dated on or before D and the credit
applied to it on or before D. What is left above zero is open and goes into exactly one bucket by
D - due date: `not_due` (due on D or later), `1_30`, `31_60`, `61_90`, `91_120`, `over_120`. So the buckets
always add up to `total`, the open receivables, including what is not yet due. What sent reminders claimed
(fees, compensation, interest) is open too, by the reminder's due date, once dated on or before D.

What an invoice received beyond what was due on it (an overpayment, a credit note on a paid invoice), less the
credit applied to other invoices and refunded by D, is the customer's `unapplied_credit`. It is never netted
into the buckets, which would hide overdue money behind a credit: it is its own column, and `balance` =
`total` - `unapplied_credit` is the customer's balance at the end of D (the statement's closing balance).
Amounts of different currencies are never added: a row is one customer in one currency, totals are per
currency.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import CompoundSelect, Executable, func, or_, select, union
from sqlalchemy.orm import Session

from ..db import Allocation, Customer, Invoice, Payment, Refund, Reminder
from ..domain.lifecycle import ISSUED, InvoiceKind
from .claims import claims_by_invoice, split

ZERO = Decimal(0)
BUCKETS = ("not_due", "1_30", "31_60", "61_90", "91_120", "over_120")
_LIMITS = ((0, "not_due"), (30, "1_30"), (60, "31_60"), (90, "61_90"), (120, "91_120"))


def bucket_for(days_past_due: int) -> str:
    """The bucket of an amount `days_past_due` days after its due date (0 or less: not due yet)."""
    for limit, name in _LIMITS:
        if days_past_due <= limit:
            return name
    return "over_120"


@dataclass
class Amounts:
    """Open amounts by bucket, and the credit beside them."""

    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    unapplied_credit: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.total - self.unapplied_credit

    def add(self, other: Amounts) -> None:
        for name, amount in other.buckets.items():
            self.buckets[name] += amount
        self.unapplied_credit += other.unapplied_credit


@dataclass(frozen=True)
class AgingRow:
    customer_id: uuid.UUID
    customer_name: str
    business_id: str | None
    currency: str
    amounts: Amounts


@dataclass(frozen=True)
class AgingReport:
    as_of: date
    rows: tuple[AgingRow, ...]  # by customer name, then currency
    totals: dict[str, Amounts]  # per currency


def receivables_aging(session: Session, tenant_id: uuid.UUID, as_of: date) -> AgingReport:
    """Every customer of the tenant with open invoices or unapplied credit as of the end of `as_of`."""
    # Only invoices that can be open or overpaid on that day: those not settled to the cent now, and those
    # something happened to after it (a settled invoice with neither was settled by then too).
    later: CompoundSelect[Any] = union(
        select(Payment.invoice_id).where(Payment.tenant_id == tenant_id, Payment.paid_on > as_of),
        select(Invoice.credited_invoice_id).where(
            Invoice.tenant_id == tenant_id, Invoice.kind == InvoiceKind.CREDIT_NOTE, Invoice.invoice_date > as_of),
        select(Allocation.invoice_id).where(Allocation.tenant_id == tenant_id, Allocation.allocated_on > as_of))
    candidates = select(Invoice.id).where(
        Invoice.tenant_id == tenant_id, Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(ISSUED),
        or_(Invoice.total_gross - Invoice.credited_amount - Invoice.paid_amount - Invoice.allocated_amount != 0,
            Invoice.invoice_date > as_of, Invoice.id.in_(later),
            Invoice.id.in_(select(Reminder.invoice_id).where(Reminder.tenant_id == tenant_id,
                                                             Reminder.status == "sent")))).subquery("candidates")
    invoices = session.execute(select(
        Invoice.id, Invoice.customer_id, Invoice.currency, Invoice.total_gross, Invoice.invoice_date,
        Invoice.due_date,
    ).join(candidates, candidates.c.id == Invoice.id)).all()
    paid = _sums(session, select(Payment.invoice_id, func.sum(Payment.amount))
                 .join(candidates, candidates.c.id == Payment.invoice_id)
                 .where(Payment.tenant_id == tenant_id, Payment.paid_on <= as_of).group_by(Payment.invoice_id))
    # A credit note's gross is negative: what it takes off its invoice is minus that.
    credited = _sums(session, select(Invoice.credited_invoice_id, func.sum(Invoice.total_gross))
                     .join(candidates, candidates.c.id == Invoice.credited_invoice_id)
                     .where(Invoice.tenant_id == tenant_id, Invoice.kind == InvoiceKind.CREDIT_NOTE,
                            Invoice.status.in_(ISSUED), Invoice.invoice_date <= as_of)
                     .group_by(Invoice.credited_invoice_id), sign=-1)
    allocated = _sums(session, select(Allocation.invoice_id, func.sum(Allocation.amount))
                      .join(candidates, candidates.c.id == Allocation.invoice_id)
                      .where(Allocation.tenant_id == tenant_id, Allocation.allocated_on <= as_of)
                      .group_by(Allocation.invoice_id))
    spent: dict[tuple[uuid.UUID, str], Decimal] = defaultdict(lambda: ZERO)  # credit applied or refunded by then
    for model, day in ((Allocation, Allocation.allocated_on), (Refund, Refund.paid_on)):
        for customer_id, currency, total in session.execute(
                select(model.customer_id, model.currency, func.sum(model.amount))
                .where(model.tenant_id == tenant_id, day <= as_of).group_by(model.customer_id, model.currency)):
            spent[(customer_id, currency)] += Decimal(total)

    claimed = claims_by_invoice(session, tenant_id, through=as_of)
    accounts: dict[tuple[uuid.UUID, str], Amounts] = defaultdict(Amounts)
    for row in invoices:
        dated = row.invoice_date is not None and row.invoice_date <= as_of
        # An invoice dated later still counts what was paid on it by then: money received ahead is credit.
        left = (row.total_gross if dated else ZERO) - paid.get(row.id, ZERO) - credited.get(row.id, ZERO) \
            - allocated.get(row.id, ZERO)
        claims = claimed.get(row.id)
        if left == 0 and claims is None:
            continue
        account = accounts[(row.customer_id, row.currency)]
        # A reminder's claims age from the reminder's due date; money paid beyond the invoice settles them first.
        own, open_claims, extra = split(left, claims.amount if claims else ZERO)
        if own > 0:
            due = row.due_date or row.invoice_date
            account.buckets[bucket_for((as_of - due).days)] += own
        if open_claims > 0 and claims is not None:
            account.buckets[bucket_for((as_of - claims.due_date).days)] += open_claims
        account.unapplied_credit += extra
    for key, amount in spent.items():
        accounts[key].unapplied_credit -= amount

    with_accounts = union(
        select(Invoice.customer_id).join(candidates, candidates.c.id == Invoice.id),
        select(Allocation.customer_id).where(Allocation.tenant_id == tenant_id, Allocation.allocated_on <= as_of),
        select(Refund.customer_id).where(Refund.tenant_id == tenant_id, Refund.paid_on <= as_of))
    customers = {customer_id: (name, business_id) for customer_id, name, business_id in session.execute(
        select(Customer.id, Customer.name, Customer.business_id).where(
            Customer.tenant_id == tenant_id, Customer.id.in_(with_accounts)))}
    rows = sorted(
        (AgingRow(customer_id, *customers[customer_id], currency, amounts)
         for (customer_id, currency), amounts in accounts.items()
         if amounts.total != 0 or amounts.unapplied_credit != 0),
        key=lambda row: (row.customer_name.casefold(), row.currency, str(row.customer_id)))
    totals: dict[str, Amounts] = {}
    for aging_row in rows:
        totals.setdefault(aging_row.currency, Amounts()).add(aging_row.amounts)
    return AgingReport(as_of, tuple(rows), dict(sorted(totals.items())))


def _sums(session: Session, query: Executable, *, sign: int = 1) -> dict[uuid.UUID, Decimal]:
    """{key: sum} of a query of (key, SUM(...)) rows; a row without a key is left out."""
    return {key: sign * Decimal(total) for key, total in session.execute(query) if key is not None}
