"""Navigation entries: each page area names its entry; the layout shows those the user's role may open."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavEntry:
    endpoint: str  # e.g. "console.drafts.queue"
    text: str  # a text key, e.g. "nav.drafts"
    role: str = "backoffice"  # the least role that sees the entry (admin-only pages: "admin")
