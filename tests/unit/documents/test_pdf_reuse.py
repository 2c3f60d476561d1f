"""What a process reuses between invoice PDFs (one compiled stylesheet per look) never carries one invoice's or
one tenant's look into another's."""

from invoicing_plugin.documents import rendering
from invoicing_plugin.documents.pdf import render_invoice_pdf
from tests.factories import invoice_data

from .test_pdf import page_image, page_texts
from .test_pdf_layout import MAGENTA, pixels_of


def compiled_looks() -> int:
    return len(rendering._local.renderer.stylesheets)


def test_invoices_of_one_look_share_one_compiled_stylesheet_and_keep_their_own_title():
    render_invoice_pdf(invoice_data(language="en"))
    before = compiled_looks()
    lines = tuple((f"Row {n:03d}", "1", "pcs", "2.50", "25.5", "S", "0") for n in range(120))
    texts = page_texts(render_invoice_pdf(invoice_data(number=4242, lines=lines, language="en")))
    assert compiled_looks() == before, "the same look: the stylesheet compiled before is used again"
    assert len(texts) >= 2 and all("Invoice 4242" in text for text in texts[1:]), "each page's running title"


def test_a_tenants_colours_do_not_stay_for_the_next_tenant():
    layout = {"colors": {"primary": "#b0306a", "accent": "#fbeff5"}}
    assert pixels_of(MAGENTA, page_image(render_invoice_pdf(invoice_data(), layout), scale=1)) > 2000
    assert pixels_of(MAGENTA, page_image(render_invoice_pdf(invoice_data()), scale=1)) == 0


def test_a_page_count_is_the_invoices_own_after_a_longer_one():
    lines = tuple((f"Row {n:03d}", "1", "pcs", "2.50", "25.5", "S", "0") for n in range(200))
    long = page_texts(render_invoice_pdf(invoice_data(lines=lines, language="en")))
    [short] = page_texts(render_invoice_pdf(invoice_data(language="en")))
    assert f"Page 1/{len(long)}" in long[0] and len(long) > 2
    assert "Page 1/1" in short
