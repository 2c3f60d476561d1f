"""Headless invoicing for web shops and POS systems: `create_app()` standalone, `InvoicingPlugin` in a host."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from .plugin import InvoicingPlugin, current_database, current_session, plugin_state

__all__ = ["InvoicingPlugin", "create_app", "current_database", "current_session", "plugin_state"]


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """The standalone application: the API under /api/v1 and problem details for every error."""
    app = Flask(__name__, instance_path=os.environ.get("INVOICING_INSTANCE_PATH") or None)
    if config:
        app.config.update(config)
    InvoicingPlugin(app, config)
    from .api.problems import register_app_error_handlers

    register_app_error_handlers(app)
    return app
