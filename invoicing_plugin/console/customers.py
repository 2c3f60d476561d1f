"""Customers: search, each one's balance and open invoices, and their account statement as PDF."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request

from ..domain.errors import ValidationFailed
from ..plugin import current_database
from ..services import balances, console_reads, customers, statements, tenants
from ..services.invoices import tenant_today
from .access import current_console
from .inputs import FieldProblems, optional_date, text
from .nav import NavEntry
from .rendering import render

blueprint = Blueprint("customers", __name__, url_prefix="/customers")
NAV = NavEntry("console.customers.index", "nav.customers")

PER_PAGE = 50


@blueprint.route("/")
def index() -> Response:
    actor = current_console().identity.actor  # type: ignore[union-attr] # signed in: access.py saw to it
    q = text(request.args, "q")
    cursor = text(request.args, "after", 200)

    def read(after):
        def work(session):
            page, next_cursor = customers.search_customers(session, actor.tenant_id, q=q, limit=PER_PAGE,
                                                           cursor=after)
            return page, next_cursor, console_reads.open_amounts(session, actor, (c.id for c in page))

        return current_database().read(work)

    try:
        rows, next_cursor, open_amounts = read(cursor)
    except ValidationFailed:  # a cursor that is not ours (edited by hand): the list from its beginning
        rows, next_cursor, open_amounts = read(None)
    return render("customers.html", rows=rows, q=q or "", next_cursor=next_cursor, open_amounts=open_amounts,
                  page_title="nav.customers")


def _account(customer_id: uuid.UUID):
    actor = current_console().identity.actor  # type: ignore[union-attr]

    def read(session):
        customer = customers.get_customer(session, actor.tenant_id, customer_id)  # another tenant's: 404
        tenant = tenants.load_tenant(session, actor)
        return (customer, balances.standings(session, actor.tenant_id, customer.id),
                balances.open_items(session, actor.tenant_id, customer.id), tenant.currency, tenant_today(tenant))

    return current_database().read(read)


@blueprint.route("/<uuid:customer_id>")
def detail(customer_id: uuid.UUID) -> Response:
    return _detail_page(customer_id, FieldProblems(), {})


def _detail_page(customer_id: uuid.UUID, problems: FieldProblems, form: dict, status: int = 200) -> Response:
    customer, standings, open_items, currency, today = _account(customer_id)
    currencies = sorted({s.currency for s in standings} | {currency})
    form = {"from": today.replace(day=1).isoformat(), "to": today.isoformat(), "currency": currency, **form}
    return render("customer.html", status=status, customer=customer, standings=standings, open_items=open_items,
                  currencies=currencies, form=form, problems=problems, today=today,
                  page_title="customers.detail_title")


@blueprint.route("/<uuid:customer_id>/statement.pdf")
def statement_pdf(customer_id: uuid.UUID) -> Response:
    """The statement for the chosen period, in the customer's language; rendered after the read has ended."""
    actor = current_console().identity.actor  # type: ignore[union-attr]
    problems = FieldProblems()
    period_from = optional_date(request.args, "from", problems)
    period_to = optional_date(request.args, "to", problems)
    currency = text(request.args, "currency", 3)
    form = {key: request.args.get(key, "") for key in ("from", "to", "currency")}
    if problems:
        return _detail_page(customer_id, problems, form, status=422)

    def read(session):
        tenant = tenants.load_tenant(session, actor)
        found = statements.statement(session, tenant, customer_id, period_from=period_from, period_to=period_to,
                                     currency=currency, today=tenant_today(tenant))
        return found, dict(tenant.layout or {})

    try:
        found, layout = current_database().read(read)
    except ValidationFailed as refused:
        for name, messages in refused.errors.items():
            for message in messages:
                problems.add(name, message)
        return _detail_page(customer_id, problems, form, status=422)
    from ..documents.statement import render_statement_pdf
    from ..services.documents import pdf_layout

    content = render_statement_pdf(found, pdf_layout(layout))
    name = f"statement-{found.period_from.isoformat()}-{found.period_to.isoformat()}.pdf"
    return Response(content, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})
