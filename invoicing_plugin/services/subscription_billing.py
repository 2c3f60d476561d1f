"""Subscriptions billed by invoice runs: each due service period becomes an order waiting for invoicing.

A run's batch first turns the due periods of the subscriptions in its scope into orders (source
`subscription`, delivery date = the period's end in arrears or its start in advance, as VAT wants), then
invoices orders as always: one engine, one grouping, one numbering, and the orders' claim-once rule. A
(subscription item, service period) is claimed by one `subscription_charges` row (unique) written with its
order, under the subscription's row lock (`FOR UPDATE`), and the subscription's cursor moves past the
period in the same transaction: two workers or two runs never bill a period twice (the second waits for the
first's lock, then finds the period billed), and a worker that dies mid-batch leaves nothing half done.
Cancelling the invoice with `release` puts the order back to waiting, so the next run bills the period again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from ..db import Customer, InvoiceRun, Order, OrderLine, Subscription, SubscriptionCharge, Tenant, UsageRecord
from ..db.subscriptions import SubscriptionItem
from ..db.tables import table_of
from ..domain.lifecycle import InvoicingMode, OrderStatus
from ..domain.money import tidy
from ..domain.subscriptions import (
    ServicePeriod,
    Tier,
    months_from_anchor,
    period_fraction,
    round_half_up,
    service_period,
    spread_amount,
    usage_bands,
)
from .idempotency import canonical_digest
from .rows import NewRow, insert_new
from .subscriptions import reschedule, term_on

SOURCE = "subscription"
SUBSCRIPTIONS_PER_BATCH = 50


def due_in_scope(run: InvoiceRun) -> Select[Subscription] | None:
    """The run's subscriptions with a period to bill by its last day; None when its filters exclude them."""
    filters = run.filters or {}
    if filters.get("source") not in (None, SOURCE) or "store_id" in filters or "terminal_id" in filters:
        return None
    items, records = table_of(SubscriptionItem).c, table_of(UsageRecord).c
    # A subscription that has ended (or is paused) is still billed the usage recorded late for its periods.
    late_usage = (select(records.id).join(table_of(SubscriptionItem), items.id == records.item_id)
                  .where(items.subscription_id == Subscription.id, records.order_id.is_(None),
                         records.period_start <= run.period_to).exists())
    query = select(Subscription).where(Subscription.tenant_id == run.tenant_id, or_(
        Subscription.next_bill_on <= run.period_to, and_(Subscription.next_bill_on.is_(None), late_usage)))
    if "subscription_ids" in filters:
        query = query.where(Subscription.id.in_([uuid.UUID(str(s)) for s in filters["subscription_ids"]]))
    if "currency" in filters:
        query = query.where(Subscription.currency == filters["currency"])
    if "series" in filters:
        query = query.where(Subscription.series == filters["series"])
    customer_ids = filters.get("customer_ids")
    if run.only_customer_ids is not None:
        customer_ids = sorted(set(customer_ids or run.only_customer_ids) & set(run.only_customer_ids))
    if customer_ids is not None:
        query = query.where(Subscription.customer_id.in_([uuid.UUID(str(c)) for c in customer_ids]))
    if "customer_type" in filters:
        query = query.where(Subscription.customer_id.in_(select(Customer.id).where(
            Customer.tenant_id == run.tenant_id, Customer.type == filters["customer_type"])))
    return query


