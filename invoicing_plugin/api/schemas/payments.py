"""Payments, the invoice timeline, the inbox of provider events, and webhook configuration."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...domain.lifecycle import PaymentStatus
from ...services.notifications import EVENT_TYPES
from ..fields import DecimalString, choice, text
from .output import Money, OutputSchema


class ManualPaymentSchema(Schema):
    amount = DecimalString(places=12, required=True, metadata={
        "example": "56.52", "description": "more than zero, in the invoice currency's minor unit (EUR: 2 decimals); "
                                          "money paid back is recorded with a credit note"})
    paid_on = fields.Date(metadata={"description": "default: today"})
    reference = text(35)
    note = text(500)
    payment_id = text(120, metadata={"description": "your id for this payment: sending it again records nothing new"})


class PaymentSchema(OutputSchema):
    id = fields.UUID()
    amount = Money()
    currency = fields.String()
    paid_on = fields.Date()
    source = fields.String(metadata={"example": "ropo24"})
    source_payment_id = fields.String()
    reference = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_at = fields.DateTime()
    recorded_by = fields.String()


class PaymentResultSchema(OutputSchema):
    payment = fields.Nested(PaymentSchema, allow_none=True, metadata={
        "description": "null when this payment_id was recorded before (nothing new was recorded)"})
    payment_status = fields.String(metadata={"enum": list(PaymentStatus)})
    paid_amount = Money()


class PaymentListSchema(OutputSchema):
    payment_status = fields.String(metadata={"enum": list(PaymentStatus)})
    paid_amount = Money()
    total_gross = Money()
    items = fields.List(fields.Nested(PaymentSchema))


class TimelineItemSchema(OutputSchema):
    at = fields.DateTime()
    kind = fields.String(metadata={"example": "reminded"})
    source = fields.String(metadata={"description": "a provider, or who acted (api_key:..., cli)"})
    detail = fields.Dict(allow_none=True)


class TimelineSchema(OutputSchema):
    items = fields.List(fields.Nested(TimelineItemSchema))


class InboxEventSchema(OutputSchema):
    id = fields.Integer()
    provider = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    received_at = fields.DateTime()
    status = fields.String(metadata={"enum": ["processed", "ignored", "unmatched", "rejected"]})
    note = fields.String(allow_none=True)
    invoice_id = fields.UUID(allow_none=True)
    payload = fields.Dict()


class InboxPageSchema(OutputSchema):
    items = fields.List(fields.Nested(InboxEventSchema))


class InboxQuery(Schema):
    status = choice(("processed", "ignored", "unmatched", "rejected"))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class WebhookEndpointCreateSchema(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     metadata={"format": "uri", "pattern": "^https?://", "example": "https://shop.example/hooks"})
    event_types = fields.List(choice(EVENT_TYPES), required=True, validate=validate.Length(min=1))
    description = text(200)


class WebhookEndpointSchema(OutputSchema):
    id = fields.UUID()
    url = fields.String()
    event_types = fields.List(fields.String(metadata={"enum": list(EVENT_TYPES)}))
    description = fields.String(allow_none=True)
    created_at = fields.DateTime()
    secret = fields.String(allow_none=True, metadata={"description": "whsec_...: shown once, in the 201 response"})


class WebhookEndpointListSchema(OutputSchema):
    items = fields.List(fields.Nested(WebhookEndpointSchema))


class InboundSecretSchema(Schema):
    secret = fields.String(validate=validate.Length(min=24, max=200), metadata={
        "description": "the provider's secret if it gives you one; otherwise one is generated"})


class InboundClientResultSchema(OutputSchema):
    provider = fields.String()
    url = fields.String(metadata={"description": "where the provider sends its callbacks"})
    token_url = fields.String(metadata={"description": "the OAuth2 token URL (client credentials grant)"})
    client_id = fields.String()
    client_secret = fields.String(allow_none=True, metadata={
        "description": "shown once (null in a replay); the previous client stays valid until the next"})


class InboundSecretResultSchema(OutputSchema):
    provider = fields.String()
    url = fields.String(metadata={"description": "where the provider sends its callbacks"})
    secret = fields.String(allow_none=True, metadata={
        "description": "shown once; the previous secret stays valid until the next (null in a replay)"})
