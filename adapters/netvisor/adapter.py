"""The Netvisor delivery channel: creates our invoice in Netvisor once, and finds it again by our number."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

import requests

from adapters.base import AdapterError, DeliveryContext, DeliveryResult, EventPage, InvoiceData, credited_external_id

from .client import NetvisorClient, SalesInvoiceSummary
from .config import NetvisorConfig
from .invoice_xml import netvisor_invoice_number, sales_invoice_xml, sent_number
from .registers import MemoryRefs, Registers


class NetvisorChannel:
    """Channel protocol (adapters/base.py) for Netvisor.

    Netvisor has no idempotency key. Our invoice number is the key instead: Netvisor refuses a second
    invoice with the same SalesInvoiceNumber (DUPLICATE_DATA), and then the channel looks the number up
    and reports the invoice Netvisor already holds as delivered. The worker's lookup before a re-send
    after an unknown outcome (reliability §3) uses the same search.
    """

    name = "netvisor"
    provider = "netvisor"  # PaymentSource: its sales payments, read by webhooks.providers.netvisor

    def __init__(
        self, config: NetvisorConfig, *, session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None, new_transaction_id: Callable[[], str] | None = None,
    ) -> None:
        self.config = config
        self.client = NetvisorClient(config, session=session, clock=clock,
                                     new_transaction_id=new_transaction_id)
        self._memory = MemoryRefs()  # the register mapping when the context brings no tenant store

    def deliver(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult:
        if invoice.kind == "proforma":
            # A proforma is an offer, not a sale: booking it would put revenue in the ledger.
            raise AdapterError("a proforma invoice is not booked in Netvisor", retryable=False)
        if invoice.kind == "credit_note":
            return self._deliver_credit_note(invoice, context)
        return self._import(invoice, context)

    def lookup(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult | None:
        if invoice.kind == "credit_note":
            # Held is not enough for a credit note: it may have been imported and not yet matched to its
            # invoice. `deliver` finds it again (DUPLICATE_DATA) and matches it, which repeats safely.
            return None
        held = self.find(invoice)
        return None if held is None else self._result(held, outcome="found")

    def _import(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult:
        """salesinvoice.nv?method=add (support.netvisor.fi 77000554152, "Import sales invoice"), after its
        customer and products are in Netvisor's registers (registers.py); a number Netvisor already holds as
        ours counts as delivered."""
        for line in invoice.lines:  # before any request: a body we cannot write is not worth a lookup
            try:
                self.config.vat_code(line.vat_category)
            except ValueError as error:  # a VAT category without a Netvisor VAT code
                raise AdapterError(str(error), retryable=False) from None
        refs = context.external_refs or self._memory
        resolved = Registers(self.client, self.config, refs).resolve(invoice)
        try:
            try:
                inserted = self.client.add_sales_invoice(sales_invoice_xml(invoice, self.config, resolved.links))
            except AdapterError as error:
                if error.code != "INVALID_DATA" or not resolved.from_mapping:
                    raise
                # A key we remembered may be gone from Netvisor (deleted there, or another company since):
                # look everything up again (creating what is missing), then send once more.
                resolved = Registers(self.client, self.config, refs, trust_mapping=False).resolve(invoice)
                inserted = self.client.add_sales_invoice(sales_invoice_xml(invoice, self.config, resolved.links))
        except AdapterError as error:
            if error.code == "INVALID_DATA" and resolved.missing:
                raise AdapterError(
                    f"{error.message} (not in Netvisor's registers, and create_missing is off: "
                    f"{', '.join(resolved.missing)}; add them in Netvisor, or turn create_missing on, "
                    "then retry)", retryable=False, http_status=error.http_status,
                    response_excerpt=error.response_excerpt, code=error.code) from None
            if error.code != "DUPLICATE_DATA":
                raise
            held = self.find(invoice)
            if held is None:  # the duplicate is of something we cannot see as our invoice
                raise
            return self._result(held, outcome="already held")
        return DeliveryResult(
            external_id=inserted.netvisor_key, http_status=inserted.http_status,
            response_excerpt=inserted.response_excerpt,
            details={"netvisor_key": inserted.netvisor_key,
                     "invoice_number": str(netvisor_invoice_number(invoice)), "outcome": "created"},
        )

    def _deliver_credit_note(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult:
        """A credit note is imported like an invoice with negative counts and sum total, and Netvisor does
        not link it to its invoice by itself: that takes matchcreditnote.nv with both NetvisorKeys
        (support.netvisor.fi articles 77000554152 and 77000554165). The invoice's key is the one its own
        delivery got; without one (that delivery failed for good, or never went this way) the invoice is
        looked up by number, since a person may have put it into Netvisor by hand."""
        invoice_key = credited_external_id(invoice, context, "Netvisor")
        if invoice_key is None:
            invoice_key = self._credited_key(invoice)
        imported = self._import(invoice, context)
        credit_note_key = imported.external_id
        if credit_note_key is None:  # _import always names the key; guard the type
            raise AdapterError(f"Netvisor named no key for credit note {invoice.number}", retryable=True)
        try:
            status, excerpt = self.client.match_credit_note(credit_note_key, invoice_key)
        except AdapterError as error:
            if error.retryable:
                raise
            raise AdapterError(
                f"credit note {invoice.number} is in Netvisor (NetvisorKey {credit_note_key}) but Netvisor refused "
                f"to match it to invoice {invoice.credited_invoice_number} (NetvisorKey {invoice_key}): "
                f"{error.message}", retryable=False, http_status=error.http_status,
                response_excerpt=error.response_excerpt, code=error.code) from None
        outcome = imported.details.get("outcome", "created")
        return DeliveryResult(
            external_id=credit_note_key, http_status=status, response_excerpt=excerpt or imported.response_excerpt,
            details={**imported.details, "outcome": f"{outcome}, matched", "credited_netvisor_key": invoice_key,
                     "credited_invoice_number": invoice.credited_invoice_number or ""},
        )

    def _credited_key(self, invoice: InvoiceData) -> str:
        """The NetvisorKey of the invoice a credit note credits, found by its number (§1.5); a refusal that
        names the invoice when Netvisor does not hold it, for a credit of nothing must not be booked."""
        credited = invoice.credited_invoice_number or ""
        number = sent_number(credited)
        held = None
        if number is not None:
            rows = [row for row in self.client.list_sales_invoices(invoice_number=str(number))
                    if _same_number(row.invoice_number, number)]
            reference = invoice.credited_invoice_reference
            held = next((row for row in sorted(rows, key=lambda row: _sort_key(row.netvisor_key))
                         if not row.reference_number or not reference
                         or _digits(row.reference_number) == _digits(reference)), None)
        if held is None:
            raise AdapterError(
                f"Netvisor holds no invoice {credited} for credit note {invoice.number} to credit; deliver the "
                "invoice to Netvisor first, then retry the credit note", retryable=False,
                code="credited_invoice_missing")
        return held.netvisor_key

    def find(self, invoice: InvoiceData) -> SalesInvoiceSummary | None:
        """Our invoice as Netvisor holds it, searched by number (§1.5 salesinvoicelist.nv?invoicenumber=).

        A row with our number but another reference number is someone else's invoice (typed in by hand,
        or from another of our series): that is a conflict a person must resolve, never a delivery.
        """
        number = netvisor_invoice_number(invoice)
        rows = [row for row in self.client.list_sales_invoices(invoice_number=str(number))
                if _same_number(row.invoice_number, number)]
        if not rows:
            return None
        ours = [row for row in rows if not row.reference_number
                or _digits(row.reference_number) == _digits(invoice.reference)]
        if ours:
            return min(ours, key=lambda row: _sort_key(row.netvisor_key))
        raise AdapterError(
            f"Netvisor already holds invoice number {number} with reference {rows[0].reference_number}, "
            f"not ours ({invoice.reference}); resolve it in Netvisor before retrying",
            retryable=False, code="DUPLICATE_DATA",
        )

    def fetch_events(self, cursor: str | None) -> EventPage:
        """Sales payments above the last NetvisorKey seen (§1.5 salespaymentlist.nv); failed bank payments
        are left out. The cursor is the highest key of the page."""
        payments = [p for p in self.client.list_sales_payments(above_netvisor_key=cursor)
                    if cursor is None or int(p.netvisor_key) > int(cursor)]
        if not payments:
            return EventPage([], cursor)
        events = [{"netvisor_key": p.netvisor_key, "date": p.date.isoformat() if p.date else None,
                   "amount": str(p.amount) if p.amount is not None else None, "reference": p.reference_number,
                   "invoice_number": p.invoice_number, "payer": p.payer_name}
                  for p in payments if p.bank_status != "FAILED"]
        return EventPage(events, str(max(int(p.netvisor_key) for p in payments)))

    def open_sum(self, invoice_number: str, reference: str | None) -> Decimal | None:
        """OpenSum of our invoice in Netvisor's invoice list (§1.5
        salesinvoicelist.nv?invoicenumber=), asked by the SalesInvoiceNumber the invoice was sent with:
        `invoice_number` is our number as issued ("A-1001", "20261001"), turned into the sent one the way
        the import did (netvisor_invoice_number), never the bare sequence number."""
        number = sent_number(invoice_number)
        if number is None:
            return None
        summaries = [s for s in self.client.list_sales_invoices(invoice_number=str(number))
                     if _same_number(s.invoice_number, number)]
        return next((s.open_sum for s in summaries if s.reference_number is None or reference is None
                     or _digits(s.reference_number) == _digits(reference)), None)

    @staticmethod
    def _result(held: SalesInvoiceSummary, *, outcome: str) -> DeliveryResult:
        return DeliveryResult(
            external_id=held.netvisor_key, http_status=200,
            response_excerpt=(f"NetvisorKey {held.netvisor_key}, invoice {held.invoice_number}, "
                              f"status {held.status}"),
            details={"netvisor_key": held.netvisor_key, "invoice_number": held.invoice_number,
                     "status": held.status, "outcome": outcome},
        )


def netvisor_channel(settings: Mapping[str, object]) -> NetvisorChannel:
    """The channel factory (entry point group `invoicing_plugin.channels`) from one tenant's settings."""
    return NetvisorChannel(NetvisorConfig.from_settings(settings))


def _digits(value: str) -> str:
    """A reference number compared as Netvisor may print it: spaces and leading zeros dropped."""
    return "".join(ch for ch in value if ch.isdigit()).lstrip("0")


def _same_number(held: str, ours: int) -> bool:
    return held.strip().isdigit() and int(held.strip()) == ours


def _sort_key(netvisor_key: str) -> tuple[int, str]:
    return (int(netvisor_key), "") if netvisor_key.isdigit() else (0, netvisor_key)
