"""HTTP client for the Netvisor API: signs each request, reads the envelope, maps failures to AdapterError."""

from __future__ import annotations

import logging
import re
import time
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - type only; parsing is wire.parse_xml
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlencode

import requests

from adapters.base import AdapterError
from adapters.egress import safe_session
from adapters.http import parse_retry_after

from . import wire
from .auth import auth_headers
from .config import DEFAULT_HOST, NetvisorConfig
from .invoice_xml import match_credit_note_xml

__all__ = ["DEFAULT_HOST", "Inserted", "NetvisorClient", "NetvisorConfig", "RegisterRow", "SalesInvoiceSummary",
           "SalesPayment", "error_for_response"]

log = logging.getLogger(__name__)

EXCERPT_CHARS = 500
# §1.3 codes. The service's spelling is "MAINTANANCE"; the corrected spelling is accepted in case it is fixed.
RETRYABLE_CODES = frozenset({"SYSTEM_MAINTANANCE", "SYSTEM_MAINTENANCE", "TECHNICAL_ERROR",
                             "REQUEST_NOT_UNIQUE"})
PERMANENT_CODES = frozenset({"AUTHENTICATION_FAILED", "INVALID_DATA", "INVALID_DATA_SIZE", "PERIOD_LOCK",
                             "SERVICE_ACCESS_ERROR", "DUPLICATE_DATA"})


@dataclass(frozen=True)
class Inserted:
    netvisor_key: str
    http_status: int
    response_excerpt: str


@dataclass(frozen=True)
class SalesInvoiceSummary:
    """One row of salesinvoicelist.nv (§1.5). `open_sum == 0` is the practical "paid" signal."""

    netvisor_key: str
    invoice_number: str
    status: str  # open, unsent, paid, ... as Netvisor writes it
    substatus: str | None  # e.g. "overdue"
    invoice_sum: Decimal | None
    open_sum: Decimal | None
    reference_number: str | None
    invoice_date: date | None


@dataclass(frozen=True)
class SalesPayment:
    """One row of salespaymentlist.nv (§1.5)."""

    netvisor_key: str
    date: date | None
    amount: Decimal | None
    reference_number: str | None
    invoice_number: str | None
    payer_name: str | None
    bank_status: str | None  # "OK" or "FAILED"


@dataclass(frozen=True)
class RegisterRow:
    """One row of customerlist.nv (`code`, `organisation_identifier`) or of productlist.nv (`code`)."""

    netvisor_key: str
    name: str
    code: str
    organisation_identifier: str | None = None


