"""Subscriptions (back office) and usage records (meters: checkout or back-office keys)."""

from __future__ import annotations

import uuid

from flask import request, url_for
from flask.views import MethodView
from marshmallow import RAISE

from ..db import Subscription
from ..domain.errors import ValidationFailed
from ..domain.money import tidy
from ..plugin import current_database, current_session
from ..services import subscriptions, usage
from ..services.commands import Address, CustomerDetails
from ..services.idempotency import canonical_digest
from .blueprints import IDEMPOTENCY_KEY_HEADER, api_blueprint, problem_responses, request_body
from .context import current_actor, json_body, load, requires
from .responses import dump
from .schemas.subscriptions import (
    PERIODS,
    CancelSchema,
    DateSchema,
    SubscriptionChangeSchema,
    SubscriptionPageSchema,
    SubscriptionQuery,
    SubscriptionRequestSchema,
    SubscriptionSchema,
    UsageBatchSchema,
    UsageOutcomeSchema,
    UsageQuery,
    UsageSumsSchema,
)
from .writes import Outcome, run_write

REQUEST_SCHEMA = SubscriptionRequestSchema()
CHANGE_SCHEMA = SubscriptionChangeSchema()
CANCEL_SCHEMA = CancelSchema()
DATE_SCHEMA = DateSchema()
USAGE_SCHEMA = UsageBatchSchema()

blp = api_blueprint("subscriptions", "/subscriptions", "Subscriptions: recurring and usage billing by invoice runs")
usage_blp = api_blueprint("usage_records", "/usage-records", "Usage records: metered usage of subscription items")


def _text(value, min_places: int = 0) -> str:
    return format(tidy(value, min_places), "f")


def subscription_view(subscription: Subscription) -> dict:
    items = []
    for item in subscription.items:
        latest = item.terms[-1]
        items.append({
            "id": item.id, "description": item.description, "sku": item.sku, "unit": item.unit,
            "billing_type": item.billing_type, "quantity": _text(latest.quantity),
            "unit_price": _text(latest.unit_price, 2), "vat_rate": _text(item.vat_rate),
            "vat_category": item.vat_category, "included_units": _text(item.included_units), "tiers": item.tiers,
            "price_months": item.price_months,
            "history": [{"effective_from": term.effective_from, "quantity": _text(term.quantity),
                         "unit_price": _text(term.unit_price, 2)} for term in item.terms]})
    return {"id": subscription.id, "external_id": subscription.external_id,
            "customer_id": subscription.customer_id, "status": subscription.status,
            "currency": subscription.currency, "prices_include_vat": subscription.prices_include_vat,
            "payment_terms_days": subscription.payment_terms_days, "series": subscription.series,
            "buyer_reference": subscription.buyer_reference, "start_date": subscription.start_date,
            "end_date": subscription.end_date, "period_months": subscription.period_months,
            "timing": subscription.timing, "paused_from": subscription.paused_from,
            "next_period_start": subscription.next_period_start, "next_bill_on": subscription.next_bill_on,
            "items": items, "created_at": subscription.created_at, "updated_at": subscription.updated_at}


def _present(status: int):
    def present(_session, subscription: Subscription) -> Outcome:
        return Outcome(status, dump(SubscriptionSchema, subscription_view(subscription)))
    return present


def _optional_body() -> dict:
    return json_body() if request.get_data(cache=True) else {}


