"""VAT rates as data with validity dates, and the states invoices may move between."""

from datetime import date
from decimal import Decimal

import pytest

from invoicing_plugin.domain.errors import InvalidState
from invoicing_plugin.domain.lifecycle import InvoiceStatus, check_invoice_transition
from invoicing_plugin.domain.vat import FINNISH_DEFAULT_RATES, VatTable

FI = VatTable(FINNISH_DEFAULT_RATES)
D = Decimal


@pytest.mark.parametrize("rate, day, valid", [
    ("24", date(2024, 8, 31), True), ("24", date(2024, 9, 1), False),
    ("25.5", date(2024, 8, 31), False), ("25.5", date(2024, 9, 1), True),
    ("14", date(2025, 12, 31), True), ("14", date(2026, 1, 1), False),
    ("13.5", date(2025, 12, 31), False), ("13.5", date(2026, 1, 1), True),
    ("10", date(2026, 11, 21), True), ("0", date(2026, 11, 21), True),
])
def test_finnish_rates_change_on_their_dates(rate, day, valid):
    category = "S" if D(rate) else "Z"
    assert (FI.problem(D(rate), category, day) is None) is valid


def test_a_rate_outside_its_validity_says_when_it_was_valid():
    problem = FI.problem(D("24"), "S", date(2026, 11, 21))
    assert "24 % is not valid on 2026-11-21" in problem and "2013-01-01 to 2024-08-31" in problem
    assert "25.5, 13.5, 10, 0" in problem


def test_an_unknown_rate_lists_the_valid_ones():
    assert FI.problem(D("12"), "S", date(2026, 11, 21)) == (
        "12 % is not a VAT rate of this merchant; valid rates on 2026-11-21: 25.5, 13.5, 10, 0")


def test_categories_fit_their_rates():
    assert "use category Z" in FI.problem(D("0"), "S", date(2026, 1, 1))
    assert "carry 0 %" in FI.problem(D("25.5"), "AE", date(2026, 1, 1))
    assert FI.problem(D("0"), "AE", date(2026, 1, 1)) is None


def test_a_finalised_invoice_is_never_discarded():
    check_invoice_transition(InvoiceStatus.DRAFT, InvoiceStatus.FINALIZED)
    with pytest.raises(InvalidState, match="credit note"):
        check_invoice_transition(InvoiceStatus.FINALIZED, InvoiceStatus.DISCARDED)
    with pytest.raises(InvalidState):
        check_invoice_transition(InvoiceStatus.DISCARDED, InvoiceStatus.FINALIZED)
