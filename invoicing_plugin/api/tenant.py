"""The tenant's own settings, VAT rates, number series and API keys (admin keys only)."""

from __future__ import annotations

import re
import uuid

from flask import Response
from flask.views import MethodView
from marshmallow import RAISE

from .. import channels
from ..db import Tenant
from ..domain.errors import ValidationFailed
from ..domain.vat import VatRate
from ..plugin import current_database, current_session, plugin_state
from ..services import exchange_rates, tenant_admin, tenants
from ..services.commands import (
    ChangeTenantSettings,
    CreateApiKey,
    ReplaceVatRates,
    RevokeApiKey,
    SaveChannel,
    SaveNumberSeries,
)
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, current_tenant, json_body, load, requires
from .responses import dump
from .schemas.exchange_rates import (
    ExchangeRateImportSchema,
    ExchangeRateListSchema,
    ExchangeRateQuery,
    ExchangeRatesSchema,
)
from .schemas.tenants import (
    ApiKeyCreateSchema,
    ApiKeyListSchema,
    ApiKeySchema,
    ChannelSchema,
    NumberSeriesSchema,
    TenantSchema,
    TenantSettingsSchema,
    VatRatesSchema,
)
from .writes import Outcome, run_write

blp = api_blueprint("tenant", "/tenant", "The merchant's settings, VAT table and number series (admin keys)")
keys_blp = api_blueprint("api_keys", "/api-keys", "API keys of the merchant (admin keys)")


def delivery_warnings(tenant: Tenant, how_to_set: str) -> list[str]:
    """What a merchant must know about its channels: finalised invoices that would go nowhere."""
    configured = tenant.channels or {}
    if not channels.enabled_channels(configured):
        return [f"no delivery channel is enabled: finalised invoices go nowhere; set one with {how_to_set}"]
    if not channels.default_channels(configured):
        return ["no enabled delivery channel is a default: invoices of orders that name no channel go nowhere; "
                f"make one the default with {how_to_set}"]
    return []


def tenant_view(session, tenant: Tenant) -> dict:
    """The tenant as JSON, written by TenantSchema (the API's responses, `invoicing show-tenant`)."""
    return dump(TenantSchema, tenant_data(session, tenant))


def tenant_data(session, tenant: Tenant) -> dict:
    view = tenants.snapshot(tenant)
    view.update(id=tenant.id, slug=tenant.slug)
    view["vat_rates"] = [{"rate": rate.rate, "valid_from": rate.valid_from, "valid_to": rate.valid_to}
                         for rate in tenants.vat_table(session, tenant).rates]
    view["channels"] = channels.redacted(tenant.channels or {})
    view["number_series"] = [
        {"name": s.name, "prefix": s.prefix, "reference_prefix": s.reference_prefix, "next_number": s.next_number,
         "chronological_dates": s.chronological_dates}
        for s in sorted(tenants.series_by_name(session, tenant.id).values(), key=lambda s: s.name)
    ]
    view["warnings"] = delivery_warnings(tenant, f"PUT {plugin_state().settings.api_prefix}/tenant/channels/{{name}}")
    return view


@blp.route("")
class TenantSettings(MethodView):
    @requires("admin")
    @blp.response(200, TenantSchema)
    @blp.doc(responses=problem_responses(401, 403))
    def get(self):
        """The merchant's settings"""
        return tenant_data(current_session(), current_tenant())

    @requires("admin")
    @blp.doc(**request_body(TenantSettingsSchema), responses=problem_responses(400, 401, 403, 413, 415, 422))
    @blp.response(200, TenantSchema)
    def patch(self):
        """Change settings: only the fields sent change; every change is audited"""
        payload = json_body()
        command = ChangeTenantSettings(load(TenantSettingsSchema(partial=True), payload))
        actor = current_actor()
        return run_write(lambda reply: tenant_admin.change_settings(current_database(), actor, command, reply=reply),
                         _present_tenant, payload)


@blp.route("/vat-rates")
class TenantVatRates(MethodView):
    @requires("admin")
    @blp.doc(**request_body(VatRatesSchema), responses=problem_responses(400, 401, 403, 413, 415, 422))
    @blp.response(200, TenantSchema)
    def put(self):
        """Replace the VAT table: each rate with the dates it is valid (both inclusive, open when null)"""
        payload = json_body()
        rates = [VatRate(r["rate"], r.get("valid_from"), r.get("valid_to"))
                 for r in load(VatRatesSchema(), payload)["vat_rates"]]
        actor = current_actor()
        return run_write(lambda reply: tenant_admin.replace_vat_rates(
            current_database(), actor, ReplaceVatRates(tuple(rates)), reply=reply), _present_tenant, payload)


