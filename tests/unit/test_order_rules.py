"""The tax date's window, measured from the merchant's today (a fixed day here, never the machine's clock)."""

from datetime import date

import pytest

from invoicing_plugin.domain.orders import tax_date_problems

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize("tax_date", [TODAY, date(2016, 11, 21), date(2027, 11, 21), date(2024, 8, 31)])
def test_a_tax_date_from_ten_years_back_to_one_year_ahead_is_fine(tax_date):
    assert tax_date_problems(tax_date, TODAY) == {}


@pytest.mark.parametrize("tax_date, message", [
    (date(2016, 11, 20), "2016-11-20 is more than 10 years ago; the earliest date of supply accepted today is "
                         "2016-11-21"),
    (date(2027, 11, 22), "2027-11-22 is more than 1 year ahead; the latest date of supply accepted today is "
                         "2027-11-21"),
    (date(9999, 12, 31), "9999-12-31 is more than 1 year ahead; the latest date of supply accepted today is "
                         "2027-11-21"),
    (date(1, 1, 1), "0001-01-01 is more than 10 years ago; the earliest date of supply accepted today is "
                    "2016-11-21"),
])
def test_a_tax_date_outside_the_window_is_named_with_the_nearest_date_allowed(tax_date, message):
    assert tax_date_problems(tax_date, TODAY) == {"delivery_date": [message]}


def test_the_window_of_a_leap_day_ends_on_the_28th_of_february():
    assert tax_date_problems(date(2029, 2, 28), date(2028, 2, 29)) == {}
    assert "2029-03-01 is more than 1 year ahead" in tax_date_problems(date(2029, 3, 1), date(2028, 2, 29))[
        "delivery_date"][0]
