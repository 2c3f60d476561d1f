"""Console users: creating them, logging in (with throttling after wrong passwords), logging out, language."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from ..db import ConsoleUser, Tenant
from ..db.tables import table_of
from ..domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from ..domain.passwords import dummy_hash, hash_password, verify_password
from . import audit
from .actors import Actor
from .unit_of_work import Database

CONSOLE_ROLES = ("backoffice", "admin")
LANGUAGES = ("fi", "sv", "en")
MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LoginRefused(DomainError):
    """Wrong organisation, email or password; which of them is not said."""

    code = "login_refused"
    title = "Login refused"


class LoginThrottled(DomainError):
    """Too many wrong passwords in a row: logins of this user wait until `until`."""

    code = "login_throttled"
    title = "Too many attempts"

    def __init__(self, until: datetime) -> None:
        super().__init__("too many wrong passwords; try again later")
        self.until = until


@dataclass(frozen=True)
class CreateConsoleUser:
    email: str
    password: str
    role: str
    language: str | None = None


@dataclass(frozen=True)
class LogIn:
    tenant: str  # slug
    email: str
    password: str


@dataclass(frozen=True)
class Throttle:
    max_failures: int
    duration: timedelta


def console_actor(user: ConsoleUser) -> Actor:
    """The console user as the use cases and the audit trail see them."""
    return Actor(tenant_id=user.tenant_id, role=user.role, label=f"console:{user.email}"[:100])


def create_user(db: Database, actor: Actor, command: CreateConsoleUser) -> ConsoleUser:
    email = command.email.strip().lower()
    errors: dict[str, list[str]] = {}
    if not _EMAIL.match(email) or len(email) > 254:
        errors["email"] = ["is not an email address"]
    if len(command.password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"must have at least {MIN_PASSWORD_LENGTH} characters"]
    if command.role not in CONSOLE_ROLES:
        errors["role"] = [f"must be one of {', '.join(CONSOLE_ROLES)}"]
    if command.language is not None and command.language not in LANGUAGES:
        errors["language"] = [f"must be one of {', '.join(LANGUAGES)}"]
    if errors:
        raise ValidationFailed(errors)
    password_hash = hash_password(command.password)  # before the unit of work: no lock held while hashing

    def work(session: Session) -> ConsoleUser:
        taken = session.scalar(select(func.count()).select_from(ConsoleUser).where(
            ConsoleUser.tenant_id == actor.tenant_id, ConsoleUser.email == email))
        if taken:
            raise Conflict(f"the tenant has a console user {email} already", code="console_user_exists")
        user = ConsoleUser(id=uuid.uuid4(), tenant_id=actor.tenant_id, email=email, password_hash=password_hash,
                           role=command.role, language=command.language, failed_logins=0, session_epoch=1)
        session.add(user)
        session.flush()
        audit.record(session, actor, "console_user.created", "console_user", user.id,
                     after={"email": email, "role": command.role})
        return user

    return db.run(work)


def log_in(db: Database, command: LogIn, throttle: Throttle, *, now: datetime | None = None) -> ConsoleUser:
    """The user whose password this is; LoginRefused or LoginThrottled otherwise. Every outcome is audited."""
    now = now or datetime.now(UTC)
    email = command.email.strip().lower()
    user = db.read(lambda session: session.scalar(
        select(ConsoleUser).join(Tenant, Tenant.id == ConsoleUser.tenant_id)
        .where(Tenant.slug == command.tenant.strip().lower(), ConsoleUser.email == email)))
    if user is None or user.disabled_at is not None:
        verify_password(command.password, dummy_hash())  # the same time as a wrong password
        raise LoginRefused("the organisation, email or password is wrong")
    if user.throttled_until is not None and user.throttled_until > now:
        # Refused before the password is looked at: while throttled, guessing tells nothing.
        db.run(lambda session: audit.record(session, console_actor(user), "console.login_throttled",
                                            "console_user", user.id))
        raise LoginThrottled(user.throttled_until)
    right = verify_password(command.password, user.password_hash)  # outside the unit of work: it is slow

    def record(session: Session) -> ConsoleUser:
        table = table_of(ConsoleUser)
        if right:
            session.execute(update(table).where(table.c.id == user.id).values(
                failed_logins=0, throttled_until=None, last_login_at=now))
            audit.record(session, console_actor(user), "console.login", "console_user", user.id)
            return user
        # One statement counts the failure, so that wrong passwords sent at once are all counted.
        failures = session.execute(update(table).where(table.c.id == user.id).values(
            failed_logins=table.c.failed_logins + 1).returning(table.c.failed_logins)).scalar_one()
        after: dict[str, object] = {"failed_logins": failures}
        if failures >= throttle.max_failures:
            until = now + throttle.duration
            session.execute(update(table).where(table.c.id == user.id).values(
                failed_logins=0, throttled_until=until))
            after["throttled_until"] = until.isoformat()
        audit.record(session, console_actor(user), "console.login_failed", "console_user", user.id, after=after)
        return user

    db.run(record)
    if not right:
        raise LoginRefused("the organisation, email or password is wrong")
    return user


def find_user(session: Session, user_id: uuid.UUID) -> ConsoleUser | None:
    """An enabled user by id (for the session cookie, which names the user and their tenant)."""
    user = session.get(ConsoleUser, user_id)
    return user if user is not None and user.disabled_at is None else None


def log_out(db: Database, actor: Actor, user_id: uuid.UUID) -> None:
    """Ends every session of the user: their cookies carry the old epoch."""

    def work(session: Session) -> None:
        table = table_of(ConsoleUser)
        result = session.execute(update(table).where(table.c.id == user_id, table.c.tenant_id == actor.tenant_id)
                                 .values(session_epoch=table.c.session_epoch + 1))
        changed = cast("CursorResult[Any]", result).rowcount  # an UPDATE's result is a cursor result
        if not changed:
            raise NotFound("no such console user")
        audit.record(session, actor, "console.logout", "console_user", user_id)

    db.run(work)


def set_language(db: Database, actor: Actor, user_id: uuid.UUID | None, language: str) -> None:
    """The console's language for this user (stored for console users; a host's users keep it in the cookie)."""
    if language not in LANGUAGES:
        raise ValidationFailed({"language": [f"must be one of {', '.join(LANGUAGES)}"]})

    def work(session: Session) -> None:
        if user_id is not None:
            table = table_of(ConsoleUser)
            session.execute(update(table).where(table.c.id == user_id, table.c.tenant_id == actor.tenant_id)
                            .values(language=language))
        audit.record(session, actor, "console.language_changed", "console_user", user_id or actor.label[:36],
                     after={"language": language})

    db.run(work)


def list_users(session: Session, actor: Actor) -> list[ConsoleUser]:
    return list(session.scalars(select(ConsoleUser).where(ConsoleUser.tenant_id == actor.tenant_id)
                                .order_by(ConsoleUser.email)))


def set_password(db: Database, actor: Actor, email: str, password: str) -> ConsoleUser:
    """A new password for the tenant's user; their sessions end (a copied cookie with them)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed({"password": [f"must have at least {MIN_PASSWORD_LENGTH} characters"]})
    password_hash = hash_password(password)
    email = email.strip().lower()

    def work(session: Session) -> ConsoleUser:
        user = session.scalar(select(ConsoleUser).where(ConsoleUser.tenant_id == actor.tenant_id,
                                                        ConsoleUser.email == email).with_for_update())
        if user is None:
            raise NotFound(f"no console user {email}")
        user.password_hash, user.session_epoch = password_hash, user.session_epoch + 1
        user.failed_logins, user.throttled_until = 0, None
        audit.record(session, actor, "console_user.password_set", "console_user", user.id)
        return user

    return db.run(work)
