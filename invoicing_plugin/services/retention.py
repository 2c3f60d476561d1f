"""Retention: operational rows that served their purpose go; the accounting records never do.

Purged, when older than the retention period: delivered deliveries with their attempts, and inbox events
that were processed or ignored; and Idempotency-Key responses past their own retention. Kept for ever
(by this code): invoices, payments, audit events and stored documents, which are accounting vouchers
(Finland: at least 6 years from the end of the financial year, Kirjanpitolaki 1336/1997, 2:10), and what
still needs someone: dead, failed or pending deliveries and unmatched inbox events.

Each batch is its own short transaction, so a large purge never holds locks that orders wait for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from ..db import Delivery, DeliveryAttempt, InboxEvent
from . import idempotency
from .outbox import DELIVERED
from .unit_of_work import Database

DONE_INBOX_STATUSES = ("processed", "ignored")


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    deliveries: int = 0
    attempts: int = 0
    inbox_events: int = 0
    idempotency_keys: int = 0


def purge(
    db: Database, *, older_than: timedelta, idempotency_retention: timedelta | None = None,
    now: datetime | None = None, batch_size: int = 500,
) -> PurgeReport:
    """Delete what the retention period allows, in batches; `idempotency_retention` None keeps those keys."""
    if older_than <= timedelta(0) or batch_size < 1:
        raise ValueError("the retention period and the batch size must be positive")
    cutoff = (now or datetime.now(UTC)) - older_than
    deliveries = attempts = events = keys = 0
    while True:
        batch, removed_attempts = db.run(lambda session: _delivered_batch(session, cutoff, batch_size))
        deliveries, attempts = deliveries + batch, attempts + removed_attempts
        if batch < batch_size:
            break
    while True:
        batch = db.run(lambda session: _inbox_batch(session, cutoff, batch_size))
        events += batch
        if batch < batch_size:
            break
    if idempotency_retention is not None:
        retention = idempotency_retention
        keys = db.run(lambda session: idempotency.purge_expired(session, retention))
    return PurgeReport(cutoff, deliveries, attempts, events, keys)


def _delivered_batch(session: Session, cutoff: datetime, size: int) -> tuple[int, int]:
    ids = list(session.scalars(
        select(Delivery.id).where(Delivery.status == DELIVERED, Delivery.delivered_at < cutoff)
        .order_by(Delivery.delivered_at).limit(size)
    ))
    if not ids:
        return 0, 0
    # The attempts explicitly (and counted for the report), not left to the schema's ON DELETE CASCADE.
    removed = session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(ids)))
    attempts = cast("CursorResult[Any]", removed).rowcount  # a DELETE's result is a cursor result
    session.execute(delete(Delivery).where(Delivery.id.in_(ids)))
    return len(ids), attempts


def _inbox_batch(session: Session, cutoff: datetime, size: int) -> int:
    ids = list(session.scalars(
        select(InboxEvent.id).where(InboxEvent.status.in_(DONE_INBOX_STATUSES), InboxEvent.received_at < cutoff)
        .order_by(InboxEvent.id).limit(size)
    ))
    if ids:
        session.execute(delete(InboxEvent).where(InboxEvent.id.in_(ids)))
    return len(ids)
