"""Pro forma invoices: POST /invoices/{id}/convert makes the invoice of a pro forma's orders and closes it."""

from __future__ import annotations

import uuid

from flask import request
from flask.views import MethodView

from ..plugin import current_database
from ..services import commands, proforma, queries
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, json_body, load, requires
from .presenters import invoice_detail
from .responses import dump
from .schemas.output import InvoiceSchema
from .schemas.proforma import ConvertRequestSchema
from .writes import Outcome, run_write

CONVERT_SCHEMA = ConvertRequestSchema()

blp = api_blueprint("proforma", "/invoices", "Pro forma invoices and the invoices made from them")


@blp.route("/<uuid:invoice_id>/convert")
class ConvertProforma(MethodView):
    @requires("backoffice")
    @blp.response(201, InvoiceSchema, description="The invoice made from the pro forma, which is now closed")
    @blp.alt_response(200, schema=InvoiceSchema, description=(
        "The pro forma was converted before: the invoice made then, never a second one"))
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(CONVERT_SCHEMA, required=False),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self, invoice_id: uuid.UUID):
        """Make the invoice of a finalised pro forma and close the pro forma

        The invoice has the pro forma's lines, prices and buyer, priced again as at intake, and is numbered
        in the invoice series (the order's `invoicing.series`, else the merchant's default) and delivered
        through the order's channels, else the merchant's default ones. The pro forma gets `converted_to_id`
        and `closed_at`; its orders now belong to the invoice. With `draft: true` the invoice waits as a draft
        for approval. Converting again returns the same invoice (200). A draft or discarded pro forma, or
        anything that is not a pro forma, is not converted (409).
        """
        payload = json_body() if request.get_data(cache=True) else {}
        options = load(CONVERT_SCHEMA, payload)
        command = commands.ConvertProforma(invoice_id, invoice_date=options.get("invoice_date"),
                                           draft=options["draft"])
        actor = current_actor()
        return run_write(lambda reply: proforma.convert_proforma(current_database(), actor, command, reply=reply),
                         _present, payload)


def _present(session, result: proforma.Conversion) -> Outcome:
    invoice = result.invoice
    return Outcome(201 if result.created else 200,
                   dump(InvoiceSchema, invoice_detail(invoice, list(result.order_ids),
                                                      queries.credit_links(session, invoice))),
                   headers={"ETag": f'"{invoice.version}"'})
