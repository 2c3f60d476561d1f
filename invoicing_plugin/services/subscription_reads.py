"""What the console shows of subscriptions: a filtered page of the list, and one subscription's billed periods."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, raiseload

from ..db import Customer, Invoice, Order, Subscription, SubscriptionCharge
from .actors import Actor


@dataclass(frozen=True)
class SubscriptionRow:
    subscription: Subscription
    customer_name: str


@dataclass(frozen=True)
class BilledPeriod:
    """A service period carried by an order; its invoice once a run has made one (a number once finalised)."""

    start: date
    end: date
    order_status: str
    invoice_id: uuid.UUID | None
    invoice_number: str | None
    invoice_status: str | None


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def subscription_rows(session: Session, actor: Actor, *, status: str | None, customer: str | None,
                      external_id: str | None, limit: int, offset: int) -> list[SubscriptionRow]:
    """Newest first, with the customer's name: one query whatever the page size (the items are not read)."""
    query = (select(Subscription, Customer.name)
             .join(Customer, Customer.id == Subscription.customer_id)
             .where(Subscription.tenant_id == actor.tenant_id)
             .options(raiseload(Subscription.items)))  # never read here: no selectin per page
    if status:
        query = query.where(Subscription.status == status)
    if customer:
        text = customer.strip()
        query = query.where(or_(Customer.name.ilike("%" + _escaped(text) + "%", escape="\\"),
                                Customer.business_id == text))
    if external_id:
        query = query.where(Subscription.external_id.like(_escaped(external_id.strip()) + "%", escape="\\"))
    rows = session.execute(query.order_by(Subscription.created_at.desc(), Subscription.id)
                           .limit(limit).offset(offset))
    return [SubscriptionRow(subscription, name) for subscription, name in rows]


def billed_periods(session: Session, actor: Actor, subscription: Subscription) -> list[BilledPeriod]:
    """Each service period billed so far (newest first) with the order and invoice that carry it, in one query."""
    item_ids = [item.id for item in subscription.items]
    if not item_ids:
        return []
    rows = session.execute(
        select(SubscriptionCharge.period_start, SubscriptionCharge.period_end, Order.status, Invoice.id,
               Invoice.number, Invoice.status)
        .join(Order, Order.id == SubscriptionCharge.order_id)
        .outerjoin(Invoice, Invoice.id == Order.invoice_id)
        .where(SubscriptionCharge.tenant_id == actor.tenant_id, SubscriptionCharge.item_id.in_(item_ids))
        .distinct()
        .order_by(SubscriptionCharge.period_start.desc()))
    return [BilledPeriod(*row) for row in rows]
