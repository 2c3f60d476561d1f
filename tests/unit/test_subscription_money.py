"""Service periods, proration by days and usage tiers: exact, checked against tables computed by hand."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from invoicing_plugin.domain.subscriptions import (
    Tier,
    band_amount,
    period_fraction,
    prorated_amount,
    round_half_up,
    service_period,
    spread_amount,
    tier_problems,
    usage_bands,
)

START = date(2026, 1, 15)


def test_monthly_periods_start_on_the_start_day_then_follow_the_calendar():
    first = service_period(START, START, 1)
    assert (first.start, first.end) == (date(2026, 1, 15), date(2026, 1, 31))
    assert period_fraction(first) == Fraction(17, 31)
    second = service_period(date(2026, 2, 1), START, 1)
    assert (second.start, second.end, second.is_full) == (date(2026, 2, 1), date(2026, 2, 28), True)
    june = service_period(date(2026, 6, 1), START, 1, end=date(2026, 6, 20))
    assert (june.end, period_fraction(june)) == (date(2026, 6, 20), Fraction(20, 30))
    assert service_period(date(2026, 7, 1), START, 1, end=date(2026, 6, 20)) is None


def test_a_quarter_averages_its_months_parts():
    quarter = service_period(START, START, 3)
    assert (quarter.start, quarter.end) == (date(2026, 1, 15), date(2026, 3, 31))
    assert period_fraction(quarter) == (Fraction(17, 31) + 2) / 3
    yearly = service_period(date(2026, 3, 1), date(2026, 3, 1), 12)
    assert yearly.end == date(2027, 2, 28) and period_fraction(yearly) == 1


def test_the_first_month_is_17_31_of_the_price_to_the_cent():
    first = service_period(START, START, 1)
    assert prorated_amount(Decimal(1), Decimal("49.90"), first, "EUR") == Decimal("27.36")  # 27.3645...
    assert prorated_amount(Decimal(3), Decimal("31.00"), first, "EUR") == Decimal("51.00")
    assert prorated_amount(Decimal(1), Decimal("1000"), first, "JPY") == Decimal("548")


def test_rounding_is_half_up_away_from_zero():
    assert round_half_up(Fraction(5, 1000), "EUR") == Decimal("0.01")
    assert round_half_up(Fraction(-5, 1000), "EUR") == Decimal("-0.01")
    assert round_half_up(Fraction(4999, 1000000), "EUR") == Decimal("0.00")


@given(st.dates(date(2024, 1, 1), date(2030, 12, 31)), st.integers(1, 31), st.sampled_from([1, 2, 3, 6, 12]),
       st.decimals(Decimal("0.01"), Decimal("100000"), places=2))
def test_a_prorated_amount_is_the_price_times_the_days_by_hand(start, cut_after, months, price):
    period = service_period(start, start, months)
    assert period is not None
    cut = service_period(start, start, months, end=min(period.end, start + timedelta(days=cut_after - 1)))
    assert cut is not None
    # By hand: walk the days of the period, each worth 1/(days of its month)/(months of the period).
    worth = Fraction(0)
    day = cut.start
    while day <= cut.end:
        next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        worth += Fraction(1, (next_month - day.replace(day=1)).days * months)
        day += timedelta(days=1)
    expected = (Decimal(worth.numerator) * price / Decimal(worth.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)
    amount = prorated_amount(Decimal(1), price, cut, "EUR")
    assert abs(amount - expected) <= Decimal("0.01")  # the Decimal division above may itself round once
    assert amount == round_half_up(worth * Fraction(price), "EUR")
    assert Decimal(0) <= amount <= price


TIERS = [Tier(Decimal(400), Decimal("0.20")), Tier(Decimal(1000), Decimal("0.15")), Tier(None, Decimal("0.10"))]


def by_hand(quantity: Decimal) -> Decimal:
    """The table: units 1-100 free, 101-500 at 0.20, 501-1100 at 0.15, the rest at 0.10 (each band rounded);
    a tier's `up_to` counts after the included units (400, 1000)."""
    bands = [(Decimal(0), Decimal(100), Decimal(0)), (Decimal(100), Decimal(500), Decimal("0.20")),
             (Decimal(500), Decimal(1100), Decimal("0.15")), (Decimal(1100), None, Decimal("0.10"))]
    total = Decimal(0)
    for low, high, price in bands:
        units = max(Decimal(0), (quantity if high is None else min(quantity, high)) - low)
        total += (units * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if units else Decimal(0)
    return total


@given(st.decimals(Decimal(0), Decimal(100000), places=3))
def test_tiers_and_included_units_price_like_the_table(quantity):
    bands = usage_bands(Decimal(0), quantity, Decimal("9.99"), Decimal(100), TIERS)
    assert sum((band_amount(band, "EUR") for band in bands), Decimal(0)) == by_hand(quantity)
    assert sum((band.quantity for band in bands), Decimal(0)) == quantity


@given(st.decimals(Decimal(0), Decimal(5000), places=2), st.decimals(Decimal(0), Decimal(5000), places=2))
def test_late_usage_continues_where_the_billed_quantity_ended(billed, late):
    first = usage_bands(Decimal(0), billed, Decimal(0), Decimal(100), TIERS)
    more = usage_bands(billed, billed + late, Decimal(0), Decimal(100), TIERS)
    units = {}
    for band in first + more:
        units[band.unit_price] = units.get(band.unit_price, Decimal(0)) + band.quantity
    whole = usage_bands(Decimal(0), billed + late, Decimal(0), Decimal(100), TIERS)
    assert units == {band.unit_price: band.quantity for band in whole} | {
        price: quantity for price, quantity in units.items() if quantity == 0}


def test_no_tiers_is_one_price_after_the_included_units():
    bands = usage_bands(Decimal(0), Decimal(250), Decimal("0.05"), Decimal(100), [])
    assert [(band.quantity, band.unit_price) for band in bands] == [(100, 0), (150, Decimal("0.05"))]
    assert usage_bands(Decimal(0), Decimal(0), Decimal("0.05"), Decimal(0), []) == []


def test_tier_tables_must_grow():
    assert tier_problems(TIERS) == []
    assert tier_problems([Tier(None, Decimal(1)), Tier(Decimal(5), Decimal(1))]) == [
        "only the last tier may have no `up_to`"]
    assert tier_problems([Tier(Decimal(5), Decimal(1)), Tier(Decimal(5), Decimal(1))]) == [
        "`up_to` must increase from tier to tier"]


@given(st.decimals(Decimal("0.01"), Decimal("100000"), places=2), st.integers(1, 50),
       st.integers(0, 60))
def test_a_yearly_price_billed_monthly_quarterly_or_yearly_totals_the_same_to_the_cent(price, quantity, offset):
    quantity = Decimal(quantity)
    monthly = sum((spread_amount(quantity, price, 12, offset + m, 1, "EUR") for m in range(12)), Decimal(0))
    quarterly = sum((spread_amount(quantity, price, 12, offset + m, 3, "EUR") for m in range(0, 12, 3)), Decimal(0))
    yearly = spread_amount(quantity, price, 12, offset, 12, "EUR")
    assert monthly == quarterly == yearly == quantity * price
    assert all(spread_amount(quantity, price, 12, offset + m, 1, "EUR") >= 0 for m in range(12))


def test_a_yearly_100_billed_monthly_is_8_33_or_8_34_a_month():
    months = [spread_amount(Decimal(1), Decimal(100), 12, m, 1, "EUR") for m in range(12)]
    assert months[:3] == [Decimal("8.33"), Decimal("8.34"), Decimal("8.33")]
    assert sum(months, Decimal(0)) == Decimal("100.00")
