"""The accountant's CSV of a period: one row per invoice or one per line, read in keyset batches, never all at once.

Each batch is its own short read (no transaction stays open while the rows travel to the client), so memory
stays the size of one batch whatever the period holds. Rows are issued invoices and credit notes (finalised or
cancelled), by invoice date (the tenant's calendar day) and number; drafts have no number and pro formas are
no vouchers, so neither is exported. Amounts are exact: the sums of the stored rounded amounts, per VAT rate.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session, aliased, lazyload, selectinload

from ..db import Invoice, InvoiceLine
from ..domain.currency import quantum
from ..domain.lifecycle import ISSUED, InvoiceKind
from .unit_of_work import Database

BATCH_SIZE = 1000
EXPORTED_KINDS = (InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE)
DELIMITERS = {",": ",", ";": ";", "tab": "\t"}
DECIMAL_MARKS = (".", ",")

INVOICE_COLUMNS = (
    "number", "kind", "status", "payment_status", "invoice_date", "tax_date", "due_date", "reference",
    "customer_type", "customer_name", "business_id", "vat_id", "einvoice_address", "einvoice_operator",
    "street", "postcode", "city", "country", "currency", "net", "vat", "gross",
)
INVOICE_TAIL_COLUMNS = ("paid", "credited", "allocated", "open", "credited_invoice_number", "vat_eur")
LINE_COLUMNS = (
    "invoice_number", "kind", "invoice_date", "customer_name", "business_id", "currency", "position", "sku",
    "description", "quantity", "unit", "unit_price", "discount_percent", "vat_category", "vat_rate",
    "net", "vat", "gross",
)


@dataclass(frozen=True)
class CsvFormat:
    """How a spreadsheet wants its numbers: Finnish Excel reads `;` between cells and `,` in numbers."""

    delimiter: str = ","
    decimal: str = "."

    def number(self, value: Decimal) -> str:
        text = format(value, "f")
        return text.replace(".", self.decimal) if self.decimal != "." else text

    def money(self, value: Decimal | None, currency: str) -> str:
        return "" if value is None else self.number(value.quantize(quantum(currency)))


@dataclass(frozen=True)
class Period:
    tenant_id: uuid.UUID
    first: date
    last: date


def rate_label(rate: Decimal) -> str:
    """A VAT rate as a column name part: 25.5, 14, 0 (no trailing zeros, always a point)."""
    text = format(rate.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def issued_in(period: Period) -> Any:
    return (Invoice.tenant_id == period.tenant_id, Invoice.status.in_(ISSUED), Invoice.kind.in_(EXPORTED_KINDS),
            Invoice.invoice_date >= period.first, Invoice.invoice_date <= period.last)


def rates_of(session: Session, period: Period) -> list[Decimal]:
    """The VAT rates that occur in the period: one net/VAT/gross column triple each."""
    rows = session.scalars(select(InvoiceLine.vat_rate).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
                           .where(*issued_in(period)).distinct())
    return sorted(set(rows), reverse=True)


OrderKey = tuple[Any, ...]
Batch = list[Any]  # rows of (Invoice, credited invoice's number)


def order_key() -> tuple[Any, ...]:
    return (Invoice.invoice_date, Invoice.series, Invoice.sequence_number, Invoice.id)


def _batch(period: Period, after: OrderKey | None, with_lines: bool) -> Select[Invoice, str | None]:
    credited = aliased(Invoice)
    query = (select(Invoice, credited.number.label("credited_number"))
             .options(selectinload(Invoice.lines) if with_lines else lazyload(Invoice.lines))
             .outerjoin(credited, credited.id == Invoice.credited_invoice_id)
             .where(*issued_in(period)).order_by(*order_key()).limit(BATCH_SIZE))
    if after is not None:
        query = query.where(tuple_(*order_key()) > tuple_(*after))
    return query


def _invoice_batches(db: Database, period: Period, each: Callable[[Session, Batch], list[list[str]]], *,
                     with_lines: bool = False) -> Iterator[list[list[str]]]:
    """Batches of `each(session, invoices)` results, each batch read in its own short transaction."""
    after: OrderKey | None = None
    while True:
        def read(session: Session, after: OrderKey | None = after) -> tuple[list[list[str]], OrderKey | None]:
            rows = list(session.execute(_batch(period, after, with_lines)).all())
            if not rows:
                return [], None
            last = rows[-1][0]
            key = (last.invoice_date, last.series, last.sequence_number, last.id)
            return each(session, rows), key

        found, after = db.read(read)
        if not found:
            return
        yield found
        if after is None:
            return


def _customer(invoice: Invoice) -> list[str]:
    buyer = invoice.buyer or {}
    return [buyer.get(name) or "" for name in ("type", "name", "business_id", "vat_id", "einvoice_address",
                                                "einvoice_operator", "street", "postcode", "city", "country")]


def _open(invoice: Invoice) -> Decimal:
    from ..domain.payments import open_amount

    if invoice.kind != InvoiceKind.INVOICE:
        return Decimal(0)
    return open_amount(invoice.total_gross, invoice.paid_amount, invoice.credited_amount, invoice.allocated_amount)


def invoice_header(rates: Sequence[Decimal]) -> list[str]:
    per_rate = [f"{part}_{rate_label(rate)}" for rate in rates for part in ("net", "vat", "gross")]
    return [*INVOICE_COLUMNS, *per_rate, *INVOICE_TAIL_COLUMNS]


def invoice_rows(db: Database, period: Period, rates: Sequence[Decimal], fmt: CsvFormat) -> Iterator[list[str]]:
    """One row per issued invoice or credit note of the period, in invoice date and number order."""
    def rows_of(session: Session, batch: Batch) -> list[list[str]]:
        ids = [row[0].id for row in batch]
        sums: dict[uuid.UUID, dict[Decimal, tuple[Decimal, Decimal, Decimal]]] = defaultdict(dict)
        for invoice_id, rate, net, vat, gross in session.execute(
                select(InvoiceLine.invoice_id, InvoiceLine.vat_rate, func.sum(InvoiceLine.net_amount),
                       func.sum(InvoiceLine.vat_amount), func.sum(InvoiceLine.gross_amount))
                .where(InvoiceLine.invoice_id.in_(ids)).group_by(InvoiceLine.invoice_id, InvoiceLine.vat_rate)):
            sums[invoice_id][rate] = (net, vat, gross)
        out = []
        for invoice, credited_number in batch:
            currency = invoice.currency
            per_rate = []
            for rate in rates:
                found = sums[invoice.id].get(rate)
                per_rate += ["", "", ""] if found is None else [fmt.money(part, currency) for part in found]
            out.append([
                invoice.number or "", invoice.kind, invoice.status, invoice.payment_status,
                invoice.invoice_date.isoformat() if invoice.invoice_date else "", invoice.tax_date.isoformat(),
                invoice.due_date.isoformat() if invoice.due_date else "", invoice.reference or "",
                *_customer(invoice), currency, fmt.money(invoice.total_net, currency),
                fmt.money(invoice.total_vat, currency), fmt.money(invoice.total_gross, currency), *per_rate,
                fmt.money(invoice.paid_amount, currency), fmt.money(invoice.credited_amount, currency),
                fmt.money(invoice.allocated_amount, currency), fmt.money(_open(invoice), currency),
                credited_number or "", fmt.money(invoice.total_vat_national, "EUR"),
            ])
        return out

    for batch in _invoice_batches(db, period, rows_of):
        yield from batch


def line_rows(db: Database, period: Period, fmt: CsvFormat) -> Iterator[list[str]]:
    """One row per line of each issued invoice or credit note of the period, in the invoices' order."""
    def rows_of(session: Session, batch: Batch) -> list[list[str]]:
        out = []
        for invoice, _credited in batch:
            currency, buyer = invoice.currency, invoice.buyer or {}
            for line in invoice.lines:  # loaded with the batch, in position order
                out.append([
                    invoice.number or "", invoice.kind, invoice.invoice_date.isoformat() if invoice.invoice_date
                    else "", buyer.get("name") or "", buyer.get("business_id") or "", currency, str(line.position),
                    line.sku or "", line.description, fmt.number(line.quantity.normalize()), line.unit or "",
                    fmt.number(line.unit_price.normalize()), fmt.number(line.discount_percent.normalize()),
                    line.vat_category, fmt.number(Decimal(rate_label(line.vat_rate))),
                    fmt.money(line.net_amount, currency), fmt.money(line.vat_amount, currency),
                    fmt.money(line.gross_amount, currency),
                ])
        return out

    for batch in _invoice_batches(db, period, rows_of, with_lines=True):
        yield from batch


def safe_cell(value: str) -> str:
    """Free text that no spreadsheet runs as a formula (OWASP CSV injection); numbers stay numbers."""
    if value[:1] in ("=", "+", "@", "\t", "\r") or (value[:1] == "-" and not _is_number(value)):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        Decimal(value.replace(",", "."))
    except ArithmeticError:
        return False
    return True


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[str]], fmt: CsvFormat,
               rows_per_chunk: int = 500) -> Iterator[bytes]:
    """RFC 4180 text (CRLF line ends, UTF-8) in chunks of a few hundred rows, for a streamed response."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=fmt.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
        if count % rows_per_chunk == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def invoices_csv(db: Database, period: Period, fmt: CsvFormat) -> Iterator[bytes]:
    rates = db.read(lambda session: rates_of(session, period))
    return csv_chunks(invoice_header(rates), invoice_rows(db, period, rates, fmt), fmt)


def lines_csv(db: Database, period: Period, fmt: CsvFormat) -> Iterator[bytes]:
    return csv_chunks(LINE_COLUMNS, line_rows(db, period, fmt), fmt)
