"""Netvisor's sales payments as events: Netvisor has no push, so these arrive by polling (reference §1.5)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from invoicing_plugin.domain.provider_events import PAYMENT, InvoiceRef, MalformedEvent, ProviderEvent

from .parsing import amount


def payment_event(raw: dict) -> ProviderEvent:
    """A sales payment as the Netvisor channel fetched it; its NetvisorKey is its id."""
    if not isinstance(raw, dict) or not raw.get("netvisor_key"):
        raise MalformedEvent("a Netvisor payment needs its netvisor_key")
    try:
        paid_on = date.fromisoformat(raw["date"]) if raw.get("date") else None
    except ValueError:
        raise MalformedEvent("date must be a date such as 2026-11-21") from None
    if paid_on is None:
        raise MalformedEvent("a Netvisor payment needs its date")
    return ProviderEvent(
        event_id=f"payment-{raw['netvisor_key']}", kind=PAYMENT, provider_type="salespayment",
        occurred_at=datetime.combine(paid_on, datetime.min.time(), UTC),
        invoice=InvoiceRef(number=raw.get("invoice_number"), reference=raw.get("reference")),
        amount=amount(raw.get("amount"), "amount"), paid_on=paid_on, payment_id=str(raw["netvisor_key"]),
        detail={"payer": raw.get("payer")}, raw=raw,
    )
