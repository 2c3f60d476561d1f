"""Request bodies and responses of invoice runs."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...services.invoice_runs import DEFAULT_GROUP_BY, GROUP_KEYS
from ..fields import CurrencyCode, StrictBoolean, choice, text
from .output import InvoiceSummarySchema, OrderSummarySchema, OutputSchema


class RunFiltersSchema(Schema):
    source = choice(("webshop", "pos", "subscription"))
    store_id = text(100)
    terminal_id = text(100)
    customer_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=1000))
    subscription_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=1000), metadata={
        "description": "only these subscriptions' service periods (and no orders)"})
    customer_type = choice(("organisation", "person"))
    currency = CurrencyCode()
    series = text(40)


class InvoiceRunRequestSchema(Schema):
    period_from = fields.Date(required=True, metadata={"description": "orders delivered on or after this day"})
    period_to = fields.Date(required=True, metadata={"description": "orders delivered on or before this day"})
    invoice_date = fields.Date(metadata={"description": "default: the merchant's today; never in the future"})
    filters = fields.Nested(RunFiltersSchema, load_default=dict)
    group_by = fields.List(choice(GROUP_KEYS), validate=validate.Length(min=1), metadata={
        "description": "one invoice per distinct value of these keys; customer, currency and pricing always "
                       "separate invoices; `order`: one invoice per order. Default: "
                       + ", ".join(DEFAULT_GROUP_BY)})
    finalize = StrictBoolean(load_default=False, metadata={
        "description": "true: invoices are finalised and delivered at once; false (default): drafts to review"})


class FinalizeRunSchema(Schema):
    invoice_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=10000), metadata={
        "description": "only these drafts of the run (default: all)"})


class RerunSchema(Schema):
    customer_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=1000), metadata={
        "description": "only these customers' remaining orders (default: all remaining)"})


class RunQuery(Schema):
    limit = fields.Integer(load_default=25, validate=validate.Range(1, 100, error="must be from 1 to 100"))


class RunFailureSchema(OutputSchema):
    order_id = fields.String()
    external_id = fields.String()
    reason = fields.String()


class RunProgressSchema(OutputSchema):
    orders_seen = fields.Integer()
    orders_invoiced = fields.Integer()
    invoices_made = fields.Integer()
    failures = fields.List(fields.Nested(RunFailureSchema), metadata={
        "description": "orders the run could not invoice, with the reason; they still wait for invoicing"})


class InvoiceRunSchema(OutputSchema):
    id = fields.UUID()
    status = fields.String(metadata={"enum": ["queued", "running", "completed", "cancelled"]})
    period_from = fields.Date()
    period_to = fields.Date()
    invoice_date = fields.Date()
    filters = fields.Dict(keys=fields.String())
    group_by = fields.List(fields.String())
    finalize = fields.Boolean()
    schedule_name = fields.String(allow_none=True)
    progress = fields.Nested(RunProgressSchema)
    totals = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "gross of the invoices made, per currency"})
    created_by = fields.String()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class InvoiceRunDetailSchema(InvoiceRunSchema):
    invoices = fields.List(fields.Nested(InvoiceSummarySchema), metadata={"description": "the invoices it made"})


class InvoiceRunPageSchema(OutputSchema):
    items = fields.List(fields.Nested(InvoiceRunSchema))


class RemainingOrdersSchema(OutputSchema):
    items = fields.List(fields.Nested(OrderSummarySchema))


class IntervalSchema(Schema):
    kind = choice(("monthly", "weeks", "month_days"), required=True)
    every = fields.Integer(strict=True, metadata={"description": "weeks: the period is this many weeks"})
    anchor = fields.Date(metadata={"description": "weeks: the first day of one period"})
    start_day = fields.Integer(strict=True, metadata={"description": "month_days: the day a period starts, 1-28"})


class RunScheduleRequestSchema(Schema):
    interval = fields.Nested(IntervalSchema, required=True, metadata={
        "description": "how the calendar is cut into periods (in the tenant's time zone)"})
    alignment = choice(("previous", "current", "next"), load_default="previous", metadata={
        "description": "which period a start bills: the one before the current one (default), it, or the next"})
    invoice_date = text(16, load_default="end", metadata={
        "description": "the invoices' date from the billed period: end, end-5, start+1 (never after today)"})
    filters = fields.Nested(RunFiltersSchema, load_default=dict)
    group_by = fields.List(choice(GROUP_KEYS), validate=validate.Length(min=1))
    finalize = StrictBoolean(load_default=False)
    enabled = StrictBoolean(load_default=True)


class RunScheduleSchema(OutputSchema):
    name = fields.String()
    interval = fields.Dict(keys=fields.String())
    alignment = fields.String()
    invoice_date = fields.String()
    filters = fields.Dict(keys=fields.String())
    group_by = fields.List(fields.String(), allow_none=True)
    finalize = fields.Boolean()
    enabled = fields.Boolean()
    last_period_from = fields.Date(allow_none=True, metadata={
        "description": "the first day of the period it last started a run for"})


class RunSchedulePageSchema(OutputSchema):
    items = fields.List(fields.Nested(RunScheduleSchema))
