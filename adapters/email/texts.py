"""Subject and body of the invoice email in fi, sv and en, and a tenant's overrides of them in its layout.

A layout overrides texts under `layout["email"][language]`, each key optional:

    subject, body                          an invoice
    credit_note_subject, credit_note_body  a credit note
    proforma_subject, proforma_body        a pro forma invoice

An invoice's override does not apply to credit notes and pro formas: a credit note whose subject says
"Lasku" would read as a demand for payment. Texts may use the placeholders in PLACEHOLDERS. The lead
calls `check_email_texts(layout)` when an admin saves a layout, so that a typo is refused there and
never reaches a send; the channel still refuses an unusable text at send time (EmailTextError).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from invoicing_plugin.documents.formats import LANGUAGES, formats_for
from invoicing_plugin.domain.identifiers import format_finnish_reference
from invoicing_plugin.domain.invoice_data import InvoiceData

KINDS = ("invoice", "credit_note", "proforma")
FIELDS = ("subject", "body")
PLACEHOLDERS = ("number", "seller", "buyer", "total", "due_date", "reference", "credited_number")
TEXT_KEYS = tuple(part if kind == "invoice" else f"{kind}_{part}" for kind in KINDS for part in FIELDS)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

_REGARDS = {"fi": "Ystävällisin terveisin", "sv": "Med vänliga hälsningar", "en": "Kind regards"}

# (kind, language) -> (subject, body). The numbers a customer types into an online bank come on their
# own lines, so that they can be copied without the words around them.
DEFAULTS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("invoice", "fi"): (
        "Lasku {number} – {seller}",
        "Hei,\n\nliitteenä on laskumme {number}.\n\n"
        "Maksettava: {total}\nEräpäivä: {due_date}\nViitenumero: {reference}\n\n"
        "Kiitos tilauksestanne!\n\n" + _REGARDS["fi"] + "\n{seller}\n",
    ),
    ("invoice", "sv"): (
        "Faktura {number} – {seller}",
        "Hej,\n\nbifogat finns vår faktura {number}.\n\n"
        "Att betala: {total}\nFörfallodag: {due_date}\nReferensnummer: {reference}\n\n"
        "Tack för er beställning!\n\n" + _REGARDS["sv"] + "\n{seller}\n",
    ),
    ("invoice", "en"): (
        "Invoice {number} from {seller}",
        "Hello,\n\nplease find attached our invoice {number}.\n\n"
        "Amount due: {total}\nDue date: {due_date}\nReference: {reference}\n\n"
        "Thank you for your order.\n\n" + _REGARDS["en"] + "\n{seller}\n",
    ),
    ("credit_note", "fi"): (
        "Hyvityslasku {number} laskulle {credited_number} – {seller}",
        "Hei,\n\nliitteenä on hyvityslaskumme {number}, joka hyvittää laskun {credited_number}.\n\n"
        "Hyvitys: {total}\n\nHyvitystä ei tarvitse maksaa.\n\n" + _REGARDS["fi"] + "\n{seller}\n",
    ),
    ("credit_note", "sv"): (
        "Kreditnota {number} för faktura {credited_number} – {seller}",
        "Hej,\n\nbifogat finns vår kreditnota {number}, som krediterar faktura {credited_number}.\n\n"
        "Kreditering: {total}\n\nKreditnotan ska inte betalas.\n\n" + _REGARDS["sv"] + "\n{seller}\n",
    ),
    ("credit_note", "en"): (
        "Credit note {number} for invoice {credited_number} from {seller}",
        "Hello,\n\nplease find attached our credit note {number}, "
        "which credits invoice {credited_number}.\n\n"
        "Amount credited: {total}\n\nNo payment is needed.\n\n" + _REGARDS["en"] + "\n{seller}\n",
    ),
    ("proforma", "fi"): (
        "Proformalasku {number} – {seller}",
        "Hei,\n\nliitteenä on proformalasku {number}.\n\nSumma: {total}\n\n"
        "Proformalasku ei ole lasku; varsinainen lasku lähetetään erikseen.\n\n"
        + _REGARDS["fi"] + "\n{seller}\n",
    ),
    ("proforma", "sv"): (
        "Proformafaktura {number} – {seller}",
        "Hej,\n\nbifogat finns proformafaktura {number}.\n\nSumma: {total}\n\n"
        "En proformafaktura är ingen faktura; den egentliga fakturan skickas separat.\n\n"
        + _REGARDS["sv"] + "\n{seller}\n",
    ),
    ("proforma", "en"): (
        "Pro forma invoice {number} from {seller}",
        "Hello,\n\nplease find attached pro forma invoice {number}.\n\nTotal: {total}\n\n"
        "A pro forma invoice is not an invoice; the invoice itself follows separately.\n\n"
        + _REGARDS["en"] + "\n{seller}\n",
    ),
}


class EmailTextError(ValueError):
    """A text of the tenant's layout cannot be used; the message says which one and why."""


