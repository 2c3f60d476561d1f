"""Tenant settings, VAT rates, number series and API keys: what an admin key may read and change."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...domain.identifiers import (
    normalize_bic,
    normalize_business_id,
    normalize_einvoice_address,
    normalize_iban,
    normalize_operator_id,
    normalize_vat_id,
)
from ...services.actors import ROLES
from ..fields import (
    CountryCode,
    CurrencyCode,
    DecimalString,
    Identifier,
    StrictBoolean,
    choice,
    language,
    text,
)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


class TimeZoneName(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        if name not in _timezones():
            raise ValidationError("must be an IANA time zone such as Europe/Helsinki")
        return name


class TenantSettingsSchema(Schema):
    name = text(200, metadata={"description": "legal name, printed as the seller"})
    business_id = Identifier(normalize_business_id)
    vat_id = Identifier(normalize_vat_id)
    iban = Identifier(normalize_iban)
    bic = Identifier(normalize_bic)
    street = text(200)
    postcode = text(20)
    city = text(100)
    country = CountryCode()
    email = fields.Email(validate=validate.Length(max=254))
    phone = text(40)
    einvoice_address = Identifier(normalize_einvoice_address)
    einvoice_operator = Identifier(normalize_operator_id)
    default_language = language()
    currency = CurrencyCode()
    payment_terms_days = fields.Integer(strict=True, validate=validate.Range(0, 365))
    timezone = TimeZoneName()
    default_series = text(40)
    layout = fields.Dict(keys=fields.String(), metadata={"description": "logo, colours, texts (documents)"})


class TenantCreateSchema(TenantSettingsSchema):
    name = text(200, required=True)
    business_id = Identifier(normalize_business_id, required=True)
    slug = fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$",
                                                  error="lower-case letters, digits and hyphens"))


class VatRateSchema(Schema):
    rate = DecimalString(places=3, minimum=Decimal(0), maximum=Decimal(100), required=True)
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)

    @validates_schema
    def check_period(self, data, **_):
        if data.get("valid_from") and data.get("valid_to") and data["valid_from"] > data["valid_to"]:
            raise ValidationError({"valid_to": ["is before valid_from"]})


class VatRatesSchema(Schema):
    vat_rates = fields.List(fields.Nested(VatRateSchema), required=True,
                            validate=validate.Length(min=1, max=100, error="between 1 and 100 rates"))


class NumberSeriesSchema(Schema):
    name = fields.String(dump_only=True)
    prefix = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9/_-]{0,20}$",
                                                    error="up to 20 letters, digits, / _ -"))
    reference_prefix = fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,3}$",
                                                              error="1 to 4 digits, not starting with 0"))
    next_number = fields.Integer(strict=True, validate=validate.Range(1, 10**12))
    chronological_dates = StrictBoolean(metadata={
        "description": "invoice dates follow the numbers: approving with an earlier date than the series' "
                       "latest invoice date is refused (some countries require it)"})


class ChannelSchema(Schema):
    enabled = StrictBoolean(load_default=True)
    default = StrictBoolean(load_default=False, metadata={
        "description": "invoices go through this channel unless the order names its channels"})
    settings = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "host, credentials and options of the channel; secrets are never shown back"})


class TenantSchema(TenantSettingsSchema):
    id = fields.UUID(dump_only=True)
    slug = fields.String(dump_only=True)
    vat_rates = fields.List(fields.Nested(VatRateSchema), dump_only=True)
    number_series = fields.List(fields.Nested(NumberSeriesSchema), dump_only=True)
    channels = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelSchema), dump_only=True)
    warnings = fields.List(fields.String(), dump_only=True, metadata={
        "description": "what the merchant should fix, e.g. no delivery channel: finalised invoices go nowhere"})


class ApiKeyCreateSchema(Schema):
    role = choice(ROLES, required=True)
    name = text(100)


class ApiKeySchema(Schema):
    id = fields.UUID()
    role = fields.String()
    name = fields.String()
    prefix = fields.String(metadata={"description": "the first characters, to recognise the key"})
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    key = fields.String(allow_none=True, metadata={"description": "the secret: shown once, in the 201 response"})


class ApiKeyListSchema(Schema):
    items = fields.List(fields.Nested(ApiKeySchema))
