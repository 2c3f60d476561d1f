"""The e-invoice channel: posts an invoice's Finvoice or UBL document to an operator (protocol.py)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from adapters.base import AdapterError, DeliveryContext, DeliveryResult, InvoiceData, credited_external_id
from adapters.egress import safe_session
from invoicing_plugin.domain.errors import DomainError

from .config import EInvoiceConfig
from .document_facts import DocumentFacts, UnreadableDocument, read_facts, same_address
from .errors import DuplicateInvoice, error_for_response, excerpt, transport_error
from .protocol import (
    CONTENT_TYPES,
    FINVOICE_FORMATS,
    FORMAT_HEADER,
    IDEMPOTENCY_HEADER,
    INVOICES_PATH,
    NUMBER_HEADER,
    REPLAYED_HEADER,
    SENDER_HEADER,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One invoice's document as it goes out, and what it says about itself."""

    number: str
    sender: str  # the seller's e-invoice address
    document: bytes
    facts: DocumentFacts
    sha256: str


class EInvoiceChannel:
    """Channel "einvoice" (adapters.base.Channel) for an operator speaking protocol.py.

    Idempotency twice over: the delivery's idempotency key rides on every attempt (protocol §4), and the
    operator keeps (sender, invoice number) unique (§3, 409). After a 409, or when the worker asks before
    a re-send, the channel looks the number up (§5) and calls a held document delivered only when it is
    provably this invoice's: same number, sender and recipient, and the same bytes when the operator
    tells their SHA-256. Anything else under our number is a conflict for a person, never a success.
    """

    name = "einvoice"

    def __init__(self, config: EInvoiceConfig, *, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or safe_session()

    def deliver(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult:
        if invoice.kind == "credit_note":
            # Protocol §6: the operator takes a credit note only for an invoice it already delivered.
            credited_external_id(invoice, context, "the e-invoice operator")
        outgoing = self._outgoing(invoice, context)
        what = f"send invoice {outgoing.number}"
        # Protocol §2: the rendered bytes untouched, with the headers the operator checks and dedupes by.
        response = self._request("POST", what, data=outgoing.document, headers={
            "Content-Type": CONTENT_TYPES[self.config.format],
            FORMAT_HEADER: self.config.format,
            NUMBER_HEADER: outgoing.number,
            SENDER_HEADER: outgoing.sender,
            IDEMPOTENCY_HEADER: context.idempotency_key,
        })
        if 200 <= response.status_code < 300:
            return self._accepted(response, outgoing)
        error = error_for_response(response, what, [self.config.api_key])
        if isinstance(error, DuplicateInvoice):
            # Protocol §3, 409: this sender already sent this number; it counts only if it is ours (§5).
            found = self._find(outgoing, outcome="already held")
            if found is None:
                raise AdapterError(
                    f"e-invoice operator {what}: the operator says {outgoing.sender} already sent invoice "
                    f"{outgoing.number} but does not list it; ask the operator before retrying",
                    retryable=False, http_status=error.http_status, response_excerpt=error.response_excerpt,
                    code="duplicate_not_found")
            return DeliveryResult(external_id=found.external_id, http_status=error.http_status,
                                  response_excerpt=error.response_excerpt, details=found.details)
        raise error

    def lookup(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult | None:
        return self._find(self._outgoing(invoice, context), outcome="found")

    def _outgoing(self, invoice: InvoiceData, context: DeliveryContext) -> Outgoing:
        """The document to send, after every check that can fail without asking the operator."""
        document_format = self.config.format
        missing = self._missing_addresses(invoice)
        if missing:
            kind = "a Finvoice" if document_format in FINVOICE_FORMATS else "a Peppol UBL"
            raise AdapterError(f"invoice {invoice.number} cannot go as {kind} e-invoice: missing "
                               f"{' and '.join(missing)}", retryable=False, code="missing_einvoice_address")
        if context.documents is None:
            raise AdapterError(f"invoice {invoice.number}: no rendered {document_format} document was handed "
                               "to the e-invoice channel", retryable=False, code="no_document")
        try:
            document = context.documents(document_format)
        except DomainError as error:  # e.g. a pro forma has no Peppol document type
            raise AdapterError(f"invoice {invoice.number}: {error.detail}", retryable=False,
                               code="document_not_possible") from None
        try:
            facts = read_facts(document, document_format)
        except UnreadableDocument as error:
            raise AdapterError(f"invoice {invoice.number}: the {document_format} document is unreadable: "
                               f"{error}", retryable=False, code="unreadable_document") from None
        if facts.number != invoice.number:
            # A wiring mistake would otherwise send someone else's invoice under our number.
            raise AdapterError(f"invoice {invoice.number}: the {document_format} document handed over is "
                               f"invoice {facts.number}", retryable=False, code="wrong_document")
        if not facts.recipient:
            raise AdapterError(f"invoice {invoice.number}: the {document_format} document names no recipient "
                               "address for the operator to route by", retryable=False, code="no_recipient")
        return Outgoing(number=invoice.number, sender=(invoice.seller.einvoice_address or "").strip(),
                        document=document, facts=facts, sha256=hashlib.sha256(document).hexdigest())

    def _missing_addresses(self, invoice: InvoiceData) -> list[str]:
        """The addresses this format needs and the invoice lacks: the seller's address is the operator's
        sender (X-Sender, lookup); Finvoice also carries both ends' addresses and operators in its
        MessageTransmissionDetails, which the generator leaves out when any is missing."""
        wanted = [("seller", "address")]
        if self.config.format in FINVOICE_FORMATS:
            wanted = [(party, what) for party in ("buyer", "seller") for what in ("address", "operator")]
        missing = [(party, what) for party, what in wanted
                   if not (getattr(getattr(invoice, party), f"einvoice_{what}") or "").strip()]
        parties = dict.fromkeys(party for party, _ in missing)
        return [f"the {party}'s e-invoice " + " and ".join(what for p, what in missing if p == party)
                for party in parties]

    def _accepted(self, response: requests.Response, outgoing: Outgoing) -> DeliveryResult:
        try:
            body = response.json()
        except ValueError:
            body = {}
        # Taken is taken: an answer without a readable id must not turn into an error and a re-send.
        operator_id = str(body["id"]) if isinstance(body, dict) and body.get("id") else None
        replayed = response.headers.get(REPLAYED_HEADER, "").lower() == "true"
        return DeliveryResult(
            external_id=operator_id, http_status=response.status_code,
            response_excerpt=excerpt(response, [self.config.api_key]),
            details=self._details(outgoing, operator_id, "replayed" if replayed else "accepted"),
        )

    def _find(self, outgoing: Outgoing, *, outcome: str) -> DeliveryResult | None:
        what = f"look up invoice {outgoing.number}"
        # Protocol §5: what this sender sent under our number.
        response = self._request("GET", what, params={"number": outgoing.number, "sender": outgoing.sender})
        if not 200 <= response.status_code < 300:
            raise error_for_response(response, what, [self.config.api_key])
        items = _items(response, what, excerpt(response, [self.config.api_key]))
        held = [item for item in items if str(item.get("number", "")).strip() == outgoing.number
                and same_address(str(item.get("sender", "")), outgoing.sender)]
        if not held:
            return None
        ours = [item for item in held if same_address(str(item.get("to", "")), outgoing.facts.recipient)
                and (not item.get("sha256") or item["sha256"] == outgoing.sha256)]
        if not ours:
            other = held[0]
            differs = (f"addressed to {other.get('to')}, not to {outgoing.facts.recipient}"
                       if not same_address(str(other.get("to", "")), outgoing.facts.recipient)
                       else "with other content than this invoice's document")
            raise AdapterError(
                f"e-invoice operator already holds invoice {outgoing.number} from {outgoing.sender} "
                f"{differs} (operator id {other.get('id')}); resolve it with the operator before retrying",
                retryable=False, http_status=response.status_code, code="number_conflict")
        first = min(ours, key=lambda item: str(item.get("received_at", "")))
        operator_id = str(first.get("id")) if first.get("id") else None
        return DeliveryResult(
            external_id=operator_id, http_status=response.status_code,
            response_excerpt=f"operator id {operator_id}, invoice {outgoing.number}, to {first.get('to')}, "
                             f"format {first.get('format')}, received {first.get('received_at')}",
            details=self._details(outgoing, operator_id, outcome),
        )

    def _details(self, outgoing: Outgoing, operator_id: str | None, outcome: str) -> dict[str, str]:
        return {"operator_id": operator_id or "", "invoice_number": outgoing.number,
                "sender": outgoing.sender, "recipient": outgoing.facts.recipient or "",
                "format": self.config.format, "sha256": outgoing.sha256, "outcome": outcome}

    def _request(self, method: str, what: str, **kwargs: Any) -> requests.Response:
        config = self.config
        headers = {"Authorization": f"Bearer {config.api_key}", "Accept": "application/json",
                   **kwargs.pop("headers", {})}
        started = time.monotonic()
        try:
            response = self.session.request(
                method, config.base_url + INVOICES_PATH, headers=headers,
                timeout=(config.connect_timeout, config.read_timeout), allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            raise transport_error(error, what, config.connect_timeout, config.read_timeout) from None
        # Method, path and status only: headers carry the key.
        log.info("einvoice %s %s -> %s in %.0f ms", method, INVOICES_PATH, response.status_code,
                 (time.monotonic() - started) * 1000)
        return response


def _items(response: requests.Response, what: str, text: str) -> list[Mapping[str, object]]:
    """The lookup's items (protocol §5); an answer in another shape is a mismatch a retry cannot fix."""
    try:
        body = response.json()
    except ValueError:
        body = None
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise AdapterError(f"e-invoice operator {what}: unreadable answer", retryable=False,
                           http_status=response.status_code, response_excerpt=text, code="unreadable_answer")
    return items


def einvoice_channel(settings: Mapping[str, object]) -> EInvoiceChannel:
    """The channel factory (entry point group `invoicing_plugin.channels`) from one tenant's settings:
    `base_url`, `api_key` (required), `format` (finvoice | finvoice_soap | ubl), `connect_timeout`,
    `read_timeout` (seconds)."""
    return EInvoiceChannel(EInvoiceConfig.from_settings(settings))
