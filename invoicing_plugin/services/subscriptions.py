"""Subscriptions: created once per external id, changed from the next service period on, paused, cancelled.

A subscription keeps its billing cursor (`next_period_start`, JustOn's "next service period start") and the
day that period is billed on (`next_bill_on`); invoice runs bill from it (services/subscription_billing.py).
A price or quantity change is a new term of the item from the start of a service period: the history stays.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Subscription, SubscriptionItem, SubscriptionItemTerm, Tenant
from ..domain.errors import Conflict, InvalidState, NotFound, ValidationFailed
from ..domain.orders import LineTax, vat_problems
from ..domain.subscriptions import grid_period, service_period
from ..domain.vat import default_category
from . import audit, notifications
from .actors import Actor
from .commands import CustomerDetails
from .customers import resolve_customer
from .invoices import tenant_today
from .tenants import load_tenant, series_by_name, vat_table
from .unit_of_work import Database, Reply

ACTIVE, PAUSED, CANCELLED = "active", "paused", "cancelled"


@dataclass(frozen=True)
class ItemSpec:
    description: str
    billing_type: str  # one_time, recurring, recurring_prorated, usage
    unit_price: Decimal
    vat_rate: Decimal
    quantity: Decimal = Decimal(1)
    vat_category: str | None = None
    sku: str | None = None
    unit: str | None = None
    included_units: Decimal = Decimal(0)
    tiers: tuple[dict[str, Any], ...] = ()  # {"up_to": Decimal | None, "unit_price": Decimal}
    price_months: int | None = None  # the months unit_price is for; None: the billing period


@dataclass(frozen=True)
class CreateSubscription:
    external_id: str
    customer: CustomerDetails
    start_date: date
    period_months: int
    items: tuple[ItemSpec, ...]
    timing: str = "arrears"
    end_date: date | None = None
    currency: str | None = None  # default: the merchant's
    prices_include_vat: bool = False
    payment_terms_days: int | None = None
    series: str | None = None
    buyer_reference: str | None = None
    fingerprint: str = ""  # tells a retry from another subscription reusing the external id


@dataclass(frozen=True)
class ItemChange:
    item_id: uuid.UUID
    quantity: Decimal | None = None
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class ChangeSubscription:
    effective_from: date  # the change applies from the service period starting on or after this day
    items: tuple[ItemChange, ...] = ()
    buyer_reference: str | None = None
    fields_set: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SubscriptionResult:
    subscription: Subscription
    created: bool


class SubscriptionExists(Conflict):
    code = "subscription_exists_with_other_content"
    title = "A subscription with this external id exists with different content"


# -- reading ------------------------------------------------------------------------------------------

def get_subscription(session: Session, actor: Actor, subscription_id: uuid.UUID, *,
                     for_update: bool = False) -> Subscription:
    query = select(Subscription).where(Subscription.id == subscription_id, Subscription.tenant_id == actor.tenant_id)
    subscription = session.scalars(query.with_for_update() if for_update else query).first()
    if subscription is None:
        raise NotFound("no such subscription")
    return subscription


def list_subscriptions(session: Session, actor: Actor, *, status: str | None = None,
                       customer_id: uuid.UUID | None = None, external_id: str | None = None,
                       limit: int = 50) -> list[Subscription]:
    query = select(Subscription).where(Subscription.tenant_id == actor.tenant_id)
    if status:
        query = query.where(Subscription.status == status)
    if customer_id:
        query = query.where(Subscription.customer_id == customer_id)
    if external_id:
        query = query.where(Subscription.external_id == external_id)
    return list(session.scalars(query.order_by(Subscription.created_at.desc(), Subscription.id).limit(limit)))


def term_on(item: SubscriptionItem, period_start: date) -> SubscriptionItemTerm:
    """The item's quantity and price for the service period starting on this day (its latest term by then)."""
    current = item.terms[0]
    for term in item.terms:
        if term.effective_from <= period_start:
            current = term
    return current


