"""Plain invoice data for adapter and document tests, computed by the real money rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from invoicing_plugin.domain.currency import quantum
from invoicing_plugin.domain.identifiers import finnish_reference, rf_reference
from invoicing_plugin.domain.invoice_data import Contact, InvoiceData, LineData, Party, VatGroupData
from invoicing_plugin.domain.money import PricedLine, compute_totals

SELLER = Party(
    name="Kahvila Oy", business_id="0737546-2", vat_id="FI07375462", street="Esplanadi 5", postcode="00130",
    city="Helsinki", country="FI", email="laskutus@kahvila.fi", einvoice_address="003707375462",
    einvoice_operator="003721291126", iban="FI4819503000000010", bic="NDEAFIHH",
)
BUYER = Party(
    name="Esimerkki Oy", business_id="2617416-4", vat_id="FI26174164", street="Mannerheimintie 1",
    postcode="00100", city="Helsinki", country="FI", email="laskut@esimerkki.fi",
    einvoice_address="003726174164", einvoice_operator="003721291126", language="fi",
)

DEFAULT_LINES = (
    # description, quantity, unit, unit price, VAT %, category, discount %
    ("Coffee beans 1 kg", "2", "kg", "24.90", "13.5", "S", "0"),
    ("Espresso cup", "6", "pcs", "7.90", "25.5", "S", "10"),
    ("Barista course", "1", "h", "120.00", "25.5", "S", "0"),
)


def invoice_data(
    *, lines=DEFAULT_LINES, number: int = 1001, currency: str = "EUR", prices_include_vat: bool = False,
    kind: str = "invoice", invoice_date: date = date(2026, 11, 21), terms: int = 14, **overrides,
) -> InvoiceData:
    """A finalised invoice; `lines` are tuples as in DEFAULT_LINES. Amounts follow compute_totals."""
    priced = [PricedLine(Decimal(q), Decimal(p), Decimal(r), c, Decimal(d)) for _, q, _, p, r, c, d in lines]
    totals = compute_totals(priced, currency, prices_include_vat)
    reference = finnish_reference(f"1{number:02d}")
    data = InvoiceData(
        id="7d0c6e64-3f0e-4a43-9d8f-5a3c1b0e9f11", tenant_id="2b9f3c4e-1111-4a43-9d8f-5a3c1b0e9f11",
        kind=kind, number=str(number), sequence_number=number, reference=reference,
        reference_rf=rf_reference(reference), invoice_date=invoice_date, tax_date=invoice_date,
        due_date=invoice_date + timedelta(days=terms), payment_terms_days=terms, currency=currency,
        prices_include_vat=prices_include_vat, language="fi", seller=SELLER, buyer=BUYER,
        contact=Contact("Matti Meikäläinen", "matti@esimerkki.fi", "+358401234567"),
        buyer_reference="PO-778", order_reference="WS-10001",
        lines=tuple(
            LineData(position=i, description=desc, quantity=Decimal(q), unit=unit, unit_price=Decimal(p),
                     discount_percent=Decimal(d), vat_rate=Decimal(r), vat_category=c, net_amount=a.net,
                     vat_amount=a.vat, gross_amount=a.gross, sku=f"SKU-{i}")
            for i, ((desc, q, unit, p, r, c, d), a) in enumerate(zip(lines, totals.lines, strict=True), start=1)
        ),
        vat_breakdown=tuple(VatGroupData(g.category, g.rate, g.taxable_amount, g.vat_amount, g.gross_amount)
                            for g in totals.vat_breakdown),
        total_net=totals.net, total_vat=totals.vat, total_gross=totals.gross,
    )
    if kind == "credit_note":
        data = negate(data, credited_number=str(number - 1))
    return replace(data, **overrides)


def negate(data: InvoiceData, credited_number: str) -> InvoiceData:
    """The credit note of an invoice: every amount and quantity negated."""
    return replace(
        data,
        kind="credit_note",
        credited_invoice_number=credited_number,
        credited_invoice_date=data.invoice_date,
        lines=tuple(replace(line, quantity=-line.quantity, net_amount=-line.net_amount,
                            vat_amount=-line.vat_amount, gross_amount=-line.gross_amount) for line in data.lines),
        vat_breakdown=tuple(replace(g, taxable_amount=-g.taxable_amount, vat_amount=-g.vat_amount,
                                    gross_amount=-g.gross_amount) for g in data.vat_breakdown),
        total_net=-data.total_net, total_vat=-data.total_vat, total_gross=-data.total_gross,
    )


def check_sums(data: InvoiceData) -> None:
    assert data.total_net == sum(line.net_amount for line in data.lines)
    assert data.total_gross == data.total_net + data.total_vat
    for amount in (data.total_net, data.total_vat, data.total_gross):
        assert amount == amount.quantize(quantum(data.currency))
