"""WeasyPrint with what one process reuses between documents: the compiled stylesheets and the fonts.

A document's HTML carries only its own data; its stylesheet depends only on the tenant's layout and the
language, so a process compiles it once and hands the same object to every document of that look
(parsing and compiling the stylesheet cost about as much as laying out a short invoice). The font
configuration (Pango's font map and its caches) is made once as well. Both are kept per thread: Pango's
font maps are not meant to be shared between threads, and a pool process renders on one thread anyway.

Our templates write well-formed markup, so a document is parsed by expat (C) instead of WeasyPrint's
pure-Python HTML5 parser (a tenth of a 5-line invoice's rendering time and more on long ones); markup
expat refuses, a control character in a customer's name say, still goes through the HTML5 parser. The
user agent stylesheet is ours (templates/documents/user_agent.css): WeasyPrint's rules for the elements
our documents use.

While a document renders, the objects that lived before it (modules, compiled stylesheets, fonts, the
application's own) are kept out of the cyclic garbage collector's passes: WeasyPrint makes so many objects
that the collector ran its oldest generation over all of them again and again: 7-16 % of a 5-line
invoice's time in a process with a large heap (bench/documents.py), nothing in a render pool's own.
"""

from __future__ import annotations

import gc
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from typing import Any
from xml.etree import ElementTree

from invoicing_plugin.extras import require

STYLESHEETS_KEPT = 32  # distinct looks (tenant layout x language) a process keeps compiled

_local = threading.local()


class _Renderer:
    """One thread's WeasyPrint: its font configuration, URL fetcher and compiled stylesheets."""

    def __init__(self, weasyprint: Any, fonts: Any) -> None:
        self.weasyprint = weasyprint
        self.fonts = fonts.FontConfiguration()
        # data: URIs only: no logo or text may make the renderer read the network or the disk.
        self.fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
        self.stylesheets: OrderedDict[str, Any] = OrderedDict()
        self.document_class = _document_class(weasyprint)

    def stylesheet(self, css: str) -> Any:
        compiled = self.stylesheets.get(css)
        if compiled is None:
            compiled = self.weasyprint.CSS(string=css, url_fetcher=self.fetcher, font_config=self.fonts)
            self.stylesheets[css] = compiled
            while len(self.stylesheets) > STYLESHEETS_KEPT:
                self.stylesheets.popitem(last=False)
        else:
            self.stylesheets.move_to_end(css)
        return compiled

    def write_pdf(self, html: str, css: str) -> bytes:
        try:
            # Our templates' output: every value in it is escaped, so it declares no entities.
            root = ElementTree.fromstring(html)  # noqa: S314
        except ElementTree.ParseError:
            document = self.document_class(string=html, url_fetcher=self.fetcher)
        else:
            document = self.document_class.from_tree(root, self.fetcher)
        return document.write_pdf(stylesheets=[self.stylesheet(css)], font_config=self.fonts)


@cache
def _document_class(weasyprint: Any) -> Any:
    """weasyprint.HTML with our user agent stylesheet, made from a parsed tree as well as from a string.

    `from_tree` sets what WeasyPrint's own constructor sets after parsing (weasyprint/__init__.py of the
    pinned major version; tests/unit/documents/test_rendering.py renders both ways and compares them).
    """
    user_agent = weasyprint.CSS(
        string=files("invoicing_plugin.templates").joinpath("documents", "user_agent.css").read_text("utf-8"))
    cssselect2 = require("cssselect2", "pdf", "the PDF documents")

    class OwnDocument(weasyprint.HTML):
        @classmethod
        def from_tree(cls, root: ElementTree.Element, url_fetcher: Any) -> OwnDocument:
            document = cls.__new__(cls)
            document.base_url = None
            document.url_fetcher = url_fetcher
            document.media_type = "print"
            document.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            document.etree_element = document.wrapper_element.etree_element
            return document

        def _ua_stylesheets(self, forms: bool = False) -> list:
            return [user_agent]

    return OwnDocument


def write_pdf(html: str, css: str, what: str) -> bytes:
    """The PDF of `html` styled by `css` (compiled once per process and thread); `what` names the document
    in the error a host without the pdf extra gets."""
    # fontTools stamps the subset fonts' `head` table with the current time unless SOURCE_DATE_EPOCH
    # (the reproducible-builds convention) says otherwise; a finalised invoice's PDF must render to the
    # same bytes every time, so it is pinned for the process.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        # Imported here, not at the top: a host without the pdf extra still checks layouts and makes XML.
        renderer = _local.renderer = _Renderer(require("weasyprint", "pdf", what),
                                               require("weasyprint.text.fonts", "pdf", what))
    with _collecting_only_new_objects():
        return renderer.write_pdf(html, css)


@contextmanager
def _collecting_only_new_objects() -> Iterator[None]:
    """The garbage collector sees only objects made inside the block (what existed is frozen meanwhile).

    Freezing and unfreezing move whole generation lists, whatever their length. Another thread rendering
    at the same time may unfreeze early: that costs it speed, nothing else, as frozen objects are only
    left out of collection passes until then, never freed or kept for good.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
