"""Login, logout and the language switch."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..plugin import current_database
from ..services import console_users
from ..services.console_users import LogIn, LoginRefused, LoginThrottled
from .access import current_console
from .rendering import render

blueprint = Blueprint("auth", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    console = current_console()
    target = _safe_next(request.values.get("next"))
    if console.identity is not None:
        return redirect(target or url_for("console.home.index"))
    form = {"tenant": request.values.get("tenant", ""), "email": request.form.get("email", "")}
    if request.method == "GET":
        return render("login.html", form=form, error=None, next=target)
    command = LogIn(form["tenant"], form["email"], request.form.get("password", ""))
    try:
        user = console_users.log_in(current_database(), command, console.state.throttle)
    except LoginThrottled:
        return render("login.html", status=429, form=form, error="login.throttled", next=target)
    except LoginRefused:
        return render("login.html", status=401, form=form, error="login.refused", next=target)
    session = console.session
    session.user_id, session.tenant_id, session.epoch = str(user.id), str(user.tenant_id), user.session_epoch
    session.csrf = secrets.token_urlsafe(24)  # a fresh token for the signed-in session (no fixation)
    return redirect(target or url_for("console.home.index"))


@blueprint.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    console = current_console()
    identity = console.identity
    if identity is not None and identity.user_id is not None:
        console_users.log_out(current_database(), identity.actor, identity.user_id)
    console.session.user_id = None
    console.notice("login.logged_out")
    return redirect(url_for("console.auth.login"))


@blueprint.route("/language", methods=["POST"])
def language() -> ResponseReturnValue:
    console = current_console()
    chosen = request.form.get("language", "")
    identity = console.identity
    if identity is not None:
        console_users.set_language(current_database(), identity.actor, identity.user_id, chosen)
    elif chosen not in console_users.LANGUAGES:
        chosen = "en"
    console.session.language = chosen
    return redirect(_safe_next(request.form.get("next")) or url_for("console.home.index"))


def _safe_next(target: str | None) -> str | None:
    """Only a path of this console: never another site (an open redirect would make phishing easy)."""
    if not target:
        return None
    parts = urlsplit(target)
    prefix = url_for("console.home.index").rstrip("/")
    if parts.scheme or parts.netloc or not target.startswith(prefix) or target.startswith("//"):
        return None
    return target