class NetvisorClient:
    def __init__(
        self, config: NetvisorConfig, *, session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None, new_transaction_id: Callable[[], str] | None = None,
    ) -> None:
        self.config = config
        self.session = session or safe_session()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.new_transaction_id = new_transaction_id or (lambda: uuid.uuid4().hex)

    def add_sales_invoice(self, body: bytes) -> Inserted:
        """Create an invoice. §1.4: POST salesinvoice.nv?method=add; the reply is its NetvisorKey."""
        return self._insert("salesinvoice.nv", body)

    def match_credit_note(self, credit_note_key: str, invoice_key: str) -> tuple[int, str]:
        """Link an imported credit note to the invoice it credits: POST matchcreditnote.nv with both
        NetvisorKeys (support.netvisor.fi article 77000554165; Netvisor never links them by itself,
        article 77000554152). The answer is a plain OK envelope; (HTTP status, excerpt)."""
        _, status, excerpt = self._call("POST", "matchcreditnote.nv", {},
                                        match_credit_note_xml(credit_note_key, invoice_key))
        return status, excerpt

    def list_customers(self, keyword: str) -> list[RegisterRow]:
        """GET customerlist.nv?keyword=... (support.netvisor.fi 77000554179, "Get customer list"): the
        keyword is matched against name, customer code, business ID and name extension, so the caller picks
        the exact match from the rows (Netvisorkey, Name, Code, OrganisationIdentifier)."""
        envelope, _, _ = self._call("GET", "customerlist.nv", {"keyword": keyword})
        rows = wire.children(wire.child(envelope.root, "Customerlist"), "Customer")
        return [RegisterRow(netvisor_key=wire.text(row, "Netvisorkey") or "", name=wire.text(row, "Name") or "",
                            code=wire.text(row, "Code") or "",
                            organisation_identifier=wire.text(row, "OrganisationIdentifier") or None)
                for row in rows]

    def add_customer(self, body: bytes) -> Inserted:
        """POST customer.nv?method=add (support.netvisor.fi 77000554181, "Import customer details"); the
        reply is the new customer's NetvisorKey in Replies/InsertedDataIdentifier."""
        return self._insert("customer.nv", body)

    def list_products(self, keyword: str) -> list[RegisterRow]:
        """GET productlist.nv?keyword=... (support.netvisor.fi 77000554240, "Get product list"): the keyword
        is matched against product name and code; rows carry NetvisorKey, ProductCode, Name."""
        envelope, _, _ = self._call("GET", "productlist.nv", {"keyword": keyword})
        rows = wire.children(wire.child(envelope.root, "ProductList"), "Product")
        return [RegisterRow(netvisor_key=wire.text(row, "NetvisorKey") or "", name=wire.text(row, "Name") or "",
                            code=wire.text(row, "ProductCode") or "") for row in rows]

    def add_product(self, body: bytes) -> Inserted:
        """POST product.nv?method=add (support.netvisor.fi 77000554243, "Import product"); the reply is the
        new product's NetvisorKey."""
        return self._insert("product.nv", body)

    def _insert(self, resource: str, body: bytes) -> Inserted:
        envelope, status, excerpt = self._call("POST", resource, {"method": "add"}, body)
        key = wire.text(envelope.root, "Replies", "InsertedDataIdentifier")
        if not key:
            raise wire.unreadable(resource, excerpt, status)
        return Inserted(netvisor_key=key, http_status=status, response_excerpt=excerpt)

    def list_sales_invoices(
        self, *, invoice_number: str | None = None, above_netvisor_key: str | int | None = None,
    ) -> list[SalesInvoiceSummary]:
        """§1.5: GET salesinvoicelist.nv with `invoicenumber` and/or `invoicesabovenetvisorkey`."""
        params = {"invoicenumber": invoice_number, "invoicesabovenetvisorkey": above_netvisor_key}
        envelope, _, excerpt = self._call("GET", "salesinvoicelist.nv", params)
        rows = wire.children(wire.child(envelope.root, "SalesInvoiceList"), "SalesInvoice")
        with _rows_of("salesinvoicelist.nv", excerpt):
            return [SalesInvoiceSummary(
                netvisor_key=wire.text(row, "NetvisorKey") or "",
                invoice_number=wire.text(row, "InvoiceNumber") or "",
                status=wire.text(row, "InvoiceStatus") or "",
                substatus=wire.attribute(wire.child(row, "InvoiceStatus"), "substatus") or None,
                invoice_sum=wire.parse_amount(wire.text(row, "InvoiceSum")),
                open_sum=wire.parse_amount(wire.text(row, "OpenSum")),
                reference_number=wire.text(row, "ReferenceNumber"),
                invoice_date=wire.parse_date(wire.text(row, "InvoiceDate")),
            ) for row in rows]

    def get_sales_invoice(self, netvisor_key: str | int) -> ET.Element | None:
        """§1.5: GET getsalesinvoice.nv?netvisorkey=...; the <SalesInvoice> element, None when Netvisor
        answers with an empty one (§1.3: "not found" is OK and empty)."""
        envelope, _, _ = self._call("GET", "getsalesinvoice.nv", {"netvisorkey": netvisor_key})
        found = wire.child(envelope.root, "SalesInvoice")
        return found if found is not None and len(found) else None

    def list_sales_payments(self, *, above_netvisor_key: str | int | None = None) -> list[SalesPayment]:
        """§1.5: GET salespaymentlist.nv?abovenetvisorkey=...; dates come as D.M.YYYY, sums with commas."""
        params = {"abovenetvisorkey": above_netvisor_key}
        envelope, _, excerpt = self._call("GET", "salespaymentlist.nv", params)
        rows = wire.children(wire.child(envelope.root, "SalesPaymentList"), "SalesPayment")
        with _rows_of("salespaymentlist.nv", excerpt):
            return [SalesPayment(
                netvisor_key=wire.text(row, "NetvisorKey") or "",
                date=wire.parse_date(wire.text(row, "Date")),
                amount=wire.parse_amount(wire.text(row, "Sum")),
                reference_number=wire.text(row, "ReferenceNumber"),
                invoice_number=wire.text(row, "InvoiceNumber"),
                payer_name=wire.text(row, "Name"),
                bank_status=wire.text(row, "BankStatus"),
            ) for row in rows]

    def _call(
        self, method: str, resource: str, params: Mapping[str, object], body: bytes | None = None,
    ) -> tuple[wire.Envelope, int, str]:
        """One signed request (§1.2) and its envelope (§1.3); every failure becomes an AdapterError."""
        config = self.config
        query = urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{config.host}/{resource}" + (f"?{query}" if query else "")
        headers = {"Content-Type": "text/xml; charset=utf-8"} if body is not None else {}
        prepared = self.session.prepare_request(requests.Request(method, url, data=body, headers=headers))
        transaction_id = self.new_transaction_id()
        # The MAC covers the URL exactly as it goes on the wire, so sign the prepared one.
        assert prepared.url is not None  # prepare_request always sets it
        prepared.headers.update(auth_headers(
            url=prepared.url, sender=config.sender, customer_id=config.customer_id,
            customer_key=config.customer_key, partner_id=config.partner_id, partner_key=config.partner_key,
            organisation_id=config.organisation_id, language=config.language, algorithm=config.mac_algorithm,
            now=self.clock(), transaction_id=transaction_id,
        ))
        started = time.monotonic()
        try:
            response = self.session.send(prepared, timeout=(config.connect_timeout, config.read_timeout),
                                         allow_redirects=False)
        except requests.exceptions.ConnectTimeout:
            raise AdapterError(f"Netvisor {resource}: could not connect within {config.connect_timeout:g} s",
                               retryable=True) from None
        except requests.exceptions.Timeout:
            raise AdapterError(f"Netvisor {resource}: no answer within {config.read_timeout:g} s; the "
                               "request may have been applied", retryable=True) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            raise AdapterError(f"Netvisor {resource}: connection failed ({type(error).__name__})",
                               retryable=True) from None
        except requests.exceptions.RequestException as error:
            raise AdapterError(f"Netvisor {resource}: request could not be sent ({type(error).__name__})",
                               retryable=False) from None
        log.info("netvisor %s %s -> %s in %.0f ms", method, resource, response.status_code,
                 (time.monotonic() - started) * 1000)
        excerpt = self._redact(response.content.decode("utf-8", "replace"), transaction_id)[:EXCERPT_CHARS]
        envelope = wire.read_envelope(response.content)
        if envelope is not None and envelope.ok and response.status_code < 300:
            return envelope, response.status_code, excerpt
        if envelope is None and response.status_code < 300:
            raise wire.unreadable(resource, excerpt, response.status_code)
        if envelope is not None:
            envelope = replace(envelope, message=self._redact(envelope.message, transaction_id))
        raise error_for_response(resource, response.status_code, envelope,
                                 response.headers.get("Retry-After"), excerpt, now=self.clock())

    def _redact(self, text: str, transaction_id: str) -> str:
        """Netvisor's AUTHENTICATION_FAILED echoes the string it hashed (§1.2), which ends with the keys it
        knows, and those need not be ours when ours are wrong: cut everything after our transaction id, and
        our own keys wherever they appear."""
        text = re.sub(re.escape(transaction_id) + r"[^<]*", transaction_id + "&[redacted]", text)
        for secret in (self.config.customer_key, self.config.partner_key):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


