"""Batch reads for the console's lists: what a page shows beside each row, in one query per page (no N+1)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from ..db import Customer, Invoice, InvoiceRun, Reminder
from ..domain.lifecycle import ISSUED, InvoiceKind
from ..domain.money import ZERO
from ..domain.payments import open_amount
from .actors import Actor


@dataclass(frozen=True)
class InvoiceLabel:
    """How a list names an invoice: its number (a draft has none) and its buyer."""

    id: uuid.UUID
    number: str | None
    status: str
    buyer_name: str


def invoice_labels(session: Session, actor: Actor, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, InvoiceLabel]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(select(Invoice.id, Invoice.number, Invoice.status, Invoice.buyer)
                           .where(Invoice.tenant_id == actor.tenant_id, Invoice.id.in_(wanted)))
    return {row.id: InvoiceLabel(row.id, row.number, row.status, str((row.buyer or {}).get("name") or ""))
            for row in rows}


def open_amounts(session: Session, actor: Actor, customer_ids: Iterable[uuid.UUID]
                 ) -> dict[uuid.UUID, dict[str, Decimal]]:
    """What each customer's finalised invoices still await, per currency (as balances.standings counts it)."""
    wanted = sorted(set(customer_ids))
    totals: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    if not wanted:
        return {}
    rows = session.execute(
        select(Invoice.customer_id, Invoice.currency, Invoice.total_gross, Invoice.paid_amount,
               Invoice.credited_amount, Invoice.allocated_amount)
        .where(Invoice.tenant_id == actor.tenant_id, Invoice.customer_id.in_(wanted),
               Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(ISSUED)))
    for customer_id, currency, gross, paid, credited, allocated in rows:
        totals[customer_id][currency] += open_amount(gross, paid, credited, allocated)
    return {customer_id: dict(by_currency) for customer_id, by_currency in totals.items()}


def runs_with_status(session: Session, actor: Actor, status: str | None, *, limit: int) -> list[InvoiceRun]:
    """The tenant's runs, newest first, optionally of one status (the home page links to the running ones)."""
    query = select(InvoiceRun).where(InvoiceRun.tenant_id == actor.tenant_id)
    if status == "running":  # "in progress" on the home page counts the queued ones too
        query = query.where(InvoiceRun.status.in_(("queued", "running")))
    elif status:
        query = query.where(InvoiceRun.status == status)
    return list(session.scalars(query.order_by(InvoiceRun.created_at.desc(), InvoiceRun.id).limit(limit)))


def customer_names(session: Session, actor: Actor, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(Customer.id, Customer.name)
                           .where(Customer.tenant_id == actor.tenant_id, Customer.id.in_(wanted)))
    return {customer_id: name for customer_id, name in rows}


def reminders_page(session: Session, actor: Actor, *, status: str | None, customer_id: uuid.UUID | None,
                   limit: int, offset: int) -> list[Reminder]:
    """The tenant's reminders for the console's list: drafts first (they wait for a person), newest first."""
    query = select(Reminder).where(Reminder.tenant_id == actor.tenant_id)
    if status:
        query = query.where(Reminder.status == status)
    if customer_id:
        query = query.where(Reminder.customer_id == customer_id)
    drafts_first = case((Reminder.status == "draft", 0), else_=1)
    return list(session.scalars(query.order_by(drafts_first, Reminder.created_at.desc(), Reminder.id)
                                .limit(limit).offset(offset)))
