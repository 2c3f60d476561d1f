"""Request bodies and responses of subscriptions and usage records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...domain.subscriptions import BILLING_TYPES, TIMINGS, Tier, tier_problems
from ...domain.vat import CATEGORIES
from ...services.usage import MAX_BATCH
from ..fields import CurrencyCode, DecimalString, StrictBoolean, choice, text
from .orders import MAX_QUANTITY, MAX_UNIT_PRICE, CustomerSchema
from .output import OutputSchema

PERIODS = {"monthly": 1, "quarterly": 3, "yearly": 12}
# Service dates within these years: the calendar arithmetic (and time zones) stay far from date.min/max.
DAYS = validate.Range(date(2000, 1, 1), date(2199, 12, 31), error="must be from 2000-01-01 to 2199-12-31")
MOMENTS = validate.Range(datetime(2000, 1, 1, tzinfo=UTC), datetime(2199, 12, 31, tzinfo=UTC),
                         error="must be from 2000 to 2199")


def day(**kwargs) -> fields.Date:
    return fields.Date(validate=DAYS, **kwargs)


class TierSchema(Schema):
    up_to = DecimalString(places=6, minimum=Decimal(0), maximum=MAX_QUANTITY * 1000, allow_none=True, metadata={
        "description": "the last unit of the tier, counted after the included units; null or left out: no limit"})
    unit_price = DecimalString(places=6, minimum=Decimal(0), maximum=MAX_UNIT_PRICE, required=True)


class SubscriptionItemSchema(Schema):
    description = text(500, required=True)
    sku = text(64, single_line=True)
    unit = text(20, single_line=True)
    billing_type = choice(BILLING_TYPES, required=True, metadata={"description": (
        "one_time: billed once, with the first period; recurring: every period in full; recurring_prorated: a "
        "part period pays days served / days in the month, averaged over the period's months; usage: the "
        "period's metered quantity (POST /usage-records) at unit_price or by tiers, after included_units")})
    quantity = DecimalString(places=6, minimum=Decimal("0.000001"), maximum=MAX_QUANTITY, load_default=Decimal(1),
                             metadata={"example": "1", "description": "not for usage items (their meter counts)"})
    unit_price = DecimalString(places=6, minimum=Decimal(0), maximum=MAX_UNIT_PRICE, required=True, metadata={
        "example": "49.90", "description": "per billing period (per unit of usage for a usage item)"})
    vat_rate = DecimalString(places=3, minimum=Decimal(0), maximum=Decimal(100), required=True,
                             metadata={"example": "25.5"})
    vat_category = choice(tuple(CATEGORIES))
    included_units = DecimalString(places=6, minimum=Decimal(0), maximum=MAX_QUANTITY * 1000, load_default=Decimal(0),
                                   metadata={"description": "usage: units per period that cost nothing"})
    tiers = fields.List(fields.Nested(TierSchema), validate=validate.Length(min=1, max=20), metadata={
        "description": "usage: graduated prices, each unit at the price of the tier it falls in"})
    price_months = fields.Integer(strict=True, validate=validate.Range(1, 36), metadata={
        "description": "the months unit_price is for (12: a yearly price), when not the billing period; each "
                       "period pays its share so that the periods of a price period add up to it to the cent"})

    @validates_schema(skip_on_field_errors=True)
    def check_usage_fields(self, data, **_):
        if data["billing_type"] != "usage":
            wrong = {name: ["only a usage item has it"] for name in ("tiers",) if data.get(name)}
            if data.get("price_months") and data["billing_type"] == "one_time":
                wrong["price_months"] = ["a one-time item is billed once, at its price"]
            if data.get("included_units"):
                wrong["included_units"] = ["only a usage item has it"]
            if wrong:
                raise ValidationError(wrong)
        elif data.get("price_months"):
            raise ValidationError({"price_months": ["a usage item is priced per unit"]})
        elif data.get("tiers"):
            problems = tier_problems([Tier(tier.get("up_to"), tier["unit_price"]) for tier in data["tiers"]])
            if problems:
                raise ValidationError({"tiers": problems})


class SubscriptionRequestSchema(Schema):
    external_id = text(100, required=True, single_line=True, metadata={"example": "SUB-1001"})
    customer = fields.Nested(CustomerSchema, required=True)
    buyer_reference = text(100, single_line=True)
    currency = CurrencyCode(metadata={"description": "default: the merchant's currency"})
    prices_include_vat = StrictBoolean(load_default=False)
    payment_terms_days = fields.Integer(strict=True, validate=validate.Range(0, 365))
    series = text(40, single_line=True)
    start_date = day(required=True)
    end_date = day(metadata={"description": "the last day of service, if known"})
    billing_period = choice(tuple(PERIODS), load_default="monthly")
    every_months = fields.Integer(strict=True, validate=validate.Range(1, 36), metadata={
        "description": "instead of billing_period: a period of this many months"})
    timing = choice(TIMINGS, load_default="arrears", metadata={
        "description": "advance: a period is billed from its first day; arrears (default): after its last day"})
    items = fields.List(fields.Nested(SubscriptionItemSchema), required=True,
                        validate=validate.Length(min=1, max=100, error="from 1 to 100 items"))


class ItemChangeSchema(Schema):
    id = fields.UUID(required=True)
    quantity = DecimalString(places=6, minimum=Decimal("0.000001"), maximum=MAX_QUANTITY)
    unit_price = DecimalString(places=6, minimum=Decimal(0), maximum=MAX_UNIT_PRICE)


class SubscriptionChangeSchema(Schema):
    effective_from = day(required=True, metadata={
        "description": "item changes apply from the service period that starts on or after this day"})
    items = fields.List(fields.Nested(ItemChangeSchema), validate=validate.Length(min=1, max=100))
    buyer_reference = text(100, single_line=True, allow_none=True)


class CancelSchema(Schema):
    at = choice(("period_end", "date"), load_default="period_end", metadata={
        "description": "period_end: service ends with the period containing `on`; date: `on` is the last day"})
    on = day(metadata={"description": "default: the merchant's today"})
    reason = text(500, metadata={"description": "kept in the subscription's audit trail"})


class DateSchema(Schema):
    on = day(metadata={"description": "default: the merchant's today"})


class SubscriptionQuery(Schema):
    status = choice(("active", "paused", "cancelled"))
    customer_id = fields.UUID()
    external_id = text(100)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200, error="must be from 1 to 200"))


class UsageQuery(Schema):
    from_ = day(data_key="from", metadata={"description": "first day (the merchant's calendar)"})
    to = day(metadata={"description": "last day, inclusive"})


class UsageRecordSchema(Schema):
    transaction_id = text(100, required=True, single_line=True, metadata={
        "description": "the meter's own id of the reading: a retry with it records nothing twice"})
    subscription_item_id = fields.UUID(required=True)
    quantity = DecimalString(places=6, minimum=Decimal(0), maximum=MAX_QUANTITY * 1000, required=True)
    timestamp = fields.AwareDateTime(required=True, validate=MOMENTS)


class UsageBatchSchema(Schema):
    records = fields.List(fields.Nested(UsageRecordSchema), required=True,
                          validate=validate.Length(min=1, max=MAX_BATCH, error=f"from 1 to {MAX_BATCH} records"))


# -- responses ---------------------------------------------------------------------------------------------

class TermSchema(OutputSchema):
    effective_from = fields.Date()
    quantity = fields.String()
    unit_price = fields.String()


class ItemOutSchema(OutputSchema):
    id = fields.UUID()
    description = fields.String()
    sku = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    billing_type = fields.String()
    quantity = fields.String(metadata={"description": "now (from the latest term)"})
    unit_price = fields.String()
    vat_rate = fields.String()
    vat_category = fields.String()
    included_units = fields.String()
    tiers = fields.List(fields.Dict(), allow_none=True)
    price_months = fields.Integer(allow_none=True)
    history = fields.List(fields.Nested(TermSchema), metadata={"description": "every term, oldest first"})


class SubscriptionSchema(OutputSchema):
    id = fields.UUID()
    external_id = fields.String()
    customer_id = fields.UUID()
    status = fields.String(metadata={"enum": ["active", "paused", "cancelled"]})
    currency = fields.String()
    prices_include_vat = fields.Boolean()
    payment_terms_days = fields.Integer(allow_none=True)
    series = fields.String(allow_none=True)
    buyer_reference = fields.String(allow_none=True)
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    period_months = fields.Integer()
    timing = fields.String()
    paused_from = fields.Date(allow_none=True)
    next_period_start = fields.Date()
    next_bill_on = fields.Date(allow_none=True, metadata={"description": "when a run bills the next period"})
    items = fields.List(fields.Nested(ItemOutSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SubscriptionPageSchema(OutputSchema):
    items = fields.List(fields.Nested(SubscriptionSchema))


class UsageSumSchema(OutputSchema):
    subscription_item_id = fields.UUID()
    description = fields.String()
    quantity = fields.String()
    records = fields.Integer()


class UsageSumsSchema(OutputSchema):
    items = fields.List(fields.Nested(UsageSumSchema))


class RefusedRecordSchema(OutputSchema):
    index = fields.Integer()
    transaction_id = fields.String()
    reason = fields.String()


class UsageOutcomeSchema(OutputSchema):
    recorded = fields.Integer(metadata={"description": "new records stored"})
    duplicates = fields.Integer(metadata={"description": "records seen before (same transaction id and content)"})
    refused = fields.List(fields.Nested(RefusedRecordSchema))