@contextmanager
def _rows_of(resource: str, excerpt: str) -> Iterator[None]:
    """A row we cannot read (an amount or date in a form we do not know) is a protocol mismatch for a
    person to look at, not something a retry fixes."""
    try:
        yield
    except ValueError as error:
        raise AdapterError(f"Netvisor {resource}: unreadable row ({error})", retryable=False,
                           response_excerpt=excerpt) from None


def error_for_response(
    resource: str, http_status: int, envelope: wire.Envelope | None, retry_after: str | None, excerpt: str,
    *, now: datetime | None = None,
) -> AdapterError:
    """The AdapterError for an answer that is not a plain OK: the service's code decides when it gave one
    we know (§1.3), else the HTTP status (5xx and 429 retryable, other 4xx permanent)."""
    code = envelope.code if envelope is not None else None
    detail = envelope.message if envelope is not None else ""
    if code in RETRYABLE_CODES:
        retryable = True
    elif code in PERMANENT_CODES:
        retryable = False
    else:
        retryable = http_status >= 500 or http_status == 429
    if code:
        message = f"Netvisor {resource}: {code}: {detail}".rstrip(": ")
    else:
        message = f"Netvisor {resource}: HTTP {http_status}" + (f": {detail}" if detail else "")
    return AdapterError(message, retryable=retryable, http_status=http_status, code=code,
                        retry_after=parse_retry_after(retry_after, now or datetime.now(UTC)),
                        response_excerpt=excerpt)
