"""What the outside services need us to remember: their ids for our customers and products, access tokens
we issued to them, VAT number checks, and exchange rates."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, tenant_fk, uuid_pk
from .types import ExactDecimal, JsonDocument, UtcDateTime, utcnow


class ExternalRef(Base):
    """A service's own key for one of our things (a Netvisor customer or product), per tenant."""

    __tablename__ = "external_refs"
    __table_args__ = (UniqueConstraint("tenant_id", "service", "kind", "our_key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    service: Mapped[str] = mapped_column(String(30))  # netvisor, ...
    kind: Mapped[str] = mapped_column(String(20))  # customer, product
    our_key: Mapped[str] = mapped_column(String(120))  # business ID, customer code, SKU
    their_key: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class AccessToken(Base):
    """A short-lived bearer token we issued to a provider (OAuth2 client credentials); only its SHA-256."""

    __tablename__ = "access_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    provider: Mapped[str] = mapped_column(String(30))
    client_id: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class VatCheck(Base):
    """One answer of the EU VIES service about a VAT ID: kept as proof, and as a cache for a while."""

    __tablename__ = "vat_checks"
    __table_args__ = (Index("ix_vat_checks_lookup", "tenant_id", "vat_id", "checked_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    vat_id: Mapped[str] = mapped_column(String(20))
    # valid, invalid, or unavailable (the member state or VIES did not answer: never taken as valid)
    status: Mapped[str] = mapped_column(String(12))
    name: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(Text)
    requester_vat_id: Mapped[str | None] = mapped_column(String(20))
    consultation_number: Mapped[str | None] = mapped_column(String(40))
    fault: Mapped[str | None] = mapped_column(String(60))  # MS_UNAVAILABLE, TIMEOUT, ...
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ExchangeRate(Base):
    """Units of a currency per euro on a day (the ECB's reference rates), as the tenant's admin imported them."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("tenant_id", "currency", "rate_date"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    currency: Mapped[str] = mapped_column(String(3))
    rate_date: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(6, 12))
    source: Mapped[str] = mapped_column(String(30), default="ecb")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

