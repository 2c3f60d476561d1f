"""Who is acting: an API key of a tenant with a role, the command line, or the system itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ..domain.errors import Forbidden

ROLES = ("checkout", "backoffice", "admin")
# A role may do what the roles before it may: admin > backoffice > checkout.
_RANK = {role: rank for rank, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Actor:
    tenant_id: uuid.UUID
    role: str
    label: str  # what the audit trail shows: "api_key:ik_live_abc1", "cli", "system"
    api_key_id: uuid.UUID | None = None

    def can(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def require(self, role: str) -> None:
        if not self.can(role):
            raise Forbidden(f"this needs a {role} key; the key used has the {self.role} role")

    @property
    def sees_only_own_orders(self) -> bool:
        """Checkout keys (web shop, POS) read back only what they created themselves."""
        return self.role == "checkout"


def cli_actor(tenant_id: uuid.UUID) -> Actor:
    return Actor(tenant_id=tenant_id, role="admin", label="cli")


def system_actor(tenant_id: uuid.UUID, label: str = "system") -> Actor:
    """The product acting by itself (the worker, polling) for a tenant."""
    return Actor(tenant_id=tenant_id, role="backoffice", label=label)
