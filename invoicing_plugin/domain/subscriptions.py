"""Subscriptions' money and calendar: service periods, proration by days of the month, usage tiers. Pure.

Service periods are cut from the first day of the subscription's start month in steps of the billing
period (1, 3, 12 or N months): a subscription started on 2026-01-15 and billed monthly has the periods
2026-01-15..01-31, 02-01..02-28, ...; the last one ends at the subscription's end date (JustOn: service
end = start + period - 1 day, capped by the end date). A prorated item pays for a part period by the days:
each month counts its days served / days in that month, and the months' parts are averaged over the period.
Amounts are exact fractions until the one rounding of a line (half up at the currency's minor unit).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from .currency import minor_units

BILLING_TYPES = ("one_time", "recurring", "recurring_prorated", "usage")
TIMINGS = ("advance", "arrears")


@dataclass(frozen=True)
class ServicePeriod:
    start: date
    end: date  # inclusive
    full_start: date  # the uncut period of the grid this one is (part of)
    full_end: date

    @property
    def is_full(self) -> bool:
        return self.start == self.full_start and self.end == self.full_end


@dataclass(frozen=True)
class Tier:
    up_to: Decimal | None  # the last unit of this tier (cumulative, after included units); None: no limit
    unit_price: Decimal


@dataclass(frozen=True)
class Band:
    """Units [first, last] of a usage quantity priced at one tier's unit price: one invoice line."""

    first: Decimal  # exclusive lower bound: the units already counted before this band
    last: Decimal
    unit_price: Decimal

    @property
    def quantity(self) -> Decimal:
        return self.last - self.first


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (Jan 31 + 1 month = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def grid_period(day: date, anchor: date, months: int) -> tuple[date, date]:
    """The uncut period of the grid (from the first of `anchor`'s month, steps of `months`) containing `day`."""
    origin = anchor.replace(day=1)
    elapsed = (day.year - origin.year) * 12 + day.month - origin.month
    start = add_months(origin, (elapsed // months) * months)
    return start, add_months(start, months) - timedelta(days=1)


def service_period(start: date, anchor: date, months: int, end: date | None = None) -> ServicePeriod | None:
    """The service period that begins on `start` (a period start, or the subscription's first day),
    capped by `end` (the last day served); None when `start` is after the end."""
    if end is not None and start > end:
        return None
    full_start, full_end = grid_period(start, anchor, months)
    return ServicePeriod(start, min(full_end, end) if end is not None else full_end, full_start, full_end)


def next_start(period: ServicePeriod) -> date:
    """After a period is billed, the next one begins the day after the uncut period ends."""
    return period.full_end + timedelta(days=1)


def period_fraction(period: ServicePeriod) -> Fraction:
    """The part of the full period served: each month's days served / its days, averaged over the months."""
    if period.is_full:
        return Fraction(1)
    months = 0
    served = Fraction(0)
    month_start = period.full_start
    while month_start <= period.full_end:
        days_in_month = calendar.monthrange(month_start.year, month_start.month)[1]
        month_end = month_start + timedelta(days=days_in_month - 1)
        first, last = max(month_start, period.start), min(month_end, period.end)
        if first <= last:
            served += Fraction((last - first).days + 1, days_in_month)
        months += 1
        month_start = month_end + timedelta(days=1)
    return served / months


def round_half_up(value: Fraction, currency: str) -> Decimal:
    """An exact fraction rounded half away from zero at the currency's minor unit (DESIGN §4)."""
    places = minor_units(currency)
    scaled = abs(value) * 10 ** places
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(whole if value >= 0 else -whole)).scaleb(-places)


def prorated_amount(quantity: Decimal, unit_price: Decimal, period: ServicePeriod, currency: str) -> Decimal:
    """What a prorated item costs for this (part) period: quantity x price x fraction, rounded once."""
    return round_half_up(Fraction(quantity) * Fraction(unit_price) * period_fraction(period), currency)


def months_from_anchor(day: date, anchor: date) -> int:
    """Whole months from the first of `anchor`'s month to the first of `day`'s."""
    return (day.year - anchor.year) * 12 + day.month - anchor.month


def spread_amount(quantity: Decimal, unit_price: Decimal, price_months: int, first_month: int, months: int,
                  currency: str) -> Decimal:
    """A price for `price_months` months billed for the months [first_month, first_month + months) of the
    subscription: the rounded total up to the period's end less the rounded total up to its start.

    The roundings telescope: monthly, quarterly and yearly billing of one yearly price add up to that price to
    the cent over the year (and over any whole number of price periods), however it divides.
    """
    whole = Fraction(quantity) * Fraction(unit_price) / price_months
    return (round_half_up(whole * (first_month + months), currency)
            - round_half_up(whole * first_month, currency))


def tier_problems(tiers: Sequence[Tier]) -> list[str]:
    problems = []
    bounds = [tier.up_to for tier in tiers]
    if any(bound is None for bound in bounds[:-1]):
        problems.append("only the last tier may have no `up_to`")
    limited = [bound for bound in bounds if bound is not None]
    if any(later <= earlier for earlier, later in zip(limited, limited[1:], strict=False)):
        problems.append("`up_to` must increase from tier to tier")
    if any(bound is not None and bound <= 0 for bound in bounds):
        problems.append("`up_to` must be above 0")
    return problems


def usage_bands(counted_before: Decimal, counted_after: Decimal, unit_price: Decimal, included: Decimal,
                tiers: Sequence[Tier]) -> list[Band]:
    """The bands of the units (counted_before, counted_after] of a period's usage.

    The first `included` units cost nothing; the units after them are priced graduated by `tiers` (each
    unit at the price of the tier it falls in; a tier's `up_to` counts units after the included ones), or
    at `unit_price` when there are no tiers. Late usage of a period billed already starts at
    `counted_before`, so it is priced where it falls in the period's table.
    """
    steps: list[tuple[Decimal | None, Decimal]] = []
    if included > 0:
        steps.append((included, Decimal(0)))
    if tiers:
        steps += [(None if tier.up_to is None else included + tier.up_to, tier.unit_price) for tier in tiers]
        if steps[-1][0] is not None:  # past the last tier: its price goes on
            steps.append((None, steps[-1][1]))
    else:
        steps.append((None, unit_price))
    bands = []
    floor = Decimal(0)
    for ceiling, price in steps:
        first = max(floor, counted_before)
        last = counted_after if ceiling is None else min(ceiling, counted_after)
        if last > first:
            bands.append(Band(first, last, price))
        if ceiling is None or ceiling >= counted_after:
            break
        floor = ceiling
    return bands


def band_amount(band: Band, currency: str) -> Decimal:
    return round_half_up(Fraction(band.quantity) * Fraction(band.unit_price), currency)
