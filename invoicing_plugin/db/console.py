"""Console users: the people of a tenant who sign in to the back-office pages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, tenant_fk, uuid_pk
from .types import UtcDateTime, utcnow


class ConsoleUser(Base):
    """A person with an email and a password (scrypt hash) and the role backoffice or admin."""

    __tablename__ = "console_users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    email: Mapped[str] = mapped_column(String(254))  # stored lower-case: found again however it is typed
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # The user's own choice of the console's language (fi, sv, en); None: the tenant's default language.
    language: Mapped[str | None] = mapped_column(String(2))
    # Wrong passwords in a row, and until when logins are refused after too many of them.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    throttled_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Part of every session cookie: logging out (or a password change) bumps it, so that a copied cookie of
    # an ended session is refused too, not only the browser's own.
    session_epoch: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
