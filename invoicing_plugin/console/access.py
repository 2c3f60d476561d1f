"""Every console request: session cookie in, sign-in required, CSRF checked on every form; and role checks."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from flask import Response, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest, Forbidden

from .context import ConsoleRequest, console_state, identify

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# What anyone may open: the login form, the language switch (the login page has it) and the stylesheet.
PUBLIC_ENDPOINTS = ("console.auth.login", "console.auth.language", "console.static")


class CsrfRefused(BadRequest):
    description = "the form was sent without its security token (or an old one): reload the page and send it again"


def before_console_request() -> ResponseReturnValue | None:
    state = console_state()
    console = g.invoicing_console = ConsoleRequest(state, state.cookie.load(request))
    identify(console)
    if request.method not in SAFE_METHODS:
        # Every form carries the token; a page of another site cannot read it, so cannot post as the user.
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, console.session.csrf):
            raise CsrfRefused()
    if console.identity is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if console.session.expired:
            console.notice("login.expired")
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.auth.login", next=back))
    return None


# The pages run only the console's own script files (live.js, layout.js), no inline script: an injected one
# would not run (defence in depth behind escaping).
# Framed only by the console itself (the invoice page frames its PDF), never by another site (clickjacking).
PAGE_POLICY = ("default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'self'")


def after_console_request(response: Response) -> Response:
    console = g.get("invoicing_console")
    if console is not None and request.endpoint != "console.static":
        console.state.cookie.save(request, response, console.session)
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def current_console() -> ConsoleRequest:
    return g.invoicing_console


def requires_role(role: str) -> Callable:
    """The page needs at least this role (admin > backoffice); otherwise 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            identity = current_console().identity
            if identity is None or not identity.can(role):
                raise Forbidden(f"this page needs the {role} role")
            return view(*args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorate
