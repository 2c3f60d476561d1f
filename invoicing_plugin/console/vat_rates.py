"""Settings, the VAT table (admin only): the rates with the days they are valid, replaced as a whole."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from ..api.schemas.tenants import VatRatesSchema
from ..domain.vat import VatRate
from ..plugin import current_database
from ..services import tenant_admin, tenants
from ..services.commands import ReplaceVatRates
from .access import current_console, requires_role
from .inputs import FieldProblems
from .nav import NavEntry
from .rendering import render

blueprint = Blueprint("vat_rates", __name__, url_prefix="/settings/vat-rates")
NAV: NavEntry | None = None  # reached from the settings page

BLANK_ROWS = 2  # room for new rates below the current ones
_SCHEMA = VatRatesSchema()


def _actor():
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    return identity.actor


def _page(rows: list[dict[str, str]], problems: FieldProblems, status: int = 200) -> Response:
    """The rows as they were (a refused form keeps its row numbers, so each problem stays by its field)."""
    if status == 200:
        rows = rows + [dict.fromkeys(("rate", "valid_from", "valid_to"), "") for _ in range(BLANK_ROWS)]
    return render("vat_rates.html", status=status, rows=rows, problems=problems, page_title="vat.title")


@blueprint.route("/")
@requires_role("admin")
def index() -> Response:
    actor = _actor()
    rates = current_database().read(
        lambda session: tenants.vat_table(session, tenants.load_tenant(session, actor)).rates)
    rows = [{"rate": format(r.rate.normalize(), "f"), "valid_from": r.valid_from.isoformat() if r.valid_from else "",
             "valid_to": r.valid_to.isoformat() if r.valid_to else ""} for r in rates]
    return _page(rows, FieldProblems())


@blueprint.post("/")
@requires_role("admin")
def replace() -> ResponseReturnValue:
    """Rows with a rate are the new table; a row emptied is a rate removed."""
    count = int(request.form["rows"]) if request.form.get("rows", "").isdigit() else 0
    every = [{name: request.form.get(f"{name}_{index}", "").strip() for name in ("rate", "valid_from", "valid_to")}
             for index in range(min(count, 200))]
    kept = [index for index, row in enumerate(every) if any(row.values())]  # the form's row of each rate
    rows = [every[index] for index in kept]
    payload: list[dict[str, Any]] = [{"rate": row["rate"].replace(",", "."), "valid_from": row["valid_from"] or None,
                                      "valid_to": row["valid_to"] or None} for row in rows]
    problems = FieldProblems()
    try:  # the API's own rules for the table (a rate 0 to 100, from before to, 1 to 100 rates)
        loaded = _SCHEMA.load({"vat_rates": payload})
    except ValidationError as refused:
        errors = refused.normalized_messages().get("vat_rates", {})
        if isinstance(errors, list):  # the table as a whole (no rate at all)
            problems.add("table", "; ".join(str(e) for e in errors))
        else:
            for index, fields in errors.items():
                for name, messages in fields.items():
                    for message in messages:
                        problems.add(f"{name}_{kept[int(index)]}", str(message))
        return _page(every, problems, status=422)
    rates = tuple(VatRate(r["rate"], r.get("valid_from"), r.get("valid_to")) for r in loaded["vat_rates"])
    tenant_admin.replace_vat_rates(current_database(), _actor(), ReplaceVatRates(rates))
    current_console().notice("vat.saved")
    return redirect(url_for("console.vat_rates.index"))
