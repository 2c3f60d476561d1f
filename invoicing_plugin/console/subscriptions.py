"""Subscriptions: the list (status, customer, external id), one subscription's page with its billed periods
and usage, and its actions: pause, resume, cancel (at period end or on a date), each acted on once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..domain.errors import DomainError, ValidationFailed
from ..domain.errors import NotFound as NoSuchThing
from ..domain.subscriptions import grid_period
from ..plugin import current_database
from ..services import customers, subscription_reads, subscriptions, tenants, usage
from ..services.actors import Actor
from ..services.invoices import tenant_today
from .access import current_console
from .inputs import FieldProblems, optional_date, text
from .nav import NavEntry
from .once import once
from .paging import page_number
from .rendering import render

blueprint = Blueprint("subscriptions", __name__, url_prefix="/subscriptions")
NAV = NavEntry("console.subscriptions.index", "nav.subscriptions")

STATUSES = (subscriptions.ACTIVE, subscriptions.PAUSED, subscriptions.CANCELLED)
PER_PAGE = 50


def _actor() -> Actor:
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    return identity.actor


@blueprint.route("/")
def index() -> Response:
    actor = _actor()
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    customer, external_id = text(request.args, "customer"), text(request.args, "external_id")
    page = page_number()
    rows = current_database().read(lambda session: subscription_reads.subscription_rows(
        session, actor, status=status, customer=customer, external_id=external_id, limit=PER_PAGE + 1,
        offset=(page - 1) * PER_PAGE))
    return render("subscriptions.html", rows=rows[:PER_PAGE], statuses=STATUSES, chosen=status,
                  customer=customer or "", external_id=external_id or "", page=page, more=len(rows) > PER_PAGE,
                  page_title="nav.subscriptions")


@blueprint.route("/<uuid:subscription_id>")
def show(subscription_id: uuid.UUID) -> Response:
    problems = FieldProblems()
    usage_from = optional_date(request.args, "from", problems)
    usage_to = optional_date(request.args, "to", problems)
    if usage_from and usage_to and usage_to < usage_from:
        problems.add("to", "field.before_from")
    if problems:  # the page shows the usage of the current period, and the problems by the period's fields
        usage_from = usage_to = None
    return _page(subscription_id, problems=problems, usage_from=usage_from, usage_to=usage_to,
                 status=422 if problems else 200)


def _page(subscription_id: uuid.UUID, *, problems: FieldProblems, action: str | None = None, form: dict | None = None,
          usage_from: date | None = None, usage_to: date | None = None, status: int = 200) -> Response:
    """The subscription's page; `action` and `problems`: the form that was refused, shown again with them."""
    actor = _actor()

    def read(session):
        subscription = subscriptions.get_subscription(session, actor, subscription_id)  # another tenant's: 404
        today = tenant_today(tenants.load_tenant(session, actor))
        # The usage of the period running today, unless another was chosen (or the chosen one was wrong).
        start, end = grid_period(today, subscription.start_date, subscription.period_months)
        period = (usage_from or max(start, subscription.start_date), usage_to or end)
        return (subscription, customers.get_customer(session, actor.tenant_id, subscription.customer_id),
                subscription_reads.billed_periods(session, actor, subscription),
                usage.usage_sums(session, actor, subscription_id, *period), period, today)

    subscription, customer, periods, sums, period, today = current_database().read(read)
    form = {"from": period[0].isoformat(), "to": period[1].isoformat(), "on": "", "at": "period_end",
            "reason": "", **(form or {})}
    if not action:
        form.update({key: request.args[key] for key in ("from", "to") if key in request.args})
    return render("subscription.html", status=status, subscription=subscription, customer=customer,
                  periods=periods, usage=sums, usage_period=period, today=today, form=form, problems=problems,
                  action=action, page_title="subscriptions.title")


@blueprint.post("/<uuid:subscription_id>/pause")
def pause(subscription_id: uuid.UUID) -> ResponseReturnValue:
    return _act(subscription_id, "pause", lambda on: once(lambda reply: subscriptions.pause_subscription(
        current_database(), _actor(), subscription_id, on=on, reply=reply)), "subscriptions.paused")


@blueprint.post("/<uuid:subscription_id>/resume")
def resume(subscription_id: uuid.UUID) -> ResponseReturnValue:
    return _act(subscription_id, "resume", lambda on: once(lambda reply: subscriptions.resume_subscription(
        current_database(), _actor(), subscription_id, on=on, reply=reply)), "subscriptions.resumed")


@blueprint.post("/<uuid:subscription_id>/cancel")
def cancel(subscription_id: uuid.UUID) -> ResponseReturnValue:
    at = "date" if request.form.get("at") == "date" else "period_end"
    problems = FieldProblems()
    if at == "date" and not (request.form.get("on") or "").strip():
        problems.add("on", "field.required")
    return _act(subscription_id, "cancel", lambda on: once(lambda reply: subscriptions.cancel_subscription(
        current_database(), _actor(), subscription_id, at=at, on=on, reason=text(request.form, "reason", 500),
        reply=reply)), "subscriptions.cancelled", problems)


def _act(subscription_id: uuid.UUID, action: str, call: Callable[[date | None], object], done: str,
         problems: FieldProblems | None = None) -> ResponseReturnValue:
    """Run the use case with the form's day; its problems are shown next to the fields of the form sent."""
    problems = problems if problems is not None else FieldProblems()
    on = optional_date(request.form, "on", problems)
    if not problems:
        try:
            call(on)
        except ValidationFailed as failed:
            for name, messages in failed.errors.items():
                for message in messages:
                    problems.add(name, message)
        except DomainError as error:
            if isinstance(error, NoSuchThing):
                raise  # another tenant's subscription: the 404 page
            current_console().notice("subscriptions.refused", reason=error.detail)
            return redirect(url_for("console.subscriptions.show", subscription_id=subscription_id))
        else:
            current_console().notice(done)
            return redirect(url_for("console.subscriptions.show", subscription_id=subscription_id))
    form = {key: request.form.get(key, "") for key in ("on", "at", "reason")}
    return _page(subscription_id, problems=problems, action=action, form=form, status=422)
