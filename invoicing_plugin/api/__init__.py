"""The HTTP API under /api/v1: flask-smorest blueprints, the generated OpenAPI document and its docs page."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from ..config import Settings
from . import (
    credits,
    customers,
    deliveries,
    documents,
    dunning,
    exports,
    invoice_runs,
    invoices,
    orders,
    payments,
    proforma,
    reports,
    subscriptions,
    tenant,
    webhook_config,
)
from .blueprints import error_statuses, problem_response
from .problems import register_prefix_error_handlers
from .schemas.problems import ProblemSchema
from .swagger_ui import assets_url, swagger_ui_blueprint

CONFIG_PREFIX = "INVOICING_"


class InvoicingApi(Api):
    """flask-smorest's Api, minus its app-wide error handler: our blueprints answer with problem
    details themselves, and a host application's own error pages stay its own."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        return None

    def _register_responses(self) -> None:
        # Every error response of the document (the ones views list, the 422 of @blp.arguments and the
        # `default` of every operation) is the one problem shape, with its real media type.
        for status in error_statuses():
            self.spec.components.response(status.name, problem_response(status.phrase), lazy=True)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, problem_response("Any other error"),
                                      lazy=True)

    def _register_pagination_header(self) -> None:
        return None  # lists page with cursors in the body, not with flask-smorest's X-Pagination header


def register_api(app: Flask, settings: Settings) -> InvoicingApi:
    prefix = settings.api_prefix
    defaults = {
        "API_TITLE": "Invoicing API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": prefix,
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": assets_url(),
        # Swagger UI would otherwise send the document's address to validator.swagger.io for a badge.
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
    }
    for key, value in defaults.items():
        app.config.setdefault(CONFIG_PREFIX + key, value)
    api = InvoicingApi(app, config_prefix=CONFIG_PREFIX, spec_kwargs={
        "info": {"description": (
            "Headless invoicing for web shops and POS systems. Authenticate with "
            "`Authorization: Bearer <api key>`. Errors are RFC 9457 problem details. Money is a decimal "
            "string. POSTs that create something honour `Idempotency-Key`. Each operation names the least "
            "role its key needs in `x-required-role` (checkout < backoffice < admin)."
        )},
        "security": [{"bearerAuth": []}],
    })
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blueprint in (orders.blp, invoices.blp, credits.blp, proforma.blp, customers.blp, reports.blp,
                      invoice_runs.blp, subscriptions.blp, subscriptions.usage_blp,
                      invoice_runs.schedules_blp, documents.blp, payments.blp, payments.inbox_blp, deliveries.blp,
                      tenant.blp, tenant.keys_blp, webhook_config.endpoints_blp, webhook_config.inbound_blp,
                      dunning.settings_blp, dunning.runs_blp, dunning.blp, exports.blp):
        api.register_blueprint(blueprint, url_prefix=prefix + blueprint.url_prefix)
    app.register_blueprint(swagger_ui_blueprint(prefix))
    from webhooks.inbound import blueprint as webhooks_blueprint

    app.register_blueprint(webhooks_blueprint, url_prefix=settings.webhooks_prefix)
    register_prefix_error_handlers(app, (prefix, settings.webhooks_prefix))
    return api
