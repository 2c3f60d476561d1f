"""The order contract of POST /api/v1/orders: every field problem is reported at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from marshmallow.experimental.context import Context

from ...domain.identifiers import (
    finnish_vat_id,
    normalize_business_id,
    normalize_einvoice_address,
    normalize_operator_id,
    normalize_vat_id,
)
from ...domain.lifecycle import InvoiceKind, InvoicingMode
from ...domain.orders import LineTax, order_problems
from ...domain.vat import CATEGORIES, EU_COUNTRIES, VatTable
from ...services import proforma
from ...services.intake import priced_line
from ..fields import (
    CountryCode,
    CurrencyCode,
    DecimalString,
    Identifier,
    StrictBoolean,
    Text,
    choice,
    language,
    text,
    try_decimal,
)

MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_PRICE = Decimal("1000000000")


@dataclass(frozen=True)
class OrderRules:
    """What validating an order needs to know of its tenant."""

    vat_table: VatTable
    series_names: frozenset[str]
    channel_names: frozenset[str]
    today: date
    default_currency: str
    max_lines: int


OrderRulesContext = Context[OrderRules]


class AddressSchema(Schema):
    street = text(200)
    postcode = text(20, single_line=True)
    city = text(100, single_line=True)
    country = CountryCode(metadata={"example": "FI"})


class CustomerSchema(Schema):
    type = choice(("organisation", "person"), required=True)
    name = text(200, required=True, single_line=True)
    business_id = Identifier(normalize_business_id, metadata={"example": "2617416-4"})
    vat_id = Identifier(normalize_vat_id, metadata={"example": "FI26174164"})
    einvoice_address = Identifier(normalize_einvoice_address, metadata={"example": "003726174164"})
    einvoice_operator = Identifier(normalize_operator_id, metadata={"example": "003721291126"})
    email = fields.Email(validate=validate.Length(max=254))
    phone = text(40, single_line=True)
    language = language()
    address = fields.Nested(AddressSchema)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def check_identity(self, data, original, **_):
        if not isinstance(original, dict):
            return
        errors: dict[str, list[str]] = {}
        country = (original.get("address") or {}).get("country", "FI") if isinstance(
            original.get("address"), dict) else "FI"
        if original.get("type") == "organisation":
            if country == "FI" and not original.get("business_id"):
                errors["business_id"] = ["is required for a Finnish organisation"]
            elif (not original.get("business_id") and not original.get("vat_id")
                  and str(country).upper() in EU_COUNTRIES):
                # Outside the EU a company may have no VAT number; it is then found again by name and country.
                errors["vat_id"] = ["is required for an organisation in the EU without a Finnish business ID"]
            business_id, vat_id = data.get("business_id"), data.get("vat_id")
            if business_id and vat_id and vat_id.startswith("FI") and vat_id != finnish_vat_id(business_id):
                errors["vat_id"] = [
                    f"does not match business_id {business_id} (its VAT ID is {finnish_vat_id(business_id)})"
                ]
        elif original.get("type") == "person" and original.get("business_id"):
            errors["business_id"] = ["a person has no business ID; send the customer as an organisation"]
        if original.get("einvoice_address") and not original.get("einvoice_operator"):
            errors["einvoice_operator"] = ["is required with einvoice_address: an e-invoice is routed by both"]
        if original.get("einvoice_operator") and not original.get("einvoice_address"):
            errors["einvoice_address"] = ["is required with einvoice_operator"]
        if errors:
            raise ValidationError(errors)


class ContactSchema(Schema):
    name = text(200, single_line=True)
    email = fields.Email(validate=validate.Length(max=254))
    phone = text(40, single_line=True)


class ServicePeriodSchema(Schema):
    """The period a line bills, both dates included: the two together, the end not before the start."""

    start = fields.Date(required=True, metadata={"example": "2026-01-01"})
    end = fields.Date(required=True, metadata={"example": "2026-01-31"})

    @validates_schema(skip_on_field_errors=True)
    def check_order(self, data, **_):
        if data["end"] < data["start"]:
            raise ValidationError("must not be before start", "end")


class OrderLineSchema(Schema):
    sku = text(64, single_line=True)
    description = text(500, required=True)
    quantity = DecimalString(places=6, minimum=-MAX_QUANTITY, maximum=MAX_QUANTITY, nonzero=True, required=True,
                             metadata={"example": "2"})
    unit = text(20, single_line=True, metadata={"example": "kg"})
    unit_price = DecimalString(places=6, minimum=-MAX_UNIT_PRICE, maximum=MAX_UNIT_PRICE, required=True,
                               metadata={"example": "24.90"})
    vat_rate = DecimalString(places=3, minimum=Decimal(0), maximum=Decimal(100), required=True,
                             metadata={"example": "25.5"})
    vat_category = choice(tuple(CATEGORIES), metadata={
        "description": "EN 16931 VAT category; S when the rate is above 0, Z for 0 % unless given"})
    discount_percent = DecimalString(places=4, minimum=Decimal(0), maximum=Decimal(100),
                                     load_default=Decimal(0), metadata={"example": "0"})
    service_period = fields.Nested(ServicePeriodSchema, metadata={
        "description": "the service period the line bills (optional); shown on the PDF and in the e-invoice"})

    @post_load
    def period_dates(self, data, **_):
        period = data.pop("service_period", None)
        if period is not None:
            data["service_period_start"], data["service_period_end"] = period["start"], period["end"]
        return data


class InvoicingSchema(Schema):
    mode = choice(tuple(InvoicingMode), load_default=InvoicingMode.IMMEDIATE.value, metadata={
        "description": "immediate: finalise now; queue: a draft for back-office approval; "
                       "collect: no invoice yet, the order waits for an invoice run"})
    payment_terms_days = fields.Integer(strict=True, validate=validate.Range(0, 365))
    series = text(40, single_line=True)
    channels = fields.List(Text(single_line=True, validate=validate.Length(1, 40)), validate=validate.Length(max=10),
                           metadata={"description": "where the invoice goes (e.g. [\"ropo24\"]); default: the "
                                                    "merchant's default channels. A pro forma goes by email only: "
                                                    "another channel is refused (422)"})
    kind = choice((InvoiceKind.INVOICE.value, InvoiceKind.PROFORMA.value), load_default=InvoiceKind.INVOICE.value,
                  metadata={"description": (
                      "proforma: a pro forma invoice instead (mode immediate or queue), numbered in the merchant's "
                      "pro forma series (PRO-1, ...) and sent by email only, when the email channel is enabled; "
                      "its PDF says it is not an invoice, and it takes no payments or credit notes. "
                      "POST /invoices/{id}/convert makes the invoice of the order (in `series`) and closes it")})


class OrderSchema(Schema):
    source = choice(("webshop", "pos"), required=True)
    external_id = text(100, required=True, single_line=True, metadata={"example": "WS-10001"})
    store_id = text(100, single_line=True)
    terminal_id = text(100, single_line=True)
    cashier = text(100, single_line=True)
    customer = fields.Nested(CustomerSchema, required=True)
    contact = fields.Nested(ContactSchema)
    buyer_reference = text(100, single_line=True, metadata={"example": "PO-778"})
    currency = CurrencyCode(metadata={"example": "EUR", "description": "default: the merchant's currency"})
    prices_include_vat = StrictBoolean(load_default=False)
    delivery_date = fields.Date(metadata={"description": (
        "date of supply, the tax date; default: today. From 10 years before the merchant's today to 1 year "
        "after it")})
    notes = text(1000)
    exchange_rate = DecimalString(places=6, minimum=Decimal("0.000001"), maximum=Decimal("999999.999999"), metadata={
        "example": "11.2345", "description": (
            "for an order in another currency than the merchant's (EUR): units of `currency` per euro on the "
            "tax date (the ECB's convention), for the invoice's VAT total in euros; default: the merchant's "
            "imported rate of the tax date or up to 7 days before it, else the invoice is refused (422)")})
    invoicing = fields.Nested(InvoicingSchema, load_default=lambda: {"mode": InvoicingMode.IMMEDIATE.value})
    lines = fields.List(fields.Nested(OrderLineSchema), required=True,
                        validate=validate.Length(min=1, error="an order needs at least one line"))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def check_pos_fields(self, data, original, **_):
        if isinstance(original, dict) and original.get("source") == "pos":
            missing = {name: ["is required for a POS order"]
                       for name in ("store_id", "terminal_id", "cashier") if not original.get(name)}
            if missing:
                raise ValidationError(missing)

    @validates_schema(skip_on_field_errors=False)
    def check_proforma(self, data, **_):
        invoicing = data.get("invoicing") or {}
        if "kind" in invoicing and "mode" in invoicing:
            problems = proforma.intake_problems(InvoiceKind(invoicing["kind"]), InvoicingMode(invoicing["mode"]),
                                                invoicing.get("channels"))
            if problems:
                raise ValidationError(problems)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def check_tenant_rules(self, data, original, **_):
        rules = OrderRulesContext.get(None)
        if rules is None or not isinstance(original, dict) or not isinstance(original.get("lines"), list):
            return
        raw_lines = [line if isinstance(line, dict) else {} for line in original["lines"]]
        if len(raw_lines) > rules.max_lines:
            raise ValidationError({"lines": [f"an order may have at most {rules.max_lines} lines"]})
        taxes = [LineTax(try_decimal(line.get("vat_rate"), 3), line.get("vat_category")) for line in raw_lines]
        lines = data.get("lines") or []
        currency = data.get("currency", rules.default_currency if "currency" not in original else None)
        customer = original.get("customer") if isinstance(original.get("customer"), dict) else {}
        errors = order_problems(
            lines=taxes,
            priced=[priced_line(line) for line in lines] if _all_readable(lines, raw_lines) else None,
            tax_date=data.get("delivery_date") or rules.today,
            today=rules.today,
            table=rules.vat_table,
            buyer_has_vat_id=bool(customer.get("vat_id")),
            currency=currency,
            prices_include_vat=bool(data.get("prices_include_vat")),
        )
        if data.get("exchange_rate") is not None and currency == rules.default_currency:
            errors["exchange_rate"] = [f"is only for an order in another currency than {currency}"]
        series = (data.get("invoicing") or {}).get("series")
        if series and series not in rules.series_names:
            errors["invoicing.series"] = [f"no number series named {series!r}"]
        unknown = [name for name in (data.get("invoicing") or {}).get("channels") or []
                   if name not in rules.channel_names]
        if unknown:
            enabled = ", ".join(sorted(rules.channel_names)) or "none"
            errors["invoicing.channels"] = [f"{name!r} is not a channel of this merchant (enabled: {enabled})"
                                            for name in unknown]
        if errors:
            raise ValidationError(errors)

    @post_load
    def apply_tenant_defaults(self, data, **_):
        rules = OrderRulesContext.get(None)
        if rules is not None:
            data.setdefault("currency", rules.default_currency)
            data.setdefault("delivery_date", rules.today)
        return data


def _all_readable(lines: list[dict], raw_lines: list[dict]) -> bool:
    """marshmallow keeps the valid fields of an invalid line; totals need every amount of every line."""
    needed = ("quantity", "unit_price", "vat_rate", "discount_percent")
    return len(lines) == len(raw_lines) and all(all(key in line for key in needed) for line in lines)


def parse_order(payload: dict, rules: OrderRules) -> dict:
    """The validated order, or ValidationFailed with every problem found."""
    from ..context import load

    with OrderRulesContext(rules):
        return load(_ORDER_SCHEMA, payload)


# One instance for all requests: building a schema is costly, loading with it is thread-safe.
_ORDER_SCHEMA = OrderSchema()