def reschedule(subscription: Subscription) -> None:
    """`next_bill_on` from the cursor: the next period's end (arrears) or start (advance), if it is served."""
    last_day = subscription.end_date
    if subscription.status == PAUSED and subscription.paused_from is not None:
        before_pause = subscription.paused_from - timedelta(days=1)
        last_day = before_pause if last_day is None else min(last_day, before_pause)
    period = service_period(subscription.next_period_start, subscription.start_date, subscription.period_months,
                            last_day)
    if period is None:
        subscription.next_bill_on = None
    else:
        subscription.next_bill_on = period.end if subscription.timing == "arrears" else period.start


def state(subscription: Subscription) -> dict[str, Any]:
    return {"status": subscription.status, "start_date": subscription.start_date.isoformat(),
            "end_date": subscription.end_date.isoformat() if subscription.end_date else None,
            "paused_from": subscription.paused_from.isoformat() if subscription.paused_from else None,
            "next_period_start": subscription.next_period_start.isoformat(),
            "buyer_reference": subscription.buyer_reference,
            "items": [{"id": str(item.id), "terms": [
                {"from": term.effective_from.isoformat(), "quantity": str(term.quantity),
                 "unit_price": str(term.unit_price)} for term in item.terms]} for item in subscription.items]}


def event_data(subscription: Subscription) -> dict[str, Any]:
    return {"subscription": {"id": str(subscription.id), "external_id": subscription.external_id,
                             "customer_id": str(subscription.customer_id), "status": subscription.status,
                             "start_date": subscription.start_date.isoformat(),
                             "end_date": subscription.end_date.isoformat() if subscription.end_date else None}}


# -- creating -------------------------------------------------------------------------------------------

def create_subscription(db: Database, actor: Actor, command: CreateSubscription, *,
                        reply: Reply | None = None) -> SubscriptionResult:
    """Store a subscription; the same external id and content again returns it, other content is refused."""
    return db.run(lambda session: _create(session, actor, load_tenant(session, actor), command), reply=reply)


def creation_problems(session: Session, tenant: Tenant, command: CreateSubscription) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if command.end_date is not None and command.end_date < command.start_date:
        problems["end_date"] = ["must be on or after start_date"]
    if command.series and command.series not in series_by_name(session, tenant.id):
        problems["series"] = [f"no number series named {command.series!r}"]
    taxes = [LineTax(item.vat_rate, item.vat_category) for item in command.items]
    for key, messages in vat_problems(taxes, command.start_date, vat_table(session, tenant),
                                      bool(command.customer.vat_id)).items():
        problems[key.replace("lines[", "items[")] = messages
    if command.timing == "advance":
        for index, item in enumerate(command.items):
            if item.billing_type == "usage":
                problems[f"items[{index}].billing_type"] = [
                    "usage is counted after the period: a subscription with usage items bills in arrears"]
    return problems


def _create(session: Session, actor: Actor, tenant: Tenant, command: CreateSubscription) -> SubscriptionResult:
    existing = session.scalars(select(Subscription).where(
        Subscription.tenant_id == tenant.id, Subscription.external_id == command.external_id)).first()
    if existing is not None:
        if existing.fingerprint != command.fingerprint:
            raise SubscriptionExists(
                f"subscription {command.external_id!r} exists already with different content; change it with "
                "PATCH /subscriptions/{id}", existing_subscription_id=str(existing.id))
        return SubscriptionResult(existing, created=False)
    problems = creation_problems(session, tenant, command)
    if problems:
        raise ValidationFailed(problems)
    customer = resolve_customer(session, tenant.id, command.customer.as_details())
    subscription = Subscription(
        id=uuid.uuid4(), tenant_id=tenant.id, external_id=command.external_id, customer_id=customer.id,
        contact=None, buyer_reference=command.buyer_reference, currency=command.currency or tenant.currency,
        prices_include_vat=command.prices_include_vat, payment_terms_days=command.payment_terms_days,
        series=command.series, start_date=command.start_date, end_date=command.end_date,
        period_months=command.period_months, timing=command.timing, status=ACTIVE, paused_from=None,
        next_period_start=command.start_date, fingerprint=command.fingerprint)
    for position, spec in enumerate(command.items, start=1):
        item = SubscriptionItem(
            id=uuid.uuid4(), tenant_id=tenant.id, position=position, description=spec.description, sku=spec.sku,
            unit=spec.unit, billing_type=spec.billing_type, vat_rate=spec.vat_rate,
            vat_category=spec.vat_category or default_category(spec.vat_rate), included_units=spec.included_units,
            tiers=[{"up_to": None if tier.get("up_to") is None else str(tier["up_to"]),
                    "unit_price": str(tier["unit_price"])} for tier in spec.tiers] or None,
            price_months=spec.price_months if spec.price_months != command.period_months else None)
        item.terms = [SubscriptionItemTerm(
            id=uuid.uuid4(), tenant_id=tenant.id, effective_from=command.start_date,
            quantity=spec.quantity if spec.billing_type != "usage" else Decimal(1), unit_price=spec.unit_price,
            created_by=actor.label)]
        subscription.items.append(item)
    reschedule(subscription)
    session.add(subscription)
    session.flush()
    audit.record(session, actor, "subscription.created", "subscription", subscription.id, after=state(subscription))
    notifications.queue_event(session, tenant.id, "subscription.created", event_data(subscription))
    return SubscriptionResult(subscription, created=True)


