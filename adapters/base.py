"""The Channel protocol every outbound adapter implements, its result types and its error.

An adapter takes plain invoice data (`InvoiceData`) and talks to one service. It never decides to
retry: it raises `AdapterError(retryable=...)` and the worker decides (DESIGN §6). Before sending again
after an unknown outcome, the worker calls `lookup`, so the service never gets the invoice twice.
Channels are found by name: built-in ones and those a package registers under the entry point group
`invoicing_plugin.channels` (a factory taking the tenant's channel settings). A channel whose service
also reports payments implements `PaymentSource` too; polling finds it by that, whatever its name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

from invoicing_plugin.domain.invoice_data import Contact, InvoiceData, LineData, Party, VatGroupData

__all__ = [
    "AdapterError", "Channel", "ChannelFactory", "Contact", "DeliveryContext", "DeliveryResult", "EventPage",
    "ExternalRefs", "InvoiceData", "LineData", "OpenSumSource", "Party", "PaymentSource", "VatGroupData",
    "credited_external_id",
]


@runtime_checkable
class ExternalRefs(Protocol):
    """A service's own keys for our customers and products, kept per tenant (the `external_refs` table).

    The worker gives a channel one of these bound to the invoice's tenant. Each call is a short transaction
    of its own, so a channel may call it between its HTTP requests, never around one.
    """

    def get(self, service: str, kind: str, our_key: str) -> str | None:
        """Their key for our `our_key` ("customer" or "product"), or None when not known yet."""

    def put(self, service: str, kind: str, our_key: str, their_key: str,
            detail: Mapping[str, object] | None = None) -> None:
        """Remember their key (a second put for the same our_key replaces it)."""


@dataclass(frozen=True)
class DeliveryContext:
    """What one delivery attempt knows beyond the invoice."""

    delivery_id: str
    idempotency_key: str  # stable across every attempt of this delivery
    attempt: int = 1
    # Rendered documents by kind ("pdf", "finvoice", "finvoice_soap", "ubl"): made once per invoice,
    # stored with their SHA-256, the same bytes on every attempt.
    documents: Callable[[str], bytes] | None = None
    # The tenant's layout settings: texts per language (e.g. layout["email"]["fi"]["subject"]), colours.
    layout: Mapping[str, object] = field(default_factory=dict)
    # Credit notes only: the delivery of the credited invoice through this same channel, its status
    # (pending, in_progress, failed, delivered, dead; None when it never went this way) and the service's
    # id for it (Netvisor's key, Ropo's jobid, the operator's id). See `credited_external_id`.
    credited_delivery_status: str | None = None
    credited_external_id: str | None = None
    # The tenant's mapping of our customers and products to the service's keys (None: the channel keeps
    # what it learns for this attempt only).
    external_refs: ExternalRefs | None = None


# The credited invoice's delivery is still under way: its credit note waits for it.
ORIGINAL_UNDER_WAY = frozenset({"pending", "in_progress", "failed"})


def credited_external_id(invoice: InvoiceData, context: DeliveryContext, service: str) -> str | None:
    """For a credit note, the service's id for the invoice it credits (None when we never learnt one).

    While the invoice's own delivery through this channel is still under way the credit note must not
    overtake it (the service would refuse a credit of an invoice it does not hold yet): a retryable
    AdapterError makes it wait. A delivery that went dead gives no id; the channel may still find the
    invoice at the service by its number (a person may have entered it there by hand).
    """
    if context.credited_delivery_status in ORIGINAL_UNDER_WAY:
        raise AdapterError(
            f"credit note {invoice.number} waits until invoice {invoice.credited_invoice_number} has reached "
            f"{service} (its delivery is {context.credited_delivery_status})", retryable=True,
            code="credited_invoice_under_way")
    if context.credited_delivery_status == "delivered":
        return context.credited_external_id
    return None


@dataclass(frozen=True)
class DeliveryResult:
    """The service accepted (or already had) the invoice."""

    external_id: str | None  # the service's own id for it (Netvisor key, Ropo job id, message id)
    http_status: int | None = None
    response_excerpt: str = ""  # for the attempt log; never secrets
    details: Mapping[str, str] = field(default_factory=dict)


class AdapterError(Exception):
    """The service did not take the invoice. `retryable`: a later attempt may succeed (timeouts,
    connection errors, 5xx, 429); otherwise (4xx, validation) retrying cannot help."""

    def __init__(
        self, message: str, *, retryable: bool, http_status: int | None = None,
        retry_after: float | None = None, response_excerpt: str = "", code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.http_status = http_status
        self.retry_after = retry_after  # seconds, from a Retry-After header
        self.response_excerpt = response_excerpt
        self.code = code  # the service's own error code, e.g. Netvisor's "INVALID_DATA"


@runtime_checkable
class Channel(Protocol):
    # Optionally also `documents_needed: tuple[str, ...]`, the document kinds every delivery asks for
    # (the email channel's PDF): a worker renders them for a whole batch at once, on every core.
    name: str

    def deliver(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult:
        """Send the invoice; raise AdapterError when it was not taken."""

    def lookup(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult | None:
        """The invoice as the service already holds it (by our invoice number), or None."""


@dataclass(frozen=True)
class EventPage:
    """What one poll of a service brought: its events in the provider's own form, and where to go on."""

    events: list[dict]  # each one event as the provider's reparse reads it (and the inbox stores it)
    cursor: str | None = None  # the next poll starts here; None: the service itself remembers what it gave


@runtime_checkable
class PaymentSource(Protocol):
    """A service that reports payments (and status changes) when asked: polled into the same inbox as
    pushed callbacks, so an event seen both ways is recorded once."""

    provider: str  # the inbox provider whose parser reads these events (webhooks.providers)

    def fetch_events(self, cursor: str | None) -> EventPage:
        """The events after `cursor` (an empty page when there is nothing new); AdapterError on failure."""


@runtime_checkable
class OpenSumSource(Protocol):
    """A service that can say how much of one of our invoices is still open there (Netvisor's OpenSum)."""

    def open_sum(self, invoice_number: str, reference: str | None) -> Decimal | None:
        """The open amount of our invoice as the service sees it, or None when it does not hold it."""


# A channel factory builds a channel from one tenant's settings for it (host, credentials, options).
ChannelFactory = Callable[[Mapping[str, object]], Channel]
