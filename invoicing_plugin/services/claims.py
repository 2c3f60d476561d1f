"""What sent reminders claimed (fees, the 40 € compensation, penalty interest): receivables of the customer.

A reminder's claim belongs to the invoice it reminds of, and is paid with that invoice's reference: money
paid on the invoice beyond its own open amount first settles its claims, and only the rest is credit on the
customer's balance. So paying "invoice + fee" as the reminder asks closes both, and balance, statement and aging
agree: an invoice's part of the balance is always gross - payments - credits - allocations + claims.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Reminder

ZERO = Decimal(0)
SENT = "sent"


@dataclass(frozen=True)
class Claims:
    amount: Decimal  # the sum of the invoice's sent reminders' claims
    due_date: date  # the latest of their due dates: where an unpaid claim ages from


def claims_by_invoice(session: Session, tenant_id: uuid.UUID, *, customer_id: uuid.UUID | None = None,
                      through: date | None = None) -> dict[uuid.UUID, Claims]:
    """{invoice id: its claims} of the tenant (one customer's; only reminders dated up to `through`)."""
    query = (select(Reminder.invoice_id, func.sum(Reminder.fee), func.sum(Reminder.compensation),
                    func.sum(Reminder.interest), func.max(Reminder.due_date))
             .where(Reminder.tenant_id == tenant_id, Reminder.status == SENT).group_by(Reminder.invoice_id))
    if customer_id is not None:
        query = query.where(Reminder.customer_id == customer_id)
    if through is not None:
        query = query.where(Reminder.reminder_date <= through)
    return {invoice_id: Claims(Decimal(fee) + Decimal(compensation) + Decimal(interest), due)
            for invoice_id, fee, compensation, interest, due in session.execute(query)}


def split(left: Decimal, claims: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(open on the invoice, open claims, credit) of an invoice whose own sums leave `left` (< 0: paid beyond
    it), with `claims` claimed by its reminders."""
    if left >= 0:
        return left, claims, ZERO
    covered = min(-left, claims)
    return ZERO, claims - covered, -left - covered
