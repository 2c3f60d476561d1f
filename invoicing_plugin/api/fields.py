"""marshmallow fields for the API's contract: storable text, decimal strings, strict booleans, identifiers, codes."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import cast

from babel import Locale
from marshmallow import ValidationError, fields, validate

from ..domain.currency import is_active_currency
from ..domain.identifiers import InvalidIdentifier

DECIMAL_FORM = re.compile(r"^-?\d{1,15}(\.\d{1,12})?$")
LANGUAGES = ("fi", "sv", "en")

# What no text may hold: NUL (PostgreSQL refuses it; SQLite would keep it), the other C0 control
# characters but tab and line breaks (XML 1.0 forbids them, so no e-invoice could carry them), and
# lone UTF-16 surrogates (no character at all; they cannot even be encoded as UTF-8).
NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")


def character_problem(character: str) -> str:
    """Why `character` (one NOT_TEXT match) is refused, in words and as its JSON escape."""
    code = f"\\u{ord(character):04x}"
    if character == "\x00":
        return f"contains a NUL character ({code}), which text may not hold"
    if "\ud800" <= character <= "\udfff":
        return f"contains {code}, one half of a UTF-16 surrogate pair without the other: not a character"
    return f"contains the control character {code}, which text may not hold"


class Text(fields.String):
    """A string that can be stored and printed; `single_line` also refuses tabs and line breaks.

    Every text field of the API is one of these, so a till's stray control character is named by its
    field instead of failing the database (NUL on PostgreSQL) or the e-invoice later.
    """

    def __init__(self, *, single_line: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.single_line = single_line

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if match := NOT_TEXT.search(text):
            raise ValidationError(character_problem(match.group()))
        if self.single_line and _LINE_BREAKS.search(text):
            raise ValidationError("must be one line: no tabs or line breaks")
        return text


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
    if -cast(int, number.as_tuple().exponent) > places:  # the form above: finite, an int exponent
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


class Identifier(Text):
    """A string checked and normalised by one of domain.identifiers' functions."""

    def __init__(self, normalize: Callable[[str], str], **kwargs) -> None:
        super().__init__(single_line=True, validate=validate.Length(max=50), **kwargs)
        self.normalize = normalize

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.normalize(text)
        except InvalidIdentifier as error:
            raise ValidationError(str(error)) from None


def text(max_length: int, *, single_line: bool = False, **kwargs) -> Text:
    """Free text up to `max_length` characters (tab and line breaks allowed unless `single_line`)."""
    minimum = 1 if kwargs.get("required") else 0
    return Text(single_line=single_line, validate=validate.Length(min=minimum, max=max_length), **kwargs)


@cache
def _countries() -> frozenset[str]:
    return frozenset(code for code in Locale("en").territories
                     if isinstance(code, str) and len(code) == 2 and code.isalpha())  # babel types keys loosely


class CountryCode(Text):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if code not in _countries():
            raise ValidationError("must be an ISO 3166 two-letter country code such as FI")
        return code


class CurrencyCode(Text):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if not is_active_currency(code):
            raise ValidationError("must be an ISO 4217 currency code in use, such as EUR")
        return code


def language(**kwargs) -> Text:
    return Text(validate=validate.OneOf(LANGUAGES, error="must be one of fi, sv, en"), **kwargs)


def choice(options: tuple[str, ...] | list[str], **kwargs) -> Text:
    return Text(validate=validate.OneOf(options, error=f"must be one of {', '.join(options)}"), **kwargs)
