"""The plugin object: wires settings, the database and the API into a Flask app (standalone or host)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapters import egress

from .config import Settings, load_settings
from .db.engine import make_engine, make_session_factory
from .services.unit_of_work import Database

EXTENSION_KEY = "invoicing"


@dataclass
class PluginState:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    database: Database  # what use cases take: each opens its own unit of work through it
    request_database: Database  # the same, reusing the request's session (current_database())


class InvoicingPlugin:
    """Mount the invoicing API into a Flask app: `InvoicingPlugin(app)` or `plugin.init_app(app)`.

    The plugin keeps its own engine and session instead of a Flask-SQLAlchemy instance: Flask-SQLAlchemy
    allows one instance per app, and a host shop application usually has its own.
    """

    def __init__(self, app: Flask | None = None, config: Mapping[str, object] | None = None,
                 console_user_loader: Callable[[], Any] | None = None) -> None:
        self.config = config
        self._console_user_loader = console_user_loader
        self._apps: list[Flask] = []
        if app is not None:
            self.init_app(app)

    def console_user_loader(self, load: Callable[[], Any]) -> Callable[[], Any]:
        """The host's hook into the console (a decorator): `load()` returns a `console.HostUser` for the
        host's signed-in staff member, or None for the console's own login (README, "Back-office console")."""
        self._console_user_loader = load
        for app in self._apps:
            if "invoicing_console" in app.extensions:
                app.extensions["invoicing_console"].user_loader = load
        return load

    def init_app(self, app: Flask, config: Mapping[str, object] | None = None) -> PluginState:
        settings = load_settings(app.instance_path, config or self.config, app.config)
        # Process-wide, like the adapters' HTTP clients it governs: the API and the worker both start here.
        egress.configure(allow_private_targets=settings.allow_private_targets, proxy=settings.egress_proxy)
        engine = make_engine(
            settings.database_url, pool_size=settings.db_pool_size, lock_timeout_ms=settings.lock_timeout_ms,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms, statement_timeout_ms=settings.statement_timeout_ms,
            connect_timeout_seconds=settings.db_connect_timeout_seconds,
            pool_timeout_seconds=settings.db_pool_timeout_seconds,
        )
        session_factory = make_session_factory(engine)
        state = PluginState(settings, engine, session_factory, Database(session_factory),
                            Database(session_factory, borrowed=current_session))
        app.extensions[EXTENSION_KEY] = state
        load_extensions()
        app.teardown_appcontext(_close_session)

        from .api import register_api

        register_api(app, settings)
        if settings.console_enabled:
            from .console import register_console

            register_console(app, settings, self._console_user_loader)
        self._apps.append(app)
        return state


def plugin_state(app: Flask | None = None) -> PluginState:
    return (app or current_app).extensions[EXTENSION_KEY]


def load_extensions() -> None:
    """Register what installed packages add (inbound providers by entry point), once per process start."""
    from webhooks.providers import load_providers

    load_providers()


def current_database() -> Database:
    """The database as a request's use cases take it: on the request's own session."""
    return plugin_state().request_database


def current_session() -> Session:
    """The request's session, opened on first use and closed when the app context ends."""
    session = g.get("_invoicing_session")
    if session is None:
        session = g._invoicing_session = plugin_state().session_factory()
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("_invoicing_session", None)
    if session is not None:
        session.close()
