"""An invoice as a Ropo jobtype 0 dataset: the exact job, its delivery route, payrows exact to the cent."""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import AdapterError, Party
from adapters.ropo24.mapping import build_job
from tests.factories import BUYER, invoice_data

PERSON = Party(name="Maija Meikäläinen", type="person", street="Kotikatu 3 B 12", postcode="33100",
               city="Tampere", country="FI", email="maija@example.fi")


def test_an_organisation_with_an_einvoice_address_becomes_this_exact_job():
    assert build_job(invoice_data()) == {
        "jobtype": "0",
        "billnum": "1001",
        "billcode": "110013",
        "customertype": "1",
        "company": "Esimerkki Oy",
        "govid": "2617416-4",
        "address": "Mannerheimintie 1",
        "postcode": "00100",
        "city": "Helsinki",
        "addresscountry": "FIN",
        "billdate": "2026-11-21",
        "paydate": "2026-12-05",
        "email": "laskut@esimerkki.fi",
        "sendtype": "evoice",
        "evoice": "003726174164",
        "evoiceint": "003721291126",
        "payrow": [
            {"desc": "Coffee beans 1 kg", "count": "2", "amount": "24.90", "taxpr": "13.5",
             "netamount": "49.80", "vatamount": "6.72", "totalamount": "56.52"},
            # 6 × 7.90 less 10 % is 42.66, exactly 6 × 7.11: count and net unit price, the pricing in desc.
            {"desc": "Espresso cup (6 pcs × 7,90 -10 %)", "count": "6", "amount": "7.11", "taxpr": "25.5",
             "netamount": "42.66", "vatamount": "10.88", "totalamount": "53.54"},
            # The 25.5 % group's VAT (10.88 + 30.60 = 41.48) is 162.66 × 25.5 %, split over its lines.
            {"desc": "Barista course", "count": "1", "amount": "120.00", "taxpr": "25.5",
             "netamount": "120.00", "vatamount": "30.60", "totalamount": "150.60"},
        ],
    }


def test_a_person_with_only_an_email_becomes_this_exact_job():
    invoice = invoice_data(lines=(("Gift card", "1", "pcs", "50.00", "0", "Z", "0"),
                                  ("Scarf", "3", "pcs", "19.95", "25.5", "S", "0")),
                           number=1002, buyer=PERSON, contact=None, language="en")
    assert build_job(invoice) == {
        "jobtype": "0",
        "billnum": "1002",
        "billcode": invoice.reference,
        "customertype": "2",
        "person": "Maija Meikäläinen",
        "address": "Kotikatu 3 B 12",
        "postcode": "33100",
        "city": "Tampere",
        "addresscountry": "FIN",
        "billdate": "2026-11-21",
        "paydate": "2026-12-05",
        "email": "maija@example.fi",
        "sendtype": "email",
        "payrow": [
            {"desc": "Gift card", "count": "1", "amount": "50.00", "taxpr": "0",
             "netamount": "50.00", "vatamount": "0.00", "totalamount": "50.00"},
            {"desc": "Scarf", "count": "3", "amount": "19.95", "taxpr": "25.5",
             "netamount": "59.85", "vatamount": "15.26", "totalamount": "75.11"},
        ],
    }


def test_an_organisation_without_einvoice_address_gets_email_and_without_either_the_services_default():
    by_email = build_job(invoice_data(buyer=replace(BUYER, einvoice_address=None, einvoice_operator=None)))
    on_paper = build_job(invoice_data(buyer=replace(BUYER, einvoice_address=None, email=None), contact=None))
    assert (by_email["sendtype"], "evoice" in by_email) == ("email", False)
    assert "sendtype" not in on_paper and "email" not in on_paper


def test_a_person_is_never_sent_a_b2b_einvoice():
    job = build_job(invoice_data(buyer=replace(PERSON, einvoice_address="FI4819503000000010")))
    assert job["sendtype"] == "email" and "evoice" not in job and "govid" not in job


def test_the_contact_email_is_used_when_the_buyer_has_none():
    job = build_job(invoice_data(buyer=replace(BUYER, email=None, einvoice_address=None)))
    assert (job["email"], job["sendtype"]) == ("matti@esimerkki.fi", "email")


def test_a_swedish_buyer_gets_a_three_letter_country_under_the_documented_addresscountry():
    # dev.ropo.com guides/basics/invoice, field table: "addresscountry: The home country of the recipient, FIN".
    job = build_job(invoice_data(buyer=replace(BUYER, country="SE")))
    assert job["addresscountry"] == "SWE" and "country" not in job


def test_gross_prices_become_net_payrows_that_show_what_the_buyer_saw():
    rows = build_job(invoice_data(prices_include_vat=True))["payrow"]
    assert rows[0] == {"desc": "Coffee beans 1 kg (2 kg × 24,90 sis. alv)", "count": "2", "amount": "21.94",
                       "taxpr": "13.5", "netamount": "43.88", "vatamount": "5.92", "totalamount": "49.80"}
    # 42.66 gross less its share of VAT is no whole number of cents per cup: one row of the exact net.
    assert rows[1] == {"desc": "Espresso cup (6 pcs × 7,90 sis. alv -10 %)", "count": "1", "amount": "33.99",
                       "taxpr": "25.5", "netamount": "33.99", "vatamount": "8.67", "totalamount": "42.66"}


