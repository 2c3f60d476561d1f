"""Webhook configuration (admin keys): the shop's endpoints for our notifications, and provider secrets."""

from __future__ import annotations

import uuid

from flask import Response, request
from flask.views import MethodView

from ..plugin import current_session
from ..services import webhook_setup
from .blueprints import api_blueprint, problem_responses, request_body
from .context import current_actor, current_tenant, json_body, load, requires
from .responses import dump
from .schemas.payments import (
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
        actor, tenant = current_actor(), current_tenant()

        def work(session):
            endpoint, secret = webhook_setup.create_endpoint(session, actor, tenant, values["url"],
                                                             values["event_types"], values.get("description"))
            return Outcome(201, dump(WebhookEndpointSchema, endpoint_view(endpoint, secret)),
                           replay_body=dump(WebhookEndpointSchema, endpoint_view(endpoint)))

        return run_write(work, payload)


@endpoints_blp.route("/<uuid:endpoint_id>")
class WebhookEndpointById(MethodView):
    @requires("admin")
    @endpoints_blp.response(204)
    @endpoints_blp.doc(responses=problem_responses(401, 403, 404))
    def delete(self, endpoint_id: uuid.UUID):
        """Stop sending to an endpoint"""
        actor, tenant = current_actor(), current_tenant()
        run_write(lambda session: (webhook_setup.delete_endpoint(session, actor, tenant, endpoint_id),
                                   Outcome(204, {}))[1])
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
        actor, tenant = current_actor(), current_tenant()

        def work(session):
            secret = webhook_setup.set_inbound_secret(session, actor, tenant, provider, values.get("secret"))
            result = {"provider": provider, "url": f"/webhooks/{provider}/{tenant.slug}"}
            return Outcome(200, dump(InboundSecretResultSchema, {**result, "secret": secret}),
                           replay_body=dump(InboundSecretResultSchema, {**result, "secret": None}))

        return run_write(work, payload)
