"""Dunning rules to the cent: penalty interest against a day-by-day count, fees and the 40 € compensation against
the law's sums, and the days between steps."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from invoicing_plugin.domain.dunning import (
    COMPENSATION,
    Earlier,
    Level,
    claim_for,
    levels_problems,
    next_level,
    penalty_interest,
    reference_rate_on,
)

CENT = Decimal("0.01")
HALF_YEARS = [date(year, month, 1) for year in range(2024, 2030) for month in (1, 7)]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
rate_tables = st.lists(st.decimals(min_value=Decimal(0), max_value=Decimal("10"), places=1),
                       min_size=len(HALF_YEARS), max_size=len(HALF_YEARS)).map(
    lambda values: tuple(zip(HALF_YEARS, values, strict=True)))


def day_by_day(principal: Decimal, first: date, last: date, rates, margin: int) -> Decimal:
    table = dict(rates)
    total, day = Decimal(0), first
    while day <= last:
        total += principal * (table[date(day.year, 1 if day.month <= 6 else 7, 1)] + margin) / 100 / 365
        day += timedelta(days=1)
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


@given(amounts, days, st.integers(0, 500), rate_tables, st.booleans())
def test_penalty_interest_is_each_days_interest_at_its_half_years_rate(principal, start, span, rates, business):
    end = start + timedelta(days=span)
    interest, periods = penalty_interest(principal, start, end, rates, business=business)
    assert interest == day_by_day(principal, start, end, rates, 8 if business else 7)
    assert sum(p.days for p in periods) == span + 1, "every day once"
    assert all(p.start.day == 1 and p.start.month in (1, 7) for p in periods[1:]), "cut at half-years only"


def test_the_reference_rate_of_the_first_half_of_2026_gives_10_5_percent_between_businesses():
    rate = reference_rate_on(date(2026, 3, 15), ((date(2026, 1, 1), Decimal("2.5")),))
    interest, _ = penalty_interest(Decimal("1000.00"), date(2026, 2, 1), date(2026, 3, 2), (
        (date(2026, 1, 1), Decimal("2.5")),), business=True)
    assert rate + 8 == Decimal("10.5")
    assert interest == Decimal("8.63")  # 1000 × 10.5 % × 30 / 365 = 8.630...


fees = st.decimals(min_value=Decimal(0), max_value=Decimal("12.00"), places=2)


@given(st.lists(st.tuples(fees, st.booleans()), min_size=1, max_size=6), st.booleans(), amounts)
def test_fees_and_the_compensation_claim_together_what_the_law_allows_never_more(steps, business, open_amount):
    due = date(2026, 3, 1)
    earlier: list[Earlier] = []
    for index, (fee, compensation) in enumerate(steps):
        day = due + timedelta(days=14 * (index + 1))
        claim = claim_for(Level(days=14, fee=fee, compensation=compensation), earlier, business=business,
                          open_amount=open_amount, due_date=due, today=day, rates=())
        assert claim.fee >= 0 and claim.compensation >= 0 and claim.interest == 0
        earlier.append(Earlier(index + 1, day, claim.nominal_fee, claim.fee, claim.compensation, None))
        cap = Decimal("12.00") if business else Decimal("5.00")
        nominal = sum((min(f, cap) for f, _ in steps[: index + 1]), Decimal(0))
        compensated = business and any(c for _, c in steps[: index + 1])
        charged = sum((e.fee + e.compensation for e in earlier), Decimal(0))
        assert charged == max(nominal, COMPENSATION if compensated else Decimal(0))
    assert sum((e.compensation for e in earlier), Decimal(0)) <= COMPENSATION, "the 40 € once per invoice"
    if not business:
        assert all(e.compensation == 0 and e.fee <= Decimal("5.00") for e in earlier)


def test_a_second_reminder_counts_interest_from_where_the_first_stopped():
    due = date(2026, 3, 1)
    level = Level(days=7, interest=True)
    first = claim_for(level, [], business=True, open_amount=Decimal("500"), due_date=due,
                      today=date(2026, 3, 8), rates=())
    assert (first.interest_from, first.interest_to) == (date(2026, 3, 2), date(2026, 3, 8))
    earlier = [Earlier(1, date(2026, 3, 8), Decimal(0), Decimal(0), Decimal(0), first.interest_to)]
    second = claim_for(level, earlier, business=True, open_amount=Decimal("500"), due_date=due,
                       today=date(2026, 3, 22), rates=())
    assert (second.interest_from, second.interest_to) == (date(2026, 3, 9), date(2026, 3, 22))


def test_steps_with_a_fee_are_at_least_10_days_apart():
    levels = [Level(days=7, fee=Decimal(5)), Level(days=3), Level(days=3, fee=Decimal(5))]
    due = date(2026, 3, 1)
    first = Earlier(1, date(2026, 3, 8), Decimal(5), Decimal(5), Decimal(0), None)
    second = Earlier(2, date(2026, 3, 11), Decimal(0), Decimal(0), Decimal(0), None)
    assert next_level(levels, [first, second], due, date(2026, 3, 14)) is None, "only 6 days after the last fee"
    assert next_level(levels, [first, second], due, date(2026, 3, 18)) == 3
    assert next_level(levels, [], due, date(2026, 3, 7)) is None
    assert next_level(levels, [], due, date(2026, 3, 8)) == 1
    assert "levels[2].days" in levels_problems(levels)
