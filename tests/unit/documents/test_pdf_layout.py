"""A tenant's layout: logo, colours, font, footer and wording change the PDF without code."""

import io

import pypdf
import pytest
from PIL import Image

from invoicing_plugin.documents.pdf import LayoutError, parse_layout, render_invoice_html, render_invoice_pdf
from tests.factories import invoice_data

from .test_pdf import page_image, page_texts

MAGENTA = (176, 48, 106)


def pixels_of(colour, image) -> int:
    return sum(count for count, rgb in image.convert("RGB").getcolors(maxcolors=1 << 20) if rgb == colour)


def png_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (10, 120, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def font_names(pdf: bytes) -> set[str]:
    fonts = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    return {str(font.get_object()["/BaseFont"]).split("+")[-1].replace("-", "") for font in fonts.values()}


def test_the_primary_colour_fills_the_table_header():
    layout = {"colors": {"primary": "#b0306a", "accent": "#fbeff5"}}
    assert pixels_of(MAGENTA, page_image(render_invoice_pdf(invoice_data()), scale=1)) == 0
    assert pixels_of(MAGENTA, page_image(render_invoice_pdf(invoice_data(), layout), scale=1)) > 2000


def test_the_footer_text_is_printed_on_every_page_in_the_invoices_language():
    lines = tuple((f"Item {n}", "1", "pcs", "1.00", "25.5", "S", "0") for n in range(60))
    layout = {"footer_text": {"fi": "Kiitos tilauksestanne! Kahvila Oy", "en": "Thank you for your order!"}}
    texts = page_texts(render_invoice_pdf(invoice_data(lines=lines), layout))
    assert len(texts) >= 2
    assert all("Kiitos tilauksestanne! Kahvila Oy" in text for text in texts)
    assert all("Thank you" not in text for text in texts)


def test_a_text_override_replaces_the_catalog_text_in_its_language_only():
    layout = {"texts": {"fi": {"payment_terms": "{days} pv netto, 2 % käteisalennus 7 pv"},
                        "sv": {"late_payment": ""}}}
    fi = page_texts(render_invoice_pdf(invoice_data(), layout))[0]
    assert "Maksuehto 14 pv netto, 2 % käteisalennus 7 pv" in fi
    assert "14 päivää netto" not in fi
    sv = page_texts(render_invoice_pdf(invoice_data(language="sv"), layout))[0]
    assert "14 dagar netto" in sv
    assert "Dröjsmålsränta" not in sv  # an empty override removes the sentence


def test_a_logo_is_embedded_from_bytes_or_a_data_uri():
    assert len(pypdf.PdfReader(io.BytesIO(render_invoice_pdf(invoice_data()))).pages[0].images) == 0
    pdf = render_invoice_pdf(invoice_data(), {"logo": png_logo()})
    (image,) = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images
    assert image.image.size == (120, 40)
    uri = parse_layout({"logo": png_logo()}).logo
    assert uri.startswith("data:image/png;base64,")
    assert parse_layout({"logo": uri}).logo == uri


def test_the_tenants_font_is_used():
    assert "DejaVuSerif" not in font_names(render_invoice_pdf(invoice_data()))
    assert "DejaVuSerif" in font_names(render_invoice_pdf(invoice_data(), {"font_family": "DejaVu Serif"}))


def test_a_broken_layout_is_refused_with_every_problem_named():
    with pytest.raises(LayoutError) as error:
        parse_layout({
            "colours": {}, "colors": {"primary": "red; background: url(http://x)"},
            "font_family": "Evil</style>", "logo": b"MZ\x90\x00",
            "texts": {"fi": {"payment_term": "x"}, "de": {}},
        })
    message = str(error.value)
    for problem in ("colours: unknown layout key", "colors.primary", "font_family", "logo",
                    "texts.fi.payment_term: unknown text key", "texts.de: unknown language"):
        assert problem in message


def test_an_override_cannot_break_out_of_the_stylesheet():
    layout = {"texts": {"en": {"page": 'Page"} body{display:none} </style><h1>x</h1>'}}}
    html = render_invoice_html(invoice_data(language="en"), layout)
    assert html.count("</style>") == 1 and "<h1>x</h1>" not in html
    assert "Amount due €260.66" in page_texts(render_invoice_pdf(invoice_data(language="en"), layout))[0]
