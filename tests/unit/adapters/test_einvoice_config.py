"""The e-invoice channel's settings: defaults, conversions, refusals that name the problem but not the key."""

from __future__ import annotations

import pytest

from adapters.einvoice import EInvoiceChannel, einvoice_channel

API_KEY = "op-live-key-6f1d2c"
SETTINGS = {"base_url": "https://operator.test/v1/", "api_key": API_KEY}


def refusal(**settings) -> str:
    with pytest.raises(ValueError) as caught:
        einvoice_channel(settings)
    return str(caught.value)


def test_a_channel_from_the_two_required_settings_sends_finvoice_with_default_timeouts():
    built = einvoice_channel(SETTINGS)
    assert isinstance(built, EInvoiceChannel)
    config = built.config
    assert (config.base_url, config.format, config.connect_timeout, config.read_timeout) == (
        "https://operator.test/v1", "finvoice", 5.0, 30.0)


def test_format_and_timeouts_are_taken_as_a_tenant_writes_them():
    settings = {**SETTINGS, "format": "ubl", "connect_timeout": "2.5", "read_timeout": 12}
    config = einvoice_channel(settings).config
    assert (config.format, config.connect_timeout, config.read_timeout) == ("ubl", 2.5, 12.0)


def test_a_setting_left_empty_keeps_its_default():
    assert einvoice_channel({**SETTINGS, "format": None, "read_timeout": None}).config.read_timeout == 30.0


def test_missing_settings_are_named():
    assert refusal() == "invalid e-invoice settings: base_url is missing; api_key is missing"


def test_an_unknown_setting_is_refused_so_a_typo_cannot_pass_silently():
    assert refusal(**SETTINGS, fromat="ubl") == "unknown e-invoice settings: fromat"


@pytest.mark.parametrize("name, value, words", [
    ("format", "pdf", "format must be one of finvoice, finvoice_soap, ubl"),
    ("base_url", "operator.test/v1", "base_url must be an http(s) URL"),
    ("base_url", 8080, "base_url must be text"),
    ("connect_timeout", "soon", "connect_timeout must be a positive number of seconds"),
    ("read_timeout", 0, "read_timeout must be a positive number of seconds"),
    ("read_timeout", -3, "read_timeout must be a positive number of seconds"),
    ("read_timeout", "nan", "read_timeout must be a positive number of seconds"),
    ("connect_timeout", True, "connect_timeout must be a positive number of seconds"),
    ("api_key", "two words", "api_key must be printable ASCII without spaces"),
    ("api_key", "key\r\nX-Injected: 1", "api_key must be printable ASCII without spaces"),
])
def test_a_bad_value_is_refused_naming_the_setting(name, value, words):
    assert words in refusal(**{**SETTINGS, name: value})


def test_the_api_key_appears_in_no_refusal_and_no_repr():
    assert API_KEY not in refusal(**SETTINGS, format="pdf")
    assert "bad key" not in refusal(**{**SETTINGS, "api_key": "bad key"})
    assert API_KEY not in repr(einvoice_channel(SETTINGS).config)
