"""A hand-written in-memory channel: the Channel contract as a test sees it (holds invoices, fails on demand)."""

from __future__ import annotations

import threading
from collections import Counter

from adapters.base import AdapterError, DeliveryContext, DeliveryResult, InvoiceData


class MemoryService:
    """The "service" behind the channel: what it holds, how often it was asked, failures to come."""

    def __init__(self) -> None:
        self.held: dict[str, InvoiceData] = {}
        self.sends: Counter[str] = Counter()
        self.lookups: Counter[str] = Counter()
        self.failures: list[AdapterError] = []
        self.apply_then_fail = 0  # store the invoice, then raise a timeout (the unknown-outcome case)
        self.lock = threading.Lock()

    def fail_next(self, count: int, *, retryable: bool = True, message: str = "service unavailable",
                  http_status: int | None = 503, retry_after: float | None = None) -> None:
        self.failures += [AdapterError(message, retryable=retryable, http_status=http_status,
                                       retry_after=retry_after, response_excerpt=message)] * count


class MemoryChannel:
    name = "memory"

    def __init__(self, service: MemoryService, settings: dict) -> None:
        if settings.get("password") != "right":
            raise ValueError("password is wrong")
        self.service = service

    def deliver(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult:
        service = self.service
        with service.lock:
            service.sends[invoice.number] += 1
            if service.failures:
                raise service.failures.pop(0)
            if invoice.number in service.held:
                raise AdapterError("duplicate invoice number", retryable=False, http_status=409)
            service.held[invoice.number] = invoice
            if service.apply_then_fail:
                service.apply_then_fail -= 1
                raise AdapterError("read timed out", retryable=True)
        return DeliveryResult(external_id=f"M-{invoice.number}", http_status=201, response_excerpt="stored")

    def lookup(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult | None:
        with self.service.lock:
            self.service.lookups[invoice.number] += 1
            found = invoice.number in self.service.held
        return DeliveryResult(external_id=f"M-{invoice.number}", http_status=200) if found else None
