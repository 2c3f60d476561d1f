"""Exchange rates: the ECB's file read as it is published, the euro VAT rounded to the cent, and a SEK
invoice's Finvoice and PDF stating its VAT in euros with the rate."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from invoicing_plugin.documents.finvoice import finvoice_xml
from invoicing_plugin.documents.pdf import render_invoice_pdf
from invoicing_plugin.documents.xml_validation import validate_finvoice
from invoicing_plugin.domain.errors import ValidationFailed
from invoicing_plugin.services.exchange_rates import Rate, national_vat, parse_ecb, rate_problems
from tests.unit.documents.einvoice_cases import sek_invoice
from tests.unit.documents.test_pdf import page_texts

D = Decimal

# The shape of https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.xml (newest day first).
ECB_FILE = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time="2026-11-27">
      <Cube currency="USD" rate="1.0555"/><Cube currency="JPY" rate="161.94"/>
      <Cube currency="SEK" rate="11.2345"/>
    </Cube>
    <Cube time="2026-11-26">
      <Cube currency="USD" rate="1.0561"/><Cube currency="SEK" rate="11.2410"/>
    </Cube>
    <Cube time="1999-01-04"><Cube currency="DEM" rate="1.9558"/><Cube currency="SEK" rate="9.4696"/></Cube>
  </Cube>
</gesmes:Envelope>
"""


def test_the_ecb_file_gives_each_day_and_currency_and_skips_currencies_no_longer_in_use():
    rates = list(parse_ecb(io.BytesIO(ECB_FILE)))

    assert Rate("SEK", date(2026, 11, 27), D("11.2345")) in rates
    assert Rate("JPY", date(2026, 11, 27), D("161.94")) in rates
    assert Rate("SEK", date(1999, 1, 4), D("9.4696")) in rates
    assert not any(rate.currency == "DEM" for rate in rates)  # the Deutsche Mark is gone
    assert len(rates) == 6


def test_the_import_can_be_limited_to_recent_days_and_some_currencies():
    rates = list(parse_ecb(io.BytesIO(ECB_FILE), since=date(2026, 11, 27), currencies=["sek"]))

    assert rates == [Rate("SEK", date(2026, 11, 27), D("11.2345"))]


def test_a_file_that_is_not_xml_is_refused_naming_the_file():
    with pytest.raises(ValidationFailed) as raised:
        list(parse_ecb(io.BytesIO(b"date,USD\n2026-11-27,1.0555\n")))

    assert "file" in raised.value.errors


def test_bad_rates_are_all_reported_at_once():
    problems = rate_problems([Rate("SEK", date(2026, 11, 27), D("0")), Rate("EUR", date(2026, 11, 27), D(1)),
                              Rate("XXX", date(2026, 11, 27), D("1.1234567")),
                              Rate("USD", date(2026, 11, 27), D(1)), Rate("USD", date(2026, 11, 27), D(1))])

    assert sorted(problems) == ["rates[0]", "rates[1]", "rates[2]", "rates[4]"]
    assert len(problems["rates[2]"]) == 2  # unknown currency and too many decimals


@pytest.mark.parametrize(("vat", "rate", "euros"), [
    (D("48.20"), D("11.2345"), D("4.29")),
    (D("-48.20"), D("11.2345"), D("-4.29")),  # a credit note: the same sign, rounded away from zero
    (D("1124"), D("161.94"), D("6.94")),  # JPY has no decimals; euros have two
    (D("0.05"), D("10"), D("0.01")),  # half a cent rounds up
    (D("-0.05"), D("10"), D("-0.01")),
    (D("0"), D("11.2345"), D("0.00")),
])
def test_the_euro_vat_is_the_vat_divided_by_the_rate_rounded_half_up_to_the_cent(vat, rate, euros):
    assert national_vat(vat, rate) == euros


@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_a_sek_finvoice_carries_the_vat_in_euros_and_the_rate_and_passes_the_xsd(kind):
    invoice = sek_invoice(kind)
    document = finvoice_xml(invoice, message_id="FINV-1", timestamp=datetime(2026, 11, 21, tzinfo=UTC))

    validate_finvoice(document)
    details = etree.fromstring(document).find("InvoiceDetails")
    euro = details.find("InvoiceTotalVatAccountingAmount")
    assert euro.get("AmountCurrencyIdentifier") == "EUR"
    assert D(euro.text.replace(",", ".")) == invoice.total_vat_in_tax_currency
    assert details.find("InvoiceTotalVatAmount").get("AmountCurrencyIdentifier") == "SEK"
    assert details.findtext("ExchangeRate") == "11,2345"


def test_a_euro_finvoice_has_no_accounting_currency_amount():
    from tests.factories import invoice_data

    document = finvoice_xml(invoice_data(), message_id="FINV-1", timestamp=datetime(2026, 11, 21, tzinfo=UTC))

    assert b"InvoiceTotalVatAccountingAmount" not in document and b"ExchangeRate" not in document


@pytest.mark.parametrize(("language", "label", "rate"), [
    ("fi", "ALV yhteensä EUR", "kurssi 1 EUR = 11,2345 SEK"),
    ("sv", "Moms totalt EUR", "kurs 1 EUR = 11,2345 SEK"),
    ("en", "VAT total EUR", "rate 1 EUR = 11.2345 SEK"),
])
def test_the_pdf_of_a_sek_invoice_shows_the_vat_total_in_euros_with_the_rate(language, label, rate):
    from dataclasses import replace

    invoice = replace(sek_invoice(), language=language)
    text = page_texts(render_invoice_pdf(invoice))[0]

    assert label in text and rate in text
    euros = f"{invoice.total_vat_in_tax_currency}".replace(".", "," if language != "en" else ".")
    assert euros in text
