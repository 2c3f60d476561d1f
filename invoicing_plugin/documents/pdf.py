"""The invoice PDF: plain invoice data through Jinja2 templates and WeasyPrint, with the bank transfer form.

`render_invoice_pdf(invoice, layout)` is a pure function of its arguments. A layout is a tenant's
mapping of look and wording (see `parse_layout`). The Jinja2 environment, the text catalogs and the
number formats are built once per process; the templates come from the installed package
`invoicing_plugin.templates`, never from paths relative to this file.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from invoicing_plugin.domain.barcode import virtual_barcode
from invoicing_plugin.domain.identifiers import KNOWN_OPERATORS, InvalidIdentifier, format_finnish_reference
from invoicing_plugin.domain.invoice_data import InvoiceData
from invoicing_plugin.extras import require

from . import code128, rendering
from .einvoice import has_prepaid
from .formats import LANGUAGES, formats_for
from .translations import Texts, message_keys, override_problems

# A generic family last, so that a missing tenant font still prints; DejaVu Sans is what WeasyPrint finds
# on a bare Debian or Ubuntu system, and it has every Finnish and Swedish letter.
FALLBACK_FONTS = '"DejaVu Sans", sans-serif'
EPC_MAX_AMOUNT = 999999999  # EPC069-12: at most 999999999.99 EUR
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_FONT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,60}")
_DATA_URI = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml)(?:;[\w=.+-]+)*,", re.ASCII)
_IMAGE_SIGNATURES = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpeg", b"GIF8": "gif"}
_LAYOUT_KEYS = ("logo", "colors", "font_family", "footer_text", "texts")


class LayoutError(ValueError):
    """A tenant's layout cannot be used; str(error) lists every problem."""


@dataclass(frozen=True)
class Layout:
    """A checked layout whose values are safe to put into HTML and CSS."""

    logo: str | None = None  # a data: URI
    primary: str = "#1f3a5f"  # titles, the lines' header row, the grand total
    accent: str = "#eef2f7"  # every other line, the footer rule
    font_family: str = FALLBACK_FONTS  # a CSS font-family list
    footer_text: str | Mapping[str, str] | None = None
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def footer_for(self, language: str) -> str | None:
        if isinstance(self.footer_text, Mapping):
            return self.footer_text.get(language)
        return self.footer_text


def parse_layout(layout: Mapping | None) -> Layout:
    """Check a tenant's layout mapping; LayoutError names every problem at once.

    Keys, all optional: `logo` (PNG, JPEG, GIF, WebP or SVG bytes, or a data:image/... URI), `colors`
    ({"primary": "#1f3a5f", "accent": "#eef2f7"}), `font_family` ("Open Sans" or a comma-separated
    list; the fallback fonts follow it), `footer_text` (a string, or {language: string}) and `texts`
    ({language: {text key: text}}; the keys are the msgids of the .po catalogs).
    """
    if not layout:
        return Layout()
    problems = [f"{key}: unknown layout key; use {', '.join(_LAYOUT_KEYS)}" for key in layout
                if key not in _LAYOUT_KEYS]
    values: dict = {"footer_text": layout.get("footer_text"), "texts": layout.get("texts") or {}}
    if "logo" in layout:
        values["logo"] = _logo_uri(layout["logo"], problems)
    values.update(_colours(layout.get("colors") or {}, problems))
    if layout.get("font_family"):
        values["font_family"] = _font_family(layout["font_family"], problems)
    if not _is_footer(values["footer_text"]):
        problems.append("footer_text: must be a string or a mapping of fi/sv/en to strings")
    problems.extend(override_problems(values["texts"]))
    if problems:
        raise LayoutError("; ".join(problems))
    return Layout(**values)


def render_invoice_html(
    invoice: InvoiceData, layout: Mapping | None = None, *, language: str | None = None
) -> str:
    """The invoice as one self-contained HTML document (styles inline, images as data: URIs)."""
    context = _context(invoice, parse_layout(layout), _language(invoice, language))
    return template_environment().get_template("invoice/invoice.html").render(context, inline_styles=True)


def render_invoice_pdf(
    invoice: InvoiceData, layout: Mapping | None = None, *, language: str | None = None
) -> bytes:
    """The invoice as PDF bytes, in the invoice's language unless `language` says otherwise."""
    context = _context(invoice, parse_layout(layout), _language(invoice, language))
    # The page's running title comes from the HTML, so the stylesheet is the look's alone.
    return document_pdf("invoice/invoice", context, "the invoice PDF", slip=context["slip"] is not None)


