"""The home page: what waits for someone, each count a link to the page that lists it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for
from werkzeug.routing import BuildError

from ..plugin import current_database
from ..services import tenants
from ..services.invoices import tenant_today
from ..services.overview import overview
from .access import current_console
from .nav import NavEntry
from .rendering import render

blueprint = Blueprint("home", __name__)
NAV = NavEntry("console.home.index", "nav.home")


@blueprint.route("/")
def index() -> Response:
    actor = current_console().identity.actor  # type: ignore[union-attr] # signed in: access.py saw to it

    def read(session):
        return overview(session, actor, tenant_today(tenants.load_tenant(session, actor)))

    counts = current_database().read(read)
    cards = [
        ("home.drafts_waiting", counts.drafts_waiting, _link("console.drafts.queue")),
        ("home.dead_deliveries", counts.dead_deliveries, _link("console.deliveries.index", status="dead")),
        ("home.overdue_invoices", counts.overdue_invoices, _link("console.invoices.search", overdue="1")),
        ("home.unmatched_payments", counts.unmatched_payments, _link("console.payments.unmatched")),
        ("home.runs_running", counts.runs_running, _link("console.runs.index", status="running")),
        ("home.reminders_waiting", counts.reminders_waiting, _link("console.reminders.index", status="draft")),
    ]
    return render("home.html", cards=cards, page_title="nav.home")


def _link(endpoint: str, **values: Any) -> str | None:
    """The page's address, or None while no page area serves that list (the count is shown unlinked)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
