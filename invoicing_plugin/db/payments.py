"""Payments against invoices, the invoice timeline, the inbox of provider events, and polling cursors."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, tenant_fk, uuid_pk
from .records import AutoId
from .types import ExactDecimal, JsonDocument, UtcDateTime, utcnow


class Payment(Base):
    """Money received for an invoice; one row per payment of one source, so a repeat is no second payment."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "source_payment_id"),
        Index("ix_payments_invoice", "invoice_id", "paid_on"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(30))  # netvisor, ropo24, manual, bank, a webhook provider
    source_payment_id: Mapped[str] = mapped_column(String(120))
    reference: Mapped[str | None] = mapped_column(String(35))
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InvoiceEvent(Base):
    """What happened to an invoice out there: sent, reminded, in collection, paid, cancelled at the service."""

    __tablename__ = "invoice_events"
    __table_args__ = (Index("ix_invoice_events_invoice", "invoice_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict | None] = mapped_column(JsonDocument)


class InboxEvent(Base):
    """A provider's event, stored before it is acted on: a repeat is acknowledged and ignored; an event
    about an unknown invoice is kept here for review instead of being lost."""

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider", "event_id"),
        Index("ix_inbox_events_status", "tenant_id", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    provider: Mapped[str] = mapped_column(String(30))
    event_id: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JsonDocument)
    status: Mapped[str] = mapped_column(String(12))  # processed, ignored, unmatched
    note: Mapped[str | None] = mapped_column(Text)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))


class SyncCursor(Base):
    """Where polling a service stopped (e.g. the last payment key seen), so the next poll goes on from there."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("tenant_id", "source", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    source: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class WebhookEndpoint(Base):
    """A shop's URL for signed notifications (invoice.finalized, invoice.paid, ...)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_tenant", "tenant_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    url: Mapped[str] = mapped_column(String(500))
    # Kept in clear because each notification is signed with it; shown once, never returned again.
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list] = mapped_column(JsonDocument)
    description: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
