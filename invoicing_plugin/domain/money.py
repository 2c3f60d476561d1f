"""Invoice arithmetic: line amounts, VAT per rate and totals, in Decimal, rounded half up at the minor unit.

The rules are DESIGN §4 (the EN 16931 way):
- a line amount is quantity x unit price x (1 - discount), rounded to the currency's minor unit;
- net pricing: VAT per (category, rate) is computed on the sum of the line nets of that group;
- gross pricing (shops and tills show VAT-inclusive prices): the gross sum per group is fixed and
  VAT = gross x rate / (100 + rate), so the invoice total is exactly what the customer saw;
- totals are sums of the rounded group parts. Per-line VAT is an allocation of the group's VAT
  (largest remainder), so line amounts always add up to the breakdown to the minor unit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .currency import quantum

HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class PricedLine:
    """What the arithmetic needs of an order or invoice line."""

    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    vat_category: str = "S"
    discount_percent: Decimal = ZERO


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class VatGroup:
    """One row of the VAT breakdown: all lines of one category and rate."""

    category: str
    rate: Decimal
    taxable_amount: Decimal
    vat_amount: Decimal
    gross_amount: Decimal


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineAmounts, ...]
    vat_breakdown: tuple[VatGroup, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal


def tidy(value: Decimal, min_places: int = 0) -> Decimal:
    """Without storage padding: Decimal('24.900000') -> 24.90 with min_places 2, 2.000000 -> 2 (exact)."""
    exponent = value.normalize().as_tuple().exponent
    places = max(min_places, -exponent if isinstance(exponent, int) else 0)
    return value.quantize(Decimal(1).scaleb(-places))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half up (ties away from zero) to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def line_amount(line: PricedLine, currency: str) -> Decimal:
    """Quantity x unit price x (1 - discount), rounded: the line net, or gross when prices include VAT."""
    exact = line.quantity * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED
    return round_money(exact, currency)


def compute_totals(lines: Sequence[PricedLine], currency: str, prices_include_vat: bool) -> Totals:
    """Line amounts, the VAT breakdown and the invoice totals for one document."""
    amounts = [line_amount(line, currency) for line in lines]
    groups: dict[tuple[str, Decimal], list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        groups[(line.vat_category, line.vat_rate.normalize())].append(index)

    line_vat: list[Decimal] = [ZERO] * len(lines)
    breakdown: list[VatGroup] = []
    for (category, rate), members in groups.items():
        base = sum((amounts[i] for i in members), ZERO)
        if prices_include_vat:
            gross = base
            vat = round_money(gross * rate / (HUNDRED + rate), currency)
            net = gross - vat
            share = rate / (HUNDRED + rate)
        else:
            net = base
            vat = round_money(net * rate / HUNDRED, currency)
            gross = net + vat
            share = rate / HUNDRED
        allocated = allocate(vat, [amounts[i] * share for i in members], currency)
        for i, amount in zip(members, allocated, strict=True):
            line_vat[i] = amount
        breakdown.append(VatGroup(category, rate, net, vat, gross))

    line_amounts = tuple(
        LineAmounts(net=amount - vat, vat=vat, gross=amount)
        if prices_include_vat
        else LineAmounts(net=amount, vat=vat, gross=amount + vat)
        for amount, vat in zip(amounts, line_vat, strict=True)
    )
    breakdown.sort(key=lambda group: (-group.rate, group.category))
    return Totals(
        lines=line_amounts,
        vat_breakdown=tuple(breakdown),
        net=sum((group.taxable_amount for group in breakdown), ZERO),
        vat=sum((group.vat_amount for group in breakdown), ZERO),
        gross=sum((group.gross_amount for group in breakdown), ZERO),
    )


def breakdown_of(lines: Iterable[Any]) -> tuple[VatGroup, ...]:
    """The VAT breakdown of stored lines: the groups' sums (exact, since line VAT is an allocation)."""
    groups: dict[tuple[str, Decimal], list[Decimal]] = {}
    for line in lines:
        sums = groups.setdefault((line.vat_category, line.vat_rate.normalize()), [ZERO, ZERO, ZERO])
        sums[0] += line.net_amount
        sums[1] += line.vat_amount
        sums[2] += line.gross_amount
    return tuple(sorted((VatGroup(category, rate, *sums) for (category, rate), sums in groups.items()),
                        key=lambda group: (-group.rate, group.category)))


def allocate(total: Decimal, ideal_shares: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split a rounded total over parts so the rounded parts add up to it exactly (largest remainder)."""
    if not ideal_shares:
        return []
    unit = quantum(currency)
    rounded = [round_money(share, currency) for share in ideal_shares]
    residual_units = int((total - sum(rounded, ZERO)) / unit)
    if residual_units:
        step = unit if residual_units > 0 else -unit
        # The parts whose rounding moved them furthest away from the residual's direction get the units.
        order = sorted(
            range(len(rounded)),
            key=lambda i: (ideal_shares[i] - rounded[i]) * (1 if residual_units > 0 else -1),
            reverse=True,
        )
        for k in range(abs(residual_units)):
            rounded[order[k % len(order)]] += step
    return rounded
