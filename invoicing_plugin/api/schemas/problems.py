"""The one shape of every error response: RFC 9457 problem details with a stable `code` and field `errors`."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class FieldProblemSchema(Schema):
    field = fields.String(required=True, metadata={"example": "lines[0].vat_rate"})
    pointer = fields.String(required=True, metadata={
        "description": "JSON pointer to the field in the request body", "example": "#/lines/0/vat_rate"})
    detail = fields.String(required=True, metadata={"example": "must be a decimal string such as \"12.40\""})


class ProblemSchema(Schema):
    """RFC 9457 problem details; members not listed here are extensions a client may ignore (RFC 9457 §3.2)."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: true

    type = fields.String(required=True, metadata={
        "description": "a URI naming the kind of problem", "example": "urn:invoicing-plugin:problem:validation_failed"})
    title = fields.String(required=True, metadata={"example": "The request has invalid fields"})
    status = fields.Integer(required=True, metadata={"example": 422})
    code = fields.String(required=True, metadata={
        "description": "stable machine code, e.g. validation_failed, not_found, order_exists_with_other_content",
        "example": "validation_failed"})
    detail = fields.String(metadata={"description": "what went wrong, for a person"})
    instance = fields.String(required=True, metadata={"description": "the request's path", "example": "/api/v1/orders"})
    errors = fields.List(fields.Nested(FieldProblemSchema), metadata={
        "description": "every field problem of the request at once (validation_failed)"})
    existing_order_id = fields.UUID(metadata={
        "description": "order_exists_with_other_content: the order that was sent before under this external_id"})