def bill_due_periods(session: Session, run: InvoiceRun, tenant: Tenant) -> int:
    """One batch: the due periods of up to SUBSCRIPTIONS_PER_BATCH subscriptions become orders; how many."""
    query = due_in_scope(run)
    if query is None:
        return 0
    subscriptions = list(session.scalars(query.order_by(Subscription.next_bill_on, Subscription.id)
                                         .limit(SUBSCRIPTIONS_PER_BATCH).with_for_update()))
    if not subscriptions:
        return 0
    item_ids = [item.id for subscription in subscriptions for item in subscription.items]
    with session.no_autoflush:  # the cursors move as periods are billed; nothing needs flushing before the end
        billed_once = set(session.scalars(select(SubscriptionCharge.item_id).where(
            SubscriptionCharge.item_id.in_(item_ids)).distinct()))
        waiting = _waiting_usage(session, [item.id for subscription in subscriptions for item in subscription.items
                                           if item.billing_type == "usage"])
        orders: list[NewRow] = []
        charges: list[NewRow] = []
        usage_claims: list[tuple[uuid.UUID, list[uuid.UUID]]] = []
        for subscription in subscriptions:
            while subscription.next_bill_on is not None and subscription.next_bill_on <= run.period_to:
                period = service_period(subscription.next_period_start, subscription.start_date,
                                        subscription.period_months, _last_day(subscription))
                assert period is not None  # next_bill_on is set only when there is a period
                order = _order(tenant, subscription, period)
                for item in subscription.items:
                    lines, claimed = _lines(session, subscription, item, period, item.id in billed_once,
                                            waiting.get(item.id, []))
                    if item.billing_type == "one_time" and lines:
                        billed_once.add(item.id)
                    order.lines += lines
                    if claimed:
                        usage_claims.append((order.id, claimed))
                    charges.append(NewRow(id=uuid.uuid4(), tenant_id=tenant.id, item_id=item.id,
                                          period_start=period.start, period_end=period.end, order_id=order.id,
                                          created_at=order.created_at))
                for position, line in enumerate(order.lines, start=1):
                    line.position, line.order_id = position, order.id
                if not order.lines:
                    # A period with nothing to pay (no usage) is claimed all the same; it waits for nothing.
                    order.status = OrderStatus.INVOICED.value
                orders.append(order)
                subscription.next_period_start = period.end + timedelta(days=1)
                reschedule(subscription)
            if subscription.next_bill_on is None:
                late = _late_usage_order(session, tenant, subscription, run.period_to, waiting, usage_claims)
                if late is not None:
                    orders.append(late)
    insert_new(session, Order, orders)
    insert_new(session, OrderLine, [line for order in orders for line in order.lines])
    insert_new(session, SubscriptionCharge, charges)
    _claim_usage(session, usage_claims)
    return len(subscriptions)


def _claim_usage(session: Session, claims: list[tuple[uuid.UUID, list[uuid.UUID]]]) -> None:
    """The records' order, by primary key (they are locked): on PostgreSQL one executemany, pipelined."""
    if not claims:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("UPDATE usage_records SET order_id = :order_id WHERE id = ANY(CAST(:ids AS uuid[]))"),
                        [{"order_id": order_id, "ids": ids} for order_id, ids in claims])
        return
    records = table_of(UsageRecord)
    for order_id, ids in claims:
        session.execute(update(records).where(records.c.id.in_(ids)).values(order_id=order_id))


def _waiting_usage(session: Session, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[Any, ...]]]:
    """The usage items' records not billed yet, locked: what the lines count is exactly what the orders claim
    (a record another transaction claimed meanwhile is passed over once its lock is released)."""
    waiting: dict[uuid.UUID, list[tuple[Any, ...]]] = defaultdict(list)
    if not item_ids:
        return waiting
    records = table_of(UsageRecord).c
    for row in session.execute(select(records.item_id, records.id, records.period_start, records.quantity)
                               .where(records.item_id.in_(item_ids), records.order_id.is_(None))
                               .order_by(records.item_id, records.period_start).with_for_update()):
        waiting[row[0]].append((row[1], row[2], row[3]))
    return waiting


