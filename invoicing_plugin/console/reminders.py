"""Reminders: drafts first (they wait for approval), one reminder's page with its claims and PDF, and the
actions: send a draft, cancel it, run the dunning now (the same use cases as the API's)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..domain.errors import DomainError
from ..domain.errors import NotFound as NoSuchThing
from ..plugin import current_database
from ..services import console_reads, dunning, reminder_documents
from ..services.actors import Actor
from .access import current_console
from .nav import NavEntry
from .once import once
from .paging import page_number
from .rendering import render

blueprint = Blueprint("reminders", __name__, url_prefix="/reminders")
NAV = NavEntry("console.reminders.index", "nav.reminders")
STATUSES = (dunning.DRAFT, dunning.SENT, dunning.CANCELLED)
PER_PAGE = 50


def _actor() -> Actor:
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    return identity.actor


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@blueprint.route("/")
def index() -> Response:
    actor = _actor()
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    customer_id = _uuid(request.args.get("customer"))
    page = page_number()

    def read(session):
        rows = console_reads.reminders_page(session, actor, status=status, customer_id=customer_id,
                                            limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
        return (rows, console_reads.invoice_labels(session, actor, (row.invoice_id for row in rows)),
                console_reads.customer_names(session, actor, [row.customer_id for row in rows]
                                             + ([customer_id] if customer_id else [])))

    rows, invoices, customers = current_database().read(read)
    return render("reminders.html", rows=rows[:PER_PAGE], invoices=invoices, customers=customers, chosen=status,
                  customer_id=customer_id, statuses=STATUSES, page=page, more=len(rows) > PER_PAGE,
                  page_title="nav.reminders")


@blueprint.route("/<uuid:reminder_id>")
def show(reminder_id: uuid.UUID) -> Response:
    actor = _actor()

    def read(session):
        reminder = dunning.get_reminder(session, actor, reminder_id)  # another tenant's: NotFound, the 404 page
        return (reminder, console_reads.invoice_labels(session, actor, [reminder.invoice_id]).get(reminder.invoice_id),
                console_reads.customer_names(session, actor, [reminder.customer_id]).get(reminder.customer_id))

    reminder, invoice, customer = current_database().read(read)
    return render("reminder.html", reminder=reminder, invoice=invoice, customer=customer,
                  page_title="reminders.detail_title")


@blueprint.route("/<uuid:reminder_id>/pdf")
def pdf(reminder_id: uuid.UUID) -> Response:
    """The reminder's PDF, shown inline on its page: a sent one's stored bytes, a draft's preview."""
    actor = _actor()
    loaded = current_database().read(
        lambda session: reminder_documents.load(session, dunning.get_reminder(session, actor, reminder_id)))
    stored = reminder_documents.stored(current_database(), "pdf", loaded)  # rendered with no transaction open
    return Response(stored.content, content_type=stored.media_type, headers={
        "Content-Disposition": f'inline; filename="reminder-{loaded.data.number}.pdf"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@blueprint.post("/<uuid:reminder_id>/send")
def send(reminder_id: uuid.UUID) -> ResponseReturnValue:
    return _act(reminder_id, lambda: once(lambda reply: dunning.send_reminder(
        current_database(), _actor(), reminder_id, reply=reply)), "reminders.sent")


@blueprint.post("/<uuid:reminder_id>/cancel")
def cancel(reminder_id: uuid.UUID) -> ResponseReturnValue:
    return _act(reminder_id, lambda: once(lambda reply: dunning.cancel_reminder(
        current_database(), _actor(), reminder_id, reply=reply)), "reminders.cancelled")


@blueprint.post("/run")
def run() -> ResponseReturnValue:
    """The dunning for today, now (POST /dunning-runs's use case): running it twice on a day makes nothing twice."""
    console = current_console()
    try:
        made = once(lambda reply: dunning.run_dunning(current_database(), _actor(), dunning.RunDunning(),
                                                      reply=reply))
    except DomainError as error:
        console.notice("reminders.refused", reason=error.detail)
    else:
        if made is None:
            console.notice("reminders.acted_before")
        else:
            console.notice("reminders.ran", created=str(len(made.created)), sent=str(made.sent))
    return redirect(url_for("console.reminders.index"))


def _act(reminder_id: uuid.UUID, action: Callable[[], object], done: str) -> ResponseReturnValue:
    console = current_console()
    try:
        result = action()
    except NoSuchThing:
        raise  # another tenant's reminder: the 404 page
    except DomainError as error:
        console.notice("reminders.refused", reason=error.detail)
    else:
        console.notice(done if result is not None else "reminders.acted_before")
    return redirect(url_for("console.reminders.show", reminder_id=reminder_id))
