"""Reading the console's forms into use-case commands; every unreadable field is reported by its name."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.datastructures import MultiDict

from ..services import commands

Problems = dict[str, list[str]]
LINE_FIELDS = ("description", "sku", "quantity", "unit", "unit_price", "vat_rate", "discount_percent")
# Carried in hidden fields, so that an edit keeps the service period a line bills (not typed by a clerk).
PERIOD_FIELDS = ("service_period_start", "service_period_end")


def decimal_field(form: Mapping[str, str], name: str, problems: Problems, *, default: Decimal | None = None
                  ) -> Decimal | None:
    """A number as people type it: "12,50" or "12.50", spaces allowed; never a float."""
    raw = (form.get(name) or "").strip().replace("\xa0", "").replace(" ", "").replace(",", ".")
    if not raw:
        if default is None:
            problems.setdefault(name, []).append("is required")
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        problems.setdefault(name, []).append("is not a number")
        return None
    if not value.is_finite():
        problems.setdefault(name, []).append("is not a number")
        return None
    return value


def date_field(form: Mapping[str, str], name: str, problems: Problems) -> date | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.setdefault(name, []).append("is not a date (YYYY-MM-DD)")
        return None


def int_field(form: Mapping[str, str], name: str, problems: Problems) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 4:
        problems.setdefault(name, []).append("is not a whole number of days")
        return None
    return int(raw)


def text_field(form: Mapping[str, str], name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


def uuids(form: MultiDict[str, str], name: str) -> list[uuid.UUID]:
    found = []
    for raw in form.getlist(name):
        try:
            found.append(uuid.UUID(raw))
        except ValueError:
            continue  # not an id we gave out: nothing to act on
    return found


def kept_rows(form: MultiDict[str, str]) -> list[dict[str, str]]:
    """The line rows sent (`lines-<n>-<field>`, n below `line_count`), without those marked removed and the
    blank ones (a row with nothing typed but its preset VAT rate is blank)."""
    raw_count = form.get("line_count", "")
    count = min(int(raw_count), 500) if raw_count.isdigit() else 0
    rows = []
    for row in range(count):
        values = {field: form.get(f"lines-{row}-{field}", "") for field in LINE_FIELDS + PERIOD_FIELDS}
        if form.get(f"lines-{row}-remove") or not any(values[f].strip() for f in LINE_FIELDS if f != "vat_rate"):
            continue
        rows.append(values)
    return rows


def draft_lines(form: MultiDict[str, str], problems: Problems) -> tuple[commands.OrderLine, ...]:
    """The line rows of the draft form (`lines-<n>-<field>`), empty rows and rows marked removed left out;
    a row's problems are named `lines[<i>].<field>` like the use case's own, <i> counting kept rows."""
    lines: list[commands.OrderLine] = []
    for values in kept_rows(form):
        index, row_problems = len(lines), {}
        description = text_field(values, "description")
        if description is None:
            row_problems["description"] = ["is required"]
        quantity = decimal_field(values, "quantity", row_problems)
        unit_price = decimal_field(values, "unit_price", row_problems)
        vat_rate = decimal_field(values, "vat_rate", row_problems)
        discount = decimal_field(values, "discount_percent", row_problems, default=Decimal(0))
        start, end = (date_field(values, field, {}) for field in PERIOD_FIELDS)
        if (start is None) != (end is None) or (start and end and end < start):
            start = end = None  # a tampered period: the line bills none rather than a wrong one
        for field, messages in row_problems.items():
            problems[f"lines[{index}].{field}"] = messages
        lines.append(commands.OrderLine(
            description=description or "", quantity=quantity or Decimal(0), unit_price=unit_price or Decimal(0),
            vat_rate=vat_rate or Decimal(0), sku=text_field(values, "sku"), unit=text_field(values, "unit"),
            discount_percent=discount or Decimal(0), service_period_start=start, service_period_end=end))
    return tuple(lines)


def draft_changes(invoice_id: uuid.UUID, form: MultiDict[str, str]) -> tuple[commands.EditDraft, Problems]:
    """The whole edit form as one EditDraft (lines, dates, terms, references, billing details)."""
    problems: Problems = {}
    lines = draft_lines(form, problems)
    version = int_field(form, "version", problems)
    billing = commands.BillingDetails(
        name=text_field(form, "billing.name"),
        address=commands.Address(street=text_field(form, "billing.street"),
                                 postcode=text_field(form, "billing.postcode"),
                                 city=text_field(form, "billing.city"), country=text_field(form, "billing.country")),
        einvoice_address=text_field(form, "billing.einvoice_address"),
        einvoice_operator=text_field(form, "billing.einvoice_operator"),
        email=text_field(form, "billing.email"), language=text_field(form, "billing.language"))
    command = commands.EditDraft(
        invoice_id, expected_version=version, lines=lines, invoice_date=date_field(form, "invoice_date", problems),
        payment_terms_days=int_field(form, "payment_terms_days", problems),
        buyer_reference=text_field(form, "buyer_reference"), notes=text_field(form, "notes"), billing=billing)
    return command, problems


def line_rows(form: MultiDict[str, str] | None, lines: list[Any], blank: int = 2) -> list[dict[str, str]]:
    """The rows the draft form shows: as sent (after a problem), else the draft's lines; and blank rows to add."""
    if form is not None:
        rows = kept_rows(form)  # the same rows, in the same order, as the problems' lines[<i>] count them
    else:
        rows = [{"description": line.description, "sku": line.sku or "", "quantity": _plain(line.quantity),
                 "unit": line.unit or "", "unit_price": _price(line.unit_price), "vat_rate": _plain(line.vat_rate),
                 "discount_percent": _plain(line.discount_percent),
                 **{field: getattr(line, field).isoformat() if getattr(line, field) else "" for field in PERIOD_FIELDS}}
                for line in lines]
    return rows + [dict.fromkeys(LINE_FIELDS + PERIOD_FIELDS, "") for _ in range(blank)]


def _price(value: Decimal) -> str:
    """A unit price with at least two decimals, as prices are written (24.90, 0.125)."""
    plain = value.normalize()
    cents = value.quantize(Decimal("0.01"))
    return format(plain if plain != cents else cents, "f")


def _plain(value: Decimal) -> str:
    """A stored decimal without its trailing zeros (1.000000 is shown as 1, 12.500000 as 12.5)."""
    return format(value.normalize(), "f")
