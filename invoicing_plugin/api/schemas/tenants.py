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
    LANGUAGES,
    CountryCode,
    CurrencyCode,
    DecimalString,
    Identifier,
    StrictBoolean,
    choice,
    language,
    text,
)
from .output import Number, OutputSchema


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
    credit_note_series = text(40, allow_none=True, metadata={
        "description": "the series credit notes are numbered in; null: the series of the invoice they credit"})
    proforma_series = text(40, metadata={"description": "the series pro forma invoices are numbered in"})
    apply_credit_automatically = fields.Boolean(metadata={
        "description": "a customer's credit balance is applied to their next finalised invoice"})
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


class TenantVatRateSchema(OutputSchema):
    rate = Number(metadata={"example": "25.5"})
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)


class TenantNumberSeriesSchema(OutputSchema):
    name = fields.String(metadata={"example": "default"})
    prefix = fields.String()
    reference_prefix = fields.String()
    next_number = fields.Integer()
    chronological_dates = fields.Boolean()


class TenantChannelSchema(OutputSchema):
    enabled = fields.Boolean()
    default = fields.Boolean()
    settings = fields.Dict(keys=fields.String(), metadata={"description": "secrets are shown as ********"})


class TenantSchema(OutputSchema):
    """The merchant as GET /tenant shows it: the settings (null where unset), VAT table, series and channels."""

    id = fields.UUID()
    slug = fields.String()
    name = fields.String()
    business_id = fields.String()
    vat_id = fields.String(allow_none=True)
    iban = fields.String(allow_none=True)
    bic = fields.String(allow_none=True)
    street = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    einvoice_address = fields.String(allow_none=True)
    einvoice_operator = fields.String(allow_none=True)
    default_language = fields.String(metadata={"enum": list(LANGUAGES)})
    currency = fields.String(metadata={"example": "EUR"})
    payment_terms_days = fields.Integer()
    timezone = fields.String(metadata={"example": "Europe/Helsinki"})
    default_series = fields.String()
    layout = fields.Dict(keys=fields.String())
    vat_rates = fields.List(fields.Nested(TenantVatRateSchema))
    number_series = fields.List(fields.Nested(TenantNumberSeriesSchema))
    channels = fields.Dict(keys=fields.String(), values=fields.Nested(TenantChannelSchema))
    warnings = fields.List(fields.String(), metadata={
        "description": "what the merchant should fix, e.g. no delivery channel: finalised invoices go nowhere"})


class ApiKeyCreateSchema(Schema):
    role = choice(ROLES, required=True)
    name = text(100)


class ApiKeySchema(OutputSchema):
    id = fields.UUID()
    role = fields.String(metadata={"enum": list(ROLES)})
    name = fields.String()
    prefix = fields.String(metadata={"description": "the first characters, to recognise the key"})
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    key = fields.String(allow_none=True, metadata={"description": "the secret: shown once, in the 201 response"})


class ApiKeyListSchema(OutputSchema):
    items = fields.List(fields.Nested(ApiKeySchema))
