"""Dunning: the merchant's levels (admin), dunning runs by hand, and the reminders a back office approves."""

from __future__ import annotations

import uuid

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE

from ..db import Invoice, Reminder
from ..plugin import current_database, current_session
from ..services import dunning, dunning_settings, reminder_documents
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, end_transaction, json_body, load, requires
from .responses import dump
from .schemas.dunning import (
    DunningRequestSchema,
    DunningRunPageSchema,
    DunningRunQuery,
    DunningRunRequestSchema,
    DunningRunSchema,
    DunningSchema,
    ReminderPageSchema,
    ReminderQuery,
    ReminderSchema,
)
from .writes import Outcome, run_write

settings_blp = api_blueprint("dunning", "/tenant/dunning", "Dunning levels and reference rates (admin keys)")
runs_blp = api_blueprint("dunning_runs", "/dunning-runs", "Dunning runs: reminders for overdue invoices")
blp = api_blueprint("reminders", "/reminders", "Reminders: numbered dunning documents, drafted, approved, sent")


def reminder_view(session, reminder: Reminder) -> dict:
    invoice = session.get(Invoice, reminder.invoice_id)
    return {"id": reminder.id, "invoice_id": reminder.invoice_id, "invoice_number": invoice.number if invoice else None,
            "customer_id": reminder.customer_id, "level": reminder.level, "status": reminder.status,
            "number": reminder.number, "reminder_date": reminder.reminder_date, "due_date": reminder.due_date,
            "currency": reminder.currency, "open_amount": reminder.open_amount, "fee": reminder.fee,
            "compensation": reminder.compensation, "interest": reminder.interest,
            "interest_from": reminder.interest_from, "interest_to": reminder.interest_to,
            "interest_periods": reminder.interest_periods or [], "claimed": reminder.claimed,
            "total_due": reminder.open_amount + reminder.claimed, "channels": reminder.channels or [],
            "cancel_reason": reminder.cancel_reason, "created_at": reminder.created_at, "sent_at": reminder.sent_at}


@settings_blp.route("")
class DunningSettingsView(MethodView):
    @requires("admin")
    @settings_blp.response(200, DunningSchema)
    @settings_blp.doc(responses=problem_responses(401, 403))
    def get(self):
        """The dunning levels, automatic sending and reference rates"""
        return dunning_settings.view(current_session(), current_actor().tenant_id)

    @requires("admin")
    @settings_blp.response(200, DunningSchema)
    @settings_blp.doc(**request_body(DunningRequestSchema), responses=problem_responses(400, 401, 403, 413, 415, 422))
    def put(self):
        """Replace the dunning levels (fees within the legal caps, interest, the 40 € compensation, texts, channels)"""
        payload = json_body()
        values = load(DunningRequestSchema(), payload)
        rates = values.get("reference_rates")
        command = dunning_settings.SaveDunning(
            levels=tuple(dunning_settings.level_from(level) for level in values["levels"]),
            enabled=values["enabled"], auto_send=values["auto_send"], payment_days=values["payment_days"],
            prefix=values["prefix"],
            reference_rates=None if rates is None else tuple((r["valid_from"], r["rate"]) for r in rates))
        actor = current_actor()
        return run_write(lambda reply: dunning_settings.save(current_database(), actor, command, reply=reply),
                         lambda _session, view: Outcome(200, dump(DunningSchema, view)), payload)


@runs_blp.route("")
class DunningRuns(MethodView):
    @requires("backoffice")
    @runs_blp.arguments(DunningRunQuery, location="query", unknown=RAISE, as_kwargs=True)
    @runs_blp.response(200, DunningRunPageSchema)
    @runs_blp.doc(responses=problem_responses(401, 403, 422))
    def get(self, limit=50, offset=0):
        """The dunning runs, newest first: each one's day, who ran it, and how many reminders it made and sent"""
        return {"items": dunning.list_runs(current_session(), current_actor(), limit=limit, offset=offset)}

    @requires("backoffice")
    @runs_blp.response(201, DunningRunSchema)
    @runs_blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(DunningRunRequestSchema, required=False),
                  responses=problem_responses(400, 401, 403, 409, 415, 422))
    def post(self):
        """Run the dunning now: a reminder per overdue invoice whose next level is due (drafts unless auto-send)

        Invoices delegated to a collection service (Ropo24) are never reminded. Running twice on one day makes
        nothing twice.
        """
        payload = json_body() if request.get_data(cache=True) else {}
        values = load(DunningRunRequestSchema(), payload)
        actor = current_actor()

        def present(session, run: dunning.DunningRun) -> Outcome:
            return Outcome(201, dump(DunningRunSchema, {
                "date": run.day, "created": len(run.created), "sent": run.sent,
                "skipped_in_collection": run.skipped_in_collection,
                "reminders": [reminder_view(session, reminder) for reminder in run.created]}))

        return run_write(lambda reply: dunning.run_dunning(current_database(), actor,
                                                           dunning.RunDunning(values.get("date")), reply=reply),
                         present, payload)


