"""WeasyPrint with what one process reuses between documents: the compiled stylesheets and the fonts.

A document's HTML carries only its own data; its stylesheet depends only on the tenant's layout and the
language, so a process compiles it once and hands the same object to every document of that look
(parsing and compiling the stylesheet cost about as much as laying out a short invoice). The font
configuration (Pango's font map and its caches) is made once as well. Both are kept per thread: Pango's
font maps are not meant to be shared between threads, and a pool process renders on one thread anyway.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

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
        document = self.weasyprint.HTML(string=html, url_fetcher=self.fetcher)
        return document.write_pdf(stylesheets=[self.stylesheet(css)], font_config=self.fonts)


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
    return renderer.write_pdf(html, css)
