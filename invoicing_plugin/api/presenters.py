"""Orders and invoices as the data of their response schemas: Python values (Decimal, date, UUID), no JSON text.

The schemas of api/schemas/output.py turn this data into JSON (money with the currency's decimals, ISO dates);
tests/contract checks every documented response against its schema.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from ..db import Invoice, Order
from ..domain.lifecycle import ISSUED, InvoiceKind
from ..domain.money import tidy
from ..domain.payments import open_amount
from ..services.queries import CreditLinks
from ..services.rows import NewRow


def invoice_summary(invoice: Invoice | NewRow) -> dict:
    return {
        "id": invoice.id, "kind": invoice.kind, "status": invoice.status,
        "payment_status": invoice.payment_status, "source": invoice.source, "series": invoice.series,
        "number": invoice.number, "reference": invoice.reference, "reference_rf": invoice.reference_rf,
        "customer_id": invoice.customer_id, "buyer_name": invoice.buyer["name"],
        "invoice_date": invoice.invoice_date, "tax_date": invoice.tax_date, "due_date": invoice.due_date,
        "currency": invoice.currency,
        "total_net": invoice.total_net, "total_vat": invoice.total_vat, "total_gross": invoice.total_gross,
        "paid_amount": invoice.paid_amount, "credited_amount": invoice.credited_amount,
        "allocated_amount": invoice.allocated_amount, "open_amount": open_amount_of(invoice),
        "credited_invoice_id": invoice.credited_invoice_id, "cancelled_by_id": invoice.cancelled_by_id,
        "converted_to_id": invoice.converted_to_id,
        "hold_reason": invoice.hold_reason, "vat_check_id": invoice.vat_check_id,
        # An invoice in another currency than EUR: the rate and its VAT total in euros (art. 230).
        "exchange_rate": format(tidy(invoice.exchange_rate), "f") if invoice.exchange_rate is not None else None,
        "total_vat_eur": format(invoice.total_vat_national.quantize(Decimal("0.01")), "f")
        if invoice.total_vat_national is not None else None,
        "created_at": invoice.created_at, "finalized_at": invoice.finalized_at, "closed_at": invoice.closed_at,
    }


def open_amount_of(invoice: Invoice | NewRow) -> Decimal:
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in ISSUED:
        return Decimal(0)
    return open_amount(invoice.total_gross, invoice.paid_amount, invoice.credited_amount, invoice.allocated_amount)


def document_link(invoice: Invoice) -> dict:
    return {"id": invoice.id, "kind": invoice.kind, "status": invoice.status, "number": invoice.number,
            "invoice_date": invoice.invoice_date, "currency": invoice.currency, "total_gross": invoice.total_gross}


def service_period(line: Any) -> dict | None:
    """The line's service period as {start, end}, or None when it bills none."""
    if line.service_period_start is None or line.service_period_end is None:
        return None
    return {"start": line.service_period_start, "end": line.service_period_end}


def invoice_detail(invoice: Invoice | NewRow, order_ids: list[uuid.UUID], links: CreditLinks | None = None
                   ) -> dict:
    """The whole invoice; `links` (queries.credit_links) names the documents it refers to and that refer to it."""
    links = links or CreditLinks()
    currency = invoice.currency  # lines and VAT groups carry it: their amounts are written in it
    return {
        **invoice_summary(invoice),
        "payment_terms_days": invoice.payment_terms_days,
        "prices_include_vat": invoice.prices_include_vat,
        "language": invoice.language,
        "buyer": invoice.buyer,
        "seller": invoice.seller,
        "contact": invoice.contact,
        "buyer_reference": invoice.buyer_reference,
        "notes": invoice.notes,
        "vat_breakdown": [
            {
                "currency": currency, "vat_category": group.category, "vat_rate": group.rate,
                "taxable_amount": group.taxable_amount, "vat_amount": group.vat_amount,
                "gross_amount": group.gross_amount,
            }
            for group in invoice.vat_breakdown
        ],
        "lines": [
            {
                "currency": currency, "id": line.id, "position": line.position, "order_id": line.order_id,
                "sku": line.sku,
                "description": line.description, "quantity": line.quantity, "unit": line.unit,
                "unit_price": line.unit_price, "discount_percent": line.discount_percent,
                "vat_rate": line.vat_rate, "vat_category": line.vat_category,
                "net_amount": line.net_amount, "vat_amount": line.vat_amount, "gross_amount": line.gross_amount,
                "credited_line_id": line.credited_line_id, "credit_type": line.credit_type,
                "service_period": service_period(line),
            }
            for line in invoice.lines
        ],
        "order_ids": order_ids,
        "discarded_at": invoice.discarded_at,
        "cancelled_at": invoice.cancelled_at,
        "credit_reason": invoice.credit_reason,
        "credited_invoice": document_link(links.credited_invoice) if links.credited_invoice else None,
        "cancelled_by": document_link(links.cancelled_by) if links.cancelled_by else None,
        "credit_notes": [document_link(note) for note in links.credit_notes],
        "version": invoice.version,
        "updated_at": invoice.updated_at,
    }


def order_summary(order: Order | NewRow) -> dict:
    return {
        "id": order.id, "external_id": order.external_id, "source": order.source, "status": order.status,
        "invoicing_mode": order.invoicing_mode, "store_id": order.store_id, "terminal_id": order.terminal_id,
        "cashier": order.cashier, "customer_id": order.customer_id, "invoice_id": order.invoice_id,
        "currency": order.currency, "created_at": order.created_at,
    }


def order_result(order: Order | NewRow, invoice: Invoice | NewRow | None, order_ids: list[uuid.UUID]) -> dict:
    return {"order": order_summary(order), "invoice": invoice_detail(invoice, order_ids) if invoice else None}
