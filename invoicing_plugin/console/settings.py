"""Settings (admin only): tenant details, channels (secrets masked), VAT table, number series, API keys,
webhook endpoints, and the way to the console users."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from .. import channels
from ..api.schemas.tenants import NumberSeriesSchema, TenantSettingsSchema
from ..domain.errors import InvalidState, ValidationFailed
from ..plugin import current_database
from ..services import tenant_admin, tenants, webhook_setup
from ..services.actors import ROLES
from ..services.commands import (
    AddWebhookEndpoint,
    ChangeTenantSettings,
    CreateApiKey,
    DisableWebhookEndpoint,
    RevokeApiKey,
    SaveNumberSeries,
)
from ..services.notifications import EVENT_TYPES
from ..services.unit_of_work import Replayed
from .access import current_console, requires_role
from .inputs import FieldProblems
from .nav import NavEntry
from .once import new_form_id, reply_once
from .rendering import render

blueprint = Blueprint("settings", __name__, url_prefix="/settings")
NAV = NavEntry("console.settings.index", "nav.settings", role="admin")

# The details an admin edits here (the layout, series and currency have pages or the API of their own).
DETAIL_FIELDS = ("name", "business_id", "vat_id", "iban", "bic", "street", "postcode", "city", "country", "email",
                 "phone", "einvoice_address", "einvoice_operator", "default_language", "payment_terms_days")
REQUIRED = ("name", "business_id", "country", "default_language", "payment_terms_days")
CLEARABLE = tuple(name for name in DETAIL_FIELDS if name not in REQUIRED)
LANGUAGES = ("fi", "sv", "en")
_SCHEMA = TenantSettingsSchema(partial=True)
_SERIES_SCHEMA = NumberSeriesSchema()


def _actor():
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    return identity.actor


def _overview() -> dict[str, Any]:
    actor = _actor()

    def read(session):
        tenant = tenants.load_tenant(session, actor)
        series = sorted(tenants.series_by_name(session, tenant.id).values(), key=lambda s: s.name)
        return {"tenant": tenant, "vat_rates": tenants.vat_table(session, tenant).rates, "series": series,
                "keys": tenants.list_api_keys(session, tenant.id),
                "endpoints": webhook_setup.list_endpoints(session, tenant.id),
                "channels": sorted(channels.redacted(tenant.channels or {}).items())}

    return current_database().read(read)


def _page(status: int = 200, form: dict | None = None, problems: FieldProblems | None = None,
          new_secret: str | None = None, series_form: dict | None = None, new_webhook_secret: str | None = None,
          webhook_form: dict | None = None) -> Response:
    data = _overview()
    tenant = data["tenant"]
    values = {name: "" if getattr(tenant, name) is None else str(getattr(tenant, name)) for name in DETAIL_FIELDS}
    return render("settings.html", status=status, **data, form={**values, **(form or {})},
                  problems=problems or FieldProblems(), fields=DETAIL_FIELDS, required=REQUIRED, languages=LANGUAGES,
                  roles=ROLES, new_secret=new_secret, page_title="nav.settings", key_form_id=new_form_id(),
                  event_types=EVENT_TYPES, new_webhook_secret=new_webhook_secret,
                  webhook_form={"url": "", "description": "", "event_types": [], **(webhook_form or {}),
                                "form_id": new_form_id()},
                  series_form={"series_name": "", "series_prefix": "", "series_next": "", **(series_form or {})})


@blueprint.route("/")
@requires_role("admin")
def index() -> Response:
    return _page()


@blueprint.post("/details")
@requires_role("admin")
def details() -> ResponseReturnValue:
    form = {name: request.form.get(name, "").strip() for name in DETAIL_FIELDS}
    raw: dict[str, Any] = {name: value for name, value in form.items() if value}
    if "payment_terms_days" in raw:
        raw["payment_terms_days"] = int(raw["payment_terms_days"]) if raw["payment_terms_days"].isdigit() else -1
    problems = FieldProblems()
    for name in REQUIRED:
        if not form[name]:
            problems.add(name, "field.required")
    try:
        changes = _SCHEMA.load(raw)
    except ValidationError as refused:  # every field's problem at once, as the API reports them
        for name, messages in sorted(refused.normalized_messages().items()):
            for message in messages if isinstance(messages, list) else [str(messages)]:
                problems.add(name, str(message))
        changes = {}
    if problems:
        return _page(422, form, problems)
    # A field emptied on the form is cleared (the required ones were checked above).
    changes.update({name: None for name in CLEARABLE if not form[name]})
    try:
        tenant_admin.change_settings(current_database(), _actor(), ChangeTenantSettings(changes))
    except ValidationFailed as refused:
        for name, messages in refused.errors.items():
            for message in messages:
                problems.add(name, message)
        return _page(422, form, problems)
    current_console().notice("settings.saved")
    return redirect(url_for("console.settings.index"))


@blueprint.post("/api-keys")
@requires_role("admin")
def create_key() -> ResponseReturnValue:
    role = request.form.get("role", "")
    name = request.form.get("name", "").strip()[:100]
    # Only the key's id is remembered for a repeat: its secret is shown once, on the first answer.
    reply = reply_once(request.form, lambda _session, created: {"key_id": str(created.row.id)})
    try:
        created = tenant_admin.create_api_key(current_database(), _actor(), CreateApiKey(role, name), reply=reply)
    except Replayed:  # the same form sent again: no second key
        current_console().notice("settings.key_already_created")
        return redirect(url_for("console.settings.index") + "#keys")
    except ValidationFailed as refused:
        problems = FieldProblems()
        for field, messages in refused.errors.items():
            for message in messages:
                problems.add(f"key_{field}", message)
        return _page(422, problems=problems)
    # The secret is on this one page only (no-store: not kept by the browser's cache); only its hash is stored.
    return _page(201, new_secret=created.secret)


@blueprint.post("/api-keys/<uuid:key_id>/revoke")
@requires_role("admin")
def revoke_key(key_id: uuid.UUID) -> ResponseReturnValue:
    tenant_admin.revoke_api_key(current_database(), _actor(), RevokeApiKey(key_id))
    current_console().notice("settings.key_revoked")
    return redirect(url_for("console.settings.index"))


@blueprint.post("/series")
@requires_role("admin")
def save_series() -> ResponseReturnValue:
    """A new number series, or an existing one's prefix (and next number, before its first invoice)."""
    form = {name: request.form.get(name, "").strip() for name in ("series_name", "series_prefix", "series_next")}
    problems = FieldProblems()
    if not form["series_name"]:
        problems.add("series_name", "field.required")
    elif len(form["series_name"]) > 40:
        problems.add("series_name", "field.too_long")
    raw: dict[str, Any] = {"prefix": form["series_prefix"]}
    if form["series_next"]:
        raw["next_number"] = int(form["series_next"]) if form["series_next"].isdigit() else 0
    values: dict[str, Any] = {}
    try:  # the API's own shape rules for a series (prefix characters, number range)
        values = _SERIES_SCHEMA.load(raw)
    except ValidationError as refused:
        for name, messages in refused.normalized_messages().items():
            field = {"prefix": "series_prefix", "next_number": "series_next"}.get(name, "series_name")
            for message in messages if isinstance(messages, list) else [str(messages)]:
                problems.add(field, str(message))
    next_number = values.get("next_number")
    if not problems:
        command = SaveNumberSeries(form["series_name"], prefix=form["series_prefix"] or None, next_number=next_number)
        try:
            tenant_admin.save_number_series(current_database(), _actor(), command)
        except ValidationFailed as refused:
            for name, messages in refused.errors.items():
                for message in messages:
                    problems.add(f"series_{name}", message)
        except InvalidState as refused:  # numbered invoices fix the next number: said next to it
            problems.add("series_next", refused.detail)
    if problems:
        return _page(422, problems=problems, series_form=form)
    current_console().notice("settings.series_saved")
    return redirect(url_for("console.settings.index") + "#series")


