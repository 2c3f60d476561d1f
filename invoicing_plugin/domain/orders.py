"""Rules an order must satisfy to become an invoice, beyond the format of its fields."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .money import PricedLine, Totals, compute_totals
from .vat import BUYER_VAT_ID_CATEGORIES, VatTable, default_category

# The largest invoice total we accept: it leaves every stored sum far from the columns' limits.
MAX_TOTAL = Decimal("999999999999")


@dataclass(frozen=True)
class LineTax:
    """A line's VAT as sent; `rate` is None when the field itself was unreadable (reported elsewhere)."""

    rate: Decimal | None
    category: str | None


def vat_problems(
    lines: Iterable[LineTax], tax_date: date, table: VatTable, buyer_has_vat_id: bool
) -> dict[str, list[str]]:
    """Each line's rate must be one of the merchant's rates on the tax date, in a fitting category."""
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        if line.rate is None:
            continue
        category = line.category or default_category(line.rate)
        problem = table.problem(line.rate, category, tax_date)
        if problem:
            errors[f"lines[{index}].vat_rate"] = [problem]
        elif category in BUYER_VAT_ID_CATEGORIES and not buyer_has_vat_id:
            errors["customer.vat_id"] = [
                f"is required: line {index} is {category} (reverse charge / intra-community supply), "
                "which must name the buyer's VAT ID"
            ]
    return errors


def total_problems(totals: Totals, currency: str) -> dict[str, list[str]]:
    if totals.gross < 0:
        return {"lines": [f"the total is negative ({totals.gross} {currency}); a refund is a credit note"]}
    if abs(totals.gross) > MAX_TOTAL or abs(totals.net) > MAX_TOTAL:
        return {"lines": [f"the total exceeds the maximum of {MAX_TOTAL} {currency}"]}
    return {}


def order_problems(
    *, lines: list[LineTax], priced: list[PricedLine] | None, tax_date: date, table: VatTable,
    buyer_has_vat_id: bool, currency: str | None, prices_include_vat: bool,
) -> dict[str, list[str]]:
    """Every rule problem of an order at once; totals are checked when all lines could be read."""
    errors = vat_problems(lines, tax_date, table, buyer_has_vat_id)
    if priced is not None and currency is not None:
        errors.update(total_problems(compute_totals(priced, currency, prices_include_vat), currency))
    return errors
