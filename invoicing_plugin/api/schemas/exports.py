"""Query strings of the exports: the period, and for CSV how a spreadsheet wants its cells and numbers."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...services.csv_export import DECIMAL_MARKS, DELIMITERS


class PeriodQuery(Schema):
    period_from = fields.Date(data_key="from", metadata={
        "description": "first invoice date of the period (the tenant's calendar); default: the first day of `to`'s "
                       "month"})
    period_to = fields.Date(data_key="to", metadata={"description": "last invoice date of the period; default: today"})

    def problems(self, data: dict) -> dict[str, list[str]]:
        first, last = data.get("period_from"), data.get("period_to")
        return {"from": ["must be on or before `to`"]} if first and last and first > last else {}

    @validates_schema
    def readable(self, data, **_):
        problems = self.problems(data)
        if problems:
            raise ValidationError(problems)


class ExportQuery(PeriodQuery):
    delimiter = fields.String(load_default=",", validate=validate.OneOf(list(DELIMITERS)), metadata={
        "description": "between cells: `,` (RFC 4180), `;` (Finnish and other European Excel), or `tab`"})
    decimal = fields.String(load_default=".", validate=validate.OneOf(list(DECIMAL_MARKS)), metadata={
        "description": "the decimal mark of amounts and quantities: `.` or `,` (Finnish Excel: `;` with `,`)"})

    def problems(self, data: dict) -> dict[str, list[str]]:
        problems = super().problems(data)
        if data.get("delimiter") == "," and data.get("decimal") == ",":
            problems["decimal"] = ["cannot be the delimiter too: with decimal `,` use delimiter `;`"]
        return problems
