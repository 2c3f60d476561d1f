"""The transactional outbox: deliveries written with the invoice, claimed by workers, their results recorded.

Claiming is one UPDATE over a `FOR UPDATE SKIP LOCKED` subquery on PostgreSQL (any number of
workers on any number of machines); on SQLite the claim runs under BEGIN IMMEDIATE, which serialises
workers. A claimed row gets a lease: its `next_attempt_at` becomes the lease's end, so a row whose
worker died is simply due again when the lease runs out.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, insert, select, update
from sqlalchemy.orm import Session

from .. import channels
from ..db import Delivery, DeliveryAttempt, Invoice, Tenant
from ..db.tables import table_of
from ..domain.errors import InvalidState, NotFound
from . import audit
from .actors import Actor
from .commands import RetryDelivery
from .rows import NewRow, insert_new
from .unit_of_work import Database, Reply

PENDING, IN_PROGRESS, DELIVERED, FAILED, DEAD = "pending", "in_progress", "delivered", "failed", "dead"
DUE_STATUSES = (PENDING, FAILED, IN_PROGRESS)
EXCERPT_LIMIT = 2000


def enqueue_invoice(session: Session, tenant: Tenant, invoice: Invoice | NewRow) -> list[NewRow]:
    """One pending delivery per channel of the invoice, in the finalising transaction."""
    names = invoice.channels if invoice.channels is not None else channels.default_channels(tenant.channels or {})
    if invoice.kind == "proforma":  # never to accounting, collection or an e-invoice operator
        from .proforma import delivery_channels

        names = delivery_channels(tenant, invoice)
    now = datetime.now(UTC)
    rows = [
        NewRow(id=uuid.uuid4(), tenant_id=tenant.id, invoice_id=invoice.id, channel=name, payload=None,
                 status=PENDING, attempts=0, attempts_at_manual_retry=0, next_attempt_at=now, locked_until=None,
                 locked_by=None, last_error=None, external_id=None, created_at=now, updated_at=now,
                 delivered_at=None)
        for name in names
    ]
    insert_new(session, Delivery, rows)
    return rows


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    tenant_id: uuid.UUID
    invoice_id: uuid.UUID | None
    channel: str
    attempt: int  # this attempt's number, from 1
    budget_used: int  # attempts since the last retry by hand, this one included


def claim_due(session: Session, worker: str, *, limit: int, lease: timedelta) -> list[Claimed]:
    """Take up to `limit` due deliveries for this worker (the caller commits)."""
    now = datetime.now(UTC)
    table = table_of(Delivery).c
    due = (
        select(table.id)
        .where(table.status.in_(DUE_STATUSES), table.next_attempt_at <= now)
        .order_by(table.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        update(table_of(Delivery))
        .where(table.id.in_(due.scalar_subquery()))
        .values(status=IN_PROGRESS, locked_by=worker, locked_until=now + lease, next_attempt_at=now + lease,
                attempts=table.attempts + 1, updated_at=now)
        .returning(table.id, table.tenant_id, table.invoice_id, table.channel, table.attempts,
                   table.attempts_at_manual_retry)
    ).all()
    _mark_interrupted(session, [r.id for r in rows if r.attempts > 1])
    return [Claimed(r.id, r.tenant_id, r.invoice_id, r.channel, r.attempts, r.attempts - r.attempts_at_manual_retry)
            for r in rows]


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to; `status` is delivered, failed (retry later) or dead."""

    status: str
    attempt_outcome: str  # delivered, found (it was there already), retry, dead
    external_id: str | None = None
    error: str | None = None
    http_status: int | None = None
    response_excerpt: str = ""
    retry_at: datetime | None = None


STARTED, INTERRUPTED = "started", "interrupted"


def start_attempt(session: Session, claimed: Claimed, worker: str, started_at: datetime) -> int:
    """The attempt's row, written before the service is called: a worker killed during the call leaves it
    behind as evidence, and the next claim of the delivery marks it interrupted."""
    table = table_of(DeliveryAttempt)
    attempt_id: int = session.execute(insert(table).values(
        tenant_id=claimed.tenant_id, delivery_id=claimed.id, attempt=claimed.attempt, worker=worker,
        started_at=started_at, duration_ms=None, outcome=STARTED).returning(table.c.id)).scalar_one()
    return attempt_id


