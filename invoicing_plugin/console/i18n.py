"""The console's texts in fi, sv and en (Babel .po catalogs read at runtime) and money and dates by locale.

A message id is a stable key ("nav.home"); the catalogs are templates/console/texts/<lang>.po, English
the reference. A page adds its keys to all three files (a test checks that they hold the same keys).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import cast
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("fi", "sv", "en")
# The locales money and dates are written in: Finland's conventions in each language.
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def catalog(language: str) -> Mapping[str, str]:
    po = files("invoicing_plugin.templates").joinpath("console", "texts", f"{language}.po")
    with po.open("rb") as stream:
        messages = read_po(stream, locale=language)
    return {cast(str, m.id): cast(str, m.string) for m in messages if m.id and m.string and not m.fuzzy}


class Texts:
    """`t(key, **values)`: the text in the language, else in English; `{name}` filled by plain replacement."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "en"
        self._texts = {**catalog("en"), **catalog(self.language)}

    def __call__(self, key: str, **values: object) -> str:
        if key not in self._texts:
            raise KeyError(f"no console text {key!r}")  # a typo in a template must fail, not print the key
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), self._texts[key])


class Formats:
    """Money, numbers, dates and times of one language, times in the tenant's own time zone."""

    def __init__(self, language: str, timezone: str) -> None:
        self.locale = LOCALES.get(language, "en_FI")
        self.zone = ZoneInfo(timezone)

    def money(self, amount: Decimal | None, currency: str) -> str:
        if amount is None:
            return ""
        return format_currency(amount, currency, locale=self.locale)

    def number(self, value: Decimal | int | None) -> str:
        return "" if value is None else format_decimal(value, locale=self.locale)

    def date(self, value: date | None) -> str:
        return format_date(value, "short", locale=self.locale) if value else ""

    def datetime(self, value: datetime | None) -> str:
        return format_datetime(value, "short", tzinfo=self.zone, locale=self.locale) if value else ""


def best_language(accept: object) -> str:
    """The first of fi, sv, en the browser asks for (request.accept_languages), else English."""
    best = getattr(accept, "best_match", None)
    return (best(LANGUAGES) if best else None) or "en"
