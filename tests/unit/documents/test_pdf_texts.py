"""The documents' wording: every text exists in fi, sv and en, with the same placeholders."""

import re

import pytest

from invoicing_plugin.documents.translations import Texts, catalog, message_keys, override_problems


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_text_is_translated(language):
    assert set(catalog(language)) == message_keys()


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_translations_keep_the_placeholders_the_renderer_fills(language):
    def placeholders(text):
        return sorted(re.findall(r"\{(\w+)\}", text))

    english = catalog("en")
    assert {k: placeholders(v) for k, v in catalog(language).items()} == {
        k: placeholders(v) for k, v in english.items()}


def test_placeholders_are_filled_and_attribute_lookups_are_not_evaluated():
    texts = Texts("fi", {"payment_terms": "{days} pv {days.__class__} {unknown}"})
    assert texts("payment_terms", days=14) == "14 pv {days.__class__} {unknown}"
    assert Texts("sv")("credited_invoice", number="1000", date="21.11.2026") == (
        "Krediterar faktura 1000 daterad 21.11.2026")


def test_a_template_asking_for_an_unknown_text_fails_rather_than_printing_the_key():
    with pytest.raises(KeyError):
        Texts("en")("no_such_text")


def test_overrides_must_name_known_languages_and_keys():
    assert override_problems({"fi": {"payment_terms": "x"}}) == []
    assert override_problems({"fi": {"payment_terms": 14}}) == ["texts.fi.payment_terms: must be a string"]
    assert override_problems(["fi"]) == ["texts: must map a language (fi, sv, en) to {text key: text}"]
