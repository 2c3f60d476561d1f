"""Ropo24 (Ropo One) status notifications and polled status updates as provider events.

Pushed (dev.ropo.com, guides/general-add-ons/status-notifications-events): one POST is one batch of at most
500 messages of possibly several types, in an envelope whose first fields are `created_…` (the rest of the
envelope is not public); "Ropo may add new fields to the messages … without separately announcing them",
and "Use `id` to dedupe". So this reads the batch tolerantly: the messages under `messages` (what our
sandbox sends), `events`, `data` or `items`, or a bare list; unknown fields anywhere are ignored; a
message's time is its own `created_at`/`date`, else the envelope's `created_…` time.

Polled (guides/general-add-ons/status-updates-polling): the update schema is not public and no source shows
an `id`. An update without one gets a stable key from its content: the SHA-256 of the canonical JSON of the
fields that identify the change (`content_key`), so the same update polled twice is one event.

A payment's id (the payments service's dedupe key) is always the content key of the payment's own fields
(job, invoice, paid amount and date, open amount after it): a payment pushed with an id and polled without
one is one payment. Two payments alike in all of these (same job, day and amount, and the same open amount
after each) cannot happen: the open amount falls with each.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from invoicing_plugin.domain.provider_events import PAYMENT, InvoiceRef, MalformedEvent, ProviderEvent

from .parsing import amount, day, moment, text

MAX_MESSAGES = 500  # status-notifications-events: "One batch contains max 500 messages"
ENVELOPE_KEYS = ("messages", "events", "data", "items")
# Ropo's status texts, as far as seen (reference §2.3): to our timeline kinds.
_STATUS_KINDS = (("remind", "reminded"), ("collect", "in_collection"), ("cancel", "cancelled"),
                 ("credit", "cancelled"), ("invoic", "sent"))
# Spellings read for one field (the schemas are not public; records.StatusUpdate reads the same).
_FIELDS = {
    "type": ("event", "type", "message_type", "eventtype"),
    "paidamount": ("paidamount", "paymentamount", "payment_amount"),
    "paydate": ("paydate", "paymentdate"),
    "openamount": ("openamount", "open_amount"),
    "status": ("status", "currentstatus"),
    "statustext": ("statustext", "currentstatustext"),
    "date": ("date", "statusdate"),
}
PAYMENT_KEY_FIELDS = ("jobid", "billnum", "billcode", "paidamount", "paydate", "openamount")
UPDATE_KEY_FIELDS = ("type", "jobid", "billnum", "billcode", "status", "statustext", "date", "openamount",
                     "paidamount", "paydate")


def parse(payload: object) -> list[ProviderEvent]:
    messages, envelope_time = _messages(payload)
    if len(messages) > MAX_MESSAGES:
        raise MalformedEvent(f"at most {MAX_MESSAGES} messages per notification")
    return [message_event(message, f"messages[{i}]", envelope_time) for i, message in enumerate(messages)]


def _messages(payload: object) -> tuple[list, object]:
    if isinstance(payload, list):
        return payload, None
    if isinstance(payload, dict):
        found = next((payload[key] for key in ENVELOPE_KEYS if isinstance(payload.get(key), list)), None)
        if found is not None:
            created = payload.get("created_at") or next(
                (value for key, value in payload.items() if key.startswith("created_") and isinstance(value, str)
                 and not key.endswith(("_by", "_id"))), None)
            return found, created
    raise MalformedEvent('the body must be a batch of messages: {"created_…": …, "messages": [...]}')


def field(message: Mapping[str, Any], name: str) -> Any:
    return next((message[key] for key in _FIELDS.get(name, (name,)) if message.get(key) not in (None, "")), None)


def _canonical(name: str, value: Any) -> str | None:
    """One spelling per value: jobid 1000001 and "1000001" alike, amounts "10.5" and "10.50" alike."""
    if value is None or value == "":
        return None
    if name in ("paidamount", "openamount"):
        try:
            number = Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            return str(value)
        return format(number.normalize(), "f") if number.is_finite() else str(value)
    return str(value)


def content_key(message: Mapping[str, Any], fields: tuple[str, ...] = UPDATE_KEY_FIELDS) -> str:
    """A stable id for an update without one: SHA-256 over the canonical JSON of its identifying fields."""
    canonical = json.dumps({name: _canonical(name, field(message, name)) for name in fields}, sort_keys=True,
                           separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def message_event(message: object, where: str = "message", envelope_time: object = None) -> ProviderEvent:
    if not isinstance(message, dict):
        raise MalformedEvent(f"{where} must be an object")
    event_id = text(message.get("id"), f"{where}.id", limit=200) or content_key(message)
    provider_type = text(field(message, "type"), f"{where}.event") or "jobstatus"
    status_text = text(field(message, "statustext"), f"{where}.statustext") or ""
    occurred = _occurred(message, where, envelope_time)
    invoice = InvoiceRef(number=text(message.get("billnum"), f"{where}.billnum"),
                         reference=text(message.get("billcode"), f"{where}.billcode"))
    if invoice.number is None and invoice.reference is None:
        raise MalformedEvent(f"{where} names no invoice (billnum or billcode)")
    detail = {"status": status_text, "open_amount": field(message, "openamount"), "jobid": message.get("jobid")}
    if provider_type == "payment":
        return ProviderEvent(
            event_id=event_id, kind=PAYMENT, provider_type=provider_type, occurred_at=occurred, invoice=invoice,
            amount=amount(field(message, "paidamount"), f"{where}.paidamount"),
            paid_on=day(field(message, "paydate") or field(message, "date"), f"{where}.paydate"),
            payment_id=content_key(message, PAYMENT_KEY_FIELDS), detail=detail, raw=message,
        )
    lowered = status_text.lower()
    kind = next((kind for word, kind in _STATUS_KINDS if word in lowered), "status")
    return ProviderEvent(event_id=event_id, kind=kind, provider_type=provider_type, occurred_at=occurred,
                         invoice=invoice, detail=detail, raw=message)


def _occurred(message: dict, where: str, envelope_time: object) -> datetime:
    if message.get("created_at"):
        return moment(message["created_at"], f"{where}.created_at")
    if field(message, "date"):
        return datetime.combine(day(field(message, "date"), f"{where}.date"), datetime.min.time(), UTC)
    if envelope_time:
        return moment(envelope_time, "created_at")
    raise MalformedEvent(f"{where} has no date")
