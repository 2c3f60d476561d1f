"""Invoices: the search, one invoice's page (PDF inline, lines, VAT, payments, timeline, deliveries) and its
actions: credit note in full or by lines, cancel, manual payment, resend a delivery, the documents."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from ..domain.errors import DomainError, ValidationFailed
from ..domain.errors import NotFound as NoSuchThing
from ..plugin import current_database
from ..services import commands, credit_notes, documents, outbox, payments, tenants
from ..services.actors import Actor
from ..services.invoice_page import invoice_view
from ..services.invoice_search import STATUS_CHOICES, InvoiceSearch, search_invoices
from ..services.invoices import tenant_today
from .access import current_console
from .forms import Problems, date_field, decimal_field, text_field
from .nav import NavEntry
from .once import once
from .rendering import render

blueprint = Blueprint("invoices", __name__, url_prefix="/invoices")
NAV = NavEntry("console.invoices.search", "nav.invoices")
PER_PAGE = 50
_FILE_NAMES = {"pdf": "invoice-{number}.pdf", "finvoice": "finvoice-{number}.xml", "ubl": "ubl-{number}.xml"}


def _actor() -> Actor:
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    return identity.actor


@blueprint.route("/")
def search() -> Response:
    args, problems = request.args, Problems()
    amount = decimal_field(args, "amount", problems, default=Decimal(-1)) if args.get("amount") else None
    actor = _actor()

    def read(session):
        overdue_on = tenant_today(tenants.load_tenant(session, actor)) if args.get("overdue") else None
        wanted = InvoiceSearch(
            number=text_field(args, "number"), customer=text_field(args, "customer"),
            reference=text_field(args, "reference"), amount=amount,
            status=args.get("status") if args.get("status") in STATUS_CHOICES else None,
            kind=args.get("kind") if args.get("kind") in ("invoice", "credit_note", "proforma") else None,
            date_from=date_field(args, "date_from", problems), date_to=date_field(args, "date_to", problems),
            overdue_on=overdue_on)
        return search_invoices(session, actor, wanted, page=_page(), per_page=PER_PAGE)

    result = current_database().read(read)
    query = {key: value for key, value in args.items() if key != "page" and value}
    return render("invoices.html", result=result, filters=args, problems=problems, query=query,
                  statuses=STATUS_CHOICES, page_title="nav.invoices")


@blueprint.route("/<uuid:invoice_id>")
def show(invoice_id: uuid.UUID) -> Response:
    actor = _actor()
    view = current_database().read(lambda session: invoice_view(session, actor, invoice_id))
    return render("invoice.html", view=view, invoice=view.invoice, page_title="invoices.title")


@blueprint.route("/<uuid:invoice_id>/<kind>")
def document(invoice_id: uuid.UUID, kind: str) -> Response:
    """The PDF (shown inline on the invoice page), Finvoice or UBL: the same stored documents as the API's."""
    if kind not in _FILE_NAMES:
        raise NotFound()
    actor = _actor()
    layout = current_database().read(lambda session: dict(tenants.load_tenant(session, actor).layout or {}))
    stored = documents.invoice_document(current_database(), actor, invoice_id, kind, layout)
    disposition = "inline" if kind == "pdf" else "attachment"
    return Response(stored.content, content_type=stored.media_type, headers={
        "Content-Disposition": f'{disposition}; filename="{_FILE_NAMES[kind].format(number=stored.invoice_number)}"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@blueprint.post("/<uuid:invoice_id>/credit")
def credit(invoice_id: uuid.UUID) -> ResponseReturnValue:
    """A credit note of the whole invoice (`full`) or of the quantities typed per line (`credit-<line id>`)."""
    form, problems = request.form, Problems()
    full = form.get("full") == "yes"
    lines = []
    for name in form:
        if name.startswith("credit-") and form[name].strip():
            quantity = decimal_field(form, name, problems)
            try:
                line_id = uuid.UUID(name.removeprefix("credit-"))
            except ValueError:
                continue
            if quantity:
                lines.append(commands.LineCredit(line_id, quantity=quantity))
    reason = text_field(form, "reason") or ""
    if not reason:
        problems["reason"] = ["is required"]
    if not full and not lines and "reason" not in problems:
        problems["lines"] = ["type the quantity to credit on at least one line, or credit the whole invoice"]
    command = commands.CreateCreditNote(invoice_id, reason, lines=tuple(lines), full=full)
    return _act(invoice_id, problems, lambda: once(lambda reply: credit_notes.create_credit_note(
        current_database(), _actor(), command, reply=reply)), "invoices.credited")


@blueprint.post("/<uuid:invoice_id>/cancel")
def cancel(invoice_id: uuid.UUID) -> ResponseReturnValue:
    reason = text_field(request.form, "reason") or ""
    problems = {} if reason else {"reason": ["is required"]}
    command = commands.CancelInvoice(invoice_id, reason, release_orders=request.form.get("release_orders") == "yes")
    return _act(invoice_id, problems, lambda: once(lambda reply: credit_notes.cancel_invoice(
        current_database(), _actor(), command, reply=reply)), "invoices.cancelled")


@blueprint.post("/<uuid:invoice_id>/payments")
def payment(invoice_id: uuid.UUID) -> ResponseReturnValue:
    form, problems = request.form, Problems()
    amount = decimal_field(form, "amount", problems)
    command = commands.RecordPayment(
        invoice_id, amount=amount or Decimal(0), paid_on=date_field(form, "paid_on", problems),
        # The form's own id: the same form sent twice records one payment.
        payment_id=f"console-{form.get('form_id', '')}" if form.get("form_id") else None,
        reference=text_field(form, "reference"), note=text_field(form, "note"))
    return _act(invoice_id, problems, lambda: payments.record_manual_payment(current_database(), _actor(), command),
                "invoices.payment_recorded")


@blueprint.post("/<uuid:invoice_id>/deliveries/<uuid:delivery_id>/retry")
def resend(invoice_id: uuid.UUID, delivery_id: uuid.UUID) -> ResponseReturnValue:
    return _act(invoice_id, {}, lambda: outbox.retry_delivery(current_database(), _actor(),
                                                              commands.RetryDelivery(delivery_id)),
                "invoices.delivery_queued")


def _act(invoice_id: uuid.UUID, problems: Problems, action: Callable[[], object], done: str) -> ResponseReturnValue:
    """Run the action unless the form had problems; either way back to the invoice page, which says how it went."""
    console = current_console()
    if not problems:
        try:
            action()
        except ValidationFailed as failed:
            problems = failed.errors
        except DomainError as error:
            if isinstance(error, NoSuchThing):
                raise  # another tenant's invoice or delivery: the 404 page
            console.notice("invoices.refused", reason=error.detail)
            return redirect(url_for("console.invoices.show", invoice_id=invoice_id))
        else:
            console.notice(done)
            return redirect(url_for("console.invoices.show", invoice_id=invoice_id))
    for field, messages in problems.items():
        console.notice("invoices.problem", field=field, message="; ".join(messages))
    return redirect(url_for("console.invoices.show", invoice_id=invoice_id))


def _page() -> int:
    raw = request.args.get("page", "")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1
