"""What the operator sandbox holds (documents, accepted idempotency keys, faults, counters), under a lock."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field

from adapters.loopback import take_fault

from .document_facts import same_address

FAULT_KINDS = ("500", "429", "timeout_after_store", "timeout_before_store", "down")
# Longer than the channel's default read timeout (30 s), so a "timeout" fault is one for a default client.
DEFAULT_FAULT_DELAY = 35.0


@dataclass(frozen=True)
class StoredDocument:
    id: str
    number: str
    sender: str
    to: str
    format: str
    content_type: str
    received_at: str  # ISO 8601, UTC
    sha256: str
    body: bytes = field(repr=False)
    idempotency_key: str | None
    credit_note: bool = False
    credited_number: str | None = None  # a credit note: the invoice it credits

    def item(self) -> dict[str, str]:
        """The document as a lookup lists it (protocol §5)."""
        return {"id": self.id, "number": self.number, "sender": self.sender, "to": self.to,
                "format": self.format, "received_at": self.received_at, "sha256": self.sha256}

    def link(self) -> dict[str, object]:
        """What the sandbox's state shows of a credit note's link to its invoice."""
        return {"credit_note": self.credit_note, "credited_number": self.credited_number}


@dataclass
class Fault:
    kind: str
    remaining: int
    retry_after: int = 30
    delay: float = DEFAULT_FAULT_DELAY


class DuplicateNumber(Exception):
    """The sender already sent a document with this invoice number (protocol §3, 409)."""

    def __init__(self, held: StoredDocument) -> None:
        super().__init__(f"{held.sender} already sent invoice {held.number}")
        self.held = held


class UnknownCreditedInvoice(Exception):
    """A credit note that refers to no invoice this sender sent this recipient (422)."""


class ReusedKey(Exception):
    """The Idempotency-Key was accepted before with another document (protocol §4, 422)."""


@dataclass
class SandboxStore:
    lock: threading.RLock = field(default_factory=threading.RLock)
    documents: list[StoredDocument] = field(default_factory=list)
    # (api key, Idempotency-Key) -> the document accepted under it; keyed per api key as an operator's
    # accounts are, so two customers' keys cannot collide.
    accepted_keys: dict[tuple[str, str], StoredDocument] = field(default_factory=dict)
    received: Counter = field(default_factory=Counter)  # (sender, number) -> sends that carried it
    requests: Counter = field(default_factory=Counter)  # "total", a route, or an outcome
    faults: list[Fault] = field(default_factory=list)

    def count(self, *names: str) -> None:
        with self.lock:
            self.requests.update(names)

    def take_fault(self) -> Fault | None:
        """The fault that applies to this request, if any, counting it down."""
        return take_fault(self.faults, self.lock, self.requests)

    def note_received(self, sender: str, number: str) -> None:
        with self.lock:
            self.received[(sender, number)] += 1

    def accepted_under(self, api_key: str, idempotency_key: str | None, sha256: str) -> StoredDocument | None:
        """The document accepted before under this key (protocol §4); ReusedKey when it was another one."""
        if not idempotency_key:
            return None
        with self.lock:
            held = self.accepted_keys.get((api_key, idempotency_key))
        if held is not None and held.sha256 != sha256:
            raise ReusedKey(f"Idempotency-Key {idempotency_key} was used for another document")
        return held

    def add(self, api_key: str, *, number: str, sender: str, to: str, document_format: str, content_type: str,
            received_at: str, sha256: str, body: bytes, idempotency_key: str | None,
            credit_note: bool = False, credited_number: str | None = None) -> tuple[StoredDocument, bool]:
        """Store a document; (document, replayed). Checks and store in one locked step, so concurrent sends
        of one invoice leave one copy whichever comes first."""
        with self.lock:
            replayed = self.accepted_under(api_key, idempotency_key, sha256)
            if replayed is not None:
                return replayed, True
            held = next((d for d in self.documents if same_address(d.sender, sender) and d.number == number),
                        None)
            if held is not None:
                raise DuplicateNumber(held)
            if credit_note and not self.holds_invoice(sender, to, credited_number):
                raise UnknownCreditedInvoice(
                    f"credit note {number} credits invoice {credited_number or '(none named)'}, which {sender} "
                    f"never sent to {to} through this operator")
            stored = StoredDocument(
                id=str(uuid.uuid4()), number=number, sender=sender, to=to, format=document_format,
                content_type=content_type, received_at=received_at, sha256=sha256, body=body,
                idempotency_key=idempotency_key, credit_note=credit_note, credited_number=credited_number)
            self.documents.append(stored)
            if idempotency_key:
                self.accepted_keys[(api_key, idempotency_key)] = stored
            return stored, False

    def holds_invoice(self, sender: str, to: str, number: str | None) -> bool:
        """Whether this sender sent invoice `number` to this recipient: what a credit note must refer to."""
        with self.lock:
            return number is not None and any(
                not d.credit_note and d.number == number and same_address(d.sender, sender)
                and same_address(d.to, to) for d in self.documents)

    def find(self, number: str | None, sender: str | None) -> list[StoredDocument]:
        with self.lock:
            return [d for d in self.documents
                    if number in (None, d.number) and (sender is None or same_address(d.sender, sender))]

    def document(self, document_id: str) -> StoredDocument | None:
        with self.lock:
            return next((d for d in self.documents if d.id == document_id), None)

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            accepted = Counter((d.sender, d.number) for d in self.documents)
            return {
                "documents": [
                    {**d.item(), **d.link(), "content_type": d.content_type, "size": len(d.body),
                     "idempotency_key": d.idempotency_key, "received": self.received[(d.sender, d.number)],
                     "accepted": accepted[(d.sender, d.number)]}
                    for d in self.documents],
                "numbers": [{"sender": sender, "number": number, "received": count,
                             "accepted": accepted[(sender, number)]}
                            for (sender, number), count in sorted(self.received.items())],
                "requests": dict(self.requests),
                "faults": [asdict(f) for f in self.faults],
            }

    def reset(self) -> None:
        with self.lock:
            self.documents.clear()
            self.accepted_keys.clear()
            self.received.clear()
            self.requests.clear()
            self.faults.clear()