def _late_usage_order(session: Session, tenant: Tenant, subscription: Subscription, up_to: date,
                      waiting: dict[uuid.UUID, list[tuple[Any, ...]]],
                      usage_claims: list[tuple[uuid.UUID, list[uuid.UUID]]]) -> NewRow | None:
    """An order of the usage recorded late for a subscription with no period left to bill, if there is any."""
    last_day = min(_last_day(subscription) or up_to, up_to)
    beyond = ServicePeriod(up_to + timedelta(days=1), up_to, up_to + timedelta(days=1), up_to)  # all is late
    order = _order(tenant, subscription, ServicePeriod(last_day, last_day, last_day, last_day))
    external = subscription.external_id if len(subscription.external_id) <= 80 else str(subscription.id)
    order.external_id = f"{external}/late-{order.id.hex[:8]}"
    order.fingerprint = canonical_digest("subscription_late_usage", [str(subscription.id), str(order.id)])
    order.delivery_date = last_day
    for item in subscription.items:
        if item.billing_type == "usage" and any(record[1] <= up_to for record in waiting.get(item.id, [])):
            lines, claimed = _usage_lines(session, item, beyond, "", term_on(item, last_day).unit_price,
                                          waiting[item.id])
            order.lines += lines
            usage_claims.append((order.id, claimed))
    if not usage_claims or usage_claims[-1][0] != order.id:
        return None
    if not order.lines:  # records of nothing to pay (quantity 0) are claimed all the same
        order.status = OrderStatus.INVOICED.value
    for position, line in enumerate(order.lines, start=1):
        line.position, line.order_id = position, order.id
    return order


def _last_day(subscription: Subscription) -> date | None:
    last = subscription.end_date
    if subscription.status == "paused" and subscription.paused_from is not None:
        before = subscription.paused_from - timedelta(days=1)
        last = before if last is None else min(last, before)
    return last


def _order(tenant: Tenant, subscription: Subscription, period: ServicePeriod) -> NewRow:
    now = datetime.now(UTC)
    delivery = period.end if subscription.timing == "arrears" else period.start
    external = subscription.external_id if len(subscription.external_id) <= 89 else str(subscription.id)
    order = NewRow(
        id=uuid.uuid4(), tenant_id=tenant.id, source=SOURCE, external_id=f"{external}/{period.start.isoformat()}",
        store_id=None, terminal_id=None, cashier=None, customer_id=subscription.customer_id,
        contact=subscription.contact, buyer_reference=subscription.buyer_reference, currency=subscription.currency,
        prices_include_vat=subscription.prices_include_vat, invoicing_mode=InvoicingMode.COLLECT.value,
        payment_terms_days=subscription.payment_terms_days, series=subscription.series, delivery_date=delivery,
        notes=None, exchange_rate=None, status=OrderStatus.READY_FOR_INVOICING.value, invoice_id=None,
        subscription_id=subscription.id,
        fingerprint=canonical_digest("subscription_period", [str(subscription.id), period.start.isoformat()]),
        created_by_key_id=None, created_at=now, updated_at=now)
    order.lines = []
    return order


def span(start: date, end: date) -> str:
    return f"{start.isoformat()} – {end.isoformat()}"


def new_line(item: SubscriptionItem, description: str, quantity: Decimal, unit_price: Decimal,
             start: date, end: date) -> NewRow:
    """A line billing the item for the service period start..end (said as data, and in the description)."""
    return NewRow(id=uuid.uuid4(), tenant_id=item.tenant_id, order_id=None, position=0, sku=item.sku,
                  description=description[:500], quantity=quantity, unit=item.unit, unit_price=unit_price,
                  discount_percent=Decimal(0), vat_rate=item.vat_rate, vat_category=item.vat_category,
                  service_period_start=start, service_period_end=end)


def _lines(session: Session, subscription: Subscription, item: SubscriptionItem, period: ServicePeriod,
           billed_before: bool, waiting: list[tuple[Any, ...]]) -> tuple[list[NewRow], list[uuid.UUID]]:
    """The item's lines for the period (each saying its service period) and the usage records they bill."""
    label = f"{item.description[:440]} ({span(period.start, period.end)})"
    dates = (period.start, period.end)
    term = term_on(item, period.start)
    if item.billing_type == "one_time":
        return ([] if billed_before else [new_line(item, label, term.quantity, term.unit_price, *dates)]), []
    if item.billing_type == "usage":
        return _usage_lines(session, item, period, label, term.unit_price, waiting)
    prorate = item.billing_type == "recurring_prorated" and not period.is_full
    if item.price_months is None and not prorate:
        return [new_line(item, label, term.quantity, term.unit_price, *dates)], []
    # The period's amount as an exact fraction, rounded once, as one line of quantity 1 (17/31 of a price, or
    # a twelfth of a yearly one, has no exact unit price); the description says how it was reckoned.
    how = f"{tidy(term.quantity)} × {tidy(term.unit_price, 2)}"
    if item.price_months is None:
        whole = Fraction(term.quantity) * Fraction(term.unit_price)
    else:
        first = months_from_anchor(period.full_start, subscription.start_date)
        whole = Fraction(spread_amount(term.quantity, term.unit_price, item.price_months, first,
                                       subscription.period_months, subscription.currency))
        how += f" per {item.price_months} months, months {first + 1}–{first + subscription.period_months}"
    if prorate:
        fraction = period_fraction(period)
        whole *= fraction
        how += f", {fraction.numerator}/{fraction.denominator} of the period"
    return [new_line(item, f"{label}, {how}", Decimal(1), round_half_up(whole, subscription.currency),
                     *dates)], []


