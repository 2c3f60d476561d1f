"""Gross-priced (POS) invoices reach Ropo with Ropo's totals equal to ours to the cent.

Ropo's totals are what the sandbox's `totals()` / `vat_by_rate()` compute from the payrows, modelling
dev.ropo.com guides/basics/invoice/prices-on-the-invoice-row (rows with netamount/vatamount/totalamount are
summed as reported; rows without them are computed from count × amount × taxpr).
"""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.ropo24.mapping import build_job
from adapters.ropo24.sandbox_store import EXACT_KEYS, totals, validate_job, vat_by_rate
from tests.factories import invoice_data

unit_prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2500"), places=2).map(str)
odd_prices = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99"), places=3).map(str)
quantities = st.one_of(st.integers(1, 40).map(str),
                       st.decimals(min_value=Decimal("0.001"), max_value=Decimal("250"), places=3).map(str))
rates = st.sampled_from(["25.5", "24", "14", "13.5", "10", "0"])
discounts = st.one_of(st.just("0"), st.decimals(min_value=Decimal("0"), max_value=Decimal("60"), places=2).map(str))
line = st.tuples(st.just("Item"), quantities, st.just("pcs"), st.one_of(unit_prices, odd_prices), rates,
                 st.just("S"), discounts)


def ours_by_rate(invoice) -> dict[Decimal, tuple[Decimal, Decimal]]:
    return {group.rate.normalize(): (group.taxable_amount, group.vat_amount) for group in invoice.vat_breakdown}


@settings(max_examples=500, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=20))
def test_ropos_totals_of_a_gross_priced_invoice_equal_ours_to_the_cent(lines):
    invoice = invoice_data(lines=tuple(lines), prices_include_vat=True)
    job = build_job(invoice)
    assert validate_job(job) == []
    assert totals(job["payrow"]) == (invoice.total_net, invoice.total_vat, invoice.total_gross)
    assert vat_by_rate(job["payrow"]) == ours_by_rate(invoice)


def test_without_the_exact_amounts_ropo_would_bill_a_cent_more_for_this_till_receipt():
    # A coffee at 1.35 VAT included: its VAT is fixed on the gross (1.35 × 25.5 / 125.5 = 0.27), net 1.08.
    # Sent net the simple way, Ropo computes 1.08 × 25.5 % = 0.28 and would collect 1.36.
    invoice = invoice_data(lines=(("Coffee", "1", "pcs", "1.35", "25.5", "S", "0"),), prices_include_vat=True)
    rows = build_job(invoice)["payrow"]
    simple = [{key: value for key, value in row.items() if key not in EXACT_KEYS} for row in rows]
    assert totals(simple) == (Decimal("1.08"), Decimal("0.28"), Decimal("1.36"))
    assert totals(rows) == (Decimal("1.08"), Decimal("0.27"), Decimal("1.35")) == (
        invoice.total_net, invoice.total_vat, invoice.total_gross)