@blueprint.post("/webhooks")
@requires_role("admin")
def add_webhook() -> ResponseReturnValue:
    """A new endpoint for the shop's notifications; its signing secret is shown on this answer only."""
    url = request.form.get("url", "").strip()[:500]
    description = request.form.get("description", "").strip()[:200]
    events = [e for e in request.form.getlist("event_types") if e in EVENT_TYPES]
    form: dict[str, Any] = {"url": url, "description": description, "event_types": events}
    command = AddWebhookEndpoint(url, tuple(events), description or None)
    reply = reply_once(request.form, lambda _session, created: {"endpoint_id": str(created.row.id)})
    try:
        created = tenant_admin.add_webhook_endpoint(current_database(), _actor(), command, reply=reply)
    except Replayed:
        current_console().notice("settings.webhook_already_added")
        return redirect(url_for("console.settings.index") + "#webhooks")
    except ValidationFailed as refused:
        problems = FieldProblems()
        for name, messages in refused.errors.items():
            for message in messages:
                problems.add(f"webhook_{name}", message)
        return _page(422, problems=problems, webhook_form=form)
    return _page(201, new_webhook_secret=created.secret)


@blueprint.post("/webhooks/<uuid:endpoint_id>/disable")
@requires_role("admin")
def disable_webhook(endpoint_id: uuid.UUID) -> ResponseReturnValue:
    tenant_admin.disable_webhook_endpoint(current_database(), _actor(), DisableWebhookEndpoint(endpoint_id))
    current_console().notice("settings.webhook_disabled")
    return redirect(url_for("console.settings.index") + "#webhooks")
