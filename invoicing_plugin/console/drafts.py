"""Drafts: the queue with filters, approving one or many, discarding, and editing a draft."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..domain.errors import DomainError, InvalidState, PreconditionFailed, ValidationFailed
from ..domain.lifecycle import InvoiceStatus
from ..plugin import current_database
from ..services import commands, drafts, invoices, queries
from ..services.actors import Actor
from ..services.draft_queue import DraftFilter, list_drafts
from ..services.tenants import load_tenant
from .access import current_console
from .forms import Problems, date_field, draft_changes, line_rows, text_field, uuids
from .nav import NavEntry
from .rendering import render

blueprint = Blueprint("drafts", __name__, url_prefix="/drafts")
NAV = NavEntry("console.drafts.queue", "nav.drafts")
PER_PAGE = 50


def _actor() -> Actor:
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    return identity.actor


@blueprint.route("/")
def queue() -> Response:
    problems: Problems = {}
    args = request.args
    filters = DraftFilter(source=text_field(args, "source"), store=text_field(args, "store"),
                          customer=text_field(args, "customer"), date_from=date_field(args, "date_from", problems),
                          date_to=date_field(args, "date_to", problems))
    page = int(args["page"]) if args.get("page", "").isdigit() else 1
    actor = _actor()
    result = current_database().read(lambda session: list_drafts(session, actor, filters, page=page,
                                                                 per_page=PER_PAGE))
    query = {key: value for key, value in args.items() if key != "page" and value}
    return render("drafts.html", result=result, filters=args, problems=problems, query=query,
                  page_title="nav.drafts")


@blueprint.post("/approve")
def approve() -> ResponseReturnValue:
    """The ticked drafts, each approved in its own unit of work, in the order of the list (oldest first):
    numbers follow that order, without gaps. One that cannot be approved is named, the others go ahead."""
    console, actor, db = current_console(), _actor(), current_database()
    numbers, refused = [], []
    for invoice_id in uuids(request.form, "invoice_id"):
        try:
            numbers.append(invoices.finalize_invoice(db, actor, commands.FinalizeInvoice(invoice_id)).invoice.number)
        except DomainError as error:
            refused.append(error.detail)
    if numbers:
        console.notice("drafts.approved", count=str(len(numbers)), numbers=", ".join(str(n) for n in numbers))
    for detail in refused:
        console.notice("drafts.not_approved", reason=detail)
    if not numbers and not refused:
        console.notice("drafts.none_selected")
    return redirect(_back())


@blueprint.route("/<uuid:invoice_id>", methods=["GET", "POST"])
def edit(invoice_id: uuid.UUID) -> ResponseReturnValue:
    actor, db = _actor(), current_database()
    problems: Problems = {}
    form: Any = None
    stale = False
    if request.method == "POST":
        command, problems = draft_changes(invoice_id, request.form)
        if not problems:
            try:
                drafts.edit_draft(db, actor, command)
            except ValidationFailed as failed:
                problems = failed.errors
            except PreconditionFailed:
                stale = True  # another clerk saved first: show theirs, say so, keep nothing of this edit
            else:
                current_console().notice("drafts.saved")
                return redirect(url_for("console.drafts.edit", invoice_id=invoice_id))
        form = None if stale else request.form

    def read(session):
        invoice = queries.get_invoice(session, actor, invoice_id)
        return invoice, load_tenant(session, actor)

    invoice, tenant = db.read(read)
    if invoice.status != InvoiceStatus.DRAFT:
        return redirect(url_for("console.invoices.show", invoice_id=invoice_id)) if _has_invoice_page() else \
            render("error.html", status=409, title="error.409", detail=f"the invoice is {invoice.status}")
    status = 409 if stale else 422 if problems else 200
    return render("draft_edit.html", status=status, invoice=invoice, tenant=tenant, form=form or {},
                  rows=line_rows(form, invoice.lines), problems=problems, stale=stale, page_title="drafts.edit_title")


@blueprint.post("/<uuid:invoice_id>/discard")
def discard(invoice_id: uuid.UUID) -> ResponseReturnValue:
    command = commands.DiscardInvoice(invoice_id, return_orders=request.form.get("return_orders") == "yes",
                                      reason=text_field(request.form, "reason"))
    try:
        invoices.discard_invoice(current_database(), _actor(), command)
    except InvalidState as error:
        current_console().notice("drafts.not_discarded", reason=error.detail)
        return redirect(url_for("console.drafts.edit", invoice_id=invoice_id))
    current_console().notice("drafts.discarded_returned" if command.return_orders else "drafts.discarded")
    return redirect(url_for("console.drafts.queue"))


def _back() -> str:
    target = request.form.get("back", "")
    prefix = url_for("console.drafts.queue")
    return target if target.startswith(prefix) and not target.startswith("//") else prefix


def _has_invoice_page() -> bool:
    from flask import current_app

    return "console.invoices.show" in current_app.view_functions
