"""A long invoice: its lines flow over several pages, each numbered and headed, the bank form on the first."""

import re

import pytest
import zxingcpp

from invoicing_plugin.documents.pdf import render_invoice_pdf
from tests.factories import invoice_data

from .test_pdf import codes, page_texts

HEADER_ROW = "Description Quantity Unit price VAT % Excl. VAT"


@pytest.fixture(scope="module")
def pages():
    lines = tuple((f"Article number {n:03d}", "1", "pcs", "2.50", "25.5", "S", "0") for n in range(1, 201))
    pdf = render_invoice_pdf(invoice_data(lines=lines, language="en"))
    return pdf, page_texts(pdf)


def test_a_200_line_invoice_runs_over_several_pages_each_numbered_n_of_total(pages):
    _, texts = pages
    total = len(texts)
    assert total >= 3
    for number, text in enumerate(texts, start=1):
        assert f"Page {number}/{total}" in text


def test_every_page_repeats_the_lines_header_row(pages):
    _, texts = pages
    assert all(HEADER_ROW in text for text in texts)


def test_every_line_is_printed_once_and_in_order(pages):
    _, texts = pages
    printed = re.findall(r"Article number (\d{3})", " ".join(texts))
    assert printed == [f"{n:03d}" for n in range(1, 201)]


def test_the_totals_come_after_the_last_line_and_the_bank_form_is_on_the_first_page_only(pages):
    pdf, texts = pages
    assert "Amount due €627.50" in texts[-1]  # 200 x 2.50 = 500.00 net + 25.5 % VAT
    assert "Article number 200" in texts[-1]
    assert all("Amount due" not in text for text in texts[:-1])
    assert "Saajan tilinumero" in texts[0]
    assert all("Saajan tilinumero" not in text for text in texts[1:])
    assert zxingcpp.Code128 in codes(pdf, 0)
    assert zxingcpp.Code128 not in codes(pdf, 1)


def test_the_following_pages_say_which_invoice_they_belong_to(pages):
    _, texts = pages
    assert all("Invoice 1001" in text for text in texts[1:])
