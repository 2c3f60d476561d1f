"""Number, money and date formats of a document's language, from Babel's CLDR data.

fi prints Finnish formats (1 234,56 €, 21.11.2026). sv prints Finland-Swedish ones: CLDR's sv_FI
numbers (1 234,56 €) but the day.month.year dates used in Finland rather than CLDR's Swedish
2026-11-21. en prints British English (€1,234.56, 21 Nov 2026): an English invoice goes to a reader
abroad, who knows the English conventions rather than Finland's, and a spelled-out month cannot be
misread as US month/day.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, format_currency, format_decimal

from invoicing_plugin.domain.currency import minor_units

LANGUAGES = ("fi", "sv", "en")

# language: (CLDR locale, date pattern)
_LOCALES = {
    "fi": ("fi_FI", "d.M.y"),
    "sv": ("sv_FI", "d.M.y"),
    "en": ("en_GB", "d MMM y"),
}


@dataclass(frozen=True)
class Formats:
    """The formats of one language; get one from `formats_for(language)`."""

    language: str
    locale: Locale
    date_pattern: str

    def date(self, value: date | None) -> str:
        return format_date(value, self.date_pattern, locale=self.locale) if value else ""

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount with its currency, to the currency's ISO 4217 minor unit: '1 234,56 €'."""
        pattern = _currency_pattern(self.locale, minor_units(currency))
        return format_currency(amount, currency, format=pattern, locale=self.locale, currency_digits=False)

    def amount(self, amount: Decimal, currency: str) -> str:
        """An amount without its currency (table cells under a heading that names it): '1 234,56'."""
        digits = minor_units(currency)
        return format_decimal(amount, format=_decimal_pattern(digits), locale=self.locale)

    def price(self, amount: Decimal, currency: str) -> str:
        """A unit price: at least the currency's decimals, more when the price has them ('0,0125')."""
        return format_decimal(
            amount, format=_decimal_pattern(minor_units(currency)), locale=self.locale,
            decimal_quantization=False,
        )

    def number(self, value: Decimal) -> str:
        """A quantity or a percentage, as exact as given and without trailing zeros: '1,5', '25,5', '2'."""
        return format_decimal(value, format=_decimal_pattern(0), locale=self.locale,
                              decimal_quantization=False)

    def country(self, code: str | None) -> str:
        return self.locale.territories.get(code or "", code or "")


@cache
def formats_for(language: str) -> Formats:
    """The formats of 'fi', 'sv' or 'en'; ValueError for any other language."""
    if language not in _LOCALES:
        raise ValueError(f"no document formats for language {language!r}; use one of {', '.join(LANGUAGES)}")
    locale_name, date_pattern = _LOCALES[language]
    return Formats(language, Locale.parse(locale_name), date_pattern)


@cache
def _currency_pattern(locale: Locale, digits: int) -> NumberPattern:
    # The locale's own currency pattern (symbol position, spacing), with ISO's decimals rather than
    # CLDR's "digits for display", which differ for a few currencies.
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern


@cache
def _decimal_pattern(digits: int) -> str:
    # Grouping and separators come from the locale; the pattern only says how many decimals at least
    # (and at most, unless the caller turns decimal quantization off).
    return "#,##0" + ("." + "0" * digits if digits else "")
