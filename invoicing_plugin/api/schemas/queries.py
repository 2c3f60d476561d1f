"""Query strings and small request bodies of the back-office endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...domain.lifecycle import InvoiceKind, InvoiceStatus, PaymentStatus
from ..fields import StrictBoolean, choice, text


class InvoiceListQuery(Schema):
    status = choice(tuple(InvoiceStatus))
    kind = choice(tuple(InvoiceKind))
    payment_status = choice(tuple(PaymentStatus))
    source = choice(("webshop", "pos"))
    customer_id = fields.UUID()
    invoice_date_from = fields.Date()
    invoice_date_to = fields.Date()
    created_from = fields.AwareDateTime()
    created_to = fields.AwareDateTime()
    limit = fields.Integer(load_default=25, validate=validate.Range(1, 100, error="must be from 1 to 100"))
    cursor = text(200)


class DiscardSchema(Schema):
    return_orders = StrictBoolean(load_default=False, metadata={
        "description": "true: the orders wait for invoicing again; false (default): they are cancelled"})
    reason = text(500)


class FinalizeSchema(Schema):
    invoice_date = fields.Date(metadata={
        "description": "default: the merchant's today; never in the future (and, in a series with "
                       "chronological dates, never before its latest invoice)"})


class InvoiceOrdersSchema(Schema):
    order_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(
        min=1, max=500, error="from 1 to 500 orders"), metadata={
        "description": "orders ready for invoicing, all of one customer, in the order their lines appear"})
    finalize = StrictBoolean(load_default=False, metadata={
        "description": "true: finalised and delivered at once; false (default): a draft to review"})
    invoice_date = fields.Date(metadata={"description": "with finalize: default the merchant's today"})
