"""The account statement as PDF (Jinja2 + WeasyPrint, like the invoice) and its texts in fi, sv and en.

`render_statement_pdf(statement, layout)` is a pure function of its arguments: the tenant's layout gives the
logo, colours and font as on its invoices (`pdf.parse_layout`), `formats.formats_for` the dates and money of
the statement's language. The statement's own texts are a small catalog of their own
(templates/statement/texts/<lang>.po, read once per process), so the invoice's catalog stays the invoice's.
`describe` words a movement for the JSON, the CSV and the PDF alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, cast

from babel.messages.pofile import read_po
from markupsafe import Markup

from .formats import LANGUAGES, formats_for
from .pdf import document_pdf, parse_layout, template_environment

if TYPE_CHECKING:
    from invoicing_plugin.services.statements import Movement, Statement


@cache
def texts(language: str) -> Mapping[str, str]:
    """The statement's texts of one language by key (English fills any gap)."""
    if language not in LANGUAGES:
        raise ValueError(f"no statement texts for language {language!r}; use one of {', '.join(LANGUAGES)}")
    catalog: dict[str, str] = {}
    for name in dict.fromkeys(("en", language)):
        po = files("invoicing_plugin.templates").joinpath("statement", "texts", f"{name}.po")
        with po.open("rb") as stream:
            catalog.update({cast(str, m.id): cast(str, m.string) for m in read_po(stream, locale=name)
                            if m.id and m.string and not m.fuzzy})
    return catalog


def text(language: str, key: str, **values: str) -> str:
    template = texts(language)[key]  # a missing key is a bug in this module or a template: fail loudly
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def describe(movement: Movement, language: str, currency: str) -> str:
    """The movement in words: 'Lasku 1001, eräpäivä 5.12.2026', 'Credit of €10.00 applied to invoice 1003'."""
    f = formats_for(language)
    number = movement.document or ""
    if movement.kind == "invoice":
        return text(language, "movement_invoice", number=number, due=f.date(movement.due_date))
    if movement.kind == "reminder":
        return text(language, "movement_reminder", number=number, invoice=movement.credited_document or "")
    if movement.kind == "credit_note":
        return text(language, "movement_credit_note", number=number, credited=movement.credited_document or "")
    if movement.kind == "payment":
        return text(language, "movement_payment", number=number)
    if movement.kind == "allocation":
        return text(language, "movement_allocation", number=number,
                    amount=f.money(movement.applied_amount or Decimal(0), currency))
    return text(language, "movement_refund", number=number)


def render_statement_html(statement: Statement, layout: Mapping | None = None) -> str:
    """The statement as one self-contained HTML document (styles inline, images as data: URIs)."""
    environment = template_environment()
    return environment.get_template("statement/statement.html").render(_context(statement, layout), inline_styles=True)


def render_statement_pdf(statement: Statement, layout: Mapping | None = None) -> bytes:
    """The statement as PDF bytes, in the statement's language (the customer's, or English)."""
    return document_pdf("statement/statement", _context(statement, layout), "the statement PDF")


def _context(statement: Statement, layout: Mapping | None) -> dict:
    language = statement.language
    f = formats_for(language)
    checked = parse_layout(layout)
    currency = statement.currency
    return {
        "s": statement, "layout": checked, "language": language,
        "t": lambda key, **values: text(language, key, **values),
        "font_family": Markup(checked.font_family),  # noqa: S704 - parse_layout allows only safe font names
        "footer": checked.footer_for(language) or _seller_line(statement, language),
        "describe": lambda movement: describe(movement, language, currency),
        "money": lambda value: f.money(value, currency),
        "amount": lambda value: f.amount(value, currency),
        "date": f.date,
        "country": f.country,
        "show_country": (statement.seller.country or "FI") != (statement.customer.country or "FI"),
    }


def _seller_line(statement: Statement, language: str) -> str:
    s = statement.seller
    parts = [s.name, s.street, " ".join(p for p in (s.postcode, s.city) if p),
             f"{text(language, 'business_id')} {s.business_id}" if s.business_id else None, s.email, s.phone]
    return " · ".join(p for p in parts if p)


