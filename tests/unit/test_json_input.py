"""parse_json, which every request body and callback goes through: limits and text no field may hold."""

import pytest

from invoicing_plugin.api.context import MAX_JSON_DEPTH, UnstorableText, parse_json


@pytest.mark.parametrize("raw", [
    b'{"a": "x\\u0000"}',
    b'{"a": ["x", "\\ud800"]}',
    b'{"a": "\\uDBFF"}',  # escapes are case-insensitive
    '{"a": "x\\u0000"}'.encode("utf-16"),  # json.loads reads UTF-16 and UTF-32 bodies too
    b'{"a": "x\xed\xa0\x80"}',  # a surrogate encoded as UTF-8: json.loads decodes with surrogatepass
    b'{"\\u0000": 1}',
])
def test_nul_and_lone_surrogates_are_found_however_they_are_written(raw):
    with pytest.raises(UnstorableText):
        parse_json(raw)


@pytest.mark.parametrize("raw, value", [
    (b'{"a": "\\ud83d\\ude00 \\u00e4"}', {"a": "\U0001f600 ä"}),  # a whole surrogate pair is one character
    (b'{"a": "\xed\x9f\xbf"}', {"a": "\ud7ff"}),  # the last character before the surrogates
    (b'{"a": "\\\\u0000"}', {"a": "\\u0000"}),  # an escaped backslash: six harmless characters
])
def test_real_characters_pass(raw, value):
    assert parse_json(raw) == value


def test_the_deepest_document_allowed_has_32_levels_however_its_text_is_written():
    for text in ("plain", "\\u00e4"):
        allowed = "[" * (MAX_JSON_DEPTH - 1) + f'{{"a": "{text}"}}' + "]" * (MAX_JSON_DEPTH - 1)
        assert parse_json(allowed.encode())
        with pytest.raises(ValueError, match="nested at most 32 levels deep"):
            parse_json(f"[{allowed}]".encode())