def document_pdf(name: str, context: dict, what: str, **look: object) -> bytes:
    """The PDF of the document template `name` (`name`.html and `name`.css) with `context`; `what` names it in
    errors. The stylesheet sees only what the look depends on (layout, texts, font and `look`), so that every
    document of a tenant and language shares one compiled stylesheet (rendering.py)."""
    environment = template_environment()
    html = environment.get_template(f"{name}.html").render(context, inline_styles=False)
    css = environment.get_template(f"{name}.css").render(
        {key: context[key] for key in ("layout", "t", "font_family")}, **look)
    return rendering.write_pdf(html, css, what)


def _language(invoice: InvoiceData, language: str | None) -> str:
    if language is not None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        return language
    # A language we have no texts for (de, et, ...) gets English, which a buyer abroad most likely reads.
    return invoice.language if invoice.language in LANGUAGES else "en"


def _context(invoice: InvoiceData, layout: Layout, language: str) -> dict:
    f = formats_for(language)
    t = Texts(language, layout.texts.get(language))
    kind = invoice.kind if invoice.kind in ("credit_note", "proforma") else "invoice"
    currency = invoice.currency
    return {
        "invoice": invoice, "layout": layout, "language": language, "t": t,
        "title": t(f"doc_{kind}"),
        "total_label": {"credit_note": "total_credited", "proforma": "total"}.get(kind, "total_due"),
        "payable": kind == "invoice",  # a pro forma takes no payments: no due date, reference or bank form
        # Paid from the customer's credit balance: the totals show it, the form asks only for the rest.
        "prepaid": has_prepaid(invoice),
        "asks_payment": kind == "invoice" and invoice.amount_due > 0,
        "reference": format_finnish_reference(invoice.reference),
        "reference_rf": _groups_of_four(invoice.reference_rf),
        "iban": _groups_of_four(invoice.seller.iban or ""),
        "discounts": any(line.discount_percent for line in invoice.lines),
        "show_country": (invoice.seller.country or "FI") != (invoice.buyer.country or "FI"),
        "footer": layout.footer_for(language) or _seller_line(invoice, t),
        "font_family": Markup(layout.font_family),  # noqa: S704 - parse_layout allows only safe font names
        "slip": _slip(invoice),
        "money": lambda value: f.money(value, currency),
        # An invoice in another currency: its VAT total in euros with the rate ("ALV yhteensä EUR").
        "tax_money": (lambda value: f.money(value, invoice.tax_currency or "EUR"))
        if invoice.tax_currency and invoice.total_vat_in_tax_currency is not None
        and invoice.exchange_rate is not None and invoice.tax_currency != currency else None,
        "amount": lambda value: f.amount(value, currency),
        "price": lambda value: f.price(value, currency),
        "number": f.number,
        "date": f.date,
        "country": f.country,
        "vat_note": lambda category: t(f"vat_note_{category}") if f"vat_note_{category}" in message_keys()
        else category,
        "operator_name": lambda code: f"{code} ({KNOWN_OPERATORS[code]})" if code in KNOWN_OPERATORS
        else code,
    }


@dataclass(frozen=True)
class _Slip:
    """What the bank transfer form prints beyond the invoice's own fields."""

    barcode: Markup | None = None
    virtual_barcode: str | None = None
    qr: Markup | None = None