@dataclass(frozen=True)
class EmailTexts:
    language: str
    subject: str  # one line
    body: str


def email_language(invoice: InvoiceData) -> str:
    # A language we have no texts for (de, et, ...) gets English, as the PDF does.
    return invoice.language if invoice.language in LANGUAGES else "en"


def email_texts(invoice: InvoiceData, layout: Mapping[str, object] | None = None) -> EmailTexts:
    """The subject and body for this invoice; EmailTextError when the layout's override is unusable."""
    language = email_language(invoice)
    kind = invoice.kind if invoice.kind in KINDS else "invoice"
    overrides = _overrides(layout, language)
    values = placeholder_values(invoice, language)
    rendered = []
    for field_name, default in zip(FIELDS, DEFAULTS[(kind, language)], strict=True):
        key = _key(kind, field_name)
        text = overrides.get(key, default)
        problems = _text_problems(text)
        if problems:
            raise EmailTextError(f"the email {field_name} of the layout (email.{language}.{key}) "
                                 f"{problems[0]}; correct it in the layout settings")
        rendered.append(_PLACEHOLDER.sub(lambda m: values[m.group(1)], cast(str, text)))  # checked above
    subject, body = rendered
    # A header is one line: line breaks an admin typed into a subject become spaces, not a broken header.
    return EmailTexts(language, " ".join(subject.split()), body)


def placeholder_values(invoice: InvoiceData, language: str) -> dict[str, str]:
    f = formats_for(language)
    return {
        "number": invoice.number, "seller": invoice.seller.name, "buyer": invoice.buyer.name,
        # An invoice asks for what is left after the credit balance paid its part; others show their total.
        "total": f.money(invoice.amount_due if invoice.kind == "invoice" else invoice.total_gross, invoice.currency),
        "due_date": f.date(invoice.due_date),
        "reference": format_finnish_reference(invoice.reference),  # as the PDF prints it
        "credited_number": invoice.credited_invoice_number or "",
    }


def check_email_texts(layout: Mapping[str, object] | None) -> list[str]:
    """What is wrong with a layout's `email` texts, one problem per entry, for the admin who saves it."""
    email = (layout or {}).get("email")
    if email is None:
        return []
    if not isinstance(email, Mapping):
        return ["email: must map a language (fi, sv, en) to its texts"]
    problems = []
    for language, texts in email.items():
        if language not in LANGUAGES:
            problems.append(f"email.{language}: unknown language; use one of {', '.join(LANGUAGES)}")
        elif not isinstance(texts, Mapping):
            problems.append(f"email.{language}: must map {', '.join(TEXT_KEYS)} to texts")
        else:
            for key, text in texts.items():
                if key not in TEXT_KEYS:
                    problems.append(f"email.{language}.{key}: unknown text; "
                                    f"use one of {', '.join(TEXT_KEYS)}")
                else:
                    problems.extend(f"email.{language}.{key}: {problem}" for problem in _text_problems(text))
    return problems


def _key(kind: str, field_name: str) -> str:
    return field_name if kind == "invoice" else f"{kind}_{field_name}"


def _overrides(layout: Mapping[str, object] | None, language: str) -> Mapping[str, object]:
    email = (layout or {}).get("email") or {}
    if not isinstance(email, Mapping) or not isinstance(email.get(language) or {}, Mapping):
        raise EmailTextError("the email texts of the layout are not a mapping of language to texts; "
                             "correct them in the layout settings")
    return email.get(language) or {}


def _text_problems(text: object) -> list[str]:
    if not isinstance(text, str):
        return ["must be text"]
    if not text.strip():
        return ["must not be empty"]
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        return [f"has an unknown placeholder {names}; use {allowed}"]
    return []
