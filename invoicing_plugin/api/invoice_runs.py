"""Invoice runs: invoicing the orders that wait for it, per customer and period, in the worker."""

from __future__ import annotations

import uuid

from flask import request
from flask.views import MethodView
from marshmallow import RAISE

from ..db import InvoiceRun
from ..plugin import current_database, current_session
from ..services import invoice_runs, run_schedules
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, json_body, load, requires
from .presenters import invoice_summary, order_summary
from .responses import dump
from .schemas.runs import (
    FinalizeRunSchema,
    InvoiceRunDetailSchema,
    InvoiceRunPageSchema,
    InvoiceRunRequestSchema,
    InvoiceRunSchema,
    RemainingOrdersSchema,
    RerunSchema,
    RunQuery,
    RunSchedulePageSchema,
    RunScheduleRequestSchema,
    RunScheduleSchema,
)
from .writes import Outcome, run_write

RUN_REQUEST_SCHEMA = InvoiceRunRequestSchema()
FINALIZE_RUN_SCHEMA = FinalizeRunSchema()
RERUN_SCHEMA = RerunSchema()
SCHEDULE_SCHEMA = RunScheduleRequestSchema()

blp = api_blueprint("invoice_runs", "/invoice-runs", "Invoice runs: waiting orders become invoices")


def run_view(run: InvoiceRun) -> dict:
    return {"id": run.id, "status": run.status, "period_from": run.period_from, "period_to": run.period_to,
            "invoice_date": run.invoice_date, "filters": run.filters, "group_by": run.group_by,
            "finalize": run.finalize, "schedule_name": run.schedule_name,
            "progress": {"orders_seen": run.orders_seen, "orders_invoiced": run.orders_invoiced,
                         "invoices_made": run.invoices_made, "failures": run.failures or []},
            "totals": run.totals or {}, "created_by": run.created_by, "created_at": run.created_at,
            "started_at": run.started_at, "finished_at": run.finished_at}


def run_detail(session, run: InvoiceRun) -> dict:
    return {**run_view(run),
            "invoices": [invoice_summary(invoice) for invoice in invoice_runs.invoices_of_run(session, run)]}


def _optional_body() -> dict:
    return json_body() if request.get_data(cache=True) else {}


@blp.route("")
class InvoiceRuns(MethodView):
    @requires("backoffice")
    @blp.response(201, InvoiceRunSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(RUN_REQUEST_SCHEMA),
             responses=problem_responses(400, 401, 403, 415, 422))
    def post(self):
        """Start a run: the worker invoices the orders waiting in the period, per customer, in batches

        An order is in the period when its delivery date is. The answer is the stored run (`queued`);
        follow it with `GET /invoice-runs/{id}`. Each order is invoiced once, even by runs over the same
        period at the same time; an order that cannot be invoiced is listed in `progress.failures` and waits.
        """
        payload = json_body()
        values = load(RUN_REQUEST_SCHEMA, payload)
        command = invoice_runs.CreateInvoiceRun(
            period_from=values["period_from"], period_to=values["period_to"],
            invoice_date=values.get("invoice_date"), filters=values.get("filters") or {},
            group_by=tuple(values["group_by"]) if values.get("group_by") else None, finalize=values["finalize"])
        actor = current_actor()
        return run_write(lambda reply: invoice_runs.create_run(current_database(), actor, command, reply=reply),
                         lambda _session, run: Outcome(201, dump(InvoiceRunSchema, run_view(run))), payload)

    @requires("backoffice")
    @blp.arguments(RunQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, InvoiceRunPageSchema)
    @blp.doc(responses=problem_responses(401, 403, 422))
    def get(self, limit: int):
        """Runs, newest first, with their status and progress"""
        return {"items": [run_view(run) for run in invoice_runs.list_runs(current_session(), current_actor(),
                                                                            limit=limit)]}


@blp.route("/<uuid:run_id>")
class InvoiceRunById(MethodView):
    @requires("backoffice")
    @blp.response(200, InvoiceRunDetailSchema)
    @blp.doc(responses=problem_responses(401, 403, 404))
    def get(self, run_id: uuid.UUID):
        """One run: status, progress, failures, totals and the invoices it made"""
        session = current_session()
        return run_detail(session, invoice_runs.get_run(session, current_actor(), run_id))


@blp.route("/<uuid:run_id>/cancel")
class CancelRun(MethodView):
    @requires("backoffice")
    @blp.response(200, InvoiceRunSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], responses=problem_responses(401, 403, 404, 409))
    def post(self, run_id: uuid.UUID):
        """Stop a queued or running run; what it made stays as it is (drafts stay drafts)"""
        actor = current_actor()
        return run_write(lambda reply: invoice_runs.cancel_run(current_database(), actor, run_id, reply=reply),
                         lambda _session, run: Outcome(200, dump(InvoiceRunSchema, run_view(run))))


