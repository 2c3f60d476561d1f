"""Invoices, their lines and their VAT breakdown."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.money import VatGroup, breakdown_of
from .base import Base, tenant_fk, uuid_pk
from .types import ExactDecimal, JsonDocument, UtcDateTime, utcnow

MONEY = ExactDecimal(4)


class Invoice(Base):
    """A draft, or a finalised (numbered, immutable) invoice, credit note or proforma."""

    __tablename__ = "invoices"
    __table_args__ = (
        # The backstop of gapless numbering: whatever happens, one number is one invoice.
        UniqueConstraint("tenant_id", "series", "sequence_number"),
        UniqueConstraint("tenant_id", "reference"),
        Index("ix_invoices_tenant_status", "tenant_id", "status", "created_at"),
        Index("ix_invoices_tenant_customer", "tenant_id", "customer_id", "created_at"),
        Index("ix_invoices_tenant_invoice_date", "tenant_id", "invoice_date"),
        Index("ix_invoices_tenant_created", "tenant_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))
    payment_status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(20))
    series: Mapped[str] = mapped_column(String(40))
    sequence_number: Mapped[int | None] = mapped_column(BigInteger)
    number: Mapped[str | None] = mapped_column(String(60))
    reference: Mapped[str | None] = mapped_column(String(20))
    reference_rf: Mapped[str | None] = mapped_column(String(25))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_vat: Mapped[bool] = mapped_column(Boolean)
    invoice_date: Mapped[date | None] = mapped_column(Date)
    tax_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2))
    seller: Mapped[dict | None] = mapped_column(JsonDocument)
    buyer: Mapped[dict] = mapped_column(JsonDocument)
    contact: Mapped[dict | None] = mapped_column(JsonDocument)
    buyer_reference: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(String(1000))
    # Channels the order asked for; None: the tenant's default channels at finalisation.
    channels: Mapped[list | None] = mapped_column(JsonDocument)
    total_net: Mapped[Decimal] = mapped_column(MONEY)
    total_vat: Mapped[Decimal] = mapped_column(MONEY)
    total_gross: Mapped[Decimal] = mapped_column(MONEY)
    # The sum of this invoice's payments, kept with them in one transaction (payment_status follows it).
    paid_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    # Counts the changes of the invoice: a draft's ETag, checked against If-Match before an edit or approval.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # A credit note: the invoice it credits. A cancelled invoice: the credit note that cancelled it.
    credited_invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))
    # A credit note: why it was given (printed on it).
    credit_reason: Mapped[str | None] = mapped_column(String(500))
    # The sums kept with their rows in one transaction under this invoice's row lock: what its finalised
    # credit notes took off (positive), and what was applied to it from the customer's credit balance.
    credited_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    allocated_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    # Why a draft waits instead of being finalised by itself (e.g. vat_check_pending: VIES did not answer).
    hold_reason: Mapped[str | None] = mapped_column(String(40))
    # The VIES answer its reverse-charge or intra-community lines rest on (the consultation number is proof).
    vat_check_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vat_checks.id"))
    # In a currency other than the tenant's: units per euro on the tax date, and the VAT total in euros
    # (VAT Directive art. 230: the VAT amount in the national currency).
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(6, 12))
    total_vat_national: Mapped[Decimal | None] = mapped_column(MONEY)
    # The invoice run that made it, if one did.
    run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_runs.id"), index=True)
    # A pro forma: the real invoice made from it, which closed it.
    converted_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    finalized_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    discarded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def vat_breakdown(self) -> tuple[VatGroup, ...]:
        """Per (category, rate): the sums of the lines, whose VAT is an exact allocation of the group's."""
        return breakdown_of(self.lines)


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    # A credit note's line: the line of the credited invoice it takes back (quantity or amount).
    credited_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_lines.id"), index=True)
    # How: "quantity" (some of its units back, at its price) or "amount" (an amount off it).
    credit_type: Mapped[str | None] = mapped_column(String(8))
    sku: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(6))
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(6))
    discount_percent: Mapped[Decimal] = mapped_column(ExactDecimal(4, 8))
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(3, 6))
    vat_category: Mapped[str] = mapped_column(String(2))
    net_amount: Mapped[Decimal] = mapped_column(MONEY)
    vat_amount: Mapped[Decimal] = mapped_column(MONEY)
    gross_amount: Mapped[Decimal] = mapped_column(MONEY)
    # The service period the line bills, when it bills one (VAT point, e-invoice BG-26).
    service_period_start: Mapped[date | None] = mapped_column(Date)
    service_period_end: Mapped[date | None] = mapped_column(Date)
