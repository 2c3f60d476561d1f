"""A specimen invoice of the tenant (its own details as the seller, a sample buyer and lines), for previewing a
layout before it is saved; the amounts follow the real money rules, the number says it is a sample."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..db import Tenant
from ..domain.identifiers import finnish_reference, rf_reference
from ..domain.invoice_data import Contact, InvoiceData, LineData, Party, VatGroupData
from ..domain.money import PricedLine, compute_totals
from .documents import check_layout, pdf_layout
from .statements import seller_of

SAMPLE_BUYER = Party(name="Esimerkki Oy", business_id="2617416-4", vat_id="FI26174164", street="Mannerheimintie 1",
                     postcode="00100", city="Helsinki", country="FI", email="laskut@esimerkki.fi")
# description, quantity, unit, unit price, VAT %
SAMPLE_LINES = (("Coffee beans 1 kg", "2", "kg", "24.90", "13.5"), ("Espresso cup", "6", "pcs", "7.90", "25.5"))
SAMPLE_NUMBER = 999999


def specimen(tenant: Tenant, today: date) -> InvoiceData:
    priced = [PricedLine(Decimal(q), Decimal(p), Decimal(r)) for _, q, _, p, r in SAMPLE_LINES]
    totals = compute_totals(priced, tenant.currency, False)
    reference = finnish_reference(f"1{SAMPLE_NUMBER}")
    return InvoiceData(
        id="00000000-0000-4000-8000-000000000000", tenant_id=str(tenant.id), kind="invoice",
        number=str(SAMPLE_NUMBER), sequence_number=SAMPLE_NUMBER, reference=reference,
        reference_rf=rf_reference(reference), invoice_date=today, tax_date=today,
        due_date=today + timedelta(days=tenant.payment_terms_days), payment_terms_days=tenant.payment_terms_days,
        currency=tenant.currency, prices_include_vat=False, language=tenant.default_language,
        seller=seller_of(tenant), buyer=SAMPLE_BUYER, contact=Contact("Matti Meikäläinen", "matti@esimerkki.fi"),
        lines=tuple(
            LineData(position=i, description=desc, quantity=Decimal(q), unit=unit, unit_price=Decimal(p),
                     discount_percent=Decimal(0), vat_rate=Decimal(r), vat_category="S", net_amount=a.net,
                     vat_amount=a.vat, gross_amount=a.gross)
            for i, ((desc, q, unit, p, r), a) in enumerate(zip(SAMPLE_LINES, totals.lines, strict=True), start=1)),
        vat_breakdown=tuple(VatGroupData(g.category, g.rate, g.taxable_amount, g.vat_amount, g.gross_amount)
                            for g in totals.vat_breakdown),
        total_net=totals.net, total_vat=totals.vat, total_gross=totals.gross)


def preview_pdf(invoice: InvoiceData, layout: Mapping[str, Any]) -> bytes:
    """The specimen as PDF in `layout` (checked first: ValidationFailed names every problem); no DB, no network."""
    check_layout(layout)
    from ..documents.pdf import render_invoice_pdf

    return render_invoice_pdf(invoice, pdf_layout(layout))