def record(session: Session, claimed: Claimed, worker: str, attempt_id: int, duration_ms: int,
           outcome: Outcome) -> bool:
    """Complete the attempt's row and set the delivery's new state (the caller commits).

    Returns False when the lease had run out and another worker took the delivery: the attempt is
    still written to the history, but the other worker's view of the row wins.
    """
    attempts = table_of(DeliveryAttempt)
    session.execute(update(attempts).where(attempts.c.id == attempt_id).values(
        duration_ms=duration_ms, outcome=outcome.attempt_outcome, http_status=outcome.http_status,
        error=outcome.error, response_excerpt=(outcome.response_excerpt or "")[:EXCERPT_LIMIT] or None))
    now = datetime.now(UTC)
    values = {"status": outcome.status, "locked_by": None, "locked_until": None, "updated_at": now,
              "last_error": outcome.error}
    if outcome.status == DELIVERED:
        values.update(external_id=outcome.external_id, delivered_at=now)
    if outcome.status == FAILED:
        values["next_attempt_at"] = outcome.retry_at
    table = table_of(Delivery).c
    result = session.execute(
        update(table_of(Delivery))
        .where(and_(table.id == claimed.id, table.locked_by == worker, table.status == IN_PROGRESS,
                    table.attempts == claimed.attempt))
        .values(**values)
    )
    return cast("CursorResult[Any]", result).rowcount == 1  # an UPDATE's result is a cursor result


def _mark_interrupted(session: Session, delivery_ids: list[uuid.UUID]) -> None:
    """Attempts still 'started' when their delivery is claimed again: their worker died during the call."""
    if not delivery_ids:
        return
    attempts = table_of(DeliveryAttempt)
    session.execute(update(attempts).where(attempts.c.delivery_id.in_(delivery_ids),
                                           attempts.c.outcome == STARTED)
                    .values(outcome=INTERRUPTED,
                            error="the worker stopped during the call (killed or lost); the outcome is unknown, "
                                  "so the next attempt asks the service first"))


def backoff(attempt: int, *, base: float, cap: float, retry_after: float | None = None) -> timedelta:
    """Exponential backoff with equal jitter (half fixed, half random), never sooner than Retry-After."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not cryptography
    return timedelta(seconds=max(delay, retry_after or 0))


# -- back office -----------------------------------------------------------------------------------


def retry_delivery(db: Database, actor: Actor, command: RetryDelivery, *, reply: Reply | None = None) -> Delivery:
    """Send a dead (or waiting) delivery again now, with a fresh budget of attempts."""
    return db.run(lambda session: retry_by_hand(session, actor, command.delivery_id), reply=reply)


def retry_by_hand(session: Session, actor: Actor, delivery_id: uuid.UUID) -> Delivery:
    """Send a dead (or waiting) delivery again now, with a fresh budget of attempts."""
    delivery = get_delivery(session, actor, delivery_id, for_update=True)
    if delivery.status not in (DEAD, FAILED):
        raise InvalidState(f"delivery is {delivery.status}; only dead or failed deliveries are retried by hand")
    before = {"status": delivery.status, "attempts": delivery.attempts, "last_error": delivery.last_error}
    delivery.status = PENDING
    delivery.next_attempt_at = datetime.now(UTC)
    delivery.attempts_at_manual_retry = delivery.attempts
    audit.record(session, actor, "delivery.retried", "delivery", delivery.id, before=before,
                 after={"status": PENDING})
    return delivery


def get_delivery(session: Session, actor: Actor, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery:
    query = select(Delivery).where(Delivery.id == delivery_id, Delivery.tenant_id == actor.tenant_id)
    if for_update:
        query = query.with_for_update()
    delivery = session.scalars(query).first()
    if delivery is None:
        raise NotFound("no such delivery")
    return delivery


def attempts_of(session: Session, delivery: Delivery) -> list[DeliveryAttempt]:
    return list(session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id)
                                .order_by(DeliveryAttempt.id)))


_STATUS_ORDER = {DEAD: 0, FAILED: 1, IN_PROGRESS: 2, PENDING: 3, DELIVERED: 4}


def list_deliveries(session: Session, actor: Actor, *, status: str | None, invoice_id: uuid.UUID | None,
                    limit: int, offset: int) -> list[Delivery]:
    """Dead first (they need a person), then waiting ones, newest first within each."""
    from sqlalchemy import case

    query = select(Delivery).where(Delivery.tenant_id == actor.tenant_id)
    if status:
        query = query.where(Delivery.status == status)
    if invoice_id:
        query = query.where(Delivery.invoice_id == invoice_id)
    rank = case(_STATUS_ORDER, value=Delivery.status, else_=9)
    return list(session.scalars(query.order_by(rank, Delivery.created_at.desc(), Delivery.id)
                                .limit(limit).offset(offset)))
