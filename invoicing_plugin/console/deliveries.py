"""Deliveries: dead first (they need a person), each with its attempt log, and a retry by hand."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..plugin import current_database
from ..services import console_reads, outbox
from ..services.commands import RetryDelivery
from .access import current_console
from .nav import NavEntry
from .paging import page_number
from .rendering import render

blueprint = Blueprint("deliveries", __name__, url_prefix="/deliveries")
NAV = NavEntry("console.deliveries.index", "nav.deliveries")

STATUSES = (outbox.DEAD, outbox.FAILED, outbox.IN_PROGRESS, outbox.PENDING, outbox.DELIVERED)
PER_PAGE = 50
# The detail page asks again while the worker still has the delivery: then it shows the outcome by itself.
UNSETTLED = (outbox.PENDING, outbox.IN_PROGRESS, outbox.FAILED)


@blueprint.route("/")
def index() -> Response:
    actor = current_console().identity.actor  # type: ignore[union-attr] # signed in: access.py saw to it
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    page = page_number()

    def read(session):
        rows = outbox.list_deliveries(session, actor, status=status, invoice_id=None, limit=PER_PAGE + 1,
                                      offset=(page - 1) * PER_PAGE)
        return rows, console_reads.invoice_labels(session, actor, (row.invoice_id for row in rows))

    rows, invoices = current_database().read(read)
    return render("deliveries.html", rows=rows[:PER_PAGE], invoices=invoices, chosen=status, statuses=STATUSES,
                  page=page, more=len(rows) > PER_PAGE, page_title="nav.deliveries")


def _detail(delivery_id: uuid.UUID):
    actor = current_console().identity.actor  # type: ignore[union-attr]

    def read(session):
        delivery = outbox.get_delivery(session, actor, delivery_id)  # another tenant's: NotFound, the 404 page
        return (delivery, outbox.attempts_of(session, delivery),
                console_reads.invoice_labels(session, actor, [delivery.invoice_id]).get(delivery.invoice_id))

    return current_database().read(read)


@blueprint.route("/<uuid:delivery_id>")
def detail(delivery_id: uuid.UUID) -> Response:
    delivery, attempts, invoice = _detail(delivery_id)
    return render("delivery.html", delivery=delivery, attempts=attempts, invoice=invoice,
                  live=delivery.status in UNSETTLED, page_title="deliveries.detail_title")


@blueprint.route("/<uuid:delivery_id>/state")
def state(delivery_id: uuid.UUID) -> Response:
    """The detail page's changing part alone, which its script fetches until the delivery has settled."""
    delivery, attempts, _invoice = _detail(delivery_id)
    return render("delivery_state.html", delivery=delivery, attempts=attempts, live=delivery.status in UNSETTLED)


@blueprint.post("/<uuid:delivery_id>/retry")
def retry(delivery_id: uuid.UUID) -> ResponseReturnValue:
    console = current_console()
    outbox.retry_delivery(current_database(), console.identity.actor, RetryDelivery(delivery_id))  # type: ignore[union-attr]
    console.notice("deliveries.retried")
    return redirect(url_for("console.deliveries.detail", delivery_id=delivery_id))
