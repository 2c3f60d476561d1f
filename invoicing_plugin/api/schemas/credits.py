"""Request bodies and responses of credit notes, cancellations, credit applied from a balance, customers."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..fields import DecimalString, StrictBoolean, text
from .output import DocumentLinkSchema, InvoiceSummarySchema, Money, OutputSchema


class LineCreditSchema(Schema):
    invoice_line_id = fields.UUID(required=True, metadata={"description": "the `id` of a line of the invoice"})
    quantity = DecimalString(places=6, metadata={
        "example": "1", "description": "units to take back: the amount and VAT follow from the line's price"})
    amount = DecimalString(places=12, metadata={
        "example": "10.00", "description": "an amount off the line, net or gross as the invoice was priced"})

    @validates_schema
    def quantity_or_amount(self, data, **_):
        if ("quantity" in data) == ("amount" in data):
            raise ValidationError("give either quantity or amount", "quantity")


class CreditNoteRequestSchema(Schema):
    reason = text(500, required=True, metadata={"description": "printed on the credit note",
                                                 "example": "Returned: one bag damaged in transit"})
    full = StrictBoolean(load_default=False, metadata={"description": "credit everything not yet credited"})
    lines = fields.List(fields.Nested(LineCreditSchema), validate=validate.Length(max=500))
    draft = StrictBoolean(load_default=False, metadata={
        "description": "true: keep it as a draft to approve later (its lines count as credited meanwhile)"})

    @validates_schema
    def full_or_lines(self, data, **_):
        if data.get("full") and data.get("lines"):
            raise ValidationError("give either full: true or lines, not both", "lines")
        if not data.get("full") and not data.get("lines"):
            raise ValidationError("give the lines to credit, or full: true", "lines")


class CancelRequestSchema(Schema):
    reason = text(500, required=True, metadata={"example": "Wrong customer"})
    release_orders = StrictBoolean(load_default=False, metadata={
        "description": "true: the invoice's orders wait to be invoiced again"})


class ApplyCreditSchema(Schema):
    amount = DecimalString(places=12, required=True, metadata={"example": "10.00"})


class RefundRequestSchema(Schema):
    amount = DecimalString(places=12, required=True, metadata={"example": "10.00"})
    refund_id = text(120, required=True, metadata={
        "description": "your id for this refund: sending it again records nothing new"})
    paid_on = fields.Date(metadata={"description": "default: today"})
    currency = text(3, metadata={"description": "default: the tenant's currency"})
    note = text(500)


class CustomerListQuery(Schema):
    q = text(200, metadata={"description": "part of the name, or the business ID / VAT ID"})
    limit = fields.Integer(load_default=25, validate=validate.Range(1, 100, error="must be from 1 to 100"))
    cursor = text(200)


class StandingSchema(OutputSchema):
    currency = fields.String()
    invoiced = Money()
    credited = Money()
    paid = Money()
    refunded = Money()
    open_amount = Money(metadata={"description": "what the customer's invoices still await"})
    credit_available = Money(metadata={"description": "credit to apply to an invoice or refund"})
    balance = Money(metadata={"description": "open amount - credit: > 0 the customer owes, < 0 is owed"})


class CustomerAccountSummarySchema(OutputSchema):
    id = fields.UUID()
    type = fields.String(metadata={"enum": ["organisation", "person"]})
    name = fields.String()
    business_id = fields.String(allow_none=True)
    vat_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    balances = fields.List(fields.Nested(StandingSchema), metadata={"description": "per currency"})


class OpenItemSchema(InvoiceSummarySchema):
    pass


class CustomerAccountSchema(CustomerAccountSummarySchema):
    einvoice_address = fields.String(allow_none=True)
    einvoice_operator = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    open_items = fields.List(fields.Nested(OpenItemSchema))


class CustomerAccountPageSchema(OutputSchema):
    items = fields.List(fields.Nested(CustomerAccountSummarySchema))
    next_cursor = fields.String(allow_none=True)


class RefundSchema(OutputSchema):
    id = fields.UUID()
    refund_id = fields.String()
    currency = fields.String()
    amount = Money()
    paid_on = fields.Date()
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


class RefundResultSchema(OutputSchema):
    refund = fields.Nested(RefundSchema)
    balance = fields.Nested(StandingSchema)


__all__ = ["DocumentLinkSchema"]
