"""Webhook configuration (admin keys): the shop's endpoints for our notifications, and provider secrets."""

from __future__ import annotations

import uuid

from flask import Response, request
from flask.views import MethodView

from ..plugin import current_database, current_session, plugin_state
from ..services import provider_credentials, tenant_admin, webhook_setup
from ..services.commands import AddWebhookEndpoint, DisableWebhookEndpoint, SetInboundSecret
from .blueprints import api_blueprint, problem_responses, request_body
from .context import current_actor, json_body, load, requires
from .responses import dump
from .schemas.payments import (
    InboundClientResultSchema,
    InboundSecretResultSchema,
    InboundSecretSchema,
    WebhookEndpointCreateSchema,
    WebhookEndpointListSchema,
    WebhookEndpointSchema,
)
from .writes import Outcome, run_write

endpoints_blp = api_blueprint("webhook_endpoints", "/webhook-endpoints",
                              "The shop's endpoints for signed notifications (admin keys)")
inbound_blp = api_blueprint("inbound_webhooks", "/tenant/inbound-webhooks",
                            "Secrets that sign the callbacks providers send (admin keys)")


def endpoint_view(endpoint, secret: str | None = None) -> dict:
    return {"id": endpoint.id, "url": endpoint.url, "event_types": list(endpoint.event_types),
            "description": endpoint.description, "created_at": endpoint.created_at, "secret": secret}


@endpoints_blp.route("")
class WebhookEndpoints(MethodView):
    @requires("admin")
    @endpoints_blp.response(200, WebhookEndpointListSchema)
    @endpoints_blp.doc(responses=problem_responses(401, 403))
    def get(self):
        """The endpoints (never their secrets)"""
        rows = webhook_setup.list_endpoints(current_session(), current_actor().tenant_id)
        return {"items": [endpoint_view(row) for row in rows]}

    @requires("admin")
    @endpoints_blp.doc(**request_body(WebhookEndpointCreateSchema),
                       responses=problem_responses(400, 401, 403, 413, 415, 422))
    @endpoints_blp.response(201, WebhookEndpointSchema)
    def post(self):
        """Add an endpoint; its signing secret is in this response only (see README, "Notifications")"""
        payload = json_body()
        values = load(WebhookEndpointCreateSchema(), payload)
        actor = current_actor()
        command = AddWebhookEndpoint(values["url"], tuple(values["event_types"]), values.get("description"))

        def present(_session, created: tenant_admin.NewSecret) -> Outcome:
            return Outcome(201, dump(WebhookEndpointSchema, endpoint_view(created.row, created.secret)),
                           replay_body=dump(WebhookEndpointSchema, endpoint_view(created.row)))

        return run_write(lambda reply: tenant_admin.add_webhook_endpoint(current_database(), actor, command,
                                                                         reply=reply), present, payload)


@endpoints_blp.route("/<uuid:endpoint_id>")
class WebhookEndpointById(MethodView):
    @requires("admin")
    @endpoints_blp.response(204)
    @endpoints_blp.doc(responses=problem_responses(401, 403, 404))
    def delete(self, endpoint_id: uuid.UUID):
        """Stop sending to an endpoint"""
        actor = current_actor()
        run_write(lambda reply: tenant_admin.disable_webhook_endpoint(
            current_database(), actor, DisableWebhookEndpoint(endpoint_id), reply=reply),
            lambda _session, _none: Outcome(204, {}))
        return Response(status=204)


@inbound_blp.route("/<string:provider>")
class InboundSecret(MethodView):
    @requires("admin")
    @inbound_blp.doc(**request_body(InboundSecretSchema, required=False),
                     responses=problem_responses(400, 401, 403, 413, 415, 422))
    @inbound_blp.response(200, InboundSecretResultSchema)
    def post(self, provider: str):
        """Set (or rotate) the secret a provider signs its callbacks with; the previous one stays valid"""
        payload = json_body() if request.get_data(cache=True) else {}
        values = load(InboundSecretSchema(), payload)
        actor = current_actor()
        command = SetInboundSecret(provider, values.get("secret"))

        prefix = plugin_state().settings.webhooks_prefix

        def present(_session, result: tenant_admin.InboundSecret) -> Outcome:
            body = {"provider": result.provider, "url": f"{prefix}/{result.provider}/{result.tenant_slug}"}
            return Outcome(200, dump(InboundSecretResultSchema, {**body, "secret": result.secret}),
                           replay_body=dump(InboundSecretResultSchema, {**body, "secret": None}))

        return run_write(lambda reply: tenant_admin.set_inbound_secret(current_database(), actor, command,
                                                                       reply=reply), present, payload)


@inbound_blp.route("/<string(maxlength=30):provider>/client")
class InboundClient(MethodView):
    @requires("admin")
    @inbound_blp.doc(responses=problem_responses(401, 403, 404, 422))
    @inbound_blp.response(201, InboundClientResultSchema)
    def post(self, provider: str):
        """Set (or rotate) the OAuth2 client a provider authenticates its callbacks with (Ropo24: client
        credentials from `token_url`, or Basic auth); the secret is in this response only, the previous
        client stays valid until the next"""
        actor = current_actor()
        prefix = plugin_state().settings.webhooks_prefix
        root = request.url_root.rstrip("/")

        def present(_session, result: provider_credentials.NewClient) -> Outcome:
            url = f"{root}{prefix}/{result.provider}/{result.tenant_slug}"
            body = {"provider": result.provider, "url": url, "token_url": f"{url}/token",
                    "client_id": result.client_id}
            return Outcome(201, dump(InboundClientResultSchema, {**body, "client_secret": result.client_secret}),
                           replay_body=dump(InboundClientResultSchema, {**body, "client_secret": None}))

        return run_write(lambda reply: provider_credentials.set_client(current_database(), actor, provider,
                                                                       reply=reply), present, {})
