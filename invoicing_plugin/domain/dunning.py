"""Dunning rules: levels, when a level is due, and what a reminder may claim under Finnish law.

Facts (../shared/reference/back-office.md §(d)):
- Korkolaki 633/1982 § 4 a: penalty interest = the reference rate of the half-year + 8 points between
  businesses (+ 7 otherwise); it runs from the day after the due date. Days are counted actual/365.
- Perintälaki (as in force from 1.5.2022): a reminder fee is at most 12 € between businesses and 5 € for a
  consumer; at least 10 days between steps that carry a fee.
- Laki 30/2013 § 10 a: 40 € fixed compensation for recovery costs per late B2B invoice, once, whenever interest
  is due; it is deducted from the other collection costs claimed (so fees and the 40 € together claim
  max(fees, 40 €), never fees + 40 €).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

B2B_FEE_CAP = Decimal("12.00")
CONSUMER_FEE_CAP = Decimal("5.00")
COMPENSATION = Decimal("40.00")
B2B_MARGIN = Decimal(8)
CONSUMER_MARGIN = Decimal(7)
MIN_DAYS_BETWEEN_FEES = 10
DAYS_IN_YEAR = Decimal(365)
CENT = Decimal("0.01")
ZERO = Decimal(0)
CHANNELS = ("email", "einvoice")
LANGUAGES = ("fi", "sv", "en")
MAX_LEVELS = 10
# What a level's email subject and body may name, each written {like_this}.
PLACEHOLDERS = ("number", "invoice", "invoice_due", "seller", "buyer", "total", "due_date", "reference")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# Suomen Pankki's reference rate per half-year (the ECB rate rounded up to the next half point): the defaults
# a tenant starts with; the admin adds each new half-year. 1.1.-30.6.2026: 2.5 % (back-office.md §(d) 3).
DEFAULT_REFERENCE_RATES: tuple[tuple[date, Decimal], ...] = ((date(2026, 1, 1), Decimal("2.5")),)


@dataclass(frozen=True)
class Level:
    """One dunning step: due `days` after the due date (level 1) or after the previous reminder."""

    days: int
    fee: Decimal = ZERO
    interest: bool = False
    compensation: bool = False
    channels: tuple[str, ...] = ("email",)
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # {lang: {subject, body}}


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def reference_rate_on(day: date, rates: Sequence[tuple[date, Decimal]]) -> Decimal:
    """The reference rate fixed for the half-year of `day`: the latest one given from that half-year or
    before; before the earliest one known, the earliest (the admin is told to keep the table up to date)."""
    ordered = sorted(rates)
    if not ordered:
        ordered = list(DEFAULT_REFERENCE_RATES)
    start = half_year_start(day)
    known = [rate for valid_from, rate in ordered if valid_from <= start]
    return known[-1] if known else ordered[0][1]


@dataclass(frozen=True)
class InterestPeriod:
    start: date  # the first day interest runs
    end: date  # the last day interest runs (inclusive)
    rate: Decimal  # percent a year
    amount: Decimal  # unrounded

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def penalty_interest(principal: Decimal, start: date, end: date, rates: Sequence[tuple[date, Decimal]], *,
                     business: bool, unit: Decimal = CENT) -> tuple[Decimal, tuple[InterestPeriod, ...]]:
    """Interest on `principal` for the days start..end inclusive, actual/365, at each half-year's rate
    (reference + 8 or + 7 points); the sum rounded half up to the currency's minor `unit` once, the periods
    unrounded."""
    if end < start or principal <= 0:
        return ZERO, ()
    margin = B2B_MARGIN if business else CONSUMER_MARGIN
    periods = []
    day = start
    while day <= end:
        next_half = date(day.year, 7, 1) if day.month <= 6 else date(day.year + 1, 1, 1)
        last = min(end, next_half - timedelta(days=1))
        rate = reference_rate_on(day, rates) + margin
        days = (last - day).days + 1
        periods.append(InterestPeriod(day, last, rate, principal * rate / 100 * days / DAYS_IN_YEAR))
        day = last + timedelta(days=1)
    total = sum((p.amount for p in periods), ZERO).quantize(unit, rounding=ROUND_HALF_UP)
    return total, tuple(periods)


@dataclass(frozen=True)
class Earlier:
    """A reminder already sent for the invoice."""

    level: int  # 1-based
    sent_on: date
    nominal_fee: Decimal  # the level's fee after the legal cap, before the 40 € deduction
    fee: Decimal  # the fee actually claimed
    compensation: Decimal
    interest_to: date | None


def next_level(levels: Sequence[Level], earlier: Sequence[Earlier], due_date: date, today: date) -> int | None:
    """The 1-based level to remind at `today`, or None (nothing due yet, or all levels done)."""
    done = max((e.level for e in earlier), default=0)
    if done >= len(levels):
        return None
    level = levels[done]
    base = due_date if not earlier else max(e.sent_on for e in earlier)
    if (today - base).days < level.days:
        return None
    if level.fee > 0:
        fee_days = [e.sent_on for e in earlier if e.fee > 0 or e.nominal_fee > 0]
        if fee_days and (today - max(fee_days)).days < MIN_DAYS_BETWEEN_FEES:
            return None
    return done + 1


@dataclass(frozen=True)
class Claim:
    """What one reminder claims beyond the open amount."""

    nominal_fee: Decimal
    fee: Decimal
    compensation: Decimal
    interest: Decimal
    interest_from: date | None
    interest_to: date | None
    periods: tuple[InterestPeriod, ...] = ()

    @property
    def total(self) -> Decimal:
        return self.fee + self.compensation + self.interest


def claim_for(level: Level, earlier: Sequence[Earlier], *, business: bool, open_amount: Decimal, due_date: date,
              today: date, rates: Sequence[tuple[date, Decimal]], unit: Decimal = CENT) -> Claim:
    """Fee, 40 € compensation and interest of a reminder at `level` sent on `today`.

    Collection costs claimed so far are max(nominal fees, 40 € once claimed): each reminder claims the step.
    Interest runs from the day after the due date, or after the last day an earlier reminder counted.
    """
    cap = B2B_FEE_CAP if business else CONSUMER_FEE_CAP
    nominal = min(level.fee, cap)
    fees_before = sum((e.nominal_fee for e in earlier), ZERO)
    charged_before = sum((e.fee + e.compensation for e in earlier), ZERO)
    compensated = any(e.compensation > 0 for e in earlier)
    claims_compensation = business and level.compensation and not compensated
    floor = COMPENSATION if (compensated or claims_compensation) else ZERO
    total_now = max(fees_before + nominal, floor)
    step = max(total_now - charged_before, ZERO)
    compensation = min(max(COMPENSATION - charged_before, ZERO), step) if claims_compensation else ZERO
    fee = step - compensation
    interest, start, end = ZERO, None, None
    periods: tuple[InterestPeriod, ...] = ()
    if level.interest:
        counted = [e.interest_to for e in earlier if e.interest_to is not None]
        start = (max(counted) if counted else due_date) + timedelta(days=1)
        end = today
        interest, periods = penalty_interest(open_amount, start, end, rates, business=business, unit=unit)
        if end < start:
            start = end = None
    return Claim(nominal, fee, compensation, interest, start, end, periods)


def levels_problems(levels: object) -> dict[str, list[str]]:
    """Every problem of a list of levels (as the API sends them, after shape checks), keyed by field."""
    problems: dict[str, list[str]] = {}
    if not isinstance(levels, Sequence) or not levels:
        return {"levels": ["give at least one level"]}
    if len(levels) > MAX_LEVELS:
        problems["levels"] = [f"at most {MAX_LEVELS} levels"]
    since_fee: int | None = None
    for index, level in enumerate(levels):
        assert isinstance(level, Level)
        where = f"levels[{index}]"
        if level.days < 1:
            problems.setdefault(f"{where}.days", []).append("must be at least 1")
        if level.fee < 0:
            problems.setdefault(f"{where}.fee", []).append("must not be negative")
        elif level.fee > B2B_FEE_CAP:
            problems.setdefault(f"{where}.fee", []).append(
                f"a reminder fee is at most {B2B_FEE_CAP} € (perintälaki; consumers pay at most {CONSUMER_FEE_CAP} €)")
        elif level.fee != level.fee.quantize(CENT):
            problems.setdefault(f"{where}.fee", []).append("has at most 2 decimals")
        if since_fee is not None:
            since_fee += level.days
        if level.fee > 0:
            if since_fee is not None and since_fee < MIN_DAYS_BETWEEN_FEES:
                problems.setdefault(f"{where}.days", []).append(
                    f"at least {MIN_DAYS_BETWEEN_FEES} days must pass between steps that carry a fee")
            since_fee = 0
        if not level.channels or any(c not in CHANNELS for c in level.channels):
            problems.setdefault(f"{where}.channels", []).append(f"one or both of {', '.join(CHANNELS)}")
        for language, texts in level.texts.items():
            if language not in LANGUAGES:
                problems.setdefault(f"{where}.texts", []).append(
                    f"{language}: unknown language; use {', '.join(LANGUAGES)}")
                continue
            for key, value in (texts or {}).items():
                unknown = sorted(set(_PLACEHOLDER.findall(str(value))) - set(PLACEHOLDERS))
                if unknown:
                    problems.setdefault(f"{where}.texts.{language}.{key}", []).append(
                        "unknown placeholder " + ", ".join("{" + name + "}" for name in unknown) + "; use "
                        + ", ".join("{" + name + "}" for name in PLACEHOLDERS))
    return problems
