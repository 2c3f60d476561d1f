"""Response shapes of orders and invoices, and the fields that write money, numbers and ids as JSON text.

The schemas serialise every response body (api/responses.py `dump`): presenters hand them Python values
(Decimal, date, UUID), and the JSON representation is decided here only. Money is a decimal string with
exactly its currency's decimals ("12.40", JPY "1000"); the currency is the `currency` of the object
the amount belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import partial

from marshmallow import Schema, fields, missing

from ...domain.currency import minor_units, quantum
from ...domain.lifecycle import InvoiceKind, InvoiceStatus, InvoicingMode, OrderStatus, PaymentStatus
from ...domain.money import tidy


def currency_of(obj: object) -> str:
    return obj["currency"] if isinstance(obj, dict | Mapping) else obj.currency  # type: ignore[attr-defined]


class Money(fields.Field):
    """An amount in its currency's minor unit: Decimal('12.4') in EUR -> "12.40", Decimal('1000.0000') in JPY
    -> "1000". The object holding the amount has a `currency` (lines and VAT groups carry their invoice's)."""

    def __init__(self, **kwargs) -> None:
        metadata = {"type": "string", "format": "decimal", "example": "49.80", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Decimal | None, attr, obj, **kwargs) -> str | None:
        return None if value is None else format(value.quantize(quantum(currency_of(obj))), "f")


class Number(fields.Field):
    """A quantity, price or rate without storage padding: 2.000000 -> "2", 25.500 -> "25.5". With
    `currency_places`, at least the currency's decimals: a unit price 24.9 -> "24.90", 0.0125 stays."""

    def __init__(self, *, currency_places: bool = False, **kwargs) -> None:
        metadata = {"type": "string", "format": "decimal", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.currency_places = currency_places

    def _serialize(self, value: Decimal | None, attr, obj, **kwargs) -> str | None:
        if value is None:
            return None
        return format(tidy(value, minor_units(currency_of(obj)) if self.currency_places else 0), "f")


def money(**kwargs) -> Money:
    return Money(**kwargs)


class OutputSchema(Schema):
    """A response body: every field is always there (null when it has no value), so the document marks
    each one required (unless `all_required` is False, or a field's metadata says {"optional": True}).

    Dumping writes each field with the field's own `_serialize`, like marshmallow, but from a plan made
    once per schema instead of marshmallow's per-field bookkeeping: an invoice is ~150 fields, and this
    is the checkout's hot path (3x faster; tests/contract/test_representation.py shows the same JSON).
    """

    all_required = True
    fast_dump = True  # False: marshmallow's own loop (the tests compare the two)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = self.all_required and not field.metadata.get("optional", False)
        self._plan: list[tuple[str, str, fields.Field]] | None = None

    def _serialize(self, obj, *, many: bool = False):
        if not self.fast_dump:
            return super()._serialize(obj, many=many)
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        if self._plan is None:
            self._plan = self._make_plan()
        get = obj.get if isinstance(obj, dict | Mapping) else partial(getattr, obj)  # dict first: the usual case
        body = {}
        for attribute, key, field in self._plan:
            value = get(attribute, _MISSING)
            if value is not _MISSING:
                body[key] = field._serialize(value, attribute, obj)
        return body

    def _make_plan(self) -> list[tuple[str, str, fields.Field]]:
        plan = []
        for name, field in self.dump_fields.items():
            attribute = field.attribute or name
            if not field._CHECK_ATTRIBUTE or field.dump_default is not missing or "." in attribute:
                raise TypeError(f"{type(self).__name__}.{name}: a response field is read from its attribute as is")
            plan.append((attribute, field.data_key or name, field))
        return plan


_MISSING = object()


class PartySchema(OutputSchema):
    """A buyer or seller as fixed on the invoice; which fields it has depends on the party."""

    all_required = False

    type = fields.String(metadata={"enum": ["organisation", "person"]})
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


class ContactOutSchema(OutputSchema):
    all_required = False

    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class VatGroupSchema(OutputSchema):
    vat_category = fields.String(metadata={"example": "S"})
    vat_rate = Number(metadata={"example": "25.5"})
    taxable_amount = Money()
    vat_amount = Money()
    gross_amount = Money()


class ServicePeriodOutSchema(Schema):
    """The period a line bills (EN 16931 BG-26), both dates included."""

    start = fields.Date()
    end = fields.Date()


class InvoiceLineSchema(OutputSchema):
    id = fields.UUID(metadata={"description": "the `invoice_line_id` a credit note names"})
    position = fields.Integer()
    order_id = fields.UUID(allow_none=True)
    sku = fields.String(allow_none=True)
    description = fields.String()
    quantity = Number(metadata={"example": "2"})
    unit = fields.String(allow_none=True)
    unit_price = Number(currency_places=True, metadata={"example": "24.90"})
    discount_percent = Number(metadata={"example": "0"})
    vat_rate = Number(metadata={"example": "13.5"})
    vat_category = fields.String()
    net_amount = Money()
    vat_amount = Money()
    gross_amount = Money()
    credited_line_id = fields.UUID(allow_none=True, metadata={
        "description": "a credit note's line: the line of the credited invoice it takes back"})
    credit_type = fields.String(allow_none=True, metadata={"enum": ["quantity", "amount"]})
    service_period = fields.Nested(ServicePeriodOutSchema, allow_none=True, metadata={
        "description": "the service period the line bills (a subscription period, or as the order sent it); "
                       "null when none"})


class DocumentLinkSchema(OutputSchema):
    """Another invoice or credit note this one refers to."""

    id = fields.UUID()
    kind = fields.String(metadata={"enum": list(InvoiceKind)})
    status = fields.String(metadata={"enum": list(InvoiceStatus)})
    number = fields.String(allow_none=True)
    invoice_date = fields.Date(allow_none=True)
    currency = fields.String()
    total_gross = Money()


class InvoiceSummarySchema(OutputSchema):
    id = fields.UUID()
    kind = fields.String(metadata={"enum": list(InvoiceKind)})
    status = fields.String(metadata={"enum": list(InvoiceStatus)})
    payment_status = fields.String(metadata={"enum": list(PaymentStatus)})
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
    currency = fields.String(metadata={"example": "EUR"})
    total_net = Money()
    total_vat = Money()
    total_gross = Money()
    paid_amount = Money(metadata={"description": "the sum of the invoice's payments"})
    credited_amount = Money(metadata={"description": "what its finalised credit notes took off"})
    allocated_amount = Money(metadata={"description": "paid from the customer's credit balance (prepaid)"})
    open_amount = Money(metadata={
        "description": "what is still owed: gross - payments - credits - credit applied (never below 0)"})
    credited_invoice_id = fields.UUID(allow_none=True, metadata={
        "description": "a credit note: the invoice it credits"})
    cancelled_by_id = fields.UUID(allow_none=True, metadata={
        "description": "a cancelled invoice: the credit note that cancelled it"})
    converted_to_id = fields.UUID(allow_none=True, metadata={
        "description": "a converted pro forma: the invoice made from it"})
    hold_reason = fields.String(allow_none=True, metadata={
        "description": "why a draft waits: vat_check_pending (VIES has not answered yet; the worker asks again "
                       "and finalises an immediate-mode invoice once valid) or vat_id_invalid",
        "example": "vat_check_pending"})
    vat_check_id = fields.UUID(allow_none=True, metadata={
        "description": "the VIES answer (with its consultation number) that its AE or K lines rest on"})
    exchange_rate = fields.String(allow_none=True, metadata={
        "example": "11.2345", "description": "another currency than EUR: units of it per euro on the tax date, "
                                             "fixed at finalisation"})
    total_vat_eur = fields.String(allow_none=True, metadata={
        "example": "4.29", "description": "another currency than EUR: the VAT total in euros (VAT Directive "
                                          "art. 230), fixed at finalisation"})
    created_at = fields.DateTime()
    finalized_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True, metadata={"description": "a pro forma: when it was converted"})


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
    cancelled_at = fields.DateTime(allow_none=True)
    credit_reason = fields.String(allow_none=True, metadata={"description": "a credit note: why it was given"})
    credited_invoice = fields.Nested(DocumentLinkSchema, allow_none=True, metadata={
        "description": "a credit note: the invoice it credits, by number and date"})
    cancelled_by = fields.Nested(DocumentLinkSchema, allow_none=True)
    credit_notes = fields.List(fields.Nested(DocumentLinkSchema), metadata={
        "description": "an invoice: its credit notes (drafts too)"})
    version = fields.Integer(metadata={"description": "counts the invoice's changes; its ETag"})
    updated_at = fields.DateTime(metadata={"description": "when it last changed (a draft: also by late usage)"})


class OrderSummarySchema(OutputSchema):
    id = fields.UUID()
    external_id = fields.String()
    source = fields.String(metadata={"enum": ["webshop", "pos", "subscription"]})
    status = fields.String(metadata={"enum": list(OrderStatus)})
    invoicing_mode = fields.String(metadata={"enum": list(InvoicingMode)})
    store_id = fields.String(allow_none=True)
    terminal_id = fields.String(allow_none=True)
    cashier = fields.String(allow_none=True)
    customer_id = fields.UUID()
    invoice_id = fields.UUID(allow_none=True)
    currency = fields.String()
    created_at = fields.DateTime()


class OrderResultSchema(OutputSchema):
    order = fields.Nested(OrderSummarySchema)
    invoice = fields.Nested(InvoiceSchema, allow_none=True)


class InvoicePageSchema(OutputSchema):
    items = fields.List(fields.Nested(InvoiceSummarySchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "pass as ?cursor= for the next page"})
