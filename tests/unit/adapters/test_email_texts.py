"""The email's subject and text: defaults per language and kind, a tenant's overrides, and checking them."""

from dataclasses import replace
from decimal import Decimal

import pytest

from adapters.email import check_email_texts, email_texts
from adapters.email.texts import DEFAULTS, PLACEHOLDERS, EmailTextError
from tests.factories import invoice_data

INVOICE = invoice_data()


@pytest.mark.parametrize(("kind", "language", "subject"), [
    ("invoice", "fi", "Lasku 1001 – Kahvila Oy"),
    ("invoice", "sv", "Faktura 1001 – Kahvila Oy"),
    ("invoice", "en", "Invoice 1001 from Kahvila Oy"),
    ("credit_note", "fi", "Hyvityslasku 1001 laskulle 1000 – Kahvila Oy"),
    ("credit_note", "sv", "Kreditnota 1001 för faktura 1000 – Kahvila Oy"),
    ("credit_note", "en", "Credit note 1001 for invoice 1000 from Kahvila Oy"),
    ("proforma", "fi", "Proformalasku 1001 – Kahvila Oy"),
    ("proforma", "sv", "Proformafaktura 1001 – Kahvila Oy"),
    ("proforma", "en", "Pro forma invoice 1001 from Kahvila Oy"),
])
def test_each_kind_of_document_has_its_own_subject_in_each_language(kind, language, subject):
    invoice = invoice_data(kind=kind, language=language)
    assert email_texts(invoice).subject == subject


def test_the_finnish_text_gives_what_the_customer_needs_to_pay_formatted_the_finnish_way():
    body = email_texts(INVOICE).body

    assert "Maksettava: 260,66\xa0€\n" in body
    assert "Eräpäivä: 5.12.2026\n" in body
    assert "Viitenumero: 1 10013\n" in body  # grouped as on the PDF's bank transfer form
    assert body.rstrip().endswith("Kahvila Oy")


def test_what_the_credit_balance_prepaid_is_not_asked_for_again():
    body = email_texts(replace(INVOICE, prepaid_amount=Decimal("60.66"))).body
    assert "Maksettava: 200,00\xa0€\n" in body


def test_the_english_text_uses_english_formats():
    body = email_texts(replace(INVOICE, language="en")).body
    assert "Amount due: €260.66\n" in body and "Due date: 5 Dec 2026\n" in body


def test_a_credit_note_asks_for_no_payment_and_names_the_invoice_it_credits():
    body = email_texts(invoice_data(kind="credit_note", number=1002, language="sv")).body
    assert "krediterar faktura 1001" in body
    assert "Kreditering: -260,66\xa0€" in body
    assert "Förfallodag" not in body


def test_a_language_without_texts_gets_english():
    texts = email_texts(replace(INVOICE, language="de"))
    assert (texts.language, texts.subject) == ("en", "Invoice 1001 from Kahvila Oy")


@pytest.mark.parametrize(("kind", "language"), list(DEFAULTS))
def test_every_default_text_is_filled_in_completely(kind, language):
    texts = email_texts(invoice_data(kind=kind, language=language))
    assert "{" not in texts.subject + texts.body
    assert "1001" in texts.subject and "Kahvila Oy" in texts.body


def test_the_layout_overrides_subject_and_body_of_the_invoices_language():
    body = "Hei {buyer}, summa {total}, viite {reference}, eräpäivä {due_date}."
    layout = {"email": {"fi": {"subject": "{seller}: lasku {number}", "body": body}}}
    texts = email_texts(INVOICE, layout)

    assert texts.subject == "Kahvila Oy: lasku 1001"
    assert texts.body == "Hei Esimerkki Oy, summa 260,66\xa0€, viite 1 10013, eräpäivä 5.12.2026."
    assert email_texts(replace(INVOICE, language="sv"), layout).subject == "Faktura 1001 – Kahvila Oy"


def test_an_invoices_override_does_not_make_a_credit_note_look_like_an_invoice():
    layout = {"email": {"fi": {"subject": "Lasku {number}", "credit_note_subject": "Hyvitys {number}"}}}
    assert email_texts(invoice_data(kind="credit_note"), layout).subject == "Hyvitys 1001"
    assert email_texts(invoice_data(kind="proforma"), layout).subject == "Proformalasku 1001 – Kahvila Oy"


def test_line_breaks_typed_into_a_subject_do_not_break_the_header():
    layout = {"email": {"fi": {"subject": "Lasku {number}\nKahvila Oy"}}}
    assert email_texts(INVOICE, layout).subject == "Lasku 1001 Kahvila Oy"


def test_a_placeholder_is_filled_by_name_and_never_evaluated():
    layout = {"email": {"fi": {"subject": "{number} {seller.__class__} {{number}} {total:>20}"}}}
    assert email_texts(INVOICE, layout).subject == "1001 {seller.__class__} {1001} {total:>20}"


def test_an_unknown_placeholder_at_send_time_names_the_text_and_the_placeholder():
    layout = {"email": {"fi": {"body": "Summa {summa}"}}}
    with pytest.raises(EmailTextError) as error:
        email_texts(INVOICE, layout)
    assert "email.fi.body" in str(error.value) and "{summa}" in str(error.value)


def test_an_unknown_placeholder_in_another_language_does_not_stop_this_one():
    layout = {"email": {"sv": {"subject": "Faktura {nummer}"}}}
    assert email_texts(INVOICE, layout).subject == "Lasku 1001 – Kahvila Oy"


def test_a_layout_without_email_texts_has_nothing_to_check():
    assert check_email_texts({}) == []
    assert check_email_texts({"colors": {"primary": "#000000"}}) == []
    assert check_email_texts(None) == []


def test_checking_names_every_problem_for_the_admin():
    problems = check_email_texts({"email": {
        "fi": {"subject": "Lasku {numero}", "body": "", "footer": "x", "credit_note_body": 5},
        "de": {"subject": "Rechnung {number}"},
        "sv": "Faktura",
    }})

    allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    assert problems == [
        f"email.fi.subject: has an unknown placeholder {{numero}}; use {allowed}",
        "email.fi.body: must not be empty",
        "email.fi.footer: unknown text; use one of subject, body, credit_note_subject, credit_note_body, "
        "proforma_subject, proforma_body",
        "email.fi.credit_note_body: must be text",
        "email.de: unknown language; use one of fi, sv, en",
        "email.sv: must map subject, body, credit_note_subject, credit_note_body, proforma_subject, "
        "proforma_body to texts",
    ]


def test_email_texts_that_are_not_a_mapping_are_reported():
    problems = check_email_texts({"email": "Lasku {number}"})
    assert problems == ["email: must map a language (fi, sv, en) to its texts"]
    with pytest.raises(EmailTextError):
        email_texts(INVOICE, {"email": "Lasku {number}"})
