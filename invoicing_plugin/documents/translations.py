"""The documents' texts in fi, sv and en: Babel .po catalogs read at runtime, plus a tenant's overrides.

A message id is a stable key ("payment_terms"), not English source text, so that a layout can
override a text by that key without knowing the wording. The catalogs live in the installed
`invoicing_plugin.templates` package (translations/<lang>/LC_MESSAGES/messages.po); they are parsed
once per process, nothing compiled is committed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import cast

from babel.messages.pofile import read_po

from .formats import LANGUAGES

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def catalog(language: str) -> Mapping[str, str]:
    """The translated texts of one language by key; untranslated and fuzzy entries are left out."""
    if language not in LANGUAGES:
        raise ValueError(f"no texts for language {language!r}; use one of {', '.join(LANGUAGES)}")
    po = files("invoicing_plugin.templates").joinpath("translations", language, "LC_MESSAGES", "messages.po")
    with po.open("rb") as stream:
        messages = read_po(stream, locale=language)
    return {cast(str, message.id): cast(str, message.string) for message in messages if message.id and message.string
            and not message.fuzzy}


@cache
def message_keys() -> frozenset[str]:
    """Every text key; English is the reference catalog."""
    return frozenset(catalog("en"))


class Texts:
    """The texts of one document: the tenant's override for the language, else the catalog's text.

    Calling it with a key gives the text, with `{name}` placeholders filled from keyword arguments.
    Substitution is a plain replacement, not str.format, because override texts come from tenants and
    str.format would let them read attributes of the values.
    """

    def __init__(self, language: str, overrides: Mapping[str, str] | None = None):
        self.language = language
        self._texts = {**catalog("en"), **catalog(language), **(overrides or {})}

    def __call__(self, key: str, **values: object) -> str:
        if key not in self._texts:
            raise KeyError(f"no document text {key!r}")  # a typo in a template must fail, not print the key
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), self._texts[key])


def override_problems(texts: object) -> list[str]:
    """What is wrong with a layout's `texts` mapping ({language: {key: text}}), for a human."""
    if not isinstance(texts, Mapping):
        return ["texts: must map a language (fi, sv, en) to {text key: text}"]
    problems = []
    for language, overrides in texts.items():
        if language not in LANGUAGES:
            problems.append(f"texts.{language}: unknown language; use one of {', '.join(LANGUAGES)}")
        elif not isinstance(overrides, Mapping):
            problems.append(f"texts.{language}: must map text keys to texts")
        else:
            for key, text in overrides.items():
                if key not in message_keys():
                    problems.append(f"texts.{language}.{key}: unknown text key")
                elif not isinstance(text, str):
                    problems.append(f"texts.{language}.{key}: must be a string")
    return problems
