"""The declarative base shared by all models, with constraint names Alembic can rely on."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def uuid_pk() -> Mapped[uuid.UUID]:
    """Random ids: nothing to guess or enumerate across tenants (OWASP API1)."""
    return mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


def tenant_fk() -> Mapped[uuid.UUID]:
    """Every row belongs to one tenant; queries filter on it first, so it leads the indexes."""
    return mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=False)