def _slip(invoice: InvoiceData) -> _Slip | None:
    """The bank transfer form, when a euro amount is to be paid into the seller's account: the amount
    due, which is the total less what the customer's credit balance prepaid.

    A credit note and a proforma ask for no payment (a proforma is not an invoice: nobody may pay it by
    scanning or typing in its reference), nor does an invoice its prepaid amount covered in full. The
    Finnish barcode needs a Finnish IBAN; the EPC QR code works for any SEPA account.
    """
    seller = invoice.seller
    if invoice.kind in ("credit_note", "proforma") or invoice.currency != "EUR" or not seller.iban:
        return None
    amount = invoice.amount_due
    if amount <= 0:
        return None
    try:
        digits = virtual_barcode(seller.iban, amount, invoice.reference, invoice.due_date)
    except InvalidIdentifier:
        digits = None
    qr = None
    if amount <= EPC_MAX_AMOUNT:
        segno_helpers = require("segno.helpers", "pdf", "the invoice PDF's EPC QR code")
        epc = segno_helpers.make_epc_qr(
            name=seller.name[:70], iban=seller.iban.replace(" ", ""), amount=amount,
            bic=seller.bic or None, reference=invoice.reference_rf or None,
            text=None if invoice.reference_rf else invoice.number,
        )
        # With its namespace, as the barcode's: the document is parsed as XML (rendering.py), where an <svg>
        # without one is not SVG (the HTML5 parser would have put it there).
        out = io.BytesIO()
        epc.save(out, kind="svg", xmldecl=False, svgns=True, nl=False, border=4, omitsize=True, svgclass="epc-qr")
        qr = Markup(out.getvalue().decode())  # noqa: S704 - our own SVG
    return _Slip(Markup(code128.svg(digits)) if digits else None, digits, qr)  # noqa: S704 - our own SVG


def _seller_line(invoice: InvoiceData, t: Texts) -> str:
    """The default footer: who the seller is and how to reach them."""
    s = invoice.seller
    parts = [s.name, s.street, " ".join(p for p in (s.postcode, s.city) if p),
             f"{t('business_id')} {s.business_id}" if s.business_id else None, s.email, s.phone]
    return " · ".join(p for p in parts if p)


def _groups_of_four(value: str) -> str:
    """IBANs and RF references are read out in groups of four: 'FI48 1950 3000 0000 10'."""
    compact = value.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _colours(colours: object, problems: list[str]) -> dict[str, str]:
    if not isinstance(colours, Mapping):
        problems.append("colors: must be a mapping with primary and accent")
        return {}
    checked = {}
    for name, value in colours.items():
        if name not in ("primary", "accent"):
            problems.append(f"colors.{name}: unknown colour; use primary and accent")
        elif isinstance(value, str) and _COLOUR.fullmatch(value):
            checked[name] = value
        else:
            problems.append(f"colors.{name}: must be a hex colour such as #1f3a5f")
    return checked


def _is_footer(footer: object) -> bool:
    if footer is None or isinstance(footer, str):
        return True
    return isinstance(footer, Mapping) and set(footer) <= set(LANGUAGES) and all(
        isinstance(text, str) for text in footer.values())


def _font_family(value: object, problems: list[str]) -> str:
    names = [name.strip().strip("\"'") for name in str(value).split(",")]
    if not all(_FONT_NAME.fullmatch(name) for name in names):
        problems.append("font_family: font names are letters, digits, spaces, - and _, separated by commas")
        return FALLBACK_FONTS
    return ", ".join(f'"{name}"' for name in names) + ", " + FALLBACK_FONTS


def _logo_uri(logo: object, problems: list[str]) -> str | None:
    if isinstance(logo, str) and _DATA_URI.match(logo):
        return logo
    if isinstance(logo, bytes | bytearray):
        head = bytes(logo[:256])
        kind = next((k for signature, k in _IMAGE_SIGNATURES.items() if head.startswith(signature)), None)
        if kind is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            kind = "webp"
        if kind is None and (b"<svg" in head or head.lstrip().startswith(b"<?xml")):
            kind = "svg+xml"
        if kind:
            return f"data:image/{kind};base64,{base64.b64encode(logo).decode('ascii')}"
    problems.append("logo: must be PNG, JPEG, GIF, WebP or SVG bytes, or a data:image/... URI")
    return None


def _css_string(text: object) -> Markup:
    """A CSS string literal; all but plain characters are escaped, so no text can end the <style>."""
    escaped = "".join(c if c.isalnum() or c in " .,:;/-_" else f"\\{ord(c):x} " for c in str(text))
    return Markup(f'"{escaped}"')  # noqa: S704 - every special character is escaped above


def _load_template(name: str) -> tuple[str, None, Callable[[], bool]] | None:
    try:
        source = files("invoicing_plugin.templates").joinpath(*name.split("/")).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return source, None, lambda: True  # installed templates do not change while the process runs


@cache
def template_environment() -> Environment:
    """The Jinja environment of every document template (invoices, statements): installed templates, HTML
    escaped, a missing value an error."""
    environment = Environment(
        loader=FunctionLoader(_load_template),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    environment.globals["css_string"] = _css_string
    return environment
