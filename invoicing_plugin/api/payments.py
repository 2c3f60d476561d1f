"""Payments of an invoice, its timeline, a manual payment, and the inbox of provider events."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from marshmallow import RAISE

from ..db import Payment
from ..plugin import current_database, current_session
from ..services import commands, inbox, payments, queries
from ..services.invoice_page import timeline
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, json_body, load, requires
from .responses import dump
from .schemas.payments import (
    InboxPageSchema,
    InboxQuery,
    ManualPaymentSchema,
    PaymentListSchema,
    PaymentResultSchema,
    TimelineSchema,
)
from .writes import Outcome, run_write

MANUAL_PAYMENT_SCHEMA = ManualPaymentSchema()

blp = api_blueprint("payments", "/invoices", "Payments and timeline of an invoice")
inbox_blp = api_blueprint("inbox", "/inbox", "Events from providers, with those kept for review")


def payment_view(payment: Payment) -> dict:
    return {"id": payment.id, "amount": payment.amount, "currency": payment.currency, "paid_on": payment.paid_on,
            "source": payment.source, "source_payment_id": payment.source_payment_id,
            "reference": payment.reference, "note": payment.note, "recorded_at": payment.recorded_at,
            "recorded_by": payment.recorded_by}


@blp.route("/<uuid:invoice_id>/payments")
class InvoicePayments(MethodView):
    @requires("checkout")
    @blp.response(200, PaymentListSchema)
    @blp.doc(responses=problem_responses(401, 404))
    def get(self, invoice_id: uuid.UUID):
        """The invoice's payments, whichever service reported them, and its payment status"""
        session = current_session()
        invoice = queries.get_invoice(session, current_actor(), invoice_id)
        return {"currency": invoice.currency, "payment_status": invoice.payment_status,
                "paid_amount": invoice.paid_amount, "total_gross": invoice.total_gross,
                "items": [payment_view(p) for p in payments.payments_of(session, invoice)]}

    @requires("backoffice")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(ManualPaymentSchema),
             responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422))
    @blp.response(201, PaymentResultSchema)
    @blp.alt_response(200, schema=PaymentResultSchema, success=True, description=(
        "This `payment_id` was recorded before with the same amount and date: nothing new is recorded and "
        "`payment` is the payment recorded then (with another amount or date: 409 `payment_id_reused`)"))
    def post(self, invoice_id: uuid.UUID):
        """Record a payment by hand (a bank transfer seen in the bank, cash at the counter)"""
        payload = json_body()
        values = load(MANUAL_PAYMENT_SCHEMA, payload)
        actor = current_actor()
        command = commands.RecordPayment(invoice_id, amount=values["amount"], paid_on=values.get("paid_on"),
                                         payment_id=values.get("payment_id"), reference=values.get("reference"),
                                         note=values.get("note"))

        def present(_session, outcome: payments.PaymentOutcome) -> Outcome:
            return Outcome(201 if outcome.created else 200, dump(PaymentResultSchema, {
                "payment": payment_view(outcome.payment) if outcome.payment is not None else None,
                "payment_status": outcome.invoice.payment_status,
                "currency": outcome.invoice.currency, "paid_amount": outcome.invoice.paid_amount}))

        return run_write(lambda reply: payments.record_manual_payment(current_database(), actor, command,
                                                                      reply=reply), present, payload)


@blp.route("/<uuid:invoice_id>/timeline")
class InvoiceTimeline(MethodView):
    @requires("backoffice")
    @blp.response(200, TimelineSchema)
    @blp.doc(responses=problem_responses(401, 403, 404))
    def get(self, invoice_id: uuid.UUID):
        """Everything that happened to the invoice: our changes, the services' events, its payments"""
        session = current_session()
        invoice = queries.get_invoice(session, current_actor(), invoice_id)
        # The same timeline as the console's invoice page shows (services/invoice_page.py).
        return {"items": [{"at": e.at, "kind": e.kind, "source": e.source, "detail": e.detail}
                          for e in timeline(session, invoice)]}


@inbox_blp.route("")
class Inbox(MethodView):
    @requires("backoffice")
    @inbox_blp.arguments(InboxQuery, location="query", unknown=RAISE, as_kwargs=True)
    @inbox_blp.response(200, InboxPageSchema)
    @inbox_blp.doc(responses=problem_responses(401, 403, 422))
    def get(self, limit: int, status: str | None = None):
        """Provider events, newest first; `status=unmatched` lists those kept for review"""
        rows = inbox.list_inbox(current_session(), current_actor(), status=status, limit=limit)
        return {"items": [inbox_view(row) for row in rows]}


@inbox_blp.route("/<int(max=9223372036854775807):event_id>/reprocess")  # bigger ids: 404, not an overflow
class ReprocessInboxEvent(MethodView):
    @requires("backoffice")
    @inbox_blp.response(200, InboxPageSchema)
    @inbox_blp.doc(responses=problem_responses(401, 403, 404, 409))
    def post(self, event_id: int):
        """Act on an unmatched event again, e.g. after the invoice it names was finalised"""
        actor = current_actor()
        return run_write(
            lambda reply: inbox.reprocess_event(current_database(), actor, commands.ReprocessInboxEvent(event_id),
                                                reply=reply),
            lambda _session, row: Outcome(200, dump(InboxPageSchema, {"items": [inbox_view(row)]})))


def inbox_view(row) -> dict:
    return {"id": row.id, "provider": row.provider, "event_id": row.event_id, "event_type": row.event_type,
            "received_at": row.received_at, "status": row.status, "note": row.note,
            "invoice_id": row.invoice_id, "payload": row.payload}
