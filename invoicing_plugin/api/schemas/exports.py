"""Query strings of the CSV exports: the period and how a spreadsheet wants its cells and numbers."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...services.csv_export import DECIMAL_MARKS, DELIMITERS


class ExportQuery(Schema):
    period_from = fields.Date(data_key="from", metadata={
        "description": "first invoice date of the period (the tenant's calendar); default: the first day of `to`'s "
                       "month"})
    period_to = fields.Date(data_key="to", metadata={"description": "last invoice date of the period; default: today"})
    delimiter = fields.String(load_default=",", validate=validate.OneOf(list(DELIMITERS)), metadata={
        "description": "between cells: `,` (RFC 4180), `;` (Finnish and other European Excel), or `tab`"})
    decimal = fields.String(load_default=".", validate=validate.OneOf(list(DECIMAL_MARKS)), metadata={
        "description": "the decimal mark of amounts and quantities: `.` or `,` (Finnish Excel: `;` with `,`)"})

    @validates_schema
    def readable(self, data, **_):
        problems: dict[str, list[str]] = {}
        if data.get("delimiter") == "," and data.get("decimal") == ",":
            problems["decimal"] = ["cannot be the delimiter too: with decimal `,` use delimiter `;`"]
        first, last = data.get("period_from"), data.get("period_to")
        if first and last and first > last:
            problems["from"] = ["must be on or before `to`"]
        if problems:
            raise ValidationError(problems)
