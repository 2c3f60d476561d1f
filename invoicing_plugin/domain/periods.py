"""Billing periods of a run schedule: months, every N weeks, or a monthly cycle from a day of the month."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

ALIGNMENTS = {"previous": -1, "current": 0, "next": 1}
_RULE = re.compile(r"^(start|end)([+-]\d{1,3})?$")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive


def interval_problems(interval: dict[str, Any]) -> list[str]:
    kind = interval.get("kind")
    if kind == "monthly":
        return [] if set(interval) == {"kind"} else ["a monthly interval takes no other fields"]
    if kind == "weeks":
        every, anchor = interval.get("every"), interval.get("anchor")
        problems = []
        if not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= 52:
            problems.append("weeks: `every` is a whole number of weeks from 1 to 52")
        try:
            date.fromisoformat(str(anchor))
        except ValueError:
            problems.append("weeks: `anchor` is the first day of one period, as YYYY-MM-DD")
        return problems
    if kind == "month_days":
        start_day = interval.get("start_day")
        if not isinstance(start_day, int) or isinstance(start_day, bool) or not 1 <= start_day <= 28:
            return ["month_days: `start_day` is the day of the month a period starts on, 1 to 28"]
        return []
    return ["`kind` is monthly, weeks or month_days"]


def rule_problems(rule: str) -> list[str]:
    return [] if _RULE.match(rule) else ["is start or end with an optional offset in days: end, end-5, start+1"]


def period_containing(day: date, interval: dict[str, Any]) -> Period:
    kind = interval["kind"]
    if kind == "monthly":
        start = day.replace(day=1)
        return Period(start, _add_months(start, 1) - timedelta(days=1))
    if kind == "month_days":
        start_day = int(interval["start_day"])
        start = day.replace(day=start_day) if day.day >= start_day else _add_months(day.replace(day=start_day), -1)
        return Period(start, _add_months(start, 1) - timedelta(days=1))
    length = timedelta(weeks=int(interval["every"]))
    anchor = date.fromisoformat(str(interval["anchor"]))
    start = anchor + length * ((day - anchor) // length)
    return Period(start, start + length - timedelta(days=1))


def shifted(period: Period, steps: int, interval: dict[str, Any]) -> Period:
    """The period `steps` periods after (or before, when negative) this one."""
    for _ in range(abs(steps)):
        period = period_containing(period.end + timedelta(days=1) if steps > 0 else period.start - timedelta(days=1),
                                   interval)
    return period


def billed_period(today: date, interval: dict[str, Any], alignment: str) -> Period:
    """The period a schedule bills when it starts during the period containing `today`."""
    return shifted(period_containing(today, interval), ALIGNMENTS[alignment], interval)


def invoice_date_for(rule: str, period: Period, today: date) -> date:
    """`end-5`: five days before the period's last day; never after today (an invoice is not dated ahead)."""
    match = _RULE.match(rule)
    assert match is not None  # checked when the schedule was saved
    base = period.start if match.group(1) == "start" else period.end
    return min(base + timedelta(days=int(match.group(2) or 0)), today)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)
