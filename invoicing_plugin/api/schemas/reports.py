"""Query strings and JSON bodies of the reports: a customer's account statement, the receivables aging."""

from __future__ import annotations

from marshmallow import Schema, fields

from ...services.aging import BUCKETS
from ...services.statements import KINDS
from ..fields import CurrencyCode
from .output import Money, OutputSchema


class StatementQuery(Schema):
    period_from = fields.Date(data_key="from", metadata={
        "description": "first day of the period (the tenant's calendar); default: the first day of `to`'s month"})
    period_to = fields.Date(data_key="to", metadata={"description": "last day of the period; default: today"})
    currency = CurrencyCode(metadata={"description": "default: the tenant's currency", "example": "EUR"})


class AgingQuery(Schema):
    as_of = fields.Date(metadata={"description": "the day the report is as of, to its end; default: today"})


class StatementCustomerSchema(OutputSchema):
    id = fields.UUID()
    name = fields.String()
    business_id = fields.String(allow_none=True)
    vat_id = fields.String(allow_none=True)
    street = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    language = fields.String(allow_none=True)


class PeriodSchema(OutputSchema):
    period_from = fields.Date(data_key="from")
    period_to = fields.Date(data_key="to")


class MovementSchema(OutputSchema):
    date = fields.Date(metadata={"description": "invoice date of an invoice or credit note, payment date of a "
                                                "payment or refund, the day credit was applied"})
    kind = fields.String(metadata={"enum": list(KINDS)})
    document = fields.String(allow_none=True, metadata={
        "description": "the invoice's or credit note's number; for a payment or allocation the invoice's; for a "
                       "refund its refund_id"})
    description = fields.String(metadata={"description": "in the statement's language"})
    amount = Money(metadata={"description": "+ the customer owes more (invoice, refund), - less (payment, credit "
                                            "note); an allocation is 0.00"})
    applied_amount = Money(allow_none=True, metadata={
        "description": "an allocation: the credit applied to the invoice (it moves no balance); else null"})
    balance = Money(metadata={"description": "the running balance after this movement"})
    credited_document = fields.String(allow_none=True, metadata={"description": "a credit note: the invoice it "
                                                                                "credits"})
    due_date = fields.Date(allow_none=True, metadata={"description": "an invoice: its due date"})


class StatementSchema(OutputSchema):
    customer = fields.Nested(StatementCustomerSchema)
    period = fields.Nested(PeriodSchema)
    currency = fields.String()
    language = fields.String(metadata={"enum": ["fi", "sv", "en"], "description": "of the descriptions and the PDF"})
    opening_balance = Money(metadata={"description": "the balance at the end of the day before `from` (> 0 the "
                                                     "customer owes, < 0 is owed)"})
    movements = fields.List(fields.Nested(MovementSchema), metadata={"description": "in date order"})
    closing_balance = Money(metadata={"description": "opening_balance + the sum of the movements' amounts"})


def _days(first: int, last: int) -> Money:
    return Money(data_key=f"{first}_{last}", metadata={"description": f"{first} to {last} days past due"})


class AgingAmountsSchema(OutputSchema):
    """Open amounts by days past the due date as of the report's day; the buckets add up to `total`."""

    not_due = Money(metadata={"description": "due on as_of or later"})
    days_1_30 = _days(1, 30)
    days_31_60 = _days(31, 60)
    days_61_90 = _days(61, 90)
    days_91_120 = _days(91, 120)
    over_120 = Money(metadata={"description": "more than 120 days past due"})
    total = Money(metadata={"description": "the open receivables, not yet due included: the sum of the buckets"})
    unapplied_credit = Money(metadata={"description": "overpayments and credit not applied or refunded yet; never "
                                                      "netted into the buckets"})
    balance = Money(metadata={"description": "total - unapplied_credit: the customer's balance at the end of as_of"})


class AgingCustomerSchema(OutputSchema):
    id = fields.UUID()
    name = fields.String()
    business_id = fields.String(allow_none=True)


class AgingRowSchema(AgingAmountsSchema):
    customer = fields.Nested(AgingCustomerSchema)
    currency = fields.String()


class AgingTotalSchema(AgingAmountsSchema):
    currency = fields.String()


class AgingReportSchema(OutputSchema):
    as_of = fields.Date()
    buckets = fields.List(fields.String(), metadata={"description": "the bucket names, in order",
                                                     "example": list(BUCKETS)})
    rows = fields.List(fields.Nested(AgingRowSchema), metadata={
        "description": "one per customer and currency with open invoices or unapplied credit, by name"})
    totals = fields.List(fields.Nested(AgingTotalSchema), metadata={"description": "per currency"})