def _usage_lines(session: Session, item: SubscriptionItem, period: ServicePeriod, label: str,
                 unit_price: Decimal, waiting: list[tuple[Any, ...]]) -> tuple[list[NewRow], list[uuid.UUID]]:
    """This period's usage by its tiers, and usage that came late for periods billed before, by theirs;
    the records billed are taken out of `waiting` (the item's unbilled records, locked)."""
    taken = [record for record in waiting if record[1] <= period.end]
    waiting[:] = [record for record in waiting if record[1] > period.end]
    by_period: dict[date, Decimal] = defaultdict(Decimal)
    for _, start, quantity in taken:
        by_period[start] += quantity
    current = sum((q for start, q in by_period.items() if start >= period.start), Decimal(0))
    lines = band_lines(item, label, Decimal(0), current, unit_price, period.start, period.end)
    late_starts = sorted(start for start in by_period if start < period.start)
    if late_starts:
        counted = billed_usage(session, item.id, late_starts)
        for start in late_starts:
            late_end = _period_end_of(session, item.id, start)
            late_label = f"{item.description[:400]} ({span(start, late_end)})"
            before = counted.get(start, Decimal(0))
            # A late line bills its own (earlier) period, not the one of the order it rides on.
            lines += band_lines(item, late_label + ", recorded late", before, before + by_period[start],
                                term_on(item, start).unit_price, start, late_end)
    return lines, [record_id for record_id, _, _ in taken]


def band_lines(item: SubscriptionItem, label: str, before: Decimal, after: Decimal, unit_price: Decimal,
               start: date, end: date) -> list[NewRow]:
    """Lines of the units (before, after] of one period's usage: one per tier band, each saying its units."""
    tiers = [Tier(None if tier["up_to"] is None else Decimal(tier["up_to"]), Decimal(tier["unit_price"]))
             for tier in item.tiers or []]
    return [new_line(item, label + _band_label(band.first, band.last, band.unit_price), band.quantity, band.unit_price,
                     start, end)
            for band in usage_bands(before, after, unit_price, item.included_units, tiers)]


def _band_label(first: Decimal, last: Decimal, price: Decimal) -> str:
    what = "included" if price == 0 else f"at {tidy(price, 2)}"
    return f", units {tidy(first)}–{tidy(last)} {what}"


def billed_usage(session: Session, item_id: uuid.UUID, starts: list[date]) -> dict[date, Decimal]:
    rows = session.execute(select(UsageRecord.period_start, func.sum(UsageRecord.quantity)).where(
        UsageRecord.item_id == item_id, UsageRecord.order_id.is_not(None), UsageRecord.period_start.in_(starts))
        .group_by(UsageRecord.period_start))
    return {start: quantity for start, quantity in rows}


def _period_end_of(session: Session, item_id: uuid.UUID, start: date) -> date:
    """The billed period a late record belongs to (its charge says where it ended)."""
    end = session.scalar(select(SubscriptionCharge.period_end).where(
        SubscriptionCharge.item_id == item_id, SubscriptionCharge.period_start <= start)
        .order_by(SubscriptionCharge.period_start.desc()).limit(1))
    return end or start

