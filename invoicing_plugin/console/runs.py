"""Invoice runs: start one, watch its progress live, review and finalise its drafts, its remaining orders."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..db import Invoice, InvoiceRun
from ..domain.errors import ValidationFailed
from ..plugin import current_database
from ..services import console_reads, invoice_runs, tenants
from ..services.invoice_runs import ACTIVE, CreateInvoiceRun
from ..services.invoices import tenant_today
from ..services.unit_of_work import Replayed
from .access import current_console
from .inputs import FieldProblems, optional_date, required_date, text
from .nav import NavEntry
from .once import first_answer, new_form_id, reply_once
from .rendering import render

blueprint = Blueprint("runs", __name__, url_prefix="/runs")
NAV = NavEntry("console.runs.index", "nav.runs")

PER_PAGE = 50
STATUSES = ("running", invoice_runs.COMPLETED, invoice_runs.CANCELLED)
SOURCES = ("webshop", "pos")
CUSTOMER_TYPES = ("organisation", "person")


def _actor():
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    return identity.actor


@blueprint.route("/")
def index() -> Response:
    actor = _actor()
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    rows = current_database().read(lambda session: console_reads.runs_with_status(session, actor, status,
                                                                                  limit=PER_PAGE))
    return render("runs.html", rows=rows, chosen=status, statuses=STATUSES, page_title="nav.runs")


@blueprint.route("/new")
def new() -> Response:
    today = current_database().read(lambda session: tenant_today(tenants.load_tenant(session, _actor())))
    form = {"period_from": today.replace(day=1).isoformat(), "period_to": today.isoformat(), "invoice_date": ""}
    return _form(form, FieldProblems())


FORM_FIELDS = ("period_from", "period_to", "invoice_date", "source", "customer_type", "store_id", "currency", "series")


def _form(form: dict, problems: FieldProblems, status: int = 200) -> Response:
    form = {**dict.fromkeys(FORM_FIELDS, ""), "finalize": False, **form, "form_id": new_form_id()}
    return render("run_new.html", status=status, form=form, problems=problems, sources=SOURCES,
                  customer_types=CUSTOMER_TYPES, page_title="runs.new_title")


@blueprint.post("/")
def start() -> ResponseReturnValue:
    values = request.form
    problems = FieldProblems()
    period_from = required_date(values, "period_from", problems)
    period_to = required_date(values, "period_to", problems)
    invoice_date = optional_date(values, "invoice_date", problems)
    filters = {"source": values.get("source") if values.get("source") in SOURCES else None,
               "customer_type": values.get("customer_type") if values.get("customer_type") in CUSTOMER_TYPES else None,
               "store_id": text(values, "store_id"), "currency": (text(values, "currency", 3) or "").upper() or None,
               "series": text(values, "series", 40)}
    form: dict[str, Any] = {key: values.get(key, "") for key in FORM_FIELDS}
    finalize_now = form["finalize"] = values.get("finalize") == "1"
    chosen = {key: value for key, value in filters.items() if value}
    if problems or period_from is None or period_to is None:
        # Every problem at once: the use case's own rules too, for the fields that could be read.
        today = current_database().read(lambda session: tenant_today(tenants.load_tenant(session, _actor())))
        probe = CreateInvoiceRun(period_from=period_from or period_to or today, period_to=period_to or today,
                                 invoice_date=invoice_date, filters=chosen)
        for name, messages in invoice_runs.run_problems(probe, today).items():
            if name not in problems and (name != "period_to" or period_from is not None):
                for message in messages:
                    problems.add(name, message)
        return _form(form, problems, status=422)
    command = CreateInvoiceRun(period_from=period_from, period_to=period_to, invoice_date=invoice_date,
                               filters=chosen, finalize=finalize_now)
    reply = reply_once(values, lambda _session, run: {"run_id": str(run.id)})
    try:
        run_id = str(invoice_runs.create_run(current_database(), _actor(), command, reply=reply).id)
    except Replayed as repeat:  # the same form sent again (a double click): the run it started the first time
        return redirect(url_for("console.runs.detail", run_id=first_answer(repeat)["run_id"]))
    except ValidationFailed as refused:  # the use case's own rules (period order, invoice date not ahead)
        for name, messages in refused.errors.items():
            for message in messages:
                problems.add(name.split(".")[0], message)
        return _form(form, problems, status=422)
    current_console().notice("runs.started")
    return redirect(url_for("console.runs.detail", run_id=run_id))


def _run(run_id: uuid.UUID):
    actor = _actor()

    def read(session):
        run = invoice_runs.get_run(session, actor, run_id)  # another tenant's: NotFound, the 404 page
        return run, invoice_runs.invoices_of_run(session, run)

    return current_database().read(read)


@blueprint.route("/<uuid:run_id>")
def detail(run_id: uuid.UUID) -> Response:
    run, invoices = _run(run_id)
    return render("run.html", **_state(run, invoices), page_title="runs.detail_title")


@blueprint.route("/<uuid:run_id>/progress")
def progress(run_id: uuid.UUID) -> Response:
    """The run page's progress and invoices alone, which its script fetches until the run has finished."""
    run, invoices = _run(run_id)
    return render("run_state.html", **_state(run, invoices))


def _state(run: InvoiceRun, invoices: list[Invoice]) -> dict[str, Any]:
    # The run keeps its totals per currency as decimal strings (JSON): Decimals again for the money format.
    totals = sorted((currency, Decimal(str(value))) for currency, value in (run.totals or {}).items())
    return {"run": run, "invoices": invoices, "totals": totals, "live": run.status in ACTIVE}


@blueprint.post("/<uuid:run_id>/finalize")
def finalize(run_id: uuid.UUID) -> ResponseReturnValue:
    """The ticked drafts (or all of them with `all`), in the run's stable order, numbers gapless."""
    chosen: list[uuid.UUID] | None = None
    if request.form.get("all") != "1":
        chosen = [found for value in request.form.getlist("invoice_id") if (found := _uuid(value)) is not None]
        if not chosen:
            current_console().notice("runs.none_chosen")
            return redirect(url_for("console.runs.detail", run_id=run_id))
    invoice_runs.finalize_run(current_database(), _actor(), run_id, chosen)
    current_console().notice("runs.finalized")
    return redirect(url_for("console.runs.detail", run_id=run_id))


@blueprint.post("/<uuid:run_id>/cancel")
def cancel(run_id: uuid.UUID) -> ResponseReturnValue:
    invoice_runs.cancel_run(current_database(), _actor(), run_id)
    current_console().notice("runs.cancelled")
    return redirect(url_for("console.runs.detail", run_id=run_id))


@blueprint.route("/<uuid:run_id>/remaining")
def remaining(run_id: uuid.UUID) -> Response:
    actor = _actor()

    def read(session):
        run = invoice_runs.get_run(session, actor, run_id)
        orders = invoice_runs.remaining_orders(session, actor, run_id)
        names = console_reads.customer_names(session, actor, (order.customer_id for order in orders))
        return run, orders, names

    run, orders, names = current_database().read(read)
    return render("run_remaining.html", run=run, orders=orders, names=names, page_title="runs.remaining_title")


@blueprint.post("/<uuid:run_id>/rerun")
def rerun(run_id: uuid.UUID) -> ResponseReturnValue:
    invoice_runs.rerun(current_database(), _actor(), run_id)
    current_console().notice("runs.rerun")
    return redirect(url_for("console.runs.detail", run_id=run_id))


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
