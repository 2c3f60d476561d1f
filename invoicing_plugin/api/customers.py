"""Customers as the back office follows them: search, balance per currency, open items, refunds."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from marshmallow import RAISE

from ..db import Customer
from ..plugin import current_database, current_session
from ..services import balances, commands, customers
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, json_body, load, requires
from .presenters import invoice_summary
from .responses import dump
from .schemas.credits import (
    CustomerAccountPageSchema,
    CustomerAccountSchema,
    CustomerListQuery,
    RefundRequestSchema,
    RefundResultSchema,
)
from .writes import Outcome, run_write

REFUND_SCHEMA = RefundRequestSchema()

blp = api_blueprint("customers", "/customers", "Customers: balances, open items, refunds")


def standing_view(standing: balances.Standing) -> dict:
    return {"currency": standing.currency, "invoiced": standing.invoiced, "credited": standing.credited,
            "paid": standing.paid, "refunded": standing.refunded, "open_amount": standing.open_amount,
            "credit_available": standing.credit_available, "balance": standing.balance}


def customer_summary(session, customer: Customer) -> dict:
    return {"id": customer.id, "type": customer.type, "name": customer.name, "business_id": customer.business_id,
            "vat_id": customer.vat_id, "email": customer.email,
            "balances": [standing_view(s) for s in balances.standings(session, customer.tenant_id, customer.id)]}


@blp.route("")
class Customers(MethodView):
    @requires("backoffice")
    @blp.arguments(CustomerListQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, CustomerAccountPageSchema)
    @blp.doc(responses=problem_responses(401, 403, 422))
    def get(self, limit: int, q: str | None = None, cursor: str | None = None):
        """Customers in name order, found by part of the name or by business ID / VAT ID, with balances"""
        session = current_session()
        page, next_cursor = customers.search_customers(session, current_actor().tenant_id, q=q, limit=limit,
                                                       cursor=cursor)
        return {"items": [customer_summary(session, customer) for customer in page], "next_cursor": next_cursor}


@blp.route("/<uuid:customer_id>")
class CustomerById(MethodView):
    @requires("backoffice")
    @blp.response(200, CustomerAccountSchema)
    @blp.doc(responses=problem_responses(401, 403, 404))
    def get(self, customer_id: uuid.UUID):
        """One customer: balance per currency (open amount, credit available) and the open invoices"""
        session = current_session()
        customer = customers.get_customer(session, current_actor().tenant_id, customer_id)
        return {**customer_summary(session, customer), "einvoice_address": customer.einvoice_address,
                "einvoice_operator": customer.einvoice_operator, "language": customer.language,
                "open_items": [invoice_summary(invoice)
                               for invoice in balances.open_items(session, customer.tenant_id, customer.id)]}


@blp.route("/<uuid:customer_id>/refunds")
class CustomerRefunds(MethodView):
    @requires("backoffice")
    @blp.response(201, RefundResultSchema)
    @blp.alt_response(200, schema=RefundResultSchema, success=True, description=(
        "This `refund_id` was recorded before with the same content: nothing new is recorded"))
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(REFUND_SCHEMA),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self, customer_id: uuid.UUID):
        """Record money paid back to the customer out of their credit (never more than the credit)"""
        payload = json_body()
        values = load(REFUND_SCHEMA, payload)
        command = commands.RecordRefund(customer_id, amount=values["amount"], refund_id=values["refund_id"],
                                        currency=values.get("currency"), paid_on=values.get("paid_on"),
                                        note=values.get("note"))
        actor = current_actor()

        def present(_session, outcome: balances.RefundOutcome) -> Outcome:
            refund = outcome.refund
            return Outcome(201 if outcome.created else 200, dump(RefundResultSchema, {
                "refund": {"id": refund.id, "refund_id": refund.refund_id, "currency": refund.currency,
                           "amount": refund.amount, "paid_on": refund.paid_on, "note": refund.note,
                           "recorded_by": refund.recorded_by, "recorded_at": refund.recorded_at},
                "balance": standing_view(outcome.standing)}))

        return run_write(lambda reply: balances.record_refund(current_database(), actor, command, reply=reply),
                         present, payload)
