"""What needs someone today: the counts on the console's home page, read in one query within the tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import Session

from ..db import Delivery, InboxEvent, Invoice, InvoiceRun, Reminder
from ..domain.lifecycle import InvoiceKind, InvoiceStatus, PaymentStatus
from .actors import Actor
from .inbox import UNMATCHED
from .outbox import DEAD

OPEN_PAYMENT_STATUSES = (PaymentStatus.UNPAID, PaymentStatus.PARTIALLY_PAID)
ACTIVE_RUN_STATUSES = ("queued", "running")


@dataclass(frozen=True)
class Overview:
    drafts_waiting: int
    dead_deliveries: int
    overdue_invoices: int
    unmatched_payments: int
    runs_running: int
    reminders_waiting: int  # drafts a person approves or cancels (dunning without auto-send)


def overview(session: Session, actor: Actor, today: date) -> Overview:
    """`today` is the tenant's calendar day (an invoice is overdue the day after its due date there)."""
    tenant = actor.tenant_id

    def count(model: Any, *conditions: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(model).where(model.tenant_id == tenant, *conditions).scalar_subquery()

    row = session.execute(select(
        count(Invoice, Invoice.status == InvoiceStatus.DRAFT),
        count(Delivery, Delivery.status == DEAD),
        count(Invoice, Invoice.status == InvoiceStatus.FINALIZED, Invoice.kind == InvoiceKind.INVOICE,
              Invoice.payment_status.in_(OPEN_PAYMENT_STATUSES), Invoice.due_date < today),
        count(InboxEvent, InboxEvent.status == UNMATCHED),
        count(InvoiceRun, InvoiceRun.status.in_(ACTIVE_RUN_STATUSES)),
        count(Reminder, Reminder.status == "draft"),
    )).one()
    return Overview(*(int(value) for value in row))