@blp.route("/<uuid:run_id>/finalize")
class FinalizeRun(MethodView):
    @requires("backoffice")
    @blp.response(200, InvoiceRunDetailSchema)
    @blp.doc(**request_body(FINALIZE_RUN_SCHEMA, required=False),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self, run_id: uuid.UUID):
        """Finalise the run's drafts (or the listed ones): customer name order, numbers gapless, delivered

        Finalising goes in batches, each its own transaction: if it stops midway, calling it again
        finalises the rest.
        """
        values = load(FINALIZE_RUN_SCHEMA, _optional_body())
        actor = current_actor()
        invoice_runs.finalize_run(current_database(), actor, run_id, values.get("invoice_ids"))
        session = current_session()
        return run_detail(session, invoice_runs.get_run(session, actor, run_id))


@blp.route("/<uuid:run_id>/remaining")
class RemainingOrders(MethodView):
    @requires("backoffice")
    @blp.response(200, RemainingOrdersSchema)
    @blp.doc(responses=problem_responses(401, 403, 404))
    def get(self, run_id: uuid.UUID):
        """Orders in the run's period and filters that still wait for invoicing (e.g. their draft was discarded)"""
        orders = invoice_runs.remaining_orders(current_session(), current_actor(), run_id)
        return {"items": [order_summary(order) for order in orders]}


@blp.route("/<uuid:run_id>/rerun")
class Rerun(MethodView):
    @requires("backoffice")
    @blp.response(200, InvoiceRunSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(RERUN_SCHEMA, required=False),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self, run_id: uuid.UUID):
        """Invoice the remaining orders (of these customers) with the run's own dates, filters and grouping

        The new invoices join the run. Only the latest run over the same period and filters is re-run (409).
        """
        payload = _optional_body()
        values = load(RERUN_SCHEMA, payload)
        actor = current_actor()
        return run_write(lambda reply: invoice_runs.rerun(current_database(), actor, run_id,
                                                          values.get("customer_ids"), reply=reply),
                         lambda _session, run: Outcome(200, dump(InvoiceRunSchema, run_view(run))), payload)


schedules_blp = api_blueprint("run_schedules", "/tenant/run-schedules",
                              "Run schedules: invoice runs the worker starts by itself (admin keys)")


def schedule_view(schedule) -> dict:
    interval = dict(schedule.interval)
    return {"name": schedule.name, "interval": interval, "alignment": schedule.alignment,
            "invoice_date": schedule.invoice_date_rule, "filters": schedule.filters, "group_by": schedule.group_by,
            "finalize": schedule.finalize, "enabled": schedule.enabled,
            "last_period_from": schedule.last_period_from}


@schedules_blp.route("")
class RunSchedules(MethodView):
    @requires("admin")
    @schedules_blp.response(200, RunSchedulePageSchema)
    @schedules_blp.doc(responses=problem_responses(401, 403))
    def get(self):
        """The tenant's run schedules"""
        return {"items": [schedule_view(s) for s in run_schedules.list_schedules(current_session(), current_actor())]}


@schedules_blp.route("/<string(maxlength=60):name>")
class RunScheduleByName(MethodView):
    @requires("admin")
    @schedules_blp.response(200, RunScheduleSchema)
    @schedules_blp.doc(**request_body(SCHEDULE_SCHEMA), responses=problem_responses(400, 401, 403, 415, 422))
    def put(self, name: str):
        """Create or replace a schedule: interval, alignment, invoice date, filters, grouping, finalize

        The worker starts it once per period, in the tenant's time zone; a start missed while no worker ran
        happens once when one comes back. A start whose period and filters equal an existing run's puts that
        run back to work (it invoices what arrived since) instead of making another.
        """
        payload = json_body()
        values = load(SCHEDULE_SCHEMA, payload)
        interval = {key: value.isoformat() if hasattr(value, "isoformat") else value
                    for key, value in values["interval"].items()}
        command = run_schedules.SaveRunSchedule(
            name=name, interval=interval, alignment=values["alignment"], invoice_date_rule=values["invoice_date"],
            filters=values.get("filters") or {}, group_by=tuple(values["group_by"]) if values.get("group_by") else None,
            finalize=values["finalize"], enabled=values["enabled"])
        actor = current_actor()
        return run_write(lambda reply: run_schedules.save_schedule(current_database(), actor, command, reply=reply),
                         lambda _session, schedule: Outcome(200, dump(RunScheduleSchema, schedule_view(schedule))),
                         payload)


@schedules_blp.route("/<string(maxlength=60):name>/start")
class StartSchedule(MethodView):
    @requires("admin")
    @schedules_blp.response(201, InvoiceRunSchema)
    @schedules_blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], responses=problem_responses(401, 403, 404))
    def post(self, name: str):
        """Start the schedule now, for the period it bills today (again: only what arrived since)"""
        actor = current_actor()
        return run_write(lambda reply: run_schedules.start_now(current_database(), actor, name, reply=reply),
                         lambda _session, run: Outcome(201, dump(InvoiceRunSchema, run_view(run))))
