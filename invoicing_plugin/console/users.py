"""Settings: the tenant's console users (admin only)."""

from __future__ import annotations

from flask import Blueprint, Response

from ..plugin import current_database
from ..services import console_users
from .access import current_console, requires_role
from .nav import NavEntry
from .rendering import render

blueprint = Blueprint("users", __name__, url_prefix="/settings/users")
NAV = NavEntry("console.users.index", "nav.users", role="admin")


@blueprint.route("/")
@requires_role("admin")
def index() -> Response:
    actor = current_console().identity.actor  # type: ignore[union-attr]
    users = current_database().read(lambda session: console_users.list_users(session, actor))
    return render("users.html", users=users, page_title="nav.users")
