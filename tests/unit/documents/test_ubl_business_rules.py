"""EN 16931 / Peppol BIS 3 business rules on our UBL: the checks an access point runs after the schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from invoicing_plugin.documents.finvoice import finvoice_xml
from invoicing_plugin.documents.ubl import ubl_xml
from invoicing_plugin.documents.ubl_lines import net_unit_price
from invoicing_plugin.documents.xml_validation import validate_finvoice, validate_ubl
from tests.factories import invoice_data
from tests.unit.documents.einvoice_cases import peppol_cases
from tests.unit.documents.peppol_rules import NS, violations

CASES = peppol_cases()
D = Decimal


@pytest.mark.parametrize("name", CASES)
def test_every_ubl_document_keeps_the_totals_vat_and_routing_rules(name):
    assert violations(ubl_xml(CASES[name])) == []


@pytest.mark.parametrize("name", CASES)
def test_every_line_multiplies_out_to_its_net_exactly_not_just_within_r120s_two_cents(name):
    problems = violations(ubl_xml(CASES[name]), exact=True)

    assert [p for p in problems if "R120" in p] == []


NET_PRICED_EURO = [name for name, case in CASES.items()
                   if case.currency == "EUR" and not case.prices_include_vat]


@pytest.mark.parametrize("name", NET_PRICED_EURO)
def test_net_priced_euro_vat_is_exactly_taxable_times_rate(name):
    assert [p for p in violations(ubl_xml(CASES[name]), exact=True) if "BR-S-09" in p] == []


def _tamper(document: bytes, path: str, value: str) -> bytes:
    root = etree.fromstring(document)
    root.xpath(path, namespaces=NS)[0].text = value
    return etree.tostring(root)


@pytest.mark.parametrize(("path", "value", "rule"), [
    ("cac:LegalMonetaryTotal/cbc:LineExtensionAmount", "212.47", "BR-CO-10"),
    ("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount", "212.47", "BR-CO-13"),
    ("cac:TaxTotal/cbc:TaxAmount", "48.21", "BR-CO-14"),
    ("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", "260.67", "BR-CO-15"),
    ("cac:LegalMonetaryTotal/cbc:PayableAmount", "260.67", "BR-CO-16"),
    ("cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "43.48", "BR-S-09"),
    ("cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount", "162.67", "BR-S-08"),
    ("cac:InvoiceLine/cac:Price/cbc:PriceAmount", "24.95", "R120"),
    ("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", "", "R008"),
    ("cbc:BuyerReference", " ", "R008"),
    ("cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", "0", "BR-S-05"),
])
def test_the_rule_check_catches_a_document_that_breaks_the_rule(path, value, rule):
    tampered = _tamper(ubl_xml(CASES["mixed rates with a discount"]), path, value)

    assert any(rule in problem for problem in violations(tampered))


def test_the_rule_check_catches_a_missing_exemption_reason_and_a_missing_endpoint():
    root = etree.fromstring(ubl_xml(CASES["reverse charge"]))
    reasons = "//cac:TaxSubtotal/cac:TaxCategory/*[starts-with(local-name(), 'TaxExemptionReason')]"
    for reason in root.xpath(reasons, namespaces=NS):
        reason.getparent().remove(reason)
    endpoint = root.xpath("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=NS)[0]
    endpoint.getparent().remove(endpoint)

    problems = violations(etree.tostring(root))
    assert any("BR-AE-10" in p for p in problems)
    assert any("R010" in p for p in problems)


@pytest.mark.parametrize(("quantity", "amount", "preferred", "currency", "price"), [
    ("6", "42.66", "7.11", "EUR", "7.11"),      # the shop's price works: kept as it is
    ("3", "12.95", "4.3172", "EUR", "4.317"),   # 4.32 x 3 = 12.96: one more decimal
    ("1.5", "500", "333", "JPY", "333.33"),     # 1.5 x 333 = 499.5 yen is 0.5 off; R120 allows 0.02
    ("3", "10.00", "3.3333", "EUR", "3.333"),   # 3.33 x 3 = 9.99; 3.333 x 3 = 9.999 is 10.00
    ("0.001", "0", "20.005", "JPY", "0"),       # too little to bill: the price the line net allows
    ("7", "0", "0", "EUR", "0.00"),
])
def test_the_net_unit_price_is_the_shortest_that_gives_the_line_net(quantity, amount, preferred, currency,
                                                                    price):
    assert net_unit_price(D(quantity), D(amount), D(preferred), currency) == D(price)


RATES = [("25.5", "S"), ("13.5", "S"), ("10", "S"), ("0", "Z"), ("0", "E"), ("0", "AE")]
line_strategy = st.tuples(
    st.decimals(min_value=D("0.001"), max_value=D("5000"), places=3),
    st.decimals(min_value=D("-500"), max_value=D("20000"), places=4),
    st.sampled_from(RATES),
    st.decimals(min_value=D(0), max_value=D(100), places=3),
).map(lambda t: ("Item", str(t[0]), "pcs", str(t[1]), t[2][0], t[2][1], str(t[3])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line_strategy, min_size=1, max_size=8), gross=st.booleans(),
       currency=st.sampled_from(["EUR", "SEK", "JPY"]), kind=st.sampled_from(["invoice", "credit_note"]))
def test_any_line_set_gives_valid_documents_whose_totals_and_rules_hold(lines, gross, currency, kind):
    invoice = invoice_data(lines=tuple(lines), prices_include_vat=gross, currency=currency, kind=kind,
                           invoice_date=date(2026, 11, 21))
    sign = -1 if kind == "credit_note" else 1

    document = ubl_xml(invoice)
    validate_ubl(document)
    assert violations(document) == []
    assert [p for p in violations(document, exact=True) if "R120" in p] == []
    root = etree.fromstring(document)
    payable = D(root.xpath("cac:LegalMonetaryTotal/cbc:PayableAmount/text()", namespaces=NS)[0])
    assert payable == invoice.total_gross * sign

    finvoice = finvoice_xml(invoice, message_id="FINV-1", timestamp=datetime(2026, 11, 21))
    validate_finvoice(finvoice)
    total = etree.fromstring(finvoice).findtext("InvoiceDetails/InvoiceTotalVatIncludedAmount")
    assert D(total.replace(",", ".")) == invoice.total_gross
