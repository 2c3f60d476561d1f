"""Provider events in one shape, whatever the provider's own format: what happened, to which invoice.

Providers turn their payloads into `ProviderEvent`s; the payments service acts on those. Kinds:
`payment` (money arrived: amount, date, the provider's payment id), and timeline kinds that are not
money: `sent`, `reminded`, `in_collection`, `cancelled`, `status` (anything else the service reports
about the invoice). A kind we do not know stays `unknown` and is acknowledged, logged and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

PAYMENT = "payment"
TIMELINE_KINDS = ("sent", "reminded", "in_collection", "cancelled", "status")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class InvoiceRef:
    """How the event names our invoice: any of our id, our number, our reference."""

    invoice_id: str | None = None
    number: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class ProviderEvent:
    event_id: str  # the provider's id: a repeat of it is the same event
    kind: str
    provider_type: str  # the provider's own name for the event, for the inbox and the log
    occurred_at: datetime
    invoice: InvoiceRef
    amount: Decimal | None = None
    currency: str | None = None
    paid_on: date | None = None
    payment_id: str | None = None  # the provider's id of the payment (default: the event id)
    detail: dict[str, Any] = field(default_factory=dict)  # what the timeline shows
    raw: dict[str, Any] = field(default_factory=dict)


class MalformedEvent(ValueError):
    """The payload is not what the provider documents; nothing of it is recorded."""
