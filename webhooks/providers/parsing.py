"""Strict readers for provider payload fields: a bad value is a MalformedEvent, never a guess."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal, overload

from invoicing_plugin.domain.provider_events import MalformedEvent

_DECIMAL = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")


def amount(value: object, field: str) -> Decimal:
    # Strings only: a JSON number would have become a float on the way in.
    if not isinstance(value, str) or not _DECIMAL.match(value.replace(",", ".")):
        raise MalformedEvent(f"{field} must be a decimal string such as \"12.40\"")
    return Decimal(value.replace(",", "."))


def day(value: object, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise MalformedEvent(f"{field} must be a date such as 2026-11-21") from None


def moment(value: object, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedEvent(f"{field} must be an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@overload
def text(value: object, field: str, *, required: Literal[True], limit: int = 120) -> str: ...
@overload
def text(value: object, field: str, *, required: bool = False, limit: int = 120) -> str | None: ...
def text(value: object, field: str, *, required: bool = False, limit: int = 120) -> str | None:
    if value is None or value == "":
        if required:
            raise MalformedEvent(f"{field} is required")
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > limit:
        raise MalformedEvent(f"{field} must be a string of at most {limit} characters")
    return str(value)