@blp.route("/exchange-rates")
class TenantExchangeRates(MethodView):
    @requires("admin")
    @blp.arguments(ExchangeRateQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, ExchangeRateListSchema)
    @blp.doc(responses=problem_responses(401, 403, 422))
    def get(self, currency=None, since=None, until=None):
        """The merchant's exchange rates (units per euro), newest first, at most 1000"""
        rates = exchange_rates.list_rates(current_database(), current_actor(), currency=currency, since=since,
                                          until=until)
        return {"rates": [{"currency": r.currency, "date": r.rate_date, "rate": r.rate} for r in rates]}

    @requires("admin")
    @blp.doc(**request_body(ExchangeRatesSchema), responses=problem_responses(400, 401, 403, 413, 415, 422))
    @blp.response(200, ExchangeRateImportSchema)
    def put(self):
        """Add or correct exchange rates: units of a currency per euro on a day, as the ECB publishes them.

        A foreign currency invoice takes the rate of its tax date, or the latest in the 7 days before it,
        unless its order gives its own `exchange_rate`. Rates not in the list are kept."""
        payload = json_body()
        rates = [exchange_rates.Rate(r["currency"], r["date"], r["rate"])
                 for r in load(ExchangeRatesSchema(), payload)["rates"]]
        actor = current_actor()

        def present(_session, result: exchange_rates.ImportResult) -> Outcome:
            return Outcome(200, {"inserted": result.inserted, "updated": result.updated,
                                 "unchanged": result.unchanged})

        return run_write(lambda reply: exchange_rates.import_rates(
            current_database(), actor, rates, source="api", reply=reply), present, payload)


@blp.route("/number-series/<string:name>")
class TenantNumberSeries(MethodView):
    @requires("admin")
    @blp.doc(**request_body(NumberSeriesSchema), responses=problem_responses(400, 401, 403, 409, 413, 415, 422))
    @blp.response(200, TenantSchema)
    def put(self, name: str):
        """Create or change a number series; its next number can be set only before its first invoice"""
        payload = json_body()
        values = load(NumberSeriesSchema(), payload)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
            raise ValidationFailed({"name": ["1 to 40 letters, digits, _ or -"]})
        actor = current_actor()
        return run_write(lambda reply: tenant_admin.save_number_series(
            current_database(), actor, SaveNumberSeries(name, **values), reply=reply), _present_tenant, payload)


@blp.route("/channels/<string:name>")
class TenantChannel(MethodView):
    @requires("admin")
    @blp.doc(**request_body(ChannelSchema), responses=problem_responses(400, 401, 403, 413, 415, 422))
    @blp.response(200, TenantSchema)
    def put(self, name: str):
        """Enable or change a delivery channel (netvisor, ropo24, ...); the settings are checked by the channel"""
        payload = json_body()
        values = load(ChannelSchema(), payload)
        actor = current_actor()
        return run_write(lambda reply: tenant_admin.save_channel(
            current_database(), actor, SaveChannel(name, **values), reply=reply), _present_tenant, payload)


@keys_blp.route("")
class ApiKeys(MethodView):
    @requires("admin")
    @keys_blp.response(200, ApiKeyListSchema)
    @keys_blp.doc(responses=problem_responses(401, 403))
    def get(self):
        """The merchant's API keys (never their secrets)"""
        keys = tenants.list_api_keys(current_session(), current_actor().tenant_id)
        return {"items": [_key_view(key) for key in keys]}

    @requires("admin")
    @keys_blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(ApiKeyCreateSchema),
                  responses=problem_responses(400, 401, 403, 413, 415, 422))
    @keys_blp.response(201, ApiKeySchema)
    def post(self):
        """Create a key; its secret is in this response only (a replay under the same Idempotency-Key omits it)"""
        payload = json_body()
        values = load(ApiKeyCreateSchema(), payload)
        actor = current_actor()
        command = CreateApiKey(values["role"], values.get("name", ""))

        def present(_session, created: tenant_admin.NewSecret) -> Outcome:
            body = _key_view(created.row)
            return Outcome(201, dump(ApiKeySchema, {**body, "key": created.secret}),
                           replay_body=dump(ApiKeySchema, body))

        return run_write(lambda reply: tenant_admin.create_api_key(current_database(), actor, command, reply=reply),
                         present, payload)


@keys_blp.route("/<uuid:key_id>")
class ApiKeyById(MethodView):
    @requires("admin")
    @keys_blp.response(204)
    @keys_blp.doc(responses=problem_responses(401, 403, 404))
    def delete(self, key_id: uuid.UUID):
        """Revoke a key at once"""
        actor = current_actor()
        run_write(lambda reply: tenant_admin.revoke_api_key(current_database(), actor, RevokeApiKey(key_id),
                                                            reply=reply), lambda _session, _key: Outcome(204, {}))
        return Response(status=204)


def _present_tenant(session, tenant: Tenant) -> Outcome:
    return Outcome(200, tenant_view(session, tenant))


def _key_view(key) -> dict:
    return {"id": key.id, "role": key.role, "name": key.name, "prefix": key.prefix,
            "created_at": key.created_at, "revoked_at": key.revoked_at, "key": None}
