"""Metered usage: batches of readings recorded once per transaction id, refused with a reason when unbillable.

A meter retries: the same transaction id with the same item, quantity and time is recorded once (an INSERT
with ON CONFLICT DO NOTHING on the unique id, so concurrent retries too); the id reused with other content is
a conflict and nothing of the batch is written. Each record keeps the service period its day falls in, so a
record arriving after that period was invoiced is billed by the next invoice, marked with its own period.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Subscription, SubscriptionItem, Tenant, UsageRecord
from ..db.tables import table_of
from ..domain.errors import Conflict, ValidationFailed
from ..domain.subscriptions import grid_period
from . import notifications
from .actors import Actor
from .idempotency import dialect_insert
from .subscriptions import PAUSED, get_subscription
from .tenants import load_tenant
from .unit_of_work import Database, Reply

MAX_BATCH = 1000


@dataclass(frozen=True)
class UsageInput:
    transaction_id: str
    item_id: uuid.UUID
    quantity: Decimal
    occurred_at: datetime  # aware


@dataclass(frozen=True)
class UsageOutcome:
    recorded: int
    duplicates: int
    refused: tuple[dict[str, Any], ...]


class UsageConflict(Conflict):
    code = "usage_exists_with_other_content"
    title = "A usage record with this transaction id exists with different content"


def record_usage(db: Database, actor: Actor, records: tuple[UsageInput, ...], *,
                 reply: Reply | None = None) -> UsageOutcome:
    """Record a batch: new records stored, repeats passed over, unbillable ones refused with their reason."""
    if len(records) > MAX_BATCH:
        raise ValidationFailed({"records": [f"a batch has at most {MAX_BATCH} records"]})
    return db.run(lambda session: _record(session, actor, load_tenant(session, actor), records), reply=reply)


def _record(session: Session, actor: Actor, tenant: Tenant, records: tuple[UsageInput, ...]) -> UsageOutcome:
    _check_batch_itself(records)
    zone = ZoneInfo(tenant.timezone)
    items = {row.SubscriptionItem.id: row for row in session.execute(
        select(SubscriptionItem, Subscription).join(Subscription, Subscription.id == SubscriptionItem.subscription_id)
        .where(SubscriptionItem.tenant_id == tenant.id,
               SubscriptionItem.id.in_({record.item_id for record in records})))}
    refused: list[dict[str, Any]] = []
    accepted: list[tuple[UsageInput, date]] = []
    for index, record in enumerate(records):
        found = items.get(record.item_id)
        day = record.occurred_at.astimezone(zone).date()
        reason = refusal(found.SubscriptionItem, found.Subscription, day) if found else "no such subscription item"
        if reason:
            refused.append({"index": index, "transaction_id": record.transaction_id, "reason": reason})
        else:
            assert found is not None  # a refusal otherwise
            accepted.append((record, _period_start(found.Subscription, day)))
    new = _insert(session, tenant, accepted)
    if new:
        per_item: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
        for record, _ in new:
            per_item[record.item_id] += record.quantity
        notifications.queue_event(session, tenant.id, "usage.recorded", {"usage": {
            "records": len(new), "items": [{"subscription_item_id": str(item_id), "quantity": str(quantity)}
                                           for item_id, quantity in sorted(per_item.items())]}})
    return UsageOutcome(recorded=len(new), duplicates=len(accepted) - len(new), refused=tuple(refused))


def refusal(item: SubscriptionItem, subscription: Subscription, day: date) -> str | None:
    """Why a reading of this item on this (tenant's) day cannot be billed; None: it can."""
    if item.billing_type != "usage":
        return f"the item is billed as {item.billing_type}, not by usage"
    if day < subscription.start_date:
        return f"{day.isoformat()} is before the subscription starts ({subscription.start_date.isoformat()})"
    if subscription.end_date is not None and day > subscription.end_date:
        ended = "was cancelled" if subscription.status == "cancelled" else "ends"
        return f"{day.isoformat()} is after the last day of service: the subscription {ended} on " \
               f"{subscription.end_date.isoformat()}"
    if subscription.status == PAUSED and subscription.paused_from is not None and day >= subscription.paused_from:
        return f"the subscription is paused since {subscription.paused_from.isoformat()}"
    return None


def _period_start(subscription: Subscription, day: date) -> date:
    return max(grid_period(day, subscription.start_date, subscription.period_months)[0], subscription.start_date)


def _check_batch_itself(records: tuple[UsageInput, ...]) -> None:
    seen: dict[str, UsageInput] = {}
    problems: dict[str, list[str]] = {}
    for index, record in enumerate(records):
        first = seen.setdefault(record.transaction_id, record)
        if first is not record and _content(first) != _content(record):
            problems[f"records[{index}].transaction_id"] = ["appears twice in the batch with different content"]
    if problems:
        raise ValidationFailed(problems)


def _content(record: UsageInput | UsageRecord) -> tuple[Any, ...]:
    return record.item_id, Decimal(record.quantity).normalize(), record.occurred_at.astimezone(UTC)


def _insert(session: Session, tenant: Tenant, accepted: list[tuple[UsageInput, date]]
            ) -> list[tuple[UsageInput, date]]:
    """Insert what is new; a transaction id stored before (or by a concurrent retry) must carry the same content."""
    if not accepted:
        return []
    unique = list({record.transaction_id: (record, start) for record, start in accepted}.values())
    now = datetime.now(UTC)
    table = table_of(UsageRecord)
    # One cached statement sent as executemany ("insertmanyvalues": batched multi-row VALUES with RETURNING),
    # instead of compiling a statement of thousands of bound values per request.
    statement = (dialect_insert(session, table).on_conflict_do_nothing(index_elements=["tenant_id", "transaction_id"])
                 .returning(table.c.transaction_id))
    inserted = set(session.scalars(statement, [
        {"id": uuid.uuid4(), "tenant_id": tenant.id, "transaction_id": record.transaction_id,
         "item_id": record.item_id, "quantity": record.quantity, "occurred_at": record.occurred_at,
         "period_start": start, "order_id": None, "created_at": now} for record, start in unique]))
    others = [record for record, _ in unique if record.transaction_id not in inserted]
    if others:
        stored = {row.transaction_id: row for row in session.scalars(select(UsageRecord).where(
            UsageRecord.tenant_id == tenant.id,
            UsageRecord.transaction_id.in_([record.transaction_id for record in others])))}
        clashes = [record.transaction_id for record in others if _content(stored[record.transaction_id])
                   != _content(record)]
        if clashes:
            raise UsageConflict(
                f"{len(clashes)} transaction id(s) were recorded before with another item, quantity or time: "
                f"{', '.join(clashes[:10])}; a reading is never changed by sending it again",
                transaction_ids=clashes[:100])
    return [(record, start) for record, start in unique if record.transaction_id in inserted]


def usage_sums(session: Session, actor: Actor, subscription_id: uuid.UUID, day_from: date | None,
               day_to: date | None) -> list[dict[str, Any]]:
    """Per usage item of the subscription: the quantity and count of records on these (tenant's) days."""
    subscription = get_subscription(session, actor, subscription_id)
    zone = ZoneInfo(load_tenant(session, actor).timezone)
    query = (select(UsageRecord.item_id, func.sum(UsageRecord.quantity), func.count())
             .where(UsageRecord.tenant_id == actor.tenant_id,
                    UsageRecord.item_id.in_([item.id for item in subscription.items]))
             .group_by(UsageRecord.item_id))
    if day_from is not None:
        query = query.where(UsageRecord.occurred_at >= datetime.combine(day_from, time(), zone).astimezone(UTC))
    if day_to is not None:
        query = query.where(UsageRecord.occurred_at < datetime.combine(day_to + timedelta(days=1), time(), zone)
                            .astimezone(UTC))
    sums = {item_id: (quantity, count) for item_id, quantity, count in session.execute(query)}
    return [{"subscription_item_id": item.id, "description": item.description,
             "quantity": sums.get(item.id, (Decimal(0), 0))[0], "records": sums.get(item.id, (Decimal(0), 0))[1]}
            for item in subscription.items if item.billing_type == "usage"]
