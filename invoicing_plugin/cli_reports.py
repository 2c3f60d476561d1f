"""What the back-office commands of the CLI need: an invoice found by its number, credit lines from
`--line LINE:QTY`, and the aging report as a table for a terminal."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Invoice
from .domain.currency import quantum
from .domain.errors import NotFound, ValidationFailed
from .services.aging import BUCKETS, AgingReport, Amounts
from .services.commands import LineCredit

_LINE_FIELD = re.compile(r"^lines(?:\[(\d+)\]|\.(\d+))")


def find_invoice(session: Session, tenant_id: uuid.UUID, number: str, series: str | None) -> Invoice:
    """The tenant's invoice (or credit note, or pro forma) with this number; a number is unique per series,
    so when two series share it, `series` must say which."""
    query = select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.number == number)
    if series is not None:
        query = query.where(Invoice.series == series)
    found = session.scalars(query.order_by(Invoice.series)).all()
    if not found:
        raise NotFound(f"no invoice number {number!r}" + (f" in series {series!r}" if series else "")
                       + " (a draft has no number yet)")
    if len(found) > 1:
        raise ValidationFailed({"--series": [
            f"invoice number {number!r} is in series {', '.join(invoice.series for invoice in found)}: "
            "say which with --series"]})
    return found[0]


def credit_lines(invoice: Invoice, specs: Sequence[str]) -> tuple[LineCredit, ...]:
    """`--line 2:1` (position on the invoice : quantity) or `--line <line id>:1`; every problem at once."""
    by_position = {str(line.position): line.id for line in invoice.lines}
    by_id = {str(line.id): line.id for line in invoice.lines}
    problems: dict[str, list[str]] = {}
    lines = []
    for spec in specs:
        ref, sep, quantity_text = spec.rpartition(":")
        field = f"--line {spec}"
        if not sep or not ref:
            problems[field] = ["must be LINE:QTY, e.g. 2:1 (the line's position on the invoice, or its id)"]
            continue
        line_id = by_position.get(ref.strip()) or by_id.get(ref.strip().lower())
        if line_id is None:
            problems[field] = [f"invoice {invoice.number} has no line {ref!r}; its lines are 1 to {len(invoice.lines)}"]
        try:
            quantity = Decimal(quantity_text.strip())
            if not quantity.is_finite() or quantity <= 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.setdefault(field, []).append(f"the quantity {quantity_text!r} must be a number above zero")
            continue
        if line_id is not None:
            lines.append(LineCredit(line_id, quantity=quantity))
    if problems:
        raise ValidationFailed(problems)
    return tuple(lines)


@contextmanager
def renamed_line_problems(specs: Sequence[str]) -> Iterator[None]:
    """The credit note's `lines[0].quantity: ...` problems, named by the option the clerk typed."""
    try:
        yield
    except ValidationFailed as error:
        renamed: dict[str, list[str]] = {}
        for field, messages in error.errors.items():
            match = _LINE_FIELD.match(field)
            if match and int(match.group(1) or match.group(2)) < len(specs):
                rest = field[match.end():].removeprefix(".quantity")
                field = f"--line {specs[int(match.group(1) or match.group(2))]}{rest}"
            renamed.setdefault(field, []).extend(messages)
        raise ValidationFailed(renamed) from None


_HEADINGS = {"not_due": "not due", "1_30": "1-30", "31_60": "31-60", "61_90": "61-90", "91_120": "91-120",
             "over_120": "> 120"}


def aging_table(report: AgingReport) -> list[str]:
    """The report as aligned text columns: a row per customer and currency, then a total per currency."""
    if not report.rows:
        return [f"no open receivables and no unapplied credit as of {report.as_of.isoformat()}"]

    def amounts(values: Amounts, currency: str) -> list[str]:
        return [_money(value, currency) for value in (*values.buckets.values(), values.total,
                                                      values.unapplied_credit, values.balance)]

    header = ["customer", "business ID", "cur", *(_HEADINGS[name] for name in BUCKETS), "total", "credit",
              "balance"]
    body = [[row.customer_name, row.business_id or "", row.currency, *amounts(row.amounts, row.currency)]
            for row in report.rows]
    totals = [["total", "", currency, *amounts(values, currency)] for currency, values in report.totals.items()]
    widths = [max(len(cells[column]) for cells in [header, *body, *totals]) for column in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) if column < 3 else cell.rjust(width)
                         for column, (cell, width) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return [line(header), rule, *(line(cells) for cells in body), rule, *(line(cells) for cells in totals),
            "credit: overpayments and credit not applied or refunded, not in the buckets; "
            "balance = total - credit"]


def _money(amount: Decimal, currency: str) -> str:
    return format(amount.quantize(quantum(currency)), "f")
