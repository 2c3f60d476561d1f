"""Settings, the invoice layout (admin only): colours, font and footer, with a PDF preview of the unsaved form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..domain.errors import ValidationFailed
from ..plugin import current_database
from ..services import layout_preview, tenant_admin, tenants
from ..services.commands import ChangeTenantSettings
from ..services.invoices import tenant_today
from .access import current_console, requires_role
from .inputs import FieldProblems
from .nav import NavEntry
from .rendering import render

blueprint = Blueprint("layout", __name__, url_prefix="/settings/layout")
NAV: NavEntry | None = None  # reached from the settings page

FIELDS = ("primary", "accent", "font_family", "footer_text")


def _actor():
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    return identity.actor


def _stored():
    actor = _actor()

    def read(session):
        tenant = tenants.load_tenant(session, actor)
        return dict(tenant.layout or {}), layout_preview.specimen(tenant, tenant_today(tenant))

    return current_database().read(read)


def _form_of(layout: dict[str, Any]) -> dict[str, str]:
    colors = layout.get("colors") or {}
    footer = layout.get("footer_text")
    return {"primary": colors.get("primary", "#1f3a5f"), "accent": colors.get("accent", "#eef2f7"),
            "font_family": layout.get("font_family") or "", "footer_text": footer if isinstance(footer, str) else ""}


def _layout_from(values, stored: dict[str, Any]) -> dict[str, Any]:
    """The stored layout with the form's four values in it; the rest (logo, texts, email texts) stays."""
    layout = {key: value for key, value in stored.items() if key not in ("colors", "font_family", "footer_text")}
    layout["colors"] = {name: (values.get(name) or "").strip() for name in ("primary", "accent")}
    for name in ("font_family", "footer_text"):
        value = (values.get(name) or "").strip()
        if value:
            layout[name] = value[:500]
    return layout


def _problems(refused: ValidationFailed) -> FieldProblems:
    """The layout check's problems ("colors.primary: must be ...") next to the fields they name."""
    problems = FieldProblems()
    for message in (m for messages in refused.errors.values() for m in messages):
        for part in message.split("; "):
            key, _, text = part.partition(": ")
            name = key.removeprefix("colors.")
            problems.add(name if name in FIELDS else "layout", text or part)
    return problems


@blueprint.route("/")
@requires_role("admin")
def index() -> Response:
    stored, _specimen = _stored()
    return render("layout.html", form=_form_of(stored), problems=FieldProblems(), page_title="layout.title")


@blueprint.post("/")
@requires_role("admin")
def save() -> ResponseReturnValue:
    stored, _specimen = _stored()
    layout = _layout_from(request.form, stored)
    try:
        tenant_admin.change_settings(current_database(), _actor(), ChangeTenantSettings({"layout": layout}))
    except ValidationFailed as refused:
        form = {name: request.form.get(name, "") for name in FIELDS}
        return render("layout.html", status=422, form=form, problems=_problems(refused), page_title="layout.title")
    current_console().notice("layout.saved")
    return redirect(url_for("console.layout.index"))


@blueprint.route("/preview.pdf")
@requires_role("admin")
def preview() -> Response:
    """The specimen invoice in the layout the form holds now (not saved); rendered after the read has ended."""
    stored, specimen = _stored()
    try:
        content = layout_preview.preview_pdf(specimen, _layout_from(request.args, stored))
    except ValidationFailed as refused:
        form = {name: request.args.get(name, "") for name in FIELDS}
        return render("layout.html", status=422, form=form, problems=_problems(refused), page_title="layout.title")
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="layout-preview.pdf"'})
