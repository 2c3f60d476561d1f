"""Orders and invoices as the data of their response schemas: Python values (Decimal, date, UUID), no JSON text.

The schemas of api/schemas/output.py turn this data into JSON (money with the currency's decimals, ISO dates);
tests/contract checks every documented response against its schema.
"""

from __future__ import annotations

import uuid

from ..db import Invoice, Order
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
        "paid_amount": invoice.paid_amount,
        "created_at": invoice.created_at, "finalized_at": invoice.finalized_at,
    }


def invoice_detail(invoice: Invoice | NewRow, order_ids: list[uuid.UUID]) -> dict:
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
                "currency": currency, "position": line.position, "order_id": line.order_id, "sku": line.sku,
                "description": line.description, "quantity": line.quantity, "unit": line.unit,
                "unit_price": line.unit_price, "discount_percent": line.discount_percent,
                "vat_rate": line.vat_rate, "vat_category": line.vat_category,
                "net_amount": line.net_amount, "vat_amount": line.vat_amount, "gross_amount": line.gross_amount,
            }
            for line in invoice.lines
        ],
        "order_ids": order_ids,
        "discarded_at": invoice.discarded_at,
        "version": invoice.version,
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
