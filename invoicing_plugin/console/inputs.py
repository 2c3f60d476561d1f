"""Reading form and query fields of this part of the console: dates and choices, each problem by field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date


class FieldProblems(dict[str, list[str]]):
    """Field name to its messages (text keys or the use case's own words), shown next to each field."""

    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)


def optional_date(values: Mapping[str, str], name: str, problems: FieldProblems) -> date | None:
    """An ISO date (what `<input type="date">` sends), or None when empty; a wrong one is a problem."""
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.add(name, "field.not_a_date")
        return None


def required_date(values: Mapping[str, str], name: str, problems: FieldProblems) -> date | None:
    found = optional_date(values, name, problems)
    if found is None and name not in problems:
        problems.add(name, "field.required")
    return found


def text(values: Mapping[str, str], name: str, limit: int = 100) -> str | None:
    value = (values.get(name) or "").strip()[:limit]
    return value or None
