"""POST /orders (checkout intake) and GET /orders/{id}."""

from __future__ import annotations

import uuid

from flask import url_for
from flask.views import MethodView

from adapters.vies import vies_checker

from .. import channels
from ..plugin import current_database, current_session, plugin_state
from ..services import intake, invoices, queries, tenants, vat_checks
from ..services.commands import SubmitOrder
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, current_tenant, json_body, requires
from .presenters import order_result
from .responses import dump
from .schemas.orders import OrderRules, OrderSchema, parse_order
from .schemas.output import OrderResultSchema
from .writes import Outcome, run_write

blp = api_blueprint("orders", "/orders", "Orders from web shops and POS terminals, and their invoices")


@blp.route("")
class Orders(MethodView):
    @requires("checkout")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(OrderSchema),
             responses=problem_responses(400, 401, 409, 413, 415, 422))
    @blp.response(201, OrderResultSchema, description="Stored; `invoice` is there unless the mode is collect")
    @blp.alt_response(200, schema=OrderResultSchema, description=(
        "The order was sent before (same source and external_id, same content): the existing order and "
        "invoice, never a second one. With different content: 409 `order_exists_with_other_content`."))
    def post(self):
        """Send an order to be invoiced

        `invoicing.mode` decides what happens: `immediate` finalises the invoice now (number, reference,
        dates), `queue` leaves a draft for the back office to approve, `collect` keeps the order ready
        for a later invoice run. Money, quantities and rates are decimal strings. With VIES configured, a
        reverse-charge (AE) or intra-community (K) line needs the buyer's VAT ID confirmed: invalid is 422
        on `customer.vat_id`; VIES unavailable gives a draft held as `vat_check_pending` until it answers.
        """
        actor, tenant = current_actor(), current_tenant()
        payload = json_body()
        validated = parse_order(payload, order_rules(current_session(), tenant))
        command = SubmitOrder.from_validated(validated, intake.order_fingerprint(payload))

        def present(_session, result: intake.IntakeResult) -> Outcome:
            return Outcome(
                status=201 if result.created else 200,
                body=dump(OrderResultSchema, order_result(result.order, result.invoice, list(result.order_ids))),
                headers={"Location": url_for("orders.OrderById", order_id=result.order.id)},
            )

        settings = plugin_state().settings
        checker = vies_checker(settings.vies_url, settings.vies_timeout_seconds)  # None: checks are off
        return run_write(lambda reply: intake.submit_order(
            current_database(), actor, command, tenant=tenant, reply=reply, vat_checker=checker,
            vat_policy=vat_checks.policy_of(settings)), present, payload)


@blp.route("/<uuid:order_id>")
class OrderById(MethodView):
    @requires("checkout")
    @blp.response(200, OrderResultSchema)
    @blp.doc(responses=problem_responses(401, 404))
    def get(self, order_id: uuid.UUID):
        """An order and its invoice (checkout keys see the orders they sent)"""
        session = current_session()
        actor = current_actor()
        order = queries.get_order(session, actor, order_id)
        invoice = queries.find_invoice(session, actor, order.invoice_id) if order.invoice_id else None
        order_ids = queries.orders_of_invoice(session, invoice.id) if invoice else []
        return order_result(order, invoice, order_ids)


def order_rules(session, tenant) -> OrderRules:
    rules = tenants.tenant_rules(session, tenant)
    return OrderRules(
        vat_table=rules.vat_table, series_names=rules.series_names,
        channel_names=frozenset(channels.enabled_channels(tenant.channels or {})),
        today=invoices.tenant_today(tenant),
        default_currency=tenant.currency, max_lines=plugin_state().settings.max_lines,
    )

