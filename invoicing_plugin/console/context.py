"""The console's state per app (cookie, hook, pages) and per request (session, identity, language)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask import Flask, current_app, request, url_for
from sqlalchemy import select

from ..config import Settings
from ..db import ConsoleUser, Tenant
from ..plugin import current_database
from ..services import tenants
from ..services.console_users import CONSOLE_ROLES, Throttle
from .i18n import LANGUAGES, best_language
from .identity import ConsoleIdentity, HostUserLoader
from .nav import NavEntry
from .session import SessionCookie, SessionData

CONSOLE_KEY = "invoicing_console"


@dataclass
class ConsoleState:
    settings: Settings
    cookie: SessionCookie
    throttle: Throttle
    user_loader: HostUserLoader | None = None
    nav: list[NavEntry] = field(default_factory=list)


def console_state(app: Flask | None = None) -> ConsoleState:
    return (app or current_app).extensions[CONSOLE_KEY]


class ConsoleRequest:
    """What one console request knows: its session cookie's data and who is signed in."""

    def __init__(self, state: ConsoleState, session: SessionData) -> None:
        self.state = state
        self.session = session
        self.identity: ConsoleIdentity | None = None
        self.tenant_language: str | None = None
        self.timezone = "Europe/Helsinki"

    @property
    def language(self) -> str:
        # A console user's choice is stored with them; a host's user chooses in the cookie, before the
        # language the host suggests.
        user = self.identity.language if self.identity else None
        from_host = self.identity is not None and self.identity.from_host
        choices = (self.session.language, user) if from_host else (user, self.session.language)
        for choice in (*choices, self.tenant_language):
            if choice in LANGUAGES:
                return choice
        return best_language(request.accept_languages)

    def nav_entries(self) -> list[tuple[NavEntry, str]]:
        if self.identity is None:
            return []
        return [(entry, url_for(entry.endpoint)) for entry in self.state.nav if self.identity.can(entry.role)]

    def notice(self, text_key: str, **values: str) -> None:
        """A one-time message (a text key and its values) shown on the next page: "3 drafts approved"."""
        self.session.notices.append([text_key, values])

    def take_notices(self) -> list[list]:
        notices, self.session.notices = self.session.notices, []
        return notices


def identify(console: ConsoleRequest) -> None:
    """Sets `console.identity`: the host's user if the hook names one, else the cookie's console user."""
    state = console.state
    if state.user_loader is not None:
        host_user = state.user_loader()
        if host_user is not None:
            if host_user.role not in CONSOLE_ROLES:
                raise ValueError(f"the host's console user has role {host_user.role!r}; use backoffice or admin")
            tenant = current_database().read(lambda session: tenants.find_tenant(session, host_user.tenant))
            console.identity = ConsoleIdentity(
                tenant_id=tenant.id, tenant_slug=tenant.slug, label=f"host:{host_user.label}", role=host_user.role,
                language=host_user.language)
            _use_tenant(console, tenant)
            return
    data = console.session
    if data.user_id is None:
        return
    try:
        user_id, tenant_id = uuid.UUID(data.user_id), uuid.UUID(str(data.tenant_id))
    except ValueError:
        return
    found = current_database().read(lambda session: session.execute(
        select(ConsoleUser, Tenant).join(Tenant, Tenant.id == ConsoleUser.tenant_id)
        .where(ConsoleUser.id == user_id, ConsoleUser.tenant_id == tenant_id)).first())
    if found is None:
        return
    user, tenant = found
    if user.disabled_at is not None or user.session_epoch != data.epoch:
        data.user_id = None  # logged out (here or elsewhere) or disabled: the cookie's session has ended
        return
    console.identity = ConsoleIdentity(
        tenant_id=tenant.id, tenant_slug=tenant.slug, label=f"console:{user.email}", role=user.role,
        language=user.language, user_id=user.id, email=user.email)
    _use_tenant(console, tenant)


def _use_tenant(console: ConsoleRequest, tenant: Tenant) -> None:
    console.tenant_language = tenant.default_language
    console.timezone = tenant.timezone
