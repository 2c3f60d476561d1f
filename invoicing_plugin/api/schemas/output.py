"""Response shapes of orders and invoices; money is a decimal string in the invoice's currency."""

from __future__ import annotations

from marshmallow import Schema, fields


def money(**kwargs) -> fields.String:
    return fields.String(metadata={"format": "decimal", "example": "49.80", **kwargs.pop("metadata", {})}, **kwargs)


def decimal(**kwargs) -> fields.String:
    return fields.String(metadata={"format": "decimal", **kwargs.pop("metadata", {})}, **kwargs)


class PartySchema(Schema):
    type = fields.String()
    name = fields.String()
    business_id = fields.String(allow_none=True)
    vat_id = fields.String(allow_none=True)
    iban = fields.String(allow_none=True)
    bic = fields.String(allow_none=True)
    einvoice_address = fields.String(allow_none=True)
    einvoice_operator = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    street = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)


class ContactOutSchema(Schema):
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class VatGroupSchema(Schema):
    vat_category = fields.String(metadata={"example": "S"})
    vat_rate = decimal(metadata={"example": "25.5"})
    taxable_amount = money()
    vat_amount = money()
    gross_amount = money()


class InvoiceLineSchema(Schema):
    position = fields.Integer()
    order_id = fields.UUID(allow_none=True)
    sku = fields.String(allow_none=True)
    description = fields.String()
    quantity = decimal(metadata={"example": "2"})
    unit = fields.String(allow_none=True)
    unit_price = decimal(metadata={"example": "24.90"})
    discount_percent = decimal(metadata={"example": "0"})
    vat_rate = decimal(metadata={"example": "13.5"})
    vat_category = fields.String()
    net_amount = money()
    vat_amount = money()
    gross_amount = money()


class InvoiceSummarySchema(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"enum": ["invoice", "credit_note", "proforma"]})
    status = fields.String(metadata={"enum": ["draft", "finalized", "discarded"]})
    payment_status = fields.String(metadata={"enum": ["unpaid", "partially_paid", "paid", "overpaid", "credited"]})
    source = fields.String(allow_none=True)
    series = fields.String()
    number = fields.String(allow_none=True, metadata={"description": "assigned at finalisation, gapless per series"})
    reference = fields.String(allow_none=True, metadata={"description": "Finnish reference number (7-3-1)"})
    reference_rf = fields.String(allow_none=True, metadata={"description": "ISO 11649 RF creditor reference"})
    customer_id = fields.UUID()
    buyer_name = fields.String()
    invoice_date = fields.Date(allow_none=True)
    tax_date = fields.Date()
    due_date = fields.Date(allow_none=True)
    currency = fields.String()
    total_net = money()
    total_vat = money()
    total_gross = money()
    paid_amount = money(metadata={"description": "the sum of the invoice's payments"})
    created_at = fields.DateTime()
    finalized_at = fields.DateTime(allow_none=True)


class InvoiceSchema(InvoiceSummarySchema):
    payment_terms_days = fields.Integer()
    prices_include_vat = fields.Boolean()
    language = fields.String()
    buyer = fields.Nested(PartySchema)
    seller = fields.Nested(PartySchema, allow_none=True, metadata={"description": "fixed at finalisation"})
    contact = fields.Nested(ContactOutSchema, allow_none=True)
    buyer_reference = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    vat_breakdown = fields.List(fields.Nested(VatGroupSchema))
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    order_ids = fields.List(fields.UUID())
    discarded_at = fields.DateTime(allow_none=True)


class OrderSchemaOut(Schema):
    id = fields.UUID()
    external_id = fields.String()
    source = fields.String()
    status = fields.String(metadata={"enum": ["ready_for_invoicing", "awaiting_approval", "invoiced", "cancelled"]})
    invoicing_mode = fields.String()
    store_id = fields.String(allow_none=True)
    terminal_id = fields.String(allow_none=True)
    cashier = fields.String(allow_none=True)
    customer_id = fields.UUID()
    invoice_id = fields.UUID(allow_none=True)
    currency = fields.String()
    created_at = fields.DateTime()


class OrderResultSchema(Schema):
    order = fields.Nested(OrderSchemaOut)
    invoice = fields.Nested(InvoiceSchema, allow_none=True)


class InvoicePageSchema(Schema):
    items = fields.List(fields.Nested(InvoiceSummarySchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "pass as ?cursor= for the next page"})
