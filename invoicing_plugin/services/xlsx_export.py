"""The CSV exports as an Excel workbook: the same rows, amounts as numbers, written by openpyxl's write-only mode.

Write-only mode streams each row to a temporary file instead of keeping the sheet in memory, so a workbook of any
period costs what the CSV costs; the finished file is then streamed from disk. Amounts go in as Decimal (openpyxl
writes their decimal text into the sheet's XML, so nothing passes through a float on our side) with the number
format of the currency's two decimals.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from ..extras import require
from . import csv_export
from .unit_of_work import Database

TEXT_COLUMNS = {"number", "kind", "status", "payment_status", "invoice_date", "tax_date", "due_date", "reference",
                "customer_type", "customer_name", "business_id", "vat_id", "einvoice_address", "einvoice_operator",
                "street", "postcode", "city", "country", "currency", "credited_invoice_number", "invoice_number",
                "sku", "description", "unit", "vat_category"}
CHUNK = 64 * 1024


def _cells(header: Sequence[str], row: Sequence[str]) -> list[Any]:
    """Numbers as Decimal, text as text (ids, dates and references stay text: a spreadsheet must not reformat them)."""
    return [Decimal(value) if name not in TEXT_COLUMNS and value != "" else value
            for name, value in zip(header, row, strict=True)]


def _workbook(sheet_name: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> IO[bytes]:
    openpyxl = require("openpyxl", "xlsx", "The XLSX export")
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    sheet.append(list(header))
    for row in rows:
        sheet.append(_cells(header, row))
    spooled = tempfile.TemporaryFile()
    book.save(spooled)
    spooled.seek(0)
    return spooled


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        while chunk := file.read(CHUNK):
            yield chunk


def invoices_xlsx(db: Database, period: csv_export.Period) -> Iterator[bytes]:
    fmt = csv_export.CsvFormat()
    rates = db.read(lambda session: csv_export.rates_of(session, period))
    header = csv_export.invoice_header(rates)
    return _chunks(_workbook("invoices", header, csv_export.invoice_rows(db, period, rates, fmt)))


def lines_xlsx(db: Database, period: csv_export.Period) -> Iterator[bytes]:
    fmt = csv_export.CsvFormat()
    header = list(csv_export.LINE_COLUMNS)
    return _chunks(_workbook("invoice lines", header, csv_export.line_rows(db, period, fmt)))
