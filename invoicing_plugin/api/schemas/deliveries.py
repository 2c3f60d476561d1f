"""Deliveries of invoices through channels, and their attempts, as the back office sees them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...services.outbox import DEAD, DELIVERED, FAILED, IN_PROGRESS, PENDING
from ..fields import choice
from .output import OutputSchema

STATUSES = (PENDING, IN_PROGRESS, DELIVERED, FAILED, DEAD)


class DeliveryAttemptSchema(OutputSchema):
    attempt = fields.Integer()
    worker = fields.String()
    started_at = fields.DateTime()
    duration_ms = fields.Integer(allow_none=True, metadata={"description": "none while the call runs"})
    outcome = fields.String(metadata={"enum": ["started", "delivered", "found", "retry", "dead", "interrupted"]})
    http_status = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    response_excerpt = fields.String(allow_none=True)


class DeliverySchema(OutputSchema):
    id = fields.UUID()
    invoice_id = fields.UUID(allow_none=True)
    channel = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    external_id = fields.String(allow_none=True, metadata={"description": "the service's own id"})
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


class DeliveryDetailSchema(DeliverySchema):
    attempt_log = fields.List(fields.Nested(DeliveryAttemptSchema))


class DeliveryPageSchema(OutputSchema):
    items = fields.List(fields.Nested(DeliverySchema))


class DeliveryListQuery(Schema):
    status = choice(STATUSES)
    invoice_id = fields.UUID()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200, error="must be from 1 to 200"))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 100000))
