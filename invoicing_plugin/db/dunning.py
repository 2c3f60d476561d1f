"""Dunning: a tenant's levels and reference rates, and the reminders (numbered documents of their own series)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, tenant_fk, uuid_pk
from .types import ExactDecimal, JsonDocument, UtcDateTime, utcnow

MONEY = ExactDecimal(4)


class DunningSettings(Base):
    """A tenant's dunning: its levels, whether reminders go out by themselves, and the reminder number counter."""

    __tablename__ = "dunning_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_send: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_days: Mapped[int] = mapped_column(Integer, default=7)  # the reminder's own due date, from its date
    # [{"days", "fee", "interest", "compensation", "channels", "texts"}], level 1 first.
    levels: Mapped[list] = mapped_column(JsonDocument, default=list)
    prefix: Mapped[str] = mapped_column(String(20), default="M")
    # The counter of the reminders' own number series: locked FOR UPDATE while a number is taken, as invoices'.
    next_number: Mapped[int] = mapped_column(BigInteger, default=1)
    # The tenant's day the worker last ran the daily dunning for: the claim that makes it run once a day.
    last_run_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ReferenceRate(Base):
    """The interest reference rate (Korkolaki § 12) fixed for the half-year starting `valid_from`."""

    __tablename__ = "reference_rates"
    __table_args__ = (UniqueConstraint("tenant_id", "valid_from"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    valid_from: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(3, 6))


class Reminder(Base):
    """One reminder of one overdue invoice at one level: a draft, then sent (numbered), or cancelled."""

    __tablename__ = "reminders"
    __table_args__ = (
        # Two workers (or a worker and a clerk) dunning at once make each reminder once.
        UniqueConstraint("tenant_id", "invoice_id", "level"),
        UniqueConstraint("tenant_id", "sequence_number"),
        Index("ix_reminders_tenant_status", "tenant_id", "status", "created_at"),
        Index("ix_reminders_tenant_customer", "tenant_id", "customer_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    level: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # draft, sent, cancelled
    sequence_number: Mapped[int | None] = mapped_column(BigInteger)
    number: Mapped[str | None] = mapped_column(String(60))
    reminder_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    open_amount: Mapped[Decimal] = mapped_column(MONEY)  # of the invoice, when the reminder was made or sent
    nominal_fee: Mapped[Decimal] = mapped_column(MONEY)
    fee: Mapped[Decimal] = mapped_column(MONEY)
    compensation: Mapped[Decimal] = mapped_column(MONEY)
    interest: Mapped[Decimal] = mapped_column(MONEY)
    interest_from: Mapped[date | None] = mapped_column(Date)
    interest_to: Mapped[date | None] = mapped_column(Date)
    # [{"start", "end", "days", "rate"}]: the half-years the interest was counted in, as printed.
    interest_periods: Mapped[list] = mapped_column(JsonDocument, default=list)
    channels: Mapped[list] = mapped_column(JsonDocument, default=list)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def claimed(self) -> Decimal:
        """What the reminder adds to the customer's receivables: fee, compensation and interest."""
        return self.fee + self.compensation + self.interest


class ReminderFile(Base):
    """A sent reminder's PDF or Finvoice: made once (on its first need after sending), stored with its SHA-256,
    never changed, so the email, the e-invoice operator, the archive and the exports all hold the same bytes."""

    __tablename__ = "reminder_documents"
    __table_args__ = (
        UniqueConstraint("reminder_id", "kind"),
        # What the archive's sweep looks for, as for the invoices' documents.
        Index("ix_reminder_documents_unarchived", "created_at",
              postgresql_where=text("archive_delivery_id IS NULL"), sqlite_where=text("archive_delivery_id IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    reminder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reminders.id"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"))  # the reminded invoice (archive key)
    kind: Mapped[str] = mapped_column(String(20))  # pdf, finvoice, finvoice_soap
    media_type: Mapped[str] = mapped_column(String(60))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The outbox delivery that copies it to the archive, set once (None: not given to the archive yet).
    archive_delivery_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class DunningRunRecord(Base):
    """One dunning run, remembered: its day, who ran it (a clerk, the API, the worker's daily run) and its summary."""

    __tablename__ = "dunning_runs"
    __table_args__ = (Index("ix_dunning_runs_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    day: Mapped[date] = mapped_column(Date)
    run_by: Mapped[str] = mapped_column(String(100))
    created: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer)
    skipped_in_collection: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
