"""Correcting a finalised invoice: credit notes, cancellation, and paying it from the customer's credit."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from ..plugin import current_database
from ..services import balances, commands, credit_notes, queries
from ..services.invoices import InvoiceResult
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, json_body, load, requires
from .presenters import invoice_detail
from .responses import dump
from .schemas.credits import ApplyCreditSchema, CancelRequestSchema, CreditNoteRequestSchema
from .schemas.output import InvoiceSchema
from .writes import Outcome, run_write

CREDIT_NOTE_SCHEMA = CreditNoteRequestSchema()
CANCEL_SCHEMA = CancelRequestSchema()
APPLY_CREDIT_SCHEMA = ApplyCreditSchema()

blp = api_blueprint("credits", "/invoices", "Credit notes, cancellation and credit applied from a balance")


@blp.route("/<uuid:invoice_id>/credit-notes")
class CreditNotes(MethodView):
    @requires("backoffice")
    @blp.response(201, InvoiceSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(CREDIT_NOTE_SCHEMA),
             responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422))
    def post(self, invoice_id: uuid.UUID):
        """Credit a finalised invoice: everything (`full`), some units of lines, or amounts off lines

        The credit note has negative amounts, refers to the invoice by number and date, and is numbered in
        the tenant's credit note series (by default the invoice's own). It is finalised and sent where the
        invoice went, unless `draft` is true. No line is ever credited beyond its quantity or amount, and
        the credit notes of an invoice never beyond its total; a credit note itself is never credited (409).
        """
        payload = json_body()
        values = load(CREDIT_NOTE_SCHEMA, payload)
        command = commands.CreateCreditNote(
            invoice_id, reason=values["reason"], full=values["full"], draft=values["draft"],
            lines=tuple(commands.LineCredit(line["invoice_line_id"], quantity=line.get("quantity"),
                                            amount=line.get("amount")) for line in values.get("lines") or ()))
        actor = current_actor()
        return run_write(lambda reply: credit_notes.create_credit_note(current_database(), actor, command,
                                                                       reply=reply),
                         lambda session, result: present(session, result, 201), payload)


@blp.route("/<uuid:invoice_id>/cancel")
class CancelInvoice(MethodView):
    @requires("backoffice")
    @blp.response(200, InvoiceSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(CANCEL_SCHEMA),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self, invoice_id: uuid.UUID):
        """Cancel a finalised invoice: one credit note of everything not yet credited

        The invoice becomes `cancelled`, `cancelled_by` names the credit note; with `release_orders` its
        orders wait to be invoiced again. A cancelled invoice or a credit note cannot be cancelled (409).
        """
        payload = json_body()
        values = load(CANCEL_SCHEMA, payload)
        command = commands.CancelInvoice(invoice_id, reason=values["reason"],
                                         release_orders=values["release_orders"])
        actor = current_actor()
        return run_write(lambda reply: credit_notes.cancel_invoice(current_database(), actor, command, reply=reply),
                         lambda session, result: present(session, result, 200), payload)


@blp.route("/<uuid:invoice_id>/apply-credit")
class ApplyCredit(MethodView):
    @requires("backoffice")
    @blp.response(200, InvoiceSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(APPLY_CREDIT_SCHEMA),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self, invoice_id: uuid.UUID):
        """Pay part or all of an invoice from its customer's credit balance (shown on it as prepaid)"""
        payload = json_body()
        values = load(APPLY_CREDIT_SCHEMA, payload)
        command = commands.ApplyCredit(invoice_id, amount=values["amount"])
        actor = current_actor()

        def present_invoice(session, invoice) -> Outcome:
            return present(session, InvoiceResult(invoice, tuple(queries.orders_of_invoice(session, invoice.id))),
                           200)

        return run_write(lambda reply: balances.apply_credit(current_database(), actor, command, reply=reply),
                         present_invoice, payload)


def present(session, result: InvoiceResult, status: int) -> Outcome:
    invoice = result.invoice
    return Outcome(status, dump(InvoiceSchema, invoice_detail(invoice, list(result.order_ids),
                                                              queries.credit_links(session, invoice))),
                   headers={"ETag": f'"{invoice.version}"'})
