"""Our document renderer (expat parse, our user agent stylesheet) draws every page exactly as WeasyPrint's own
HTML5 parser and full stylesheet would, and still renders markup expat refuses."""

import gc
import uuid
import weakref
from dataclasses import replace
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest
import weasyprint
from PIL import ImageChops

from invoicing_plugin.documents import pdf, rendering
from invoicing_plugin.documents.pdf import render_invoice_pdf
from invoicing_plugin.documents.statement import render_statement_html, render_statement_pdf
from invoicing_plugin.services.statements import Movement, Statement
from tests.factories import BUYER, SELLER, invoice_data

from .test_pdf import page_image, page_texts

PNG_LOGO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e0f4f1c30000000049454e44ae426082")
LONG = tuple((f"Product {i}", str(1 + i % 5), "pcs", f"{3 + i % 40}.90", ("25.5", "13.5", "10")[i % 3], "S", "0")
             for i in range(60))


def weasyprints_own(invoice, layout=None, language=None) -> bytes:
    """The same HTML and stylesheet through weasyprint.HTML as it comes: tinyhtml5 and the full HTML5 stylesheet."""
    checked = pdf.parse_layout(layout)
    context = pdf._context(invoice, checked, pdf._language(invoice, language))
    environment = pdf.template_environment()
    html = environment.get_template("invoice/invoice.html").render(context, inline_styles=False)
    css = environment.get_template("invoice/invoice.css").render(
        {key: context[key] for key in ("layout", "t", "font_family")}, slip=context["slip"] is not None)
    return weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(string=css)])


def assert_same_pages(ours: bytes, theirs: bytes) -> None:
    pages = len(page_texts(theirs))
    assert len(page_texts(ours)) == pages
    for index in range(pages):
        difference = ImageChops.difference(page_image(ours, index, scale=2).convert("RGB"),
                                           page_image(theirs, index, scale=2).convert("RGB"))
        assert difference.getbbox() is None, f"page {index + 1} differs in {difference.getbbox()}"


@pytest.mark.parametrize(("invoice", "layout", "language"), [
    (invoice_data(), None, None),
    (invoice_data(lines=LONG), None, "en"),
    (invoice_data(kind="credit_note"), None, "sv"),
    (invoice_data(kind="proforma"), None, "en"),
    (invoice_data(), {"logo": PNG_LOGO, "colors": {"primary": "#7a1f1f", "accent": "#f7eeee"},
                      "footer_text": "Thanks & see you <soon>"}, "en"),
], ids=["five-lines-fi", "sixty-lines-en", "credit-note-sv", "proforma-en", "own-layout"])
def test_our_parse_and_stylesheet_draw_the_same_pages_as_weasyprints_own(invoice, layout, language):
    assert_same_pages(render_invoice_pdf(invoice, layout, language=language),
                      weasyprints_own(invoice, layout, language))


def test_a_name_expat_refuses_still_renders_through_the_html5_parser():
    invoice = invoice_data()
    odd = replace(invoice, buyer=replace(invoice.buyer, name="Vertical\x0btab Oy"))
    html = pdf.render_invoice_html(odd)
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(html)
    assert_same_pages(render_invoice_pdf(odd), weasyprints_own(odd))


def test_the_pdf_keeps_its_outline_of_headings():
    root = ElementTree.fromstring("<html><body><h1>Lasku 1001</h1><h2>Huomautukset</h2></body></html>")
    document = rendering._document_class(weasyprint).from_tree(root, None)
    [(label, _, children, _)] = document.render().make_bookmark_tree()
    assert label == "Lasku 1001" and [child[0] for child in children] == ["Huomautukset"]


def test_a_statement_draws_the_same_pages_as_weasyprints_own():
    rows = ((3, "invoice", "120.00"), (9, "payment", "-50.00"), (14, "credit_note", "-20.00"), (21, "invoice", "75.50"))
    movements = tuple(Movement(date(2026, 11, day), kind, f"{1000 + day}", Decimal(amount), Decimal(day * 10),
                               due_date=date(2026, 12, day) if kind == "invoice" else None)
                      for day, kind, amount in rows)
    statement = Statement(uuid.uuid4(), BUYER, SELLER, "EUR", "fi", date(2026, 11, 1), date(2026, 11, 30),
                          Decimal("10.00"), movements, Decimal("135.50"))
    theirs = weasyprint.HTML(string=render_statement_html(statement)).write_pdf()
    assert_same_pages(render_statement_pdf(statement), theirs)


def test_objects_made_before_a_render_are_collectable_again_after_it_even_when_it_fails():
    class Cycle:
        def __init__(self):
            self.me = self

    made_before = weakref.ref(Cycle())  # garbage only the cyclic collector can free
    render_invoice_pdf(invoice_data())
    with pytest.raises(TypeError):  # a render that fails half way: no stylesheet to compile
        rendering.write_pdf("<p>Lasku</p>", None, "a test")  # type: ignore[arg-type]
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert made_before() is None
