"""Credit arithmetic: any set of credits that takes everything equals the invoice to the cent, per rate and in
total, and no sequence of credits takes more than the invoice, per line or in total."""

import uuid
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing_plugin.domain.credits import (
    AmountCredit,
    OriginalLine,
    QuantityCredit,
    everything_left,
    plan_credit,
    remaining_base,
    remaining_quantity,
)
from invoicing_plugin.domain.money import PricedLine, compute_totals

RATES = [Decimal("25.5"), Decimal("24"), Decimal("14"), Decimal("13.5"), Decimal("10"), Decimal("0")]

lines_strategy = st.lists(
    st.tuples(
        st.integers(1, 40),  # quantity
        st.integers(1, 50_000),  # unit price in cents
        st.sampled_from(RATES),
        st.sampled_from([Decimal(0), Decimal(0), Decimal(10), Decimal("12.5"), Decimal("33.333")]),
    ),
    min_size=1, max_size=6,
)


def invoice_of(raw, prices_include_vat):
    priced = [PricedLine(Decimal(q), Decimal(p) / 100, rate, "S" if rate else "Z", discount)
              for q, p, rate, discount in raw]
    totals = compute_totals(priced, "EUR", prices_include_vat)
    lines = [OriginalLine(uuid.uuid4(), line.quantity, line.unit_price, line.discount_percent, line.vat_rate,
                          line.vat_category, amounts.net, amounts.vat, amounts.gross)
             for line, amounts in zip(priced, totals.lines, strict=True)]
    return lines, totals


def take(lines, plan):
    """The lines after a credit note: what it took is added to what was credited before."""
    taken = {line.original.id: line for line in plan.lines}
    result = []
    for line in lines:
        credit = taken.get(line.id)
        if credit is None:
            result.append(line)
            continue
        result.append(replace(
            line,
            credited_quantity=line.credited_quantity + (-credit.quantity if credit.credit_type == "quantity"
                                                        else 0),
            credited_net=line.credited_net - credit.net_amount, credited_vat=line.credited_vat - credit.vat_amount,
            credited_gross=line.credited_gross - credit.gross_amount,
            has_amount_credits=line.has_amount_credits or credit.credit_type == "amount"))
    return result


def by_rate(items, rate_of, amount_of):
    sums = defaultdict(Decimal)
    for item in items:
        sums[rate_of(item)] += amount_of(item)
    return dict(sums)


@settings(max_examples=150, deadline=None)
@given(raw=lines_strategy, prices_include_vat=st.booleans(), data=st.data())
def test_partial_credits_that_take_everything_equal_the_invoice_exactly(raw, prices_include_vat, data):
    lines, totals = invoice_of(raw, prices_include_vat)
    notes = []
    for _ in range(data.draw(st.integers(0, 5), label="partial credits")):
        requests = []
        for line in lines:
            if not data.draw(st.booleans()):
                continue
            if data.draw(st.booleans()) and not line.has_amount_credits and remaining_quantity(line) > 0:
                requests.append(QuantityCredit(line.id, Decimal(data.draw(
                    st.integers(1, int(remaining_quantity(line)))))))
            elif remaining_base(line, prices_include_vat) > 0:
                cents = int(remaining_base(line, prices_include_vat) * 100)
                requests.append(AmountCredit(line.id, Decimal(data.draw(st.integers(1, cents))) / 100))
        if not requests:
            continue
        plan = plan_credit(lines, requests, "EUR", prices_include_vat, totals.gross,
                           sum((line.credited_gross for line in lines), Decimal(0)))
        assert not plan.problems, plan.problems
        notes.append(plan)
        lines = take(lines, plan)
    rest = everything_left(lines, prices_include_vat)
    if rest:
        plan = plan_credit(lines, rest, "EUR", prices_include_vat, totals.gross,
                           sum((line.credited_gross for line in lines), Decimal(0)))
        assert not plan.problems, plan.problems
        notes.append(plan)
        lines = take(lines, plan)

    assert sum((note.gross for note in notes), Decimal(0)) == -totals.gross
    assert sum((note.net for note in notes), Decimal(0)) == -totals.net
    assert sum((note.vat for note in notes), Decimal(0)) == -totals.vat
    credit_lines = [line for note in notes for line in note.lines]
    for amount in ("vat_amount", "net_amount", "gross_amount"):
        credited = by_rate(credit_lines, lambda line: line.original.vat_rate.normalize(),
                           lambda line, amount=amount: -getattr(line, amount))
        expected = {group.rate: getattr(group, {"vat_amount": "vat_amount", "net_amount": "taxable_amount",
                                                "gross_amount": "gross_amount"}[amount])
                    for group in totals.vat_breakdown}
        assert {rate: value for rate, value in credited.items() if value} == {
            rate: value for rate, value in expected.items() if value}
    for line in lines:
        assert remaining_base(line, prices_include_vat) == 0
    # Each credit note's own VAT stays within a cent of its base x rate (EN 16931 BR-CO-17 allows a unit).
    for note in notes:
        for rate, base in by_rate(note.lines, lambda line: line.original.vat_rate.normalize(),
                                  lambda line: -(line.gross_amount if prices_include_vat else line.net_amount)
                                  ).items():
            vat = -sum((line.vat_amount for line in note.lines if line.original.vat_rate.normalize() == rate),
                       Decimal(0))
            share = rate / (100 + rate) if prices_include_vat else rate / 100
            assert abs(vat - (base * share).quantize(Decimal("0.01"))) <= Decimal("0.01")


@settings(max_examples=100, deadline=None)
@given(raw=lines_strategy, prices_include_vat=st.booleans(), data=st.data())
def test_no_sequence_of_credits_takes_more_than_the_invoice(raw, prices_include_vat, data):
    lines, totals = invoice_of(raw, prices_include_vat)
    for _ in range(data.draw(st.integers(1, 8), label="attempts")):
        line = data.draw(st.sampled_from(lines))
        if data.draw(st.booleans()):
            request = QuantityCredit(line.id, Decimal(data.draw(st.integers(1, int(abs(line.quantity)) + 3))))
        else:
            cents = int(line.gross_amount * 100) + 500
            request = AmountCredit(line.id, Decimal(data.draw(st.integers(1, cents))) / 100)
        plan = plan_credit(lines, [request], "EUR", prices_include_vat, totals.gross,
                           sum((line.credited_gross for line in lines), Decimal(0)))
        if plan.problems:
            assert not plan.lines
            continue
        lines = take(lines, plan)
        for each in lines:
            assert each.credited_quantity <= abs(each.quantity)
            base = each.gross_amount if prices_include_vat else each.net_amount
            assert 0 <= (each.credited_gross if prices_include_vat else each.credited_net) <= base
    assert sum((line.credited_gross for line in lines), Decimal(0)) <= totals.gross
