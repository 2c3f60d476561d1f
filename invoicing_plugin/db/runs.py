"""Invoice runs: a stored request to invoice the orders that wait for it, worked through by the worker."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, tenant_fk, uuid_pk
from .types import JsonDocument, UtcDateTime, utcnow


class InvoiceRun(Base):
    """Period, invoice date, filters, grouping and whether to finalise; its progress as the worker goes."""

    __tablename__ = "invoice_runs"
    __table_args__ = (
        Index("ix_invoice_runs_tenant_created", "tenant_id", "created_at"),
        Index("ix_invoice_runs_status", "status", "locked_until"),
        Index("ix_invoice_runs_scope", "tenant_id", "scope_key", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    status: Mapped[str] = mapped_column(String(12))  # queued, running, completed, cancelled
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    invoice_date: Mapped[date] = mapped_column(Date)
    filters: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    group_by: Mapped[list] = mapped_column(JsonDocument)
    finalize: Mapped[bool] = mapped_column(Boolean, default=False)
    # The period and filters as one digest: runs over the same selection (JustOn: only the latest of them
    # may be re-run, and a schedule adds to the run of its selection instead of making another).
    scope_key: Mapped[str] = mapped_column(String(64))
    # A re-run: only these customers' remaining orders (None: everyone in the selection).
    only_customer_ids: Mapped[list | None] = mapped_column(JsonDocument)
    schedule_name: Mapped[str | None] = mapped_column(String(60))
    orders_seen: Mapped[int] = mapped_column(Integer, default=0)
    orders_invoiced: Mapped[int] = mapped_column(Integer, default=0)
    invoices_made: Mapped[int] = mapped_column(Integer, default=0)
    # Orders the run could not invoice, with the reason; they stay ready for invoicing.
    failures: Mapped[list] = mapped_column(JsonDocument, default=list)
    # Gross of the invoices made, per currency: {"EUR": "1234.50"}.
    totals: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    # The worker working on it holds a lease; a run whose worker died is taken over when it ends.
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)




class RunSchedule(Base):
    """When the worker starts an invoice run by itself: its periods, which period it bills, and the run's options."""

    __tablename__ = "run_schedules"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    name: Mapped[str] = mapped_column(String(60))
    # {"kind": "monthly"} | {"kind": "weeks", "every": 2, "anchor": "2026-01-05"} | {"kind": "month_days",
    # "start_day": 16}: the periods the calendar is cut into (in the tenant's time zone).
    interval: Mapped[dict] = mapped_column(JsonDocument)
    alignment: Mapped[str] = mapped_column(String(8))  # previous, current or next period
    invoice_date_rule: Mapped[str] = mapped_column(String(16))  # end, end-5, start+1, ...
    filters: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    group_by: Mapped[list | None] = mapped_column(JsonDocument)
    finalize: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The first day of the period the schedule last started a run for: the claim that makes it start once.
    last_period_from: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
