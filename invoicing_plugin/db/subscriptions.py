"""Subscriptions, their items and price history, metered usage, and the claim of each billed service period."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, tenant_fk, uuid_pk
from .types import ExactDecimal, JsonDocument, UtcDateTime, utcnow


class Subscription(Base):
    """What a customer is billed for every period; unique per (tenant, external id)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_subscriptions_tenant_customer", "tenant_id", "customer_id"),
        # The runs' question: whose next period is due by this day.
        Index("ix_subscriptions_due", "tenant_id", "next_bill_on"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    external_id: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    contact: Mapped[dict | None] = mapped_column(JsonDocument)
    buyer_reference: Mapped[str | None] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_vat: Mapped[bool] = mapped_column(Boolean)
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)
    series: Mapped[str | None] = mapped_column(String(40))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # the last day served, when known
    period_months: Mapped[int] = mapped_column(Integer)
    timing: Mapped[str] = mapped_column(String(8))  # advance or arrears
    status: Mapped[str] = mapped_column(String(12))  # active, paused, cancelled
    paused_from: Mapped[date | None] = mapped_column(Date)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # JustOn's "next service period start": where billing goes on; and the day that period is billed on
    # (its end in arrears, its start in advance); None: nothing more to bill (ended, or paused before it).
    next_period_start: Mapped[date] = mapped_column(Date)
    next_bill_on: Mapped[date | None] = mapped_column(Date)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[SubscriptionItem]] = relationship(
        order_by="SubscriptionItem.position", cascade="all, delete-orphan", lazy="selectin")


class SubscriptionItem(Base):
    """One thing billed: its billing type, VAT and (for usage) included units and tiers; prices in its terms."""

    __tablename__ = "subscription_items"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"),
                                                       index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    sku: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(20))
    billing_type: Mapped[str] = mapped_column(String(20))
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(3, 6))
    vat_category: Mapped[str] = mapped_column(String(2))
    included_units: Mapped[Decimal] = mapped_column(ExactDecimal(6), default=Decimal(0))
    tiers: Mapped[list | None] = mapped_column(JsonDocument)  # [{"up_to": "1000", "unit_price": "0.05"}, ...]
    # The months the unit price is for, when not the billing period (a yearly price billed monthly: 12).
    price_months: Mapped[int | None] = mapped_column(Integer)

    terms: Mapped[list[SubscriptionItemTerm]] = relationship(
        order_by="SubscriptionItemTerm.effective_from", cascade="all, delete-orphan", lazy="selectin")


class SubscriptionItemTerm(Base):
    """An item's quantity and unit price from the start of a service period on: the history a PATCH adds to."""

    __tablename__ = "subscription_item_terms"
    __table_args__ = (UniqueConstraint("item_id", "effective_from"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscription_items.id", ondelete="CASCADE"))
    effective_from: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(6))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(6))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class UsageRecord(Base):
    """A meter's reading for a usage item: once per (tenant, transaction id), whoever retries it."""

    __tablename__ = "usage_records"
    __table_args__ = (
        UniqueConstraint("tenant_id", "transaction_id"),
        Index("ix_usage_records_item_period", "item_id", "period_start"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    transaction_id: Mapped[str] = mapped_column(String(100))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscription_items.id", ondelete="CASCADE"))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(6))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The service period the usage belongs to (the tenant's calendar day of `occurred_at`): late usage keeps it.
    period_start: Mapped[date] = mapped_column(Date)
    # The order (of a run) that bills it; None: not billed yet.
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SubscriptionCharge(Base):
    """The claim that bills a (subscription item, service period) once: the order that carries it."""

    __tablename__ = "subscription_charges"
    __table_args__ = (UniqueConstraint("item_id", "period_start"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscription_items.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
