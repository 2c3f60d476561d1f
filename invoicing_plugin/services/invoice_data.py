"""A stored invoice as plain `InvoiceData`, the form adapters and document renderers take."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..db import Invoice
from ..domain.currency import minor_units, quantum
from ..domain.invoice_data import Contact, InvoiceData, LineData, Party, VatGroupData
from ..domain.money import tidy

_PARTY_FIELDS = frozenset(Party.__dataclass_fields__)


def _party(snapshot: dict[str, Any] | None) -> Party:
    return Party(**{key: value for key, value in (snapshot or {}).items() if key in _PARTY_FIELDS})


def invoice_data(invoice: Invoice, *, order_reference: str | None = None,
                 credited: Invoice | None = None) -> InvoiceData:
    if invoice.number is None:
        raise ValueError("only a finalised invoice has the data a channel or document needs")
    # Finalising (invoices.apply_number) sets these together with the number.
    assert invoice.sequence_number is not None and invoice.reference is not None
    assert invoice.reference_rf is not None and invoice.invoice_date is not None and invoice.due_date is not None
    price_places = minor_units(invoice.currency)

    def money(amount: Decimal) -> Decimal:  # stored with 4 decimals; the documents want the currency's own
        return amount.quantize(quantum(invoice.currency))

    return InvoiceData(
        id=str(invoice.id),
        tenant_id=str(invoice.tenant_id),
        customer_id=str(invoice.customer_id) if invoice.customer_id else None,
        kind=invoice.kind,
        number=invoice.number,
        sequence_number=invoice.sequence_number,
        reference=invoice.reference,
        reference_rf=invoice.reference_rf,
        invoice_date=invoice.invoice_date,
        tax_date=invoice.tax_date,
        due_date=invoice.due_date,
        payment_terms_days=invoice.payment_terms_days,
        currency=invoice.currency,
        prices_include_vat=invoice.prices_include_vat,
        language=invoice.language,
        seller=_party(invoice.seller),
        buyer=_party(invoice.buyer),
        contact=Contact(**invoice.contact) if invoice.contact else None,
        buyer_reference=invoice.buyer_reference,
        order_reference=order_reference,
        notes=invoice.notes,
        lines=tuple(
            LineData(
                position=line.position, description=line.description, quantity=tidy(line.quantity),
                unit=line.unit, unit_price=tidy(line.unit_price, price_places),
                discount_percent=tidy(line.discount_percent), vat_rate=tidy(line.vat_rate),
                vat_category=line.vat_category,
                net_amount=money(line.net_amount), vat_amount=money(line.vat_amount),
                gross_amount=money(line.gross_amount),
                sku=line.sku,
                service_period_start=line.service_period_start, service_period_end=line.service_period_end,
            )
            for line in invoice.lines
        ),
        vat_breakdown=tuple(
            VatGroupData(group.category, tidy(group.rate), money(group.taxable_amount),
                         money(group.vat_amount), money(group.gross_amount))
            for group in invoice.vat_breakdown
        ),
        total_net=money(invoice.total_net),
        total_vat=money(invoice.total_vat),
        total_gross=money(invoice.total_gross),
        credited_invoice_number=credited.number if credited else None,
        credited_invoice_date=credited.invoice_date if credited else None,
        credited_invoice_id=str(credited.id) if credited else None,
        credited_invoice_reference=credited.reference if credited else None,
        credit_reason=invoice.credit_reason,
        prepaid_amount=money(invoice.allocated_amount),
        **_tax_currency(invoice),
    )


def _tax_currency(invoice: Invoice) -> dict[str, Any]:
    """The euro VAT total finalisation computed (services/exchange_rates.py), when the invoice has one."""
    if invoice.exchange_rate is None or invoice.total_vat_national is None:
        return {}
    from .exchange_rates import NATIONAL_CURRENCY

    return {"tax_currency": NATIONAL_CURRENCY, "exchange_rate": tidy(invoice.exchange_rate),
            "total_vat_in_tax_currency": invoice.total_vat_national.quantize(quantum(NATIONAL_CURRENCY))}
