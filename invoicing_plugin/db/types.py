"""Column types that store money and time exactly the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# JSON documents (snapshots, settings): JSONB on PostgreSQL, JSON text on SQLite.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class ExactDecimal(TypeDecorator):
    """A Decimal with a fixed number of decimals: NUMERIC on PostgreSQL, a scaled integer on SQLite.

    SQLite has no decimal type (its REAL is a float), so the value is stored as an integer count of
    10^-scale units. A value with more decimals than the column holds is refused, never rounded:
    rounding is the domain's decision (DESIGN §4), not the storage's.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int, precision: int = 18) -> None:
        super().__init__()
        self.scale = scale
        self.precision = precision

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))
        return dialect.type_descriptor(BigInteger())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal | int) or isinstance(value, bool):
            raise TypeError(f"money and quantities are Decimal, got {type(value).__name__}")
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimals")
        if dialect.name == "postgresql":
            return Decimal(value)
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return value
        return Decimal(value).scaleb(-self.scale)

    @property
    def python_type(self):
        return Decimal

    def __repr__(self) -> str:  # how Alembic writes the type into a migration
        return f"ExactDecimal(scale={self.scale}, precision={self.precision})"


class UtcDateTime(TypeDecorator):
    """An aware UTC datetime on both engines (SQLite stores naive text, so we normalise both ways)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
