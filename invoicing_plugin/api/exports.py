"""Exports for the accountant: GET /exports/invoices.csv and /exports/invoice-lines.csv, streamed in batches, and
the same rows as Excel workbooks (.xlsx)."""

from __future__ import annotations

from datetime import date

from flask import Response
from flask.views import MethodView
from marshmallow import RAISE

from ..plugin import plugin_state
from ..services import csv_export, xlsx_export
from ..services.invoices import tenant_today
from .blueprints import api_blueprint, problem_responses
from .context import current_tenant, end_transaction, requires
from .schemas.exports import ExportQuery, PeriodQuery

blp = api_blueprint("exports", "/exports", "Exports for accounting and spreadsheets: invoices and lines as CSV")

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CSV = {"description": "the CSV (RFC 4180 quoting, CRLF line ends, UTF-8, one header row); columns in the README, "
                       "\"Exports\"", "content": {CSV_MIME: {"schema": {"type": "string"}}}}


_XLSX = {"description": "the workbook: one sheet, a header row, amounts as numbers, dates and ids as text",
         "content": {XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}}


def _period(query: dict) -> csv_export.Period:
    tenant = current_tenant()
    last: date = query.get("period_to") or tenant_today(tenant)
    first: date = query.get("period_from") or last.replace(day=1)
    return csv_export.Period(tenant.id, first, last)


def _streamed(chunks, name: str, period: csv_export.Period, media: str = CSV_MIME) -> Response:
    extension = "csv" if media == CSV_MIME else "xlsx"
    filename = f"{name}-{period.first.isoformat()}-{period.last.isoformat()}.{extension}"
    content_type = f"{CSV_MIME}; charset=utf-8; header=present" if media == CSV_MIME else media
    return Response(chunks, content_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _format(query: dict) -> csv_export.CsvFormat:
    return csv_export.CsvFormat(delimiter=csv_export.DELIMITERS[query["delimiter"]], decimal=query["decimal"])


@blp.route("/invoices.csv")
class InvoicesCsv(MethodView):
    @requires("backoffice")
    @blp.arguments(ExportQuery, location="query", unknown=RAISE)
    @blp.doc(responses={"200": _CSV, **problem_responses(401, 403, 422)})
    def get(self, query: dict):
        """One row per issued invoice and credit note of the period, with net, VAT and gross per VAT rate

        Finalised and cancelled invoices and credit notes dated in the period, in invoice date and number order;
        drafts and pro formas are not vouchers and are left out. A `net_<rate>`, `vat_<rate>` and `gross_<rate>`
        column for each VAT rate that occurs in the period. Streamed: any period is read in batches.
        """
        period, fmt = _period(query), _format(query)
        end_transaction()  # batches are read one short transaction at a time while the response streams
        return _streamed(csv_export.invoices_csv(plugin_state().database, period, fmt), "invoices", period)


@blp.route("/invoice-lines.csv")
class InvoiceLinesCsv(MethodView):
    @requires("backoffice")
    @blp.arguments(ExportQuery, location="query", unknown=RAISE)
    @blp.doc(responses={"200": _CSV, **problem_responses(401, 403, 422)})
    def get(self, query: dict):
        """One row per line of each issued invoice and credit note of the period

        The same invoices as `invoices.csv`, in the same order, each line with its quantity, unit price,
        discount, VAT category and rate, and its net, VAT and gross amounts. Streamed like `invoices.csv`.
        """
        period, fmt = _period(query), _format(query)
        end_transaction()
        return _streamed(csv_export.lines_csv(plugin_state().database, period, fmt), "invoice-lines", period)


@blp.route("/invoices.xlsx")
class InvoicesXlsx(MethodView):
    @requires("backoffice")
    @blp.arguments(PeriodQuery, location="query", unknown=RAISE)
    @blp.doc(responses={"200": _XLSX, **problem_responses(401, 403, 422, 501)})
    def get(self, query: dict):
        """`invoices.csv` as an Excel workbook: the same columns and rows, amounts as numbers"""
        period = _period(query)
        end_transaction()
        return _streamed(xlsx_export.invoices_xlsx(plugin_state().database, period), "invoices", period, XLSX_MIME)


@blp.route("/invoice-lines.xlsx")
class InvoiceLinesXlsx(MethodView):
    @requires("backoffice")
    @blp.arguments(PeriodQuery, location="query", unknown=RAISE)
    @blp.doc(responses={"200": _XLSX, **problem_responses(401, 403, 422, 501)})
    def get(self, query: dict):
        """`invoice-lines.csv` as an Excel workbook: the same columns and rows, amounts as numbers"""
        period = _period(query)
        end_transaction()
        return _streamed(xlsx_export.lines_xlsx(plugin_state().database, period), "invoice-lines", period, XLSX_MIME)