@blp.route("")
class Reminders(MethodView):
    @requires("backoffice")
    @blp.arguments(ReminderQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, ReminderPageSchema)
    @blp.doc(responses=problem_responses(401, 403, 422))
    def get(self, status=None, invoice_id=None, limit=50, offset=0):
        """Reminders, newest first; filter by status (draft: waiting for approval) or invoice"""
        session = current_session()
        found = dunning.list_reminders(session, current_actor(), status=status, invoice_id=invoice_id, limit=limit,
                                       offset=offset)
        return {"items": [reminder_view(session, reminder) for reminder in found]}


@blp.route("/<uuid:reminder_id>")
class ReminderById(MethodView):
    @requires("backoffice")
    @blp.response(200, ReminderSchema)
    @blp.doc(responses=problem_responses(401, 403, 404))
    def get(self, reminder_id: uuid.UUID):
        """One reminder with its fee, compensation, interest (per half-year) and status"""
        session = current_session()
        return reminder_view(session, dunning.get_reminder(session, current_actor(), reminder_id))


@blp.route("/<uuid:reminder_id>/send")
class SendReminder(MethodView):
    @requires("backoffice")
    @blp.response(200, ReminderSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], responses=problem_responses(401, 403, 404, 409))
    def post(self, reminder_id: uuid.UUID):
        """Approve a draft: it is numbered and sent; if the invoice was paid meanwhile it is cancelled instead"""
        actor = current_actor()
        return run_write(lambda reply: dunning.send_reminder(current_database(), actor, reminder_id, reply=reply),
                         lambda session, reminder: Outcome(200, dump(ReminderSchema, reminder_view(session, reminder))))


@blp.route("/<uuid:reminder_id>/cancel")
class CancelReminder(MethodView):
    @requires("backoffice")
    @blp.response(200, ReminderSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], responses=problem_responses(401, 403, 404, 409))
    def post(self, reminder_id: uuid.UUID):
        """Drop a draft: it is never sent, and its level counts as done"""
        actor = current_actor()
        return run_write(lambda reply: dunning.cancel_reminder(current_database(), actor, reminder_id, reply=reply),
                         lambda session, reminder: Outcome(200, dump(ReminderSchema, reminder_view(session, reminder))))


_MEDIA = {"pdf": "application/pdf", "finvoice": "application/xml; charset=ISO-8859-15"}


def _reminder_document(kind: str):
    def get(self, reminder_id: uuid.UUID):
        session = current_session()
        document = reminder_documents.load(session, dunning.get_reminder(session, current_actor(), reminder_id))
        end_transaction()  # rendering takes a while: no transaction stays open for it
        return Response(reminder_documents.stored(current_database(), kind, document).content,
                        content_type=_MEDIA[kind])

    get.__doc__ = {
        "pdf": "The reminder as PDF, in the customer's language, with the bank transfer form for the total",
        "finvoice": "The reminder as a Finvoice 3.0 e-invoice (type INV08, naming the reminded invoice)",
    }[kind]
    return get


for _kind in ("pdf", "finvoice"):
    _document = {"description": "the document", "content": {_MEDIA[_kind].split(";")[0]: {
        "schema": {"type": "string", "format": "binary"}}}}
    _view = type(f"Reminder{_kind.title()}", (MethodView,), {"get": requires("backoffice")(
        blp.doc(responses={"200": _document, **problem_responses(401, 403, 404, 422)})(_reminder_document(_kind)))})
    blp.route(f"/<uuid:reminder_id>/{_kind}")(_view)