def create_command(values: dict, fingerprint: str) -> subscriptions.CreateSubscription:
    customer = dict(values["customer"])
    return subscriptions.CreateSubscription(
        external_id=values["external_id"],
        customer=CustomerDetails(**{**customer, "address": Address(**(customer.get("address") or {}))}),
        start_date=values["start_date"], end_date=values.get("end_date"),
        period_months=values.get("every_months") or PERIODS[values["billing_period"]], timing=values["timing"],
        currency=values.get("currency"), prices_include_vat=values["prices_include_vat"],
        payment_terms_days=values.get("payment_terms_days"), series=values.get("series"),
        buyer_reference=values.get("buyer_reference"), fingerprint=fingerprint,
        items=tuple(subscriptions.ItemSpec(
            description=item["description"], billing_type=item["billing_type"], unit_price=item["unit_price"],
            vat_rate=item["vat_rate"], quantity=item["quantity"], vat_category=item.get("vat_category"),
            sku=item.get("sku"), unit=item.get("unit"), included_units=item["included_units"],
            tiers=tuple(item.get("tiers") or ()), price_months=item.get("price_months")) for item in values["items"]))


@blp.route("")
class Subscriptions(MethodView):
    @requires("backoffice")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(REQUEST_SCHEMA),
             responses=problem_responses(400, 401, 403, 409, 415, 422))
    @blp.response(201, SubscriptionSchema, description="Stored")
    @blp.alt_response(200, schema=SubscriptionSchema, description=(
        "Sent before (same external_id, same content): the existing subscription. With other content: 409 "
        "`subscription_exists_with_other_content`"))
    def post(self):
        """Create a subscription: items billed every period by the invoice runs

        Service periods are cut from the first of the start month in steps of the billing period; the first
        runs from the start date, the last to the end date. In arrears a period is billed by the run whose
        period contains its last day; in advance, its first day.
        """
        payload = json_body()
        values = load(REQUEST_SCHEMA, payload)
        if values.get("every_months") and "billing_period" in payload:
            raise ValidationFailed({"every_months": ["give billing_period or every_months, not both"]})
        command = create_command(values, canonical_digest("subscription", payload))
        actor = current_actor()

        def present(_session, result: subscriptions.SubscriptionResult) -> Outcome:
            return Outcome(201 if result.created else 200,
                           dump(SubscriptionSchema, subscription_view(result.subscription)),
                           headers={"Location": url_for("subscriptions.SubscriptionById",
                                                        subscription_id=result.subscription.id)})

        return run_write(lambda reply: subscriptions.create_subscription(current_database(), actor, command,
                                                                         reply=reply), present, payload)

    @requires("backoffice")
    @blp.arguments(SubscriptionQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, SubscriptionPageSchema)
    @blp.doc(responses=problem_responses(401, 403, 422))
    def get(self, limit: int, **filters):
        """Subscriptions, newest first, by status, customer or external id"""
        found = subscriptions.list_subscriptions(current_session(), current_actor(), limit=limit, **filters)
        return {"items": [subscription_view(subscription) for subscription in found]}


