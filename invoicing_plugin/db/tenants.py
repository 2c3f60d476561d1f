"""Tenants (merchants), their API keys, VAT tables and invoice number series."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, tenant_fk, uuid_pk
from .types import ExactDecimal, JsonDocument, UtcDateTime, utcnow


class Tenant(Base):
    """A merchant or subsidiary: the seller on its invoices and the owner of every other row."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = uuid_pk()
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    business_id: Mapped[str] = mapped_column(String(20))
    vat_id: Mapped[str | None] = mapped_column(String(20))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="FI")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    einvoice_address: Mapped[str | None] = mapped_column(String(35))
    einvoice_operator: Mapped[str | None] = mapped_column(String(35))
    default_language: Mapped[str] = mapped_column(String(2), default="fi")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=14)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    default_series: Mapped[str] = mapped_column(String(40), default="default")
    # Credit notes are numbered in this series; None: in the series of the invoice they credit.
    credit_note_series: Mapped[str | None] = mapped_column(String(40))
    proforma_series: Mapped[str] = mapped_column(String(40), default="proforma")
    # A customer's credit balance is applied to their next finalised invoice by itself.
    apply_credit_automatically: Mapped[bool] = mapped_column(Boolean, default=True)
    layout: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    channels: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    # Secrets that sign the callbacks each provider sends us: {"ropo24": ["whsec_...", "whsec_..."]}
    # (two during a rotation). Never returned by the API.
    inbound_webhooks: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    # Bumped on every settings change: per-process caches of VAT tables are keyed on it.
    settings_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ApiKey(Base):
    """A bearer key of one tenant with one role; only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class VatRateRow(Base):
    """One VAT percentage of a tenant with the dates it is valid (DESIGN §4: rates are data)."""

    __tablename__ = "vat_rates"
    __table_args__ = (UniqueConstraint("tenant_id", "rate", "valid_from"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(3, 6))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class NumberSeries(Base):
    """An invoice number series; its row is the counter, locked FOR UPDATE while a number is taken."""

    __tablename__ = "number_series"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    name: Mapped[str] = mapped_column(String(40))
    prefix: Mapped[str] = mapped_column(String(20), default="")
    reference_prefix: Mapped[str] = mapped_column(String(4), default="1")
    next_number: Mapped[int] = mapped_column(BigInteger, default=1)
    # Some countries require invoice dates to follow the numbers: then no invoice of the series may be
    # dated before the series' latest invoice date.
    chronological_dates: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
