"""Page numbers of the console's lists, from the query string (a wrong one is the first page)."""

from __future__ import annotations

from flask import request

MAX_PAGE = 10_000


def page_number() -> int:
    raw = request.args.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) >= 1 else 1
