"""Who is using the console: a console user of ours, or a host application's user handed over by a hook.

The hook (README, "Back-office console"): a host that authenticates its staff itself registers
`plugin.console_user_loader(load)`; `load()` runs in each console request and returns a `HostUser` (the
tenant's slug or id, a label for the audit trail, the role backoffice or admin, optionally a language) or
None, in which case the console's own login applies.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ..services.actors import Actor


@dataclass(frozen=True)
class HostUser:
    """What a host application says about its signed-in user."""

    tenant: str  # slug or id
    label: str  # shown in the audit trail as "host:<label>", e.g. the host's user name or id
    role: str  # backoffice or admin
    language: str | None = None


HostUserLoader = Callable[[], "HostUser | None"]


@dataclass(frozen=True)
class ConsoleIdentity:
    """The signed-in person of the request, whichever way they signed in."""

    tenant_id: uuid.UUID
    tenant_slug: str
    label: str  # what the audit trail and the page header show
    role: str
    language: str | None
    user_id: uuid.UUID | None = None  # a console user's id; None for a host's user
    email: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(tenant_id=self.tenant_id, role=self.role, label=self.label[:100])

    @property
    def from_host(self) -> bool:
        return self.user_id is None

    def can(self, role: str) -> bool:
        return self.actor.can(role)
