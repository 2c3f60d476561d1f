"""The body of POST /invoices/{id}/convert: making the invoice of a pro forma (shape only)."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..fields import StrictBoolean


class ConvertRequestSchema(Schema):
    invoice_date = fields.Date(metadata={
        "description": "the invoice's date; default: the merchant's today; never in the future (and, in a series "
                       "with chronological dates, never before its latest invoice)"})
    draft = StrictBoolean(load_default=False, metadata={
        "description": "true: make the invoice as a draft to review and approve (finalize) later; the pro forma "
                       "is closed at once either way"})
