"""The back-office console: server-rendered pages for a tenant's staff, mounted by InvoicingPlugin.

One blueprint (`console`) at INVOICING_CONSOLE_PREFIX holds one nested blueprint per page area (home,
drafts, invoices, ...); `PAGE_AREAS` lists them, and README.md in this folder says how to add one. Pages
call the same use cases (services/) as the API.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from importlib.resources import files

from flask import Blueprint, Flask, Response, abort

from ..api.context import end_transaction
from ..config import Settings
from ..services.console_users import Throttle
from . import (
    auth,
    customers,
    deliveries,
    drafts,
    home,
    invoices,
    layout,
    reminders,
    runs,
    subscriptions,
    users,
    vat_rates,
)
from . import settings as settings_pages  # not `settings`: register_console's argument has that name
from .access import after_console_request, before_console_request
from .context import CONSOLE_KEY, ConsoleState
from .errors import register_error_pages
from .identity import HostUserLoader
from .session import SessionCookie

# Each page area: a module with `blueprint` (its routes) and `NAV` (its navigation entry, or None).
PAGE_AREAS = (home, drafts, invoices, reminders, deliveries, customers, subscriptions, runs, settings_pages, layout,
              vat_rates, users)
STATIC_FILES = {"console.css": "text/css", "live.js": "text/javascript", "layout.js": "text/javascript"}


def register_console(app: Flask, settings: Settings, user_loader: HostUserLoader | None = None) -> ConsoleState:
    prefix = settings.console_prefix.rstrip("/") or "/"
    secret = settings.console_secret_key or app.config.get("SECRET_KEY") or secrets.token_urlsafe(32)
    state = ConsoleState(
        settings=settings,
        cookie=SessionCookie(str(secret), settings.console_idle_minutes * 60, path=prefix),
        throttle=Throttle(settings.console_max_failed_logins, timedelta(minutes=settings.console_throttle_minutes)),
        user_loader=user_loader,
        nav=[area.NAV for area in PAGE_AREAS if area.NAV is not None],
    )
    app.extensions[CONSOLE_KEY] = state
    console = Blueprint("console", __name__)
    console.before_request(before_console_request)
    console.after_request(after_console_request)
    console.teardown_request(end_transaction)
    register_error_pages(console)
    console.add_url_rule("/static/<name>", "static", _static)
    console.register_blueprint(auth.blueprint)
    for area in PAGE_AREAS:
        console.register_blueprint(area.blueprint)
    app.register_blueprint(console, url_prefix=prefix)
    return state


def _static(name: str) -> Response:
    """The console's stylesheet, from the installed package (no CDN: the console works offline)."""
    if name not in STATIC_FILES:
        abort(404)
    body = files("invoicing_plugin.templates").joinpath("console", "static", name).read_bytes()
    response = Response(body, mimetype=STATIC_FILES[name])
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
