"""Deliveries: dead ones first, each with its attempts, and a retry by hand once the cause is fixed."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from marshmallow import RAISE

from ..db import Delivery, DeliveryAttempt
from ..plugin import current_database, current_session
from ..services import outbox
from ..services.commands import RetryDelivery as RetryDeliveryCommand
from .blueprints import api_blueprint, problem_responses
from .context import current_actor, requires
from .responses import dump
from .schemas.deliveries import DeliveryDetailSchema, DeliveryListQuery, DeliveryPageSchema
from .writes import Outcome, run_write

blp = api_blueprint("deliveries", "/deliveries", "Deliveries to accounting, collection, email and e-invoicing")


def delivery_view(delivery: Delivery) -> dict:
    return {
        "id": delivery.id, "invoice_id": delivery.invoice_id, "channel": delivery.channel,
        "status": delivery.status, "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at if delivery.status in (outbox.PENDING, outbox.FAILED) else None,
        "last_error": delivery.last_error, "external_id": delivery.external_id,
        "created_at": delivery.created_at, "delivered_at": delivery.delivered_at,
    }


def attempt_view(attempt: DeliveryAttempt) -> dict:
    return {
        "attempt": attempt.attempt, "worker": attempt.worker, "started_at": attempt.started_at,
        "duration_ms": attempt.duration_ms, "outcome": attempt.outcome, "http_status": attempt.http_status,
        "error": attempt.error, "response_excerpt": attempt.response_excerpt,
    }


def delivery_detail(session, delivery: Delivery) -> dict:
    return {**delivery_view(delivery), "attempt_log": [attempt_view(a) for a in outbox.attempts_of(session, delivery)]}


@blp.route("")
class Deliveries(MethodView):
    @requires("backoffice")
    @blp.arguments(DeliveryListQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, DeliveryPageSchema)
    @blp.doc(responses=problem_responses(401, 403, 422))
    def get(self, limit: int, offset: int, status: str | None = None, invoice_id: uuid.UUID | None = None):
        """Deliveries, dead first (they need a person), then failed, in progress, pending, delivered"""
        rows = outbox.list_deliveries(current_session(), current_actor(), status=status, invoice_id=invoice_id,
                                      limit=limit, offset=offset)
        return {"items": [delivery_view(row) for row in rows]}


@blp.route("/<uuid:delivery_id>")
class DeliveryById(MethodView):
    @requires("backoffice")
    @blp.response(200, DeliveryDetailSchema)
    @blp.doc(responses=problem_responses(401, 403, 404))
    def get(self, delivery_id: uuid.UUID):
        """One delivery with every attempt: time, duration, HTTP status and what the service answered"""
        session = current_session()
        delivery = outbox.get_delivery(session, current_actor(), delivery_id)
        return delivery_detail(session, delivery)


@blp.route("/<uuid:delivery_id>/retry")
class RetryDelivery(MethodView):
    @requires("backoffice")
    @blp.response(200, DeliveryDetailSchema)
    @blp.doc(responses=problem_responses(401, 403, 404, 409))
    def post(self, delivery_id: uuid.UUID):
        """Send a dead delivery again now (after fixing its cause), with a fresh budget of attempts"""
        actor = current_actor()

        def present(session, delivery) -> Outcome:
            session.flush()
            return Outcome(200, dump(DeliveryDetailSchema, delivery_detail(session, delivery)))

        return run_write(lambda reply: outbox.retry_delivery(current_database(), actor, RetryDeliveryCommand(
            delivery_id), reply=reply), present)
