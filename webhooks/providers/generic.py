"""The generic provider, documented for any service that can send a signed JSON event (README, "Callbacks").

    {"id": "evt_123", "type": "payment.received", "created_at": "2026-11-21T10:00:00Z",
     "data": {"invoice_number": "1001", "amount": "12.40", "currency": "EUR", "paid_on": "2026-11-20",
              "payment_id": "bank-tx-99"}}

`data` names the invoice by `invoice_id`, `invoice_number` or `reference`. Types: `payment.received`,
`invoice.sent`, `invoice.reminded`, `invoice.in_collection`, `invoice.cancelled`; others are ignored.
"""

from __future__ import annotations

from typing import Any

from invoicing_plugin.domain.provider_events import (
    PAYMENT,
    UNKNOWN,
    InvoiceRef,
    MalformedEvent,
    ProviderEvent,
)

from .parsing import amount, day, moment, text

_KINDS = {"payment.received": PAYMENT, "invoice.sent": "sent", "invoice.reminded": "reminded",
          "invoice.in_collection": "in_collection", "invoice.cancelled": "cancelled"}


def parse(payload: object) -> list[ProviderEvent]:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise MalformedEvent('the body must be {"id", "type", "created_at", "data": {...}}')
    data = payload["data"]
    event_type = text(payload.get("type"), "type", required=True)
    invoice = InvoiceRef(invoice_id=text(data.get("invoice_id"), "data.invoice_id"),
                         number=text(data.get("invoice_number"), "data.invoice_number"),
                         reference=text(data.get("reference"), "data.reference"))
    if not (invoice.invoice_id or invoice.number or invoice.reference):
        raise MalformedEvent("data names no invoice (invoice_id, invoice_number or reference)")
    kind = _KINDS.get(event_type, UNKNOWN)
    common: dict[str, Any] = {"event_id": text(payload.get("id"), "id", required=True), "kind": kind,
              "provider_type": event_type, "occurred_at": moment(payload.get("created_at"), "created_at"),
              "invoice": invoice, "detail": {"note": data.get("note")} if data.get("note") else {}, "raw": payload}
    if kind != PAYMENT:
        return [ProviderEvent(**common)]
    return [ProviderEvent(**common, amount=amount(data.get("amount"), "data.amount"),
                          currency=text(data.get("currency"), "data.currency", limit=3),
                          paid_on=day(data.get("paid_on"), "data.paid_on"),
                          payment_id=text(data.get("payment_id"), "data.payment_id"))]