# -- changing ------------------------------------------------------------------------------------------

def change_subscription(db: Database, actor: Actor, subscription_id: uuid.UUID, command: ChangeSubscription, *,
                        reply: Reply | None = None) -> Subscription:
    """New quantities or prices from the service period that starts on or after `effective_from`."""

    def work(session: Session) -> Subscription:
        subscription = get_subscription(session, actor, subscription_id, for_update=True)
        if subscription.status == CANCELLED:
            raise InvalidState("the subscription is cancelled; it is not changed any more")
        before = state(subscription)
        problems: dict[str, list[str]] = {}
        items = {item.id: item for item in subscription.items}
        start = first_period_from(subscription, command.effective_from)
        if command.items and start < subscription.next_period_start:
            problems["effective_from"] = [
                f"the service period from {start.isoformat()} is invoiced already; changes apply from "
                f"{subscription.next_period_start.isoformat()} at the earliest"]
        for index, change in enumerate(command.items):
            item = items.get(change.item_id)
            if item is None:
                problems[f"items[{index}].id"] = ["is not an item of this subscription"]
            elif item.billing_type == "usage" and change.quantity is not None:
                problems[f"items[{index}].quantity"] = ["a usage item's quantity is what its meter records"]
        if problems:
            raise ValidationFailed(problems)
        for change in command.items:
            item = items[change.item_id]
            current = term_on(item, start)
            term = next((t for t in item.terms if t.effective_from == start), None)
            if term is None:
                term = SubscriptionItemTerm(id=uuid.uuid4(), tenant_id=subscription.tenant_id, effective_from=start,
                                            quantity=current.quantity, unit_price=current.unit_price,
                                            created_by=actor.label)
                item.terms.append(term)
            term.quantity = change.quantity if change.quantity is not None else current.quantity
            term.unit_price = change.unit_price if change.unit_price is not None else current.unit_price
        if "buyer_reference" in command.fields_set:
            subscription.buyer_reference = command.buyer_reference
        subscription.updated_at = datetime.now(UTC)
        session.flush()
        _announce(session, actor, subscription, "subscription.updated", before)
        return subscription

    return db.run(work, reply=reply)


def first_period_from(subscription: Subscription, day: date) -> date:
    """The start of the first service period that starts on or after `day` (a period's first day is itself)."""
    if day <= subscription.start_date:
        return subscription.start_date
    full_start, full_end = grid_period(day, subscription.start_date, subscription.period_months)
    return day if day == full_start else full_end + timedelta(days=1)


