"""Numbers, money and dates as a Finnish, Finland-Swedish or English reader expects them."""

from datetime import date
from decimal import Decimal

import pytest

from invoicing_plugin.documents.formats import formats_for


def plain(text: str) -> str:
    """Babel separates groups and currency with no-break spaces; a reader sees spaces."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(("language", "expected"), [
    ("fi", "1 234,56 €"), ("sv", "1 234,56 €"), ("en", "€1,234.56"),
])
def test_euro_amounts_follow_the_language(language, expected):
    assert plain(formats_for(language).money(Decimal("1234.56"), "EUR")) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("fi", "21.11.2026"), ("sv", "21.11.2026"), ("en", "21 Nov 2026"),
])
def test_dates_follow_the_language(language, expected):
    assert formats_for(language).date(date(2026, 11, 21)) == expected


def test_finnish_dates_have_no_leading_zeros():
    assert formats_for("fi").date(date(2026, 1, 5)) == "5.1.2026"


def test_a_credit_note_amount_is_negative_and_keeps_its_cents():
    assert plain(formats_for("fi").money(Decimal("-260.60"), "EUR")) == "-260,60 €"
    assert plain(formats_for("en").money(Decimal("-260.60"), "EUR")) == "-€260.60"


def test_amounts_have_the_currencys_iso_decimals():
    fi = formats_for("fi")
    assert plain(fi.money(Decimal("1234"), "JPY")) == "1 234 ¥"
    # CLDR shows the Iraqi dinar without decimals; ISO 4217 (and so the invoice) has three.
    assert plain(fi.money(Decimal("1234.500"), "IQD")) == "1 234,500 IQD"
    assert plain(fi.amount(Decimal("1234.5"), "EUR")) == "1 234,50"


def test_unit_prices_keep_their_extra_decimals_but_show_at_least_cents():
    fi = formats_for("fi")
    assert fi.price(Decimal("0.0125"), "EUR") == "0,0125"
    assert fi.price(Decimal("24.900"), "EUR") == "24,90"
    assert formats_for("en").price(Decimal("7.9"), "EUR") == "7.90"


def test_quantities_and_rates_print_as_exactly_as_given_without_trailing_zeros():
    fi = formats_for("fi")
    numbers = [fi.number(Decimal(v)) for v in ("2.000", "1.5", "25.5", "0", "1E+2")]
    assert numbers == ["2", "1,5", "25,5", "0", "100"]
    assert plain(fi.number(Decimal("12500.125"))) == "12 500,125"


def test_countries_are_named_in_the_readers_language():
    assert formats_for("fi").country("SE") == "Ruotsi"
    assert formats_for("sv").country("FI") == "Finland"
    assert formats_for("en").country("DE") == "Germany"


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError):
        formats_for("de")