def test_a_credit_note_is_sent_with_positive_counts_and_negative_amounts():
    invoice = invoice_data(kind="credit_note", number=1003)
    rows = build_job(invoice)["payrow"]
    assert [(row["count"], row["amount"]) for row in rows] == [
        ("2", "-24.90"), ("6", "-7.11"), ("1", "-120.00")]
    assert sum(Decimal(r["count"]) * Decimal(r["amount"]) for r in rows) == invoice.total_net < 0


@pytest.mark.parametrize(("change", "code"), [
    ({"kind": "proforma"}, "not_collectable"),
    ({"currency": "SEK"}, "currency"),
    ({"buyer": replace(BUYER, street=None, postcode="")}, "invalid_invoice"),
    ({"lines": ()}, "invalid_invoice"),
])
def test_invoices_the_service_cannot_take_are_refused_before_sending(change, code):
    invoice = replace(invoice_data(), **change)
    with pytest.raises(AdapterError) as caught:
        build_job(invoice)
    assert (caught.value.retryable, caught.value.code) == (False, code)


def net_of(rows) -> Decimal:
    return sum((Decimal(row["count"]) * Decimal(row["amount"]) for row in rows), Decimal(0))


MANY_LINES = tuple(
    (f"Item {i}", ("1", "2", "1.5", "0.333", "7", "12.25")[i % 6], "pcs",
     ("9.99", "0.33", "24.90", "1.125", "199.00", "0.01", "3.3333")[i % 7],
     ("25.5", "13.5", "10", "0")[i % 4],
     "Z" if i % 4 == 3 else "S", ("0", "7.5", "10", "33.3")[i % 4])
    for i in range(60)
)
ODD_LINES = (
    ("Widget", "3", "pcs", "0.33", "25.5", "S", "7.5"), ("Bolt", "0.333", "kg", "17.77", "13.5", "S", "0"),
    ("Return", "-1", "pcs", "12.00", "25.5", "S", "0"), ("Freebie", "1", "pcs", "0.00", "25.5", "S", "0"),
)


@pytest.mark.parametrize("case", [
    {}, {"prices_include_vat": True}, {"lines": ODD_LINES}, {"lines": ODD_LINES, "prices_include_vat": True},
    {"lines": MANY_LINES}, {"lines": MANY_LINES, "prices_include_vat": True},
    {"lines": MANY_LINES, "kind": "credit_note"},
    {"lines": MANY_LINES, "prices_include_vat": True, "currency": "JPY"},
], ids=["net", "gross", "odd-net", "odd-gross", "many-net", "many-gross", "many-credit", "many-gross-jpy"])
def test_the_payrows_add_up_to_the_invoices_net_total_to_the_cent(case):
    invoice = invoice_data(**case)
    rows = build_job(invoice, currency=invoice.currency)["payrow"]
    assert net_of(rows) == invoice.total_net
    for row, line in zip(rows, invoice.lines, strict=True):
        assert Decimal(row["count"]) * Decimal(row["amount"]) == line.net_amount  # no row leans on rounding


amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=3).map(str)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=3).map(str)
rates = st.sampled_from(["25.5", "14", "10", "0"])
discounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2).map(str)
line = st.tuples(st.just("Line"), quantities, st.just("pcs"), amounts, rates, st.just("S"), discounts)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=25), gross=st.booleans(), credit=st.booleans())
def test_any_invoice_keeps_its_net_total_on_the_way_to_ropo(lines, gross, credit):
    kind = "credit_note" if credit else "invoice"
    invoice = invoice_data(lines=tuple(lines), prices_include_vat=gross, kind=kind)
    rows = build_job(invoice)["payrow"]
    assert net_of(rows) == invoice.total_net
    assert all(Decimal(row["amount"]) == Decimal(row["amount"]).quantize(Decimal("0.01")) for row in rows)


def test_a_credit_note_names_the_job_it_credits_by_jobid_when_known():
    job = build_job(invoice_data(kind="credit_note", number=1003), credited_jobid="1000042")
    assert job["refundtojobid"] == "1000042" and "refundtobillnum" not in job
    assert job["billnum"] == "1003" and job["jobtype"] == "0"


def test_a_credit_note_without_the_jobid_names_the_credited_invoice_by_its_billnum():
    job = build_job(invoice_data(kind="credit_note", number=1003))
    assert job["refundtobillnum"] == "1002" and "refundtojobid" not in job


def test_a_credit_note_that_names_no_invoice_is_never_sent_as_a_job_of_its_own():
    credit = invoice_data(kind="credit_note", number=1003, credited_invoice_number=None)
    with pytest.raises(AdapterError) as refused:
        build_job(credit)
    assert refused.value.retryable is False and "names no invoice" in refused.value.message


def test_an_invoice_carries_no_refund_tags():
    assert not {"refundtojobid", "refundtobillnum"} & set(build_job(invoice_data()))


def test_what_the_credit_balance_prepaid_is_a_row_without_vat_so_ropo_collects_only_the_rest():
    from adapters.ropo24.sandbox_store import totals

    invoice = replace(invoice_data(), prepaid_amount=Decimal("10.00"))
    job = build_job(invoice)
    assert job["payrow"][-1] == {"desc": "Ennakkoon maksettu (hyvityssaldosta)", "count": "1", "amount": "-10.00",
                                 "taxpr": "0", "netamount": "-10.00", "vatamount": "0.00", "totalamount": "-10.00"}
    net, vat, gross = totals(job["payrow"])
    assert gross == invoice.amount_due and vat == invoice.total_vat
    assert totals(build_job(invoice_data())["payrow"])[2] == invoice.total_gross
