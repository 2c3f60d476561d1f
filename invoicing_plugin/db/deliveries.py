"""The transactional outbox: one delivery per (invoice or event, channel), and every attempt at it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, tenant_fk, uuid_pk
from .records import AutoId
from .types import JsonDocument, UtcDateTime, utcnow


class Delivery(Base):
    """Something to send through a channel, written in the same transaction as what it sends.

    Status: pending -> in_progress -> delivered, or failed (waiting for its next attempt), or dead
    (permanent error or attempts exhausted; retried by hand from the back office).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        # What workers scan: due rows only, oldest due first.
        Index("ix_deliveries_due", "next_attempt_at",
              postgresql_where=text("status IN ('pending', 'failed', 'in_progress')"),
              sqlite_where=text("status IN ('pending', 'failed', 'in_progress')")),
        Index("ix_deliveries_tenant_status", "tenant_id", "status", "created_at"),
        Index("ix_deliveries_invoice", "invoice_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))
    channel: Mapped[str] = mapped_column(String(40))
    # For shop notifications (webhook events) the payload travels with the row; invoices are read fresh.
    payload: Mapped[dict | None] = mapped_column(JsonDocument)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A retry by hand gives the delivery a fresh budget of attempts, counted from here.
    attempts_at_manual_retry: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeliveryAttempt(Base):
    """One try: when, how long, what came back (an excerpt without secrets)."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_delivery", "delivery_id", "attempt"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)  # None while the call runs
    # started (the call is running), then delivered, found, retry or dead; interrupted when the worker
    # died during the call (found by the next claim of the delivery).
    outcome: Mapped[str] = mapped_column(String(12))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
