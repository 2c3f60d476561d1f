"""The invoice PDF as the customer and the accountant read it: texts, amounts, the bank form and its codes."""

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pypdf
import pypdfium2
import pytest
import zxingcpp

from invoicing_plugin.documents.pdf import render_invoice_html, render_invoice_pdf
from invoicing_plugin.domain.barcode import virtual_barcode
from tests.factories import DEFAULT_LINES, check_sums, invoice_data

WITH_MACHINE = DEFAULT_LINES + (("Espresso machine", "1", "pcs", "1500.00", "25.5", "S", "0"),)


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text, whitespace (including the no-break spaces of numbers) collapsed to one space."""
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def page_image(pdf: bytes, index: int = 0, scale: float = 2.5):
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[index].render(scale=scale).to_pil()
    finally:
        document.close()


def codes(pdf: bytes, index: int = 0) -> dict:
    """Barcodes found on a page by a real reader: {zxingcpp format: [texts]}."""
    found: dict = {}
    for result in zxingcpp.read_barcodes(page_image(pdf, index)):
        found.setdefault(result.format, []).append(result.text)
    return found


@pytest.fixture(scope="module")
def invoice():
    data = invoice_data(lines=WITH_MACHINE)
    check_sums(data)
    assert (data.total_net, data.total_vat, data.total_gross) == (
        Decimal("1712.46"), Decimal("430.70"), Decimal("2143.16"))
    return data


EXPECTED = {
    "fi": [
        "Lasku", "Laskun numero 1001", "Laskun päivämäärä 21.11.2026", "Eräpäivä 5.12.2026",
        "Maksuehto 14 päivää netto", "Viitenumero 1 10013", "RF-viite RF84 1100 13", "Viitteenne PO-778",
        "Tilausnumero WS-10001", "Yhteyshenkilö Matti Meikäläinen",
        "Coffee beans 1 kg SKU-1 2 kg 24,90 13,5 49,80", "Espresso cup SKU-2 6 pcs 7,90 10 25,5 42,66",
        "Barista course SKU-3 1 h 120,00 25,5 120,00", "Espresso machine SKU-4 1 pcs 1 500,00 25,5 1 500,00",
        "25,5 1 662,66 423,98 2 086,64", "13,5 49,80 6,72 56,52",
        "Veroton yhteensä 1 712,46 €", "ALV yhteensä 430,70 €", "Maksettava yhteensä 2 143,16 €",
        "Y-tunnus 0737546-2", "ALV-numero FI26174164", "Verkkolaskuosoite 003726174164",
        "Välittäjä 003721291126 (Maventa)",
    ],
    "sv": [
        "Faktura", "Fakturanummer 1001", "Fakturadatum 21.11.2026", "Förfallodag 5.12.2026",
        "Betalningsvillkor 14 dagar netto", "Referensnummer 1 10013", "Er referens PO-778",
        "Espresso machine SKU-4 1 pcs 1 500,00 25,5 1 500,00", "Espresso cup SKU-2 6 pcs 7,90 10 25,5 42,66",
        "Summa exkl. moms 1 712,46 €", "Moms totalt 430,70 €", "Att betala 2 143,16 €", "FO-nummer 2617416-4",
    ],
    "en": [
        "Invoice", "Invoice number 1001", "Invoice date 21 Nov 2026", "Due date 5 Dec 2026",
        "Payment terms 14 days net", "Reference number 1 10013", "Your reference PO-778",
        "Espresso machine SKU-4 1 pcs 1,500.00 25.5 1,500.00", "Espresso cup SKU-2 6 pcs 7.90 10 25.5 42.66",
        "25.5 1,662.66 423.98 2,086.64",
        "Total excl. VAT €1,712.46", "Total VAT €430.70", "Amount due €2,143.16", "Business ID 2617416-4",
    ],
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_customer_reads_number_reference_lines_and_totals_in_their_language(invoice, language):
    text = page_texts(render_invoice_pdf(replace(invoice, language=language)))[0]
    missing = [expected for expected in EXPECTED[language] if expected not in text]
    assert not missing, f"not on the page: {missing}\n--- page text ---\n{text}"


def test_an_explicit_language_overrides_the_invoices(invoice):
    text = page_texts(render_invoice_pdf(invoice, language="en"))[0]
    assert "Amount due €2,143.16" in text and "Maksettava" not in text


def test_the_date_of_supply_is_printed_only_when_it_differs_from_the_invoice_date(invoice):
    assert "Toimituspäivä" not in page_texts(render_invoice_pdf(invoice))[0]
    later = replace(invoice, tax_date=date(2026, 11, 18))
    assert "Toimituspäivä 18.11.2026" in page_texts(render_invoice_pdf(later))[0]


def test_the_barcode_reads_as_exactly_the_54_digit_virtual_barcode(invoice):
    expected = virtual_barcode(invoice.seller.iban, invoice.total_gross, invoice.reference, invoice.due_date)
    pdf = render_invoice_pdf(invoice)
    assert codes(pdf).get(zxingcpp.Code128) == [expected]
    assert expected in page_texts(pdf)[0]  # printed too, for typing into an online bank


def test_the_epc_qr_code_pays_the_amount_to_the_sellers_iban_with_the_rf_reference(invoice):
    (payload,) = codes(render_invoice_pdf(invoice))[zxingcpp.QRCode]
    fields = payload.split("\n")
    service, version, charset, identification, bic, name, iban, amount, purpose, reference = fields
    assert (service, version, identification) == ("BCD", "002", "SCT")
    assert charset in {"1", "2"}
    assert (bic, name, iban) == ("NDEAFIHH", "Kahvila Oy", "FI4819503000000010")
    assert amount.startswith("EUR") and Decimal(amount[3:]) == invoice.total_gross
    assert reference == invoice.reference_rf == "RF84110013"


def test_the_bank_transfer_form_names_payee_payer_reference_due_date_and_amount(invoice):
    text = page_texts(render_invoice_pdf(invoice))[0]
    form = text[text.index("Saajan tilinumero"):]
    for expected in ("FI48 1950 3000 0000 10", "NDEAFIHH", "Saaja Mottagare Kahvila Oy", "Esimerkki Oy",
                     "Mannerheimintie 1", "Ref.nr 1 10013", "Förfallodag 5.12.2026", "Euro 2 143,16"):
        assert expected in form


def test_a_credit_note_names_the_invoice_it_credits_and_asks_for_no_payment():
    pdf = render_invoice_pdf(invoice_data(kind="credit_note"))
    text = page_texts(pdf)[0]
    assert "Hyvityslaskun numero 1001" in text
    assert "Hyvittää laskun 1000, päivätty 21.11.2026" in text
    assert "Hyvitetään yhteensä -260,66 €" in text
    assert "Eräpäivä" not in text and "Saajan tilinumero" not in text
    assert codes(pdf) == {}


@pytest.mark.parametrize(("language", "title", "credits"), [
    ("sv", "Kreditnota", "Krediterar faktura 1000 daterad 21.11.2026"),
    ("en", "Credit note", "Credits invoice 1000 dated 21 Nov 2026"),
])
def test_a_credit_note_says_so_in_swedish_and_english(language, title, credits):
    text = page_texts(render_invoice_pdf(invoice_data(kind="credit_note", language=language)))[0]
    assert title in text and credits in text


def test_a_proforma_invoice_says_so_and_carries_no_bank_form_barcode_or_qr_code():
    pdf = render_invoice_pdf(invoice_data(kind="proforma", language="en"))
    text = page_texts(pdf)[0]
    assert "Pro forma invoice" in text and "This is not an invoice" in text
    assert "Saajan" not in text and "Reference number" not in text and "Due date" not in text
    assert codes(pdf) == {}


def test_an_invoice_in_another_currency_has_no_euro_form_but_shows_the_bank_details():
    pdf = render_invoice_pdf(invoice_data(currency="SEK", language="sv"))
    text = page_texts(pdf)[0]
    assert "Att betala 2 143,16 kr" not in text  # (not this invoice's total: guards the assertion below)
    assert "Att betala 260,66 kr" in text
    assert "Saajan tilinumero" not in text and codes(pdf) == {}
    assert "Bankförbindelse: FI48 1950 3000 0000 10 BIC NDEAFIHH" in text


def test_reverse_charge_is_written_out_in_the_vat_breakdown():
    lines = (("Consulting", "10", "h", "100.00", "0", "AE", "0"),)
    text = page_texts(render_invoice_pdf(invoice_data(lines=lines)))[0]
    assert "0 Käännetty verovelvollisuus 1 000,00 0,00 1 000,00" in text


def test_text_from_the_shop_is_printed_as_written_not_interpreted_as_html():
    lines = (("Tape <b>50 mm</b> & glue", "1", "pcs", "5.00", "25.5", "S", "0"),)
    data = invoice_data(lines=lines, notes='Deliver to gate "B" </style><script>x</script>')
    html = render_invoice_html(data)
    assert "<b>50 mm</b>" not in html and "<script>" not in html
    text = page_texts(render_invoice_pdf(data))[0]
    assert "Tape <b>50 mm</b> & glue" in text
    assert 'Deliver to gate "B" </style><script>x</script>' in text
