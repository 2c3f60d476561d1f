"""Credit note arithmetic: which amounts a credit of quantities, amounts or everything takes off an invoice.

The rule that keeps money exact (issue 9, DESIGN §3 "Credit note"): a credit is computed against what is
still uncredited, never on its own.
- Per line, the *base* is the amount the invoice was priced in (the line net, or the line gross when prices
  include VAT). A credit of some units takes quantity ÷ quantity of the base, rounded; the credit that takes
  the last units (or the last of the base) takes exactly what is left. So credits of a line add up to it.
- Per VAT group (category, rate) the VAT credited so far is kept exact the same way: after this credit,
  the group's credited VAT is the VAT of its credited base (rounded, or the original VAT when the whole
  group is credited), and this credit's VAT is that minus what earlier credits took. It is then allocated
  over this credit's lines like an invoice's (largest remainder).
Hence any set of credits that credits everything equals the original to the cent, per rate and in total;
each credit note's VAT is within a cent of its own base x rate (EN 16931 BR-CO-17 allows one unit).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .money import HUNDRED, ZERO, allocate, round_money


@dataclass(frozen=True)
class OriginalLine:
    """A line of the credited invoice, with what earlier credit notes (finalised or drafts) took of it."""

    id: uuid.UUID
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    vat_rate: Decimal
    vat_category: str
    net_amount: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    credited_quantity: Decimal = ZERO  # by quantity credits, positive
    credited_net: Decimal = ZERO  # by any credit, positive when the line is
    credited_vat: Decimal = ZERO
    credited_gross: Decimal = ZERO
    has_amount_credits: bool = False


@dataclass(frozen=True)
class QuantityCredit:
    line_id: uuid.UUID
    quantity: Decimal


@dataclass(frozen=True)
class AmountCredit:
    line_id: uuid.UUID
    amount: Decimal  # net or gross, as the invoice was priced


@dataclass(frozen=True)
class CreditLine:
    """One line of the credit note; amounts are negative (the credit note's sign), quantity too."""

    original: OriginalLine
    credit_type: str  # quantity or amount
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    net_amount: Decimal
    vat_amount: Decimal
    gross_amount: Decimal


@dataclass(frozen=True)
class CreditPlan:
    lines: tuple[CreditLine, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal
    problems: dict[str, list[str]] = field(default_factory=dict)


def base_of(line: OriginalLine, prices_include_vat: bool) -> Decimal:
    return line.gross_amount if prices_include_vat else line.net_amount


def credited_base_of(line: OriginalLine, prices_include_vat: bool) -> Decimal:
    return line.credited_gross if prices_include_vat else line.credited_net


def remaining_base(line: OriginalLine, prices_include_vat: bool) -> Decimal:
    return base_of(line, prices_include_vat) - credited_base_of(line, prices_include_vat)


def remaining_quantity(line: OriginalLine) -> Decimal:
    return abs(line.quantity) - line.credited_quantity


def everything_left(lines: Sequence[OriginalLine], prices_include_vat: bool
                    ) -> list[QuantityCredit | AmountCredit]:
    """The requests of a full credit (or a cancellation): every line's uncredited rest."""
    requests: list[QuantityCredit | AmountCredit] = []
    for line in lines:
        if remaining_base(line, prices_include_vat) == 0 and (line.has_amount_credits or remaining_quantity(line) == 0):
            continue
        if line.has_amount_credits or remaining_quantity(line) <= 0:
            requests.append(AmountCredit(line.id, remaining_base(line, prices_include_vat)))
        else:
            requests.append(QuantityCredit(line.id, remaining_quantity(line)))
    return requests


def plan_credit(
    lines: Sequence[OriginalLine], requests: Sequence[QuantityCredit | AmountCredit], currency: str,
    prices_include_vat: bool, invoice_gross: Decimal, credited_so_far: Decimal,
) -> CreditPlan:
    """The credit note's lines and totals for these requests, or every problem with them (nothing planned)."""
    by_id = {line.id: line for line in lines}
    problems: dict[str, list[str]] = defaultdict(list)
    taken_quantity: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    taken_base: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    drafts: list[tuple[OriginalLine, str, Decimal, Decimal]] = []  # line, type, quantity, base
    if not requests:
        problems["lines"].append("nothing is left to credit on this invoice: it is credited in full")
    for index, request in enumerate(requests):
        where = f"lines[{index}]"
        line = by_id.get(request.line_id)
        if line is None:
            problems[f"{where}.invoice_line_id"].append("is not a line of this invoice")
            continue
        left_base = remaining_base(line, prices_include_vat) - taken_base[line.id]
        if isinstance(request, QuantityCredit):
            quantity = request.quantity
            left_quantity = remaining_quantity(line) - taken_quantity[line.id]
            if quantity <= 0:
                problems[f"{where}.quantity"].append("must be more than zero")
                continue
            if left_base == 0:
                problems[f"{where}.quantity"].append(
                    "nothing is left to credit on the line: its amount is credited in full")
                continue
            if quantity > left_quantity:
                problems[f"{where}.quantity"].append(
                    f"is more than is left to credit on the line ({_plain(max(left_quantity, ZERO))} of "
                    f"{_plain(abs(line.quantity))})")
                continue
            full_base = base_of(line, prices_include_vat)
            base = round_money(full_base * quantity / abs(line.quantity), currency)
            if quantity == left_quantity or abs(base) > abs(left_base):
                base = left_base  # the last units take exactly what is left of the line
            taken_quantity[line.id] += quantity
            taken_base[line.id] += base
            drafts.append((line, "quantity", quantity, base))
        else:
            amount = request.amount
            sign = -1 if base_of(line, prices_include_vat) < 0 else 1
            if amount * sign <= 0:
                problems[f"{where}.amount"].append(
                    "must be more than zero" if sign > 0 else "must be below zero, as the line is")
                continue
            if amount != round_money(amount, currency):
                problems[f"{where}.amount"].append(f"has more decimals than {currency} has")
                continue
            if abs(amount) > abs(left_base):
                problems[f"{where}.amount"].append(
                    f"is more than is left to credit on the line ({_money(left_base, currency)} {currency} of "
                    f"{_money(base_of(line, prices_include_vat), currency)}, "
                    + ("gross" if prices_include_vat else "net") + ")")
                continue
            taken_base[line.id] += amount
            drafts.append((line, "amount", Decimal(1), amount))
    if problems:
        return CreditPlan((), ZERO, ZERO, ZERO, dict(problems))

    credit_lines = _with_vat(drafts, lines, currency, prices_include_vat)
    net = sum((line.net_amount for line in credit_lines), ZERO)
    vat = sum((line.vat_amount for line in credit_lines), ZERO)
    gross = sum((line.gross_amount for line in credit_lines), ZERO)
    if -gross + credited_so_far > invoice_gross and invoice_gross >= 0:
        return CreditPlan((), ZERO, ZERO, ZERO, {"lines": [
            f"together with earlier credit notes ({_money(credited_so_far, currency)} {currency}) this would "
            f"credit more than is left to credit of the invoice's total of {_money(invoice_gross, currency)} "
            f"{currency}"]})
    if gross >= 0 and invoice_gross > 0:
        return CreditPlan((), ZERO, ZERO, ZERO, {"lines": [
            "these lines credit nothing: a credit note takes money off the invoice"]})
    return CreditPlan(tuple(credit_lines), net, vat, gross)


def _with_vat(
    drafts: Sequence[tuple[OriginalLine, str, Decimal, Decimal]], all_lines: Sequence[OriginalLine],
    currency: str, prices_include_vat: bool,
) -> list[CreditLine]:
    """Each group's VAT is what its credited base carries after this credit minus what was credited before."""
    group_of = {line.id: (line.vat_category, line.vat_rate.normalize()) for line in all_lines}
    group_base: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    group_vat: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    credited_base: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    credited_vat: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line in all_lines:
        key = group_of[line.id]
        group_base[key] += base_of(line, prices_include_vat)
        group_vat[key] += line.vat_amount
        credited_base[key] += credited_base_of(line, prices_include_vat)
        credited_vat[key] += line.credited_vat

    members: dict[tuple[str, Decimal], list[int]] = defaultdict(list)
    for index, (line, _, _, _) in enumerate(drafts):
        members[group_of[line.id]].append(index)
    line_vat: list[Decimal] = [ZERO] * len(drafts)
    for key, indexes in members.items():
        _, rate = key
        share = rate / (HUNDRED + rate) if prices_include_vat else rate / HUNDRED
        after = credited_base[key] + sum((drafts[i][3] for i in indexes), ZERO)
        vat_after = group_vat[key] if after == group_base[key] else round_money(after * share, currency)
        vat = vat_after - credited_vat[key]
        for i, amount in zip(indexes, allocate(vat, [drafts[i][3] * share for i in indexes], currency),
                             strict=True):
            line_vat[i] = amount

    credit_lines = []
    for (line, credit_type, quantity, base), vat in zip(drafts, line_vat, strict=True):
        net, gross = (base - vat, base) if prices_include_vat else (base, base + vat)
        if credit_type == "quantity":
            shown_quantity = -quantity if line.quantity > 0 else quantity
            unit_price, discount = line.unit_price, line.discount_percent
        else:
            shown_quantity, unit_price, discount = Decimal(-1), base, ZERO
        credit_lines.append(CreditLine(
            original=line, credit_type=credit_type, quantity=shown_quantity, unit_price=unit_price,
            discount_percent=discount, net_amount=-net, vat_amount=-vat, gross_amount=-gross))
    return credit_lines


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _money(value: Decimal, currency: str) -> str:
    return format(round_money(value, currency), "f")
