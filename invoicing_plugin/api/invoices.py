"""Invoices: the list with filters, one invoice, approving (finalising) and discarding a draft."""

from __future__ import annotations

import uuid

from flask import request
from flask.views import MethodView
from marshmallow import RAISE

from ..domain.errors import PreconditionFailed
from ..plugin import current_database, current_session
from ..services import commands, drafts, invoices, order_invoicing, queries
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, json_body, load, requires
from .presenters import invoice_detail, invoice_summary
from .responses import dump
from .schemas.drafts import DraftChangesSchema
from .schemas.output import InvoicePageSchema, InvoiceSchema
from .schemas.queries import DiscardSchema, FinalizeSchema, InvoiceListQuery, InvoiceOrdersSchema
from .writes import Outcome, run_write

DISCARD_SCHEMA = DiscardSchema()
FINALIZE_SCHEMA = FinalizeSchema()
DRAFT_CHANGES_SCHEMA = DraftChangesSchema()
INVOICE_ORDERS_SCHEMA = InvoiceOrdersSchema()
IF_MATCH_HEADER = {
    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
    "description": "the `ETag` of the invoice as you read it; a draft changed since then is refused with 412",
}


blp = api_blueprint("invoices", "/invoices", "Invoices: drafts, finalised invoices, the back-office queue")


@blp.route("")
class Invoices(MethodView):
    @requires("backoffice")
    @blp.arguments(InvoiceListQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, InvoicePageSchema)
    @blp.doc(responses=problem_responses(401, 403, 422))
    def get(self, limit: int, cursor: str | None = None, **filters):
        """Invoices, newest first, filtered by status, kind, payment status, source, customer and dates"""
        session = current_session()
        page, next_cursor = queries.list_invoices(
            session, current_actor(), queries.InvoiceFilter(**filters), limit=limit, cursor=cursor
        )
        return {"items": [invoice_summary(invoice) for invoice in page], "next_cursor": next_cursor}

    @requires("backoffice")
    @blp.response(201, InvoiceSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(INVOICE_ORDERS_SCHEMA),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self):
        """Invoice orders that wait for it (`ready_for_invoicing`): one invoice of one customer's orders

        For orders placed with `"invoicing": {"mode": "collect"}` or returned by a discarded draft or a
        cancellation with `release_orders`. Each order is invoiced once: an order invoiced meanwhile is
        refused with 409 and nothing is written. A draft unless `finalize` is true.
        """
        payload = json_body()
        values = load(INVOICE_ORDERS_SCHEMA, payload)
        command = commands.InvoiceOrders(tuple(values["order_ids"]), finalize=values["finalize"],
                                         invoice_date=values.get("invoice_date"))
        actor = current_actor()

        def created(session, result: invoices.InvoiceResult) -> Outcome:
            outcome = _present_invoice(session, result)
            outcome.status = 201
            return outcome

        return run_write(lambda reply: order_invoicing.invoice_orders(current_database(), actor, command,
                                                                      reply=reply), created, payload)


@blp.route("/<uuid:invoice_id>")
class InvoiceById(MethodView):
    @requires("checkout")
    @blp.response(200, InvoiceSchema)
    @blp.doc(responses=problem_responses(401, 404))
    def get(self, invoice_id: uuid.UUID):
        """One invoice with its lines, VAT breakdown and references; `ETag` names its version"""
        session = current_session()
        invoice = queries.get_invoice(session, current_actor(), invoice_id)
        return (invoice_detail(invoice, queries.orders_of_invoice(session, invoice.id),
                               queries.credit_links(session, invoice)), etag(invoice))

    @requires("backoffice")
    @blp.response(200, InvoiceSchema)
    @blp.doc(parameters=[IF_MATCH_HEADER], **request_body(DRAFT_CHANGES_SCHEMA),
             responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 415, 422))
    def patch(self, invoice_id: uuid.UUID):
        """Edit a draft before approving it: lines, invoice date, terms, references, billing details, series

        Only the fields sent change. Totals, VAT and the due date are computed again as at intake, and every
        problem is reported at once with nothing written. Send `If-Match` with the `ETag` you read: if the
        draft changed meanwhile the answer is 412 and your edit is not applied.
        """
        payload = json_body()
        command = edit_command(invoice_id, load(DRAFT_CHANGES_SCHEMA, payload), if_match())
        actor = current_actor()
        return run_write(lambda reply: drafts.edit_draft(current_database(), actor, command, reply=reply),
                         _present_invoice, payload)


