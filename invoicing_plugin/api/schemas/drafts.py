"""The body of PATCH /invoices/{id}: what a clerk may change in a draft before approving it (shape only)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...domain.identifiers import normalize_einvoice_address, normalize_operator_id
from ..fields import Identifier, language, text
from .orders import AddressSchema, OrderLineSchema


class BillingSchema(Schema):
    name = text(200, metadata={"description": "the buyer's name as this invoice shows it"})
    address = fields.Nested(AddressSchema)
    einvoice_address = Identifier(normalize_einvoice_address, metadata={"example": "003726174164"})
    einvoice_operator = Identifier(normalize_operator_id, metadata={"example": "003721291126"})
    email = fields.Email(validate=validate.Length(max=254))
    language = language()


class DraftChangesSchema(Schema):
    lines = fields.List(fields.Nested(OrderLineSchema), validate=validate.Length(
        min=1, max=500, error="an invoice has from 1 to 500 lines"), metadata={
        "description": "replaces every line; amounts and VAT are computed as at intake"})
    invoice_date = fields.Date(metadata={"description": "not in the future; the due date follows it"})
    payment_terms_days = fields.Integer(strict=True, validate=validate.Range(0, 365))
    buyer_reference = text(100)
    notes = text(1000)
    billing = fields.Nested(BillingSchema, metadata={
        "description": "the customer's billing details for this invoice only"})
    series = text(40)

    @validates_schema
    def something_to_change(self, data, **_):
        if not data:
            raise ValidationError("send at least one field to change", "body")
