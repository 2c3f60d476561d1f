"""Request bodies and responses of dunning: the tenant's levels, dunning runs and reminders."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from ...domain.dunning import B2B_FEE_CAP, CHANNELS, MAX_LEVELS
from ..fields import DecimalString, StrictBoolean, choice, text
from .output import OutputSchema, money


class LevelTextSchema(Schema):
    subject = text(200, single_line=True, metadata={"description": "placeholders: {number} {invoice} "
                                                    "{invoice_due} {seller} {buyer} {total} {due_date} {reference}"})
    body = text(5000)


class LevelTextsSchema(Schema):
    fi = fields.Nested(LevelTextSchema)
    sv = fields.Nested(LevelTextSchema)
    en = fields.Nested(LevelTextSchema)


class LevelSchema(Schema):
    days = fields.Integer(required=True, validate=validate.Range(1, 365, error="must be from 1 to 365"), metadata={
        "description": "level 1: days after the invoice's due date; later levels: days after the previous reminder"})
    fee = DecimalString(places=2, minimum=Decimal(0), load_default=Decimal(0), metadata={
        "description": f"reminder fee, no VAT; at most {B2B_FEE_CAP} (B2B); consumers are charged at most 5.00"})
    interest = StrictBoolean(load_default=False, metadata={
        "description": "claim penalty interest (reference rate + 8 points B2B, + 7 consumers)"})
    compensation = StrictBoolean(load_default=False, metadata={
        "description": "claim the 40 € compensation for recovery costs (B2B, once per invoice, fees deducted)"})
    channels = fields.List(choice(CHANNELS), load_default=lambda: ["email"],
                           validate=validate.Length(min=1, max=2, error="one or both of email, einvoice"))
    texts = fields.Nested(LevelTextsSchema, load_default=dict)


class ReferenceRateSchema(Schema):
    valid_from = fields.Date(required=True, metadata={"description": "1 January or 1 July"})
    rate = DecimalString(places=3, required=True, metadata={"description": "percent, e.g. \"2.5\""})


class DunningRequestSchema(Schema):
    enabled = StrictBoolean(load_default=True)
    auto_send = StrictBoolean(load_default=False, metadata={
        "description": "true: reminders are sent as soon as they are made; false (default): drafts to approve"})
    payment_days = fields.Integer(load_default=7, validate=validate.Range(1, 60, error="must be from 1 to 60"))
    prefix = text(20, single_line=True, load_default="M")
    levels = fields.List(fields.Nested(LevelSchema), required=True,
                         validate=validate.Length(min=1, max=MAX_LEVELS, error=f"from 1 to {MAX_LEVELS} levels"))
    reference_rates = fields.List(fields.Nested(ReferenceRateSchema), validate=validate.Length(max=200), metadata={
        "description": "the half-years' reference rates (default: the stored ones, else the built-in current ones)"})


class LevelOutSchema(OutputSchema):
    days = fields.Integer()
    fee = fields.String(metadata={"format": "decimal", "example": "5.00"})
    interest = fields.Boolean()
    compensation = fields.Boolean()
    channels = fields.List(fields.String())
    texts = fields.Dict()


class ReferenceRateOutSchema(OutputSchema):
    valid_from = fields.Date()
    rate = fields.String(metadata={"format": "decimal", "example": "2.5"})


class DunningSchema(OutputSchema):
    enabled = fields.Boolean()
    auto_send = fields.Boolean()
    payment_days = fields.Integer()
    prefix = fields.String()
    next_number = fields.Integer()
    levels = fields.List(fields.Nested(LevelOutSchema))
    reference_rates = fields.List(fields.Nested(ReferenceRateOutSchema))


class DunningRunRequestSchema(Schema):
    date = fields.Date(metadata={"description": "the day to dun for (default: the merchant's today)"})


class InterestPeriodSchema(OutputSchema):
    start = fields.String()
    end = fields.String()
    days = fields.Integer()
    rate = fields.String()


class ReminderSchema(OutputSchema):
    id = fields.UUID()
    invoice_id = fields.UUID()
    invoice_number = fields.String(allow_none=True)
    customer_id = fields.UUID()
    level = fields.Integer()
    status = fields.String(metadata={"description": "draft, sent or cancelled"})
    number = fields.String(allow_none=True, metadata={"description": "of the reminders' own series, given when sent"})
    reminder_date = fields.Date()
    due_date = fields.Date()
    currency = fields.String()
    open_amount = money()
    fee = money()
    compensation = money()
    interest = money()
    interest_from = fields.Date(allow_none=True)
    interest_to = fields.Date(allow_none=True)
    interest_periods = fields.List(fields.Nested(InterestPeriodSchema))
    claimed = money(metadata={"description": "fee + compensation + interest: added to the customer's receivables"})
    total_due = money(metadata={"description": "the open amount and the claim"})
    channels = fields.List(fields.String())
    cancel_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class ReminderPageSchema(OutputSchema):
    items = fields.List(fields.Nested(ReminderSchema))


class DunningRunSchema(OutputSchema):
    date = fields.Date()
    created = fields.Integer()
    sent = fields.Integer()
    skipped_in_collection = fields.Integer()
    reminders = fields.List(fields.Nested(ReminderSchema))


class ReminderQuery(Schema):
    status = choice(("draft", "sent", "cancelled"))
    invoice_id = fields.UUID()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200, error="must be from 1 to 200"))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000, error="must be 0 or more"))


class DunningRunRecordSchema(OutputSchema):
    id = fields.UUID()
    date = fields.Date(attribute="day")
    run_by = fields.String(metadata={"description": "who ran it: a key, a console user, or worker:dunning"})
    created = fields.Integer()
    sent = fields.Integer()
    skipped_in_collection = fields.Integer()
    created_at = fields.DateTime()


class DunningRunPageSchema(OutputSchema):
    items = fields.List(fields.Nested(DunningRunRecordSchema))


class DunningRunQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200, error="must be from 1 to 200"))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000, error="must be 0 or more"))
