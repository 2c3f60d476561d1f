"""Customers and the orders shops and POS terminals send."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, tenant_fk, uuid_pk
from .types import ExactDecimal, JsonDocument, UtcDateTime, utcnow


class Customer(Base):
    """An organisation (found again by business ID, or VAT ID abroad) or a person; never merged."""

    __tablename__ = "customers"
    __table_args__ = (
        Index(
            "uq_customers_organisation_business_id",
            "tenant_id",
            "business_id",
            unique=True,
            postgresql_where=text("type = 'organisation' AND business_id IS NOT NULL"),
            sqlite_where=text("type = 'organisation' AND business_id IS NOT NULL"),
        ),
        Index(
            "uq_customers_organisation_vat_id",
            "tenant_id",
            "vat_id",
            unique=True,
            postgresql_where=text("type = 'organisation' AND business_id IS NULL"),
            sqlite_where=text("type = 'organisation' AND business_id IS NULL"),
        ),
        Index("ix_customers_tenant_email", "tenant_id", "type", "email"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    type: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    business_id: Mapped[str | None] = mapped_column(String(20))
    vat_id: Mapped[str | None] = mapped_column(String(20))
    einvoice_address: Mapped[str | None] = mapped_column(String(35))
    einvoice_operator: Mapped[str | None] = mapped_column(String(35))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(2))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    # Set once any invoice of theirs received more than was due (an overpayment, a credit after payment):
    # until then they cannot have credit, and finalising their invoices needs no look at balances.
    has_had_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Order(Base):
    """What a web shop or POS sent; unique per (tenant, source, external id)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "external_id"),
        Index("ix_orders_tenant_status", "tenant_id", "status", "created_at"),
        Index("ix_orders_tenant_customer", "tenant_id", "customer_id"),
        # An invoice's orders: finalising, discarding, cancelling and invoice runs look them up by it.
        Index("ix_orders_invoice", "invoice_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    source: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    store_id: Mapped[str | None] = mapped_column(String(100))
    terminal_id: Mapped[str | None] = mapped_column(String(100))
    cashier: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    contact: Mapped[dict | None] = mapped_column(JsonDocument)
    buyer_reference: Mapped[str | None] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_vat: Mapped[bool] = mapped_column(Boolean)
    invoicing_mode: Mapped[str] = mapped_column(String(12))
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)
    series: Mapped[str | None] = mapped_column(String(40))
    delivery_date: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(String(1000))
    # Units of the order's currency per euro, when the shop gave it (else the imported rate of the tax date).
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(6, 12))
    status: Mapped[str] = mapped_column(String(24))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))
    # An order a run made of a subscription's service period (source `subscription`).
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscriptions.id"))
    # SHA-256 of the canonical request: tells a retry of the same order from a different order
    # that reuses an external id.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_by_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        order_by="OrderLine.position", cascade="all, delete-orphan", lazy="selectin"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(6))
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(6))
    discount_percent: Mapped[Decimal] = mapped_column(ExactDecimal(4, 8))
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(3, 6))
    vat_category: Mapped[str] = mapped_column(String(2))
    # The service period the line bills, when it bills one (VAT point, e-invoice BG-26).
    service_period_start: Mapped[date | None] = mapped_column(Date)
    service_period_end: Mapped[date | None] = mapped_column(Date)
