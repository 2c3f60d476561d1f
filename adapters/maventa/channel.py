"""Channel "maventa": uploads an invoice's Finvoice 3.0 or Peppol UBL to Maventa and reads back its status.

Idempotency follows Maventa's own rule ("Invoice sending via API", documentation.maventa.com/integration-guide/
invoice-sending/invoice-sending-via-api): we choose the invoice's UUID ourselves, derived from the company and
the delivery's idempotency key, so every attempt of one delivery names the same invoice. After an unknown
outcome the worker's re-check (`lookup`) reads that UUID (`GET /v1/invoices/{id}`): found means created, 404
means send again; an upload answered 409 (the UUID exists) is read the same way.

Validation, per Maventa's "Validation" page (documentation.maventa.com/integration-guide/business-document-
messages/validation): a document failing the minimum requirements is refused by the API at upload; schematron
(Peppol BIS, EN 16931) is checked when the invoice is routed, and a failure shows as status ERROR (99). So
after an upload the channel reads the status once: ERROR ends the delivery (not retryable) with Maventa's
reason, PENDING or SENT is delivered to Maventa, which sends it on.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

import requests

from adapters.base import AdapterError, DeliveryContext, DeliveryResult, InvoiceData, credited_external_id
from adapters.egress import safe_session
from adapters.einvoice.document_facts import UnreadableDocument, read_facts
from invoicing_plugin.domain.errors import DomainError

from .client import Conflict, InvoiceStatus, MaventaClient
from .config import MaventaConfig

# Namespace of the invoice UUIDs we choose (uuid5 over company and idempotency key): stable across releases.
INVOICE_NAMESPACE = uuid.UUID("6f1c7a52-2d0e-5b8e-9a57-6d9a7f0c3e11")


def invoice_uuid(company_uuid: str, idempotency_key: str) -> str:
    """The UUID one delivery's invoice has at Maventa, whichever attempt creates it."""
    return str(uuid.uuid5(INVOICE_NAMESPACE, f"{company_uuid.lower()}/{idempotency_key}"))


class MaventaChannel:
    """adapters.base.Channel for one tenant's Maventa account."""

    name = "maventa"

    def __init__(self, config: MaventaConfig, *, session: requests.Session | None = None,
                 client: MaventaClient | None = None) -> None:
        self.config = config
        self.client = client or MaventaClient(config, session or safe_session())

    def deliver(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult:
        if invoice.kind == "credit_note":
            credited_external_id(invoice, context, "Maventa")  # never overtake the credited invoice
        document = self._document(invoice, context)
        invoice_id = invoice_uuid(self.config.company_uuid, context.idempotency_key)
        what = f"send invoice {invoice.number}"
        try:
            self.client.upload(document, filename=_filename(invoice.number), invoice_id=invoice_id, what=what)
            outcome = "accepted"
        except Conflict:
            outcome = "already held"  # an earlier attempt created it; its status says the rest
        status = self.client.status(invoice_id, f"read the status of invoice {invoice.number}")
        if status is None:
            if outcome == "accepted":  # created but not yet listed: Maventa holds it under our UUID
                return self._result(invoice, InvoiceStatus(id=invoice_id, status="PENDING"), outcome)
            raise AdapterError(f"Maventa {what}: the invoice UUID {invoice_id} exists but cannot be read; ask "
                               "Maventa before retrying", retryable=False, code="conflict_unreadable")
        return self._result(invoice, self._checked(invoice, status), outcome)

    def lookup(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult | None:
        invoice_id = invoice_uuid(self.config.company_uuid, context.idempotency_key)
        status = self.client.status(invoice_id, f"look up invoice {invoice.number}")
        return None if status is None else self._result(invoice, self._checked(invoice, status), "found")

    def invoice_status(self, external_id: str) -> InvoiceStatus | None:
        """The status Maventa reports now for an invoice this channel delivered (its external id)."""
        return self.client.status(external_id, f"read the status of invoice {external_id}")

    def _checked(self, invoice: InvoiceData, status: InvoiceStatus) -> InvoiceStatus:
        if status.number and status.number != invoice.number:
            raise AdapterError(f"Maventa holds invoice {status.number} under the UUID of invoice {invoice.number} "
                               f"({status.id}); resolve it with Maventa", retryable=False, code="number_conflict")
        if status.failed:
            # Not retryable: the same document would fail the same way; a person fixes the invoice or the route.
            raise AdapterError(f"Maventa could not send invoice {invoice.number} ({status.status}): "
                               f"{status.reason()}", retryable=False, response_excerpt=status.reason()[:500],
                               code="delivery_failed")
        return status

    def _result(self, invoice: InvoiceData, status: InvoiceStatus, outcome: str) -> DeliveryResult:
        return DeliveryResult(
            external_id=status.id, http_status=200,
            response_excerpt=f"Maventa invoice {status.id}, number {invoice.number}, status {status.status}",
            details={"maventa_id": status.id, "status": status.status, "invoice_number": invoice.number,
                     "format": self.config.format, "recipient": status.recipient or "", "outcome": outcome})

    def _document(self, invoice: InvoiceData, context: DeliveryContext) -> bytes:
        document_format = self.config.format
        if context.documents is None:
            raise AdapterError(f"invoice {invoice.number}: no rendered {document_format} document was handed to "
                               "the Maventa channel", retryable=False, code="no_document")
        try:
            document = context.documents(document_format)
        except DomainError as error:  # e.g. no Peppol-usable address, or a pro forma
            raise AdapterError(f"invoice {invoice.number}: {error.detail}", retryable=False,
                               code="document_not_possible") from None
        try:
            number = read_facts(document, document_format).number
        except UnreadableDocument as error:
            raise AdapterError(f"invoice {invoice.number}: the {document_format} document is unreadable: {error}",
                               retryable=False, code="unreadable_document") from None
        if number != invoice.number:  # a wiring mistake would send someone else's invoice
            raise AdapterError(f"invoice {invoice.number}: the {document_format} document handed over is invoice "
                               f"{number}", retryable=False, code="wrong_document")
        return document


def _filename(number: str) -> str:
    return "invoice-" + (re.sub(r"[^A-Za-z0-9._-]", "_", number) or "unnumbered") + ".xml"


def maventa_channel(settings: Mapping[str, object]) -> MaventaChannel:
    """The channel factory (entry point group `invoicing_plugin.channels`): `company_uuid`, `user_api_key`,
    `vendor_api_key` (required), `format` (finvoice | ubl), `base_url` (default https://ax.maventa.com; the
    test environment is https://ax-stage.maventa.com), `scope`, `connect_timeout`, `read_timeout`."""
    return MaventaChannel(MaventaConfig.from_settings(settings))
