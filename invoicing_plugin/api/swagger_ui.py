"""Swagger UI's files for the docs page, served from the pinned swagger-ui-bundle package: no CDN, works offline."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

# The folder carries Swagger UI's version (swagger-ui-4.15.5), so the URLs change with it and can be cached for good.
ASSETS_PATH = f"docs/{swagger_ui_path.name}/"
_FILES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                    "favicon-32x32.png", "favicon-16x16.png"})


def swagger_ui_blueprint(prefix: str) -> Blueprint:
    blueprint = Blueprint("invoicing_swagger_ui", __name__, url_prefix=prefix)

    @blueprint.get(f"/{ASSETS_PATH}<string:name>")
    def asset(name: str):  # a file name, not a tenant's id: no cross-tenant question
        if name not in _FILES:
            abort(404)
        return send_from_directory(swagger_ui_path, name, max_age=365 * 24 * 3600)

    return blueprint


def assets_url() -> str:
    """OPENAPI_SWAGGER_UI_URL, relative to the docs page ({prefix}/docs): right under any SCRIPT_NAME too."""
    return ASSETS_PATH
