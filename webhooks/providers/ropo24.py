"""Ropo24-style status notifications: a batch of messages, each with its own id (reference §2.3).

The exact envelope of Ropo's notifications was not captured (UNCERTAIN); this reads what our sandbox
sends and what the polling endpoint returns: {"messages": [{id, event, jobid, billnum, billcode,
status, statustext, date, openamount, paidamount?, paydate?, created_at?}]}. A message with event
"payment" is one payment of `paidamount`; other messages are status changes for the timeline.
"""

from __future__ import annotations

from datetime import UTC, datetime

from invoicing_plugin.domain.provider_events import PAYMENT, InvoiceRef, MalformedEvent, ProviderEvent

from .parsing import amount, day, moment, text

# Ropo's status texts, as far as seen (reference §2.3): to our timeline kinds.
_STATUS_KINDS = (("remind", "reminded"), ("collect", "in_collection"), ("cancel", "cancelled"),
                 ("credit", "cancelled"), ("invoic", "sent"))


def parse(payload: object) -> list[ProviderEvent]:
    if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
        raise MalformedEvent('the body must be {"messages": [...]}')
    if len(payload["messages"]) > 500:
        raise MalformedEvent("at most 500 messages per notification")
    return [message_event(message, f"messages[{i}]") for i, message in enumerate(payload["messages"])]


def message_event(message: object, where: str = "message") -> ProviderEvent:
    if not isinstance(message, dict):
        raise MalformedEvent(f"{where} must be an object")
    event_id = text(message.get("id"), f"{where}.id", required=True)
    provider_type = text(message.get("event"), f"{where}.event") or "jobstatus"
    status_text = text(message.get("statustext"), f"{where}.statustext") or ""
    occurred = (moment(message["created_at"], f"{where}.created_at") if message.get("created_at")
                else datetime.combine(day(message.get("date"), f"{where}.date"), datetime.min.time(), UTC))
    invoice = InvoiceRef(number=text(message.get("billnum"), f"{where}.billnum"),
                         reference=text(message.get("billcode"), f"{where}.billcode"))
    if invoice.number is None and invoice.reference is None:
        raise MalformedEvent(f"{where} names no invoice (billnum or billcode)")
    detail = {"status": status_text, "open_amount": message.get("openamount"), "jobid": message.get("jobid")}
    if provider_type == "payment":
        return ProviderEvent(
            event_id=event_id, kind=PAYMENT, provider_type=provider_type, occurred_at=occurred, invoice=invoice,
            amount=amount(message.get("paidamount"), f"{where}.paidamount"),
            paid_on=day(message.get("paydate") or message.get("date"), f"{where}.paydate"),
            payment_id=event_id, detail=detail, raw=message,
        )
    lowered = status_text.lower()
    kind = next((kind for word, kind in _STATUS_KINDS if word in lowered), "status")
    return ProviderEvent(event_id=event_id, kind=kind, provider_type=provider_type, occurred_at=occurred,
                         invoice=invoice, detail=detail, raw=message)
