"""The console's texts exist in fi, sv and en alike, and money and dates follow the user's language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from invoicing_plugin.console.i18n import LANGUAGES, Formats, catalog


def test_every_language_has_every_text_and_no_other():
    keys = set(catalog("en"))
    for language in LANGUAGES:
        assert set(catalog(language)) == keys, language


def test_money_and_dates_are_written_as_the_users_language_writes_them():
    amount, day = Decimal("1234.50"), date(2026, 3, 9)
    assert Formats("fi", "Europe/Helsinki").money(amount, "EUR") == "1\xa0234,50\xa0€"
    assert Formats("sv", "Europe/Helsinki").money(amount, "EUR") == "1\xa0234,50\xa0€"
    # English as written in Finland (CLDR en_FI): the tenant's customers' money, in the user's language.
    assert Formats("en", "Europe/Helsinki").money(amount, "EUR") == "1\xa0234,50\xa0€"
    assert Formats("fi", "Europe/Helsinki").date(day) == "9.3.2026"
    assert Formats("sv", "Europe/Helsinki").date(day) == "2026-03-09"
    assert Formats("en", "Europe/Helsinki").date(day) == "09/03/2026"


def test_times_are_shown_in_the_tenants_time_zone_not_the_machines():
    late = datetime(2026, 3, 9, 22, 30, tzinfo=UTC)
    assert Formats("fi", "Europe/Helsinki").datetime(late) == "10.3.2026 0.30"