def cancel_subscription(db: Database, actor: Actor, subscription_id: uuid.UUID, *, at: str = "period_end",
                        on: date | None = None, reason: str | None = None, reply: Reply | None = None
                        ) -> Subscription:
    """End the service at the end of the current period (`at=period_end`, on `on` or today) or on a date:
    `on` is then the last day served; a prorated item pays its part of the final period."""

    def work(session: Session) -> Subscription:
        subscription = get_subscription(session, actor, subscription_id, for_update=True)
        if subscription.status == CANCELLED:
            return subscription
        tenant = load_tenant(session, actor)
        day = on or tenant_today(tenant)
        last_day = grid_period(max(day, subscription.start_date), subscription.start_date,
                               subscription.period_months)[1] if at == "period_end" else day
        problems = {}
        if last_day < subscription.start_date - timedelta(days=1):
            problems["on"] = [f"is before the subscription starts ({subscription.start_date.isoformat()})"]
        if subscription.next_period_start > last_day + timedelta(days=1) and subscription.timing == "arrears":
            problems["on"] = [f"service up to {subscription.next_period_start - timedelta(days=1)} is invoiced "
                              "already; cancel from that day on, or credit the invoice"]
        if problems:
            raise ValidationFailed(problems)
        before = state(subscription)
        if subscription.status == PAUSED and subscription.paused_from is not None:
            # Cancelled while paused: the service ended when the pause began.
            last_day = min(last_day, max(subscription.paused_from - timedelta(days=1),
                                         subscription.next_period_start - timedelta(days=1)))
        subscription.end_date = last_day if subscription.end_date is None else min(subscription.end_date, last_day)
        subscription.status = CANCELLED
        subscription.cancelled_at = datetime.now(UTC)
        reschedule(subscription)
        _announce(session, actor, subscription, "subscription.cancelled", before, reason=reason)
        return subscription

    return db.run(work, reply=reply)


def pause_subscription(db: Database, actor: Actor, subscription_id: uuid.UUID, *, on: date | None = None,
                       reply: Reply | None = None) -> Subscription:
    """No service from `on` (default today) until resumed: the period it falls in is billed up to the day before."""

    def work(session: Session) -> Subscription:
        subscription = get_subscription(session, actor, subscription_id, for_update=True)
        if subscription.status != ACTIVE:
            raise InvalidState(f"the subscription is {subscription.status}: only an active one is paused")
        day = on or tenant_today(load_tenant(session, actor))
        if day < subscription.next_period_start:
            raise ValidationFailed({"on": [f"service up to {subscription.next_period_start - timedelta(days=1)} "
                                           "is invoiced already; pause from that day on"]})
        before = state(subscription)
        subscription.status = PAUSED
        subscription.paused_from = day
        reschedule(subscription)
        _announce(session, actor, subscription, "subscription.updated", before)
        return subscription

    return db.run(work, reply=reply)


def resume_subscription(db: Database, actor: Actor, subscription_id: uuid.UUID, *, on: date | None = None,
                        reply: Reply | None = None) -> Subscription:
    """Service again from `on` (default today); a prorated item pays its part of the period it resumes in."""

    def work(session: Session) -> Subscription:
        subscription = get_subscription(session, actor, subscription_id, for_update=True)
        if subscription.status != PAUSED:
            raise InvalidState(f"the subscription is {subscription.status}: only a paused one is resumed")
        assert subscription.paused_from is not None  # paused ones have it
        day = on or tenant_today(load_tenant(session, actor))
        if day < subscription.paused_from:
            raise ValidationFailed({"on": [f"is before the pause began ({subscription.paused_from.isoformat()})"]})
        before = state(subscription)
        subscription.status = ACTIVE
        subscription.next_period_start = max(subscription.next_period_start, day)
        subscription.paused_from = None
        reschedule(subscription)
        _announce(session, actor, subscription, "subscription.updated", before)
        return subscription

    return db.run(work, reply=reply)


def _announce(session: Session, actor: Actor, subscription: Subscription, action: str,
              before: dict[str, Any], reason: str | None = None) -> None:
    after = state(subscription) | ({"reason": reason} if reason else {})
    audit.record(session, actor, action, "subscription", subscription.id, before=before, after=after)
    notifications.queue_event(session, subscription.tenant_id, action, event_data(subscription))
