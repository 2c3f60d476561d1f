"""Exchange rates an admin gives (units of a currency per euro on a day) and reads back."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from ..fields import CurrencyCode, DecimalString


class ExchangeRateSchema(Schema):
    currency = CurrencyCode(required=True, validate=validate.NoneOf(["EUR"], error="the rates are per euro: "
                                                                                  "give another currency"),
                            metadata={"example": "SEK"})
    date = fields.Date(required=True, metadata={"example": "2026-11-27"})
    rate = DecimalString(places=6, minimum=Decimal("0.000001"), maximum=Decimal("999999.999999"), required=True,
                         metadata={"example": "11.2345", "description": "units of `currency` per euro (the ECB's "
                                                                        "convention)"})


class ExchangeRatesSchema(Schema):
    rates = fields.List(fields.Nested(ExchangeRateSchema), required=True,
                        validate=validate.Length(min=1, max=10000, error="between 1 and 10000 rates"))


class ExchangeRateListSchema(Schema):
    rates = fields.List(fields.Nested(ExchangeRateSchema), metadata={"description": "newest first, at most 1000"})


class ExchangeRateImportSchema(Schema):
    inserted = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


class ExchangeRateQuery(Schema):
    currency = CurrencyCode()
    since = fields.Date()
    until = fields.Date()
