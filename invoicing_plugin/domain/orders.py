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

# The window a tax date (date of supply) must fall in, measured from the merchant's today. Back 10
# years: the Finnish Accounting Act keeps books that long, so an older supply belongs to no books at
# all (a late invoice for a 4-year-old supply is odd, VAT returns being correctable for 3 years, but
# possible). Ahead 1 year: an invoice may precede its supply (a year's subscription billed in
# advance), not by more; 9999-12-31 is a placeholder or a typo, never a date of supply.
TAX_DATE_YEARS_BACK = 10
TAX_DATE_YEARS_AHEAD = 1


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


def tax_date_problems(tax_date: date, today: date, field: str = "delivery_date") -> dict[str, list[str]]:
    """The tax date lies from TAX_DATE_YEARS_BACK years before `today` to TAX_DATE_YEARS_AHEAD after it."""
    earliest, latest = _years_later(today, -TAX_DATE_YEARS_BACK), _years_later(today, TAX_DATE_YEARS_AHEAD)
    if tax_date < earliest:
        return {field: [f"{tax_date.isoformat()} is more than {TAX_DATE_YEARS_BACK} years ago; the earliest "
                        f"date of supply accepted today is {earliest.isoformat()}"]}
    if tax_date > latest:
        return {field: [f"{tax_date.isoformat()} is more than {TAX_DATE_YEARS_AHEAD} year ahead; the latest "
                        f"date of supply accepted today is {latest.isoformat()}"]}
    return {}


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def order_problems(
    *, lines: list[LineTax], priced: list[PricedLine] | None, tax_date: date, today: date, table: VatTable,
    buyer_has_vat_id: bool, currency: str | None, prices_include_vat: bool,
) -> dict[str, list[str]]:
    """Every rule problem of an order at once; totals are checked when all lines could be read.

    `today` is the merchant's calendar day, which the tax date's window is measured from.
    """
    errors = tax_date_problems(tax_date, today)
    if not errors:  # the rates of a date that cannot be right are not worth naming
        errors = vat_problems(lines, tax_date, table, buyer_has_vat_id)
    if priced is not None and currency is not None:
        errors.update(total_problems(compute_totals(priced, currency, prices_include_vat), currency))
    return errors
