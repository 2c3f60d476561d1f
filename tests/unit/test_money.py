"""Invoice arithmetic (DESIGN §4): totals always add up, gross prices stay what the till showed."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing_plugin.domain.money import PricedLine, allocate, compute_totals, line_amount, round_money

D = Decimal
RATES = [D("25.5"), D("24"), D("14"), D("13.5"), D("10"), D("0")]

lines_strategy = st.lists(
    st.builds(
        PricedLine,
        quantity=st.decimals(min_value=D("-50"), max_value=D("10000"), places=3).filter(lambda q: q != 0),
        unit_price=st.decimals(min_value=D("-1000"), max_value=D("100000"), places=4),
        vat_rate=st.sampled_from(RATES),
        vat_category=st.just("S"),
        discount_percent=st.decimals(min_value=D(0), max_value=D(100), places=2),
    ).map(lambda line: PricedLine(line.quantity, line.unit_price, line.vat_rate,
                                  "S" if line.vat_rate else "Z", line.discount_percent)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, gross=st.booleans(), currency=st.sampled_from(["EUR", "SEK", "JPY", "KWD"]))
def test_totals_equal_the_sum_of_the_breakdown_and_of_the_lines(lines, gross, currency):
    totals = compute_totals(lines, currency, gross)

    assert totals.net == sum(g.taxable_amount for g in totals.vat_breakdown)
    assert totals.vat == sum(g.vat_amount for g in totals.vat_breakdown)
    assert totals.gross == sum(g.gross_amount for g in totals.vat_breakdown)
    assert totals.gross == totals.net + totals.vat
    # BR-CO-10: line nets add up to the total net; the VAT allocation adds up too.
    assert totals.net == sum(line.net for line in totals.lines)
    assert totals.vat == sum(line.vat for line in totals.lines)
    assert totals.gross == sum(line.gross for line in totals.lines)
    for amount in (totals.net, totals.vat, totals.gross, *(line.vat for line in totals.lines)):
        assert amount == round_money(amount, currency), "every amount is in the currency's minor unit"


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, currency=st.sampled_from(["EUR", "JPY"]))
def test_gross_pricing_keeps_the_till_total_to_the_cent(lines, currency):
    totals = compute_totals(lines, currency, prices_include_vat=True)

    till_total = sum(line_amount(line, currency) for line in lines)
    assert totals.gross == till_total
    for line, amounts in zip(lines, totals.lines, strict=True):
        assert amounts.gross == line_amount(line, currency)


@settings(max_examples=200, deadline=None)
@given(lines=lines_strategy)
def test_net_pricing_computes_vat_per_rate_on_the_sum_of_line_nets(lines):
    totals = compute_totals(lines, "EUR", prices_include_vat=False)

    for group in totals.vat_breakdown:
        nets = sum(line_amount(line, "EUR") for line in lines if line.vat_rate == group.rate)
        assert group.taxable_amount == nets
        assert group.vat_amount == round_money(nets * group.rate / 100, "EUR")  # BR-CO-17


@settings(max_examples=100, deadline=None)
@given(lines=lines_strategy, gross=st.booleans(), data=st.data())
def test_totals_do_not_depend_on_line_order(lines, gross, data):
    shuffled = data.draw(st.permutations(lines))
    first, second = compute_totals(lines, "EUR", gross), compute_totals(shuffled, "EUR", gross)
    assert (first.vat_breakdown, first.net, first.vat, first.gross) == (
        second.vat_breakdown, second.net, second.vat, second.gross)


def test_the_issue_example_order():
    totals = compute_totals([PricedLine(D("2"), D("24.90"), D("13.5"))], "EUR", False)
    assert (totals.net, totals.vat, totals.gross) == (D("49.80"), D("6.72"), D("56.52"))


def test_half_cents_round_away_from_zero():
    assert round_money(D("0.125"), "EUR") == D("0.13")
    assert round_money(D("-0.125"), "EUR") == D("-0.13")
    assert round_money(D("0.135"), "EUR") == D("0.14")  # not banker's rounding (0.14 either way)
    assert round_money(D("2.5"), "JPY") == D("3")
    assert round_money(D("1.0005"), "KWD") == D("1.001")


def test_gross_price_vat_is_extracted_per_rate_not_per_line():
    # Three 1.00 € items at 25.5 %: per line VAT would be 3 x 0.20 = 0.60; per rate it is 3.00 x 25.5/125.5.
    lines = [PricedLine(D("1"), D("1.00"), D("25.5"))] * 3
    totals = compute_totals(lines, "EUR", True)
    assert totals.gross == D("3.00")
    assert totals.vat == D("0.61")
    assert totals.net == D("2.39")
    assert sorted(line.vat for line in totals.lines) == [D("0.20"), D("0.20"), D("0.21")]


def test_discount_applies_before_rounding():
    line = PricedLine(D("3"), D("9.99"), D("25.5"), discount_percent=D("12.5"))
    assert line_amount(line, "EUR") == D("26.22")  # 29.97 x 0.875 = 26.22375


def test_allocation_of_a_residual_goes_to_the_largest_remainders():
    assert allocate(D("0.10"), [D("0.033"), D("0.033"), D("0.034")], "EUR") == [D("0.03"), D("0.03"), D("0.04")]
    assert allocate(D("-0.10"), [D("-0.033"), D("-0.033"), D("-0.034")], "EUR") == [
        D("-0.03"), D("-0.03"), D("-0.04")]
