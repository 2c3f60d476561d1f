"""What moves a customer's balance besides invoices and payments: credit applied to invoices, refunds paid out."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, tenant_fk, uuid_pk
from .types import ExactDecimal, UtcDateTime, utcnow


class Allocation(Base):
    """Credit from the customer's balance applied to one invoice: paid from the balance, VAT unchanged."""

    __tablename__ = "allocations"
    __table_args__ = (
        Index("ix_allocations_customer", "tenant_id", "customer_id", "currency"),
        Index("ix_allocations_invoice", "invoice_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    allocated_on: Mapped[date] = mapped_column(Date)
    how: Mapped[str] = mapped_column(String(12))  # automatic (at finalisation) or manual
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Refund(Base):
    """Money paid back to a customer out of their credit balance; one row per refund id, so a retry is harmless."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("tenant_id", "refund_id"),
        Index("ix_refunds_customer", "tenant_id", "customer_id", "currency"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    refund_id: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(4))
    paid_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
