"""Invoices and orders as JSON-ready dictionaries: money in the currency's minor unit, quantities as sent.

The shapes are the ones api/schemas/output.py documents; a test loads every response with its schema.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from ..db import Invoice, Order
from ..domain.currency import minor_units, quantum
from ..domain.money import tidy


def money_text(amount: Decimal, currency: str) -> str:
    return format(amount.quantize(quantum(currency)), "f")


def number_text(value: Decimal, min_places: int = 0) -> str:
    """'2' for 2.000000, '24.90' for a price in euros, '0.0125' when the price has more decimals."""
    return format(tidy(value, min_places), "f")


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def text_id(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def invoice_summary(invoice: Invoice) -> dict:
    currency = invoice.currency
    return {
        "id": str(invoice.id), "kind": invoice.kind, "status": invoice.status,
        "payment_status": invoice.payment_status, "source": invoice.source, "series": invoice.series,
        "number": invoice.number, "reference": invoice.reference, "reference_rf": invoice.reference_rf,
        "customer_id": str(invoice.customer_id), "buyer_name": invoice.buyer["name"],
        "invoice_date": iso(invoice.invoice_date), "tax_date": iso(invoice.tax_date), "due_date": iso(invoice.due_date),
        "currency": currency,
        "total_net": money_text(invoice.total_net, currency),
        "total_vat": money_text(invoice.total_vat, currency),
        "total_gross": money_text(invoice.total_gross, currency),
        "paid_amount": money_text(invoice.paid_amount, currency),
        "created_at": iso(invoice.created_at), "finalized_at": iso(invoice.finalized_at),
    }


def invoice_detail(invoice: Invoice, order_ids: list[uuid.UUID]) -> dict:
    currency = invoice.currency
    price_places = minor_units(currency)
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
                "vat_category": group.category, "vat_rate": number_text(group.rate),
                "taxable_amount": money_text(group.taxable_amount, currency),
                "vat_amount": money_text(group.vat_amount, currency),
                "gross_amount": money_text(group.gross_amount, currency),
            }
            for group in invoice.vat_breakdown
        ],
        "lines": [
            {
                "position": line.position, "order_id": text_id(line.order_id), "sku": line.sku,
                "description": line.description, "quantity": number_text(line.quantity), "unit": line.unit,
                "unit_price": number_text(line.unit_price, price_places),
                "discount_percent": number_text(line.discount_percent),
                "vat_rate": number_text(line.vat_rate), "vat_category": line.vat_category,
                "net_amount": money_text(line.net_amount, currency),
                "vat_amount": money_text(line.vat_amount, currency),
                "gross_amount": money_text(line.gross_amount, currency),
            }
            for line in invoice.lines
        ],
        "order_ids": [str(order_id) for order_id in order_ids],
        "discarded_at": iso(invoice.discarded_at),
    }


def order_summary(order: Order) -> dict:
    return {
        "id": str(order.id), "external_id": order.external_id, "source": order.source, "status": order.status,
        "invoicing_mode": order.invoicing_mode, "store_id": order.store_id, "terminal_id": order.terminal_id,
        "cashier": order.cashier, "customer_id": str(order.customer_id), "invoice_id": text_id(order.invoice_id),
        "currency": order.currency, "created_at": iso(order.created_at),
    }
