"""marshmallow fields for the API's contract: decimal strings, strict booleans, identifiers, codes."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale
from marshmallow import ValidationError, fields, validate

from ..domain.currency import is_active_currency
from ..domain.identifiers import InvalidIdentifier

DECIMAL_FORM = re.compile(r"^-?\d{1,15}(\.\d{1,12})?$")
LANGUAGES = ("fi", "sv", "en")


def parse_decimal(value: object, places: int) -> Decimal:
    """A decimal from a JSON string; JSON numbers are refused because they become floats on the way."""
    if isinstance(value, bool) or isinstance(value, int | float):
        raise ValidationError('must be a decimal string such as "12.40", not a JSON number')
    if not isinstance(value, str) or not DECIMAL_FORM.match(value):
        raise ValidationError('must be a decimal string such as "12.40"')
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValidationError('must be a decimal string such as "12.40"') from None
    if -number.as_tuple().exponent > places:
        raise ValidationError(f"may have at most {places} decimals")
    return number


def try_decimal(value: object, places: int) -> Decimal | None:
    try:
        return parse_decimal(value, places)
    except ValidationError:
        return None


class DecimalString(fields.Field):
    """Money, quantities and rates travel as strings ("12.40") and become Decimal."""

    def __init__(
        self, *, places: int, minimum: Decimal | None = None, maximum: Decimal | None = None,
        nonzero: bool = False, **kwargs,
    ) -> None:
        metadata = {"type": "string", "format": "decimal", "pattern": DECIMAL_FORM.pattern, "example": "12.40",
                **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.places, self.minimum, self.maximum, self.nonzero = places, minimum, maximum, nonzero

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        number = parse_decimal(value, self.places)
        if self.nonzero and number == 0:
            raise ValidationError("may not be zero")
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(f"must be at least {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(f"must be at most {self.maximum}")
        return number

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(value, "f")


class StrictBoolean(fields.Boolean):
    """true or false, nothing else ("yes" and 1 are mistakes worth telling about)."""

    truthy = {True}
    falsy = {False}


class Identifier(fields.String):
    """A string checked and normalised by one of domain.identifiers' functions."""

    def __init__(self, normalize: Callable[[str], str], **kwargs) -> None:
        super().__init__(validate=validate.Length(max=50), **kwargs)
        self.normalize = normalize

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.normalize(text)
        except InvalidIdentifier as error:
            raise ValidationError(str(error)) from None


def text(max_length: int, **kwargs) -> fields.String:
    minimum = 1 if kwargs.get("required") else 0
    return fields.String(validate=validate.Length(min=minimum, max=max_length), **kwargs)


@cache
def _countries() -> frozenset[str]:
    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


class CountryCode(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if code not in _countries():
            raise ValidationError("must be an ISO 3166 two-letter country code such as FI")
        return code


class CurrencyCode(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if not is_active_currency(code):
            raise ValidationError("must be an ISO 4217 currency code in use, such as EUR")
        return code


def language(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(LANGUAGES, error="must be one of fi, sv, en"), **kwargs)


def choice(options: tuple[str, ...] | list[str], **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(options, error=f"must be one of {', '.join(options)}"), **kwargs)