@blp.route("/<uuid:subscription_id>")
class SubscriptionById(MethodView):
    @requires("backoffice")
    @blp.response(200, SubscriptionSchema)
    @blp.doc(responses=problem_responses(401, 403, 404))
    def get(self, subscription_id: uuid.UUID):
        """One subscription with its items and their price history"""
        return subscription_view(subscriptions.get_subscription(current_session(), current_actor(), subscription_id))

    @requires("backoffice")
    @blp.response(200, SubscriptionSchema)
    @blp.doc(**request_body(CHANGE_SCHEMA), responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def patch(self, subscription_id: uuid.UUID):
        """Change quantities or prices from the next service period on (the history is kept)"""
        payload = json_body()
        values = load(CHANGE_SCHEMA, payload)
        command = subscriptions.ChangeSubscription(
            effective_from=values["effective_from"], buyer_reference=values.get("buyer_reference"),
            fields_set=frozenset(values), items=tuple(subscriptions.ItemChange(
                item_id=item["id"], quantity=item.get("quantity"), unit_price=item.get("unit_price"))
                for item in values.get("items") or ()))
        actor = current_actor()
        return run_write(lambda reply: subscriptions.change_subscription(
            current_database(), actor, subscription_id, command, reply=reply), _present(200), payload)


@blp.route("/<uuid:subscription_id>/cancel")
class CancelSubscription(MethodView):
    @requires("backoffice")
    @blp.response(200, SubscriptionSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(CANCEL_SCHEMA, required=False),
             responses=problem_responses(400, 401, 403, 404, 415, 422))
    def post(self, subscription_id: uuid.UUID):
        """Cancel at the end of the current period, or on a date (the last day served; prorated items pay
        their part of the final period); nothing is billed after it"""
        payload = _optional_body()
        values = load(CANCEL_SCHEMA, payload)
        actor = current_actor()
        return run_write(lambda reply: subscriptions.cancel_subscription(
            current_database(), actor, subscription_id, at=values["at"], on=values.get("on"),
            reason=values.get("reason"), reply=reply),
            _present(200), payload)


@blp.route("/<uuid:subscription_id>/pause")
class PauseSubscription(MethodView):
    @requires("backoffice")
    @blp.response(200, SubscriptionSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(DATE_SCHEMA, required=False),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self, subscription_id: uuid.UUID):
        """Pause from a day (default today): nothing is billed from it until resumed"""
        payload = _optional_body()
        values = load(DATE_SCHEMA, payload)
        actor = current_actor()
        return run_write(lambda reply: subscriptions.pause_subscription(
            current_database(), actor, subscription_id, on=values.get("on"), reply=reply), _present(200), payload)


@blp.route("/<uuid:subscription_id>/resume")
class ResumeSubscription(MethodView):
    @requires("backoffice")
    @blp.response(200, SubscriptionSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(DATE_SCHEMA, required=False),
             responses=problem_responses(400, 401, 403, 404, 409, 415, 422))
    def post(self, subscription_id: uuid.UUID):
        """Resume from a day (default today); billing goes on from it"""
        payload = _optional_body()
        values = load(DATE_SCHEMA, payload)
        actor = current_actor()
        return run_write(lambda reply: subscriptions.resume_subscription(
            current_database(), actor, subscription_id, on=values.get("on"), reply=reply), _present(200), payload)


@blp.route("/<uuid:subscription_id>/usage")
class SubscriptionUsage(MethodView):
    @requires("backoffice")
    @blp.arguments(UsageQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, UsageSumsSchema)
    @blp.doc(responses=problem_responses(401, 403, 404, 422))
    def get(self, subscription_id: uuid.UUID, from_=None, to=None):
        """The usage recorded per usage item, on the days from..to (the merchant's calendar, inclusive)"""
        sums = usage.usage_sums(current_session(), current_actor(), subscription_id, from_, to)
        return {"items": [{**row, "quantity": _text(row["quantity"])} for row in sums]}


@usage_blp.route("")
class UsageRecords(MethodView):
    @requires("checkout")
    @usage_blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER], **request_body(USAGE_SCHEMA),
                   responses=problem_responses(400, 401, 409, 413, 415, 422))
    @usage_blp.response(201, UsageOutcomeSchema, description=(
        "The batch was taken: `recorded` new, `duplicates` seen before, `refused` not billable (with the "
        "reason; the rest is recorded). A transaction id seen before with another item, quantity or time: 409 "
        "`usage_exists_with_other_content`, and nothing of the batch is recorded"))
    def post(self):
        """Record a batch of up to 1,000 usage readings, once per transaction id"""
        payload = json_body()
        values = load(USAGE_SCHEMA, payload)
        records = tuple(usage.UsageInput(transaction_id=record["transaction_id"],
                                         item_id=record["subscription_item_id"], quantity=record["quantity"],
                                         occurred_at=record["timestamp"]) for record in values["records"])
        actor = current_actor()
        return run_write(lambda reply: usage.record_usage(current_database(), actor, records, reply=reply),
                         lambda _session, outcome: Outcome(201, dump(UsageOutcomeSchema, {
                             "recorded": outcome.recorded, "duplicates": outcome.duplicates,
                             "refused": list(outcome.refused)})), payload)
