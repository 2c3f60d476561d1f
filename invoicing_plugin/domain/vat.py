"""VAT rates as data with validity dates, and the VAT categories the e-invoice formats carry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# EN 16931 / UNCL5305 categories used by Finvoice and Peppol BIS 3.
CATEGORIES = {
    "S": "standard rate",
    "Z": "zero rated goods",
    "E": "exempt from VAT",
    "AE": "reverse charge",
    "K": "intra-community supply",
    "G": "export outside the EU",
}
# Lines in these categories carry 0 %; the buyer owes or is exempt from the tax.
ZERO_RATE_CATEGORIES = frozenset(CATEGORIES) - {"S"}
# Reverse charge and intra-community supplies are only valid to a buyer with a VAT ID (BR-AE-02, BR-IC-02).
BUYER_VAT_ID_CATEGORIES = frozenset({"AE", "K"})
# EU member states (ISO 3166 alpha-2). A company outside them may have no VAT number at all, and an export
# (G) to it needs none (EN 16931 asks for the buyer's VAT ID only for AE and K: BR-AE-02, BR-IC-02).
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
    "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})


@dataclass(frozen=True)
class VatRate:
    """A percentage that is valid from `valid_from` to `valid_to` (both inclusive, open when None)."""

    rate: Decimal
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def period(self) -> str:
        if self.valid_from and self.valid_to:
            return f"{self.valid_from.isoformat()} to {self.valid_to.isoformat()}"
        if self.valid_to:
            return f"until {self.valid_to.isoformat()}"
        return f"from {self.valid_from.isoformat()}" if self.valid_from else "always"


FINNISH_DEFAULT_RATES: tuple[VatRate, ...] = (
    VatRate(Decimal("25.5"), date(2024, 9, 1), None),
    VatRate(Decimal("24"), date(2013, 1, 1), date(2024, 8, 31)),
    VatRate(Decimal("13.5"), date(2026, 1, 1), None),
    VatRate(Decimal("14"), date(2013, 1, 1), date(2025, 12, 31)),
    VatRate(Decimal("10"), date(2013, 1, 1), None),
    VatRate(Decimal("0"), None, None),
)


def default_category(rate: Decimal) -> str:
    return "S" if rate else "Z"


def format_rate(rate: Decimal) -> str:
    """'25.5', '24', '0': a percentage as people write it."""
    return format(rate.normalize(), "f")


class VatTable:
    """A merchant's VAT rates; answers whether a line's rate and category are allowed on a tax date."""

    def __init__(self, rates: Iterable[VatRate]) -> None:
        self.rates = tuple(rates)

    def valid_rates(self, day: date) -> list[Decimal]:
        return sorted({r.rate for r in self.rates if r.valid_on(day)}, reverse=True)

    def problem(self, rate: Decimal, category: str, day: date) -> str | None:
        """None when the rate and category may be used on `day`, else what is wrong, in words."""
        if category not in CATEGORIES:
            return f"VAT category must be one of {', '.join(CATEGORIES)}"
        if category == "S" and rate == 0:
            return "a standard-rated line needs a rate above 0; use category Z, E, AE, K or G for 0 %"
        if category in ZERO_RATE_CATEGORIES and rate != 0:
            return f"category {category} ({CATEGORIES[category]}) lines carry 0 %, not {format_rate(rate)} %"
        same_rate = [r for r in self.rates if r.rate == rate]
        if any(r.valid_on(day) for r in same_rate):
            return None
        valid = ", ".join(format_rate(r) for r in self.valid_rates(day))
        if same_rate:
            periods = "; ".join(r.period() for r in same_rate)
            return f"{format_rate(rate)} % is not valid on {day.isoformat()} (valid {periods}); valid rates: {valid}"
        return f"{format_rate(rate)} % is not a VAT rate of this merchant; valid rates on {day.isoformat()}: {valid}"
