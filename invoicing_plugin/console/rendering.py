"""The console's own Jinja environment (autoescaped, apart from the host's templates) and page rendering."""

from __future__ import annotations

import uuid
from functools import cache
from importlib.resources import as_file, files
from typing import Any

from flask import Response, g, request, url_for
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .i18n import Formats, Texts


@cache
def environment() -> Environment:
    # Every template is autoescaped, whatever its name: a customer's name is text on every page.
    with as_file(files("invoicing_plugin.templates").joinpath("console")) as folder:
        env = Environment(loader=FileSystemLoader(str(folder)), autoescape=True, undefined=StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True)
    env.globals["url_for"] = url_for
    # A fresh id for each form rendered (console/once.py): the same form sent twice is acted on once.
    env.globals["new_form_id"] = lambda: str(uuid.uuid4())
    return env


def render(template: str, status: int = 200, **context: Any) -> Response:
    """The page in the user's language; the layout reads the identity, nav and notices from `g`."""
    console = g.invoicing_console
    language = console.language
    context.setdefault("page_title", None)
    html = environment().get_template(template).render(
        t=Texts(language), fmt=Formats(language, console.timezone), language=language,
        identity=console.identity, nav=console.nav_entries(), csrf_token=console.session.csrf,
        notices=console.take_notices(), request=request, **context)
    return Response(html, status=status, mimetype="text/html")