def etag(invoice) -> dict[str, str]:
    return {"ETag": f'"{invoice.version}"'}


def if_match() -> int | None:
    """The version an If-Match header names (None without one, or with *); a tag no version has is refused."""
    value = request.headers.get("If-Match")
    if value is None or value.strip() == "*":
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 18:
        raise PreconditionFailed(f"If-Match {value!r} names no version of this invoice; send its ETag")
    return int(tag)


def edit_command(invoice_id: uuid.UUID, values: dict, expected_version: int | None) -> commands.EditDraft:
    billing = values.get("billing")
    return commands.EditDraft(
        invoice_id, expected_version=expected_version,
        lines=tuple(commands.OrderLine(**line) for line in values["lines"]) if "lines" in values else None,
        invoice_date=values.get("invoice_date"), payment_terms_days=values.get("payment_terms_days"),
        buyer_reference=values.get("buyer_reference"), notes=values.get("notes"), series=values.get("series"),
        billing=commands.BillingDetails(
            **{key: value for key, value in billing.items() if key != "address"},
            address=commands.Address(**billing["address"]) if billing.get("address") else None,
        ) if billing else None,
    )


@blp.route("/<uuid:invoice_id>/finalize")
class FinalizeInvoice(MethodView):
    @requires("backoffice")
    @blp.response(200, InvoiceSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER, IF_MATCH_HEADER], **request_body(FINALIZE_SCHEMA, required=False),
             responses=problem_responses(400, 401, 403, 404, 409, 412, 415, 422))
    def post(self, invoice_id: uuid.UUID):
        """Approve a draft: it gets its number, references, invoice date and due date

        `invoice_date` (optional) dates it other than today: never in the future, and in a series
        that keeps chronological dates never before the series' latest invoice. Approving an invoice
        that is already finalised returns it unchanged (a double click never takes a second number);
        a discarded draft cannot be approved (409).
        """
        payload = json_body() if request.get_data(cache=True) else {}
        options = load(FINALIZE_SCHEMA, payload)
        command = commands.FinalizeInvoice(invoice_id, invoice_date=options.get("invoice_date"),
                                           expected_version=if_match())
        actor = current_actor()
        return run_write(lambda reply: invoices.finalize_invoice(current_database(), actor, command, reply=reply),
                         _present_invoice, payload)


@blp.route("/<uuid:invoice_id>/discard")
class DiscardInvoice(MethodView):
    @requires("backoffice")
    @blp.response(200, InvoiceSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(DISCARD_SCHEMA, required=False),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self, invoice_id: uuid.UUID):
        """Discard a draft; a finalised invoice is never discarded (credit it instead)"""
        actor = current_actor()
        payload = json_body() if request.get_data(cache=True) else {}
        options = load(DISCARD_SCHEMA, payload)
        command = commands.DiscardInvoice(invoice_id, return_orders=options["return_orders"],
                                          reason=options.get("reason"))
        return run_write(lambda reply: invoices.discard_invoice(current_database(), actor, command, reply=reply),
                         _present_invoice, payload)


def _present_invoice(session, result: invoices.InvoiceResult) -> Outcome:
    return Outcome(200, dump(InvoiceSchema, invoice_detail(result.invoice, list(result.order_ids),
                                                           queries.credit_links(session, result.invoice))),
                   headers=etag(result.invoice))
