"""Reports for the back office: a customer's account statement and the receivables aging, as JSON, PDF or CSV.

The media type follows `Accept`: JSON unless the client asks for `application/pdf` (the statement) or
`text/csv`; anything else is 406. CSV is RFC 4180: comma-delimited, UTF-8 without a byte order mark, one
header row, ISO 8601 dates and amounts with a decimal point ("-12.40"). Free text that a spreadsheet would
run as a formula (starting with =, +, -, @) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE, Schema
from werkzeug.exceptions import NotAcceptable

from ..domain.currency import quantum
from ..plugin import current_session
from ..services import aging, statements
from ..services.invoices import tenant_today
from .blueprints import api_blueprint, problem_responses
from .context import current_tenant, end_transaction, requires
from .responses import JSON_MIME
from .schemas.reports import AgingQuery, AgingReportSchema, StatementQuery, StatementSchema

PDF_MIME = "application/pdf"
CSV_MIME = "text/csv"
CSV_NOTE = ("`text/csv`: comma-delimited (RFC 4180), UTF-8, one header row, ISO 8601 dates, amounts with a "
            "decimal point")

blp = api_blueprint("reports", "", "Reports: customer account statements, receivables aging")

# bucket name -> attribute of AgingAmountsSchema (a Python name cannot start with a digit)
_BUCKET_ATTRIBUTES = {name: name if not name[0].isdigit() else f"days_{name}" for name in aging.BUCKETS}


def _alternatives(schema: type[Schema], description: str, *media: str) -> dict:
    """The 200 response of the document in each media type (the view's `@blp.response` dumps the JSON)."""
    other = {PDF_MIME: {"schema": {"type": "string", "format": "binary"}}, CSV_MIME: {"schema": {"type": "string"}}}
    return {"description": description,
            "content": {JSON_MIME: {"schema": schema}, **{name: other[name] for name in media}}}


def negotiate(offers: Sequence[str]) -> str:
    """The media type to answer with: the best of `offers` for the request's Accept (none sent: the first)."""
    if not request.headers.get("Accept"):
        return offers[0]
    best = request.accept_mimetypes.best_match(offers)
    if best is None:
        raise NotAcceptable(f"this report is available as {', '.join(offers)}; ask with the Accept header")
    return best


@blp.route("/customers/<uuid:customer_id>/statement")
class CustomerStatement(MethodView):
    @requires("backoffice")
    @blp.arguments(StatementQuery, location="query", unknown=RAISE)
    @blp.response(200, StatementSchema)
    @blp.doc(responses={"200": _alternatives(StatementSchema, (
        "The statement; `Accept: application/pdf` gives it as PDF in the customer's language, " + CSV_NOTE
        + " (one row per movement)"), PDF_MIME, CSV_MIME),
                        **problem_responses(401, 403, 404, 406, 422, 501)})
    def get(self, query: dict, customer_id: uuid.UUID):
        """A customer's account statement: opening balance, every movement of the period, closing balance

        Movements in date order: invoices (+gross, by invoice date), credit notes (their negative gross),
        payments (-amount, by payment date), refunds (+amount), and credit applied from the customer's balance
        to an invoice (an allocation: listed with `applied_amount`, `amount` 0.00, since it moves money within
        the account). closing_balance = opening_balance + the sum of the amounts; it is the customer's balance
        (`GET /customers/{id}`) when the period reaches from before their first invoice to today. Pro formas
        and drafts are never on it. Days are the tenant's calendar days.
        """
        media = negotiate((JSON_MIME, PDF_MIME, CSV_MIME))
        tenant = current_tenant()
        found = statements.statement(current_session(), tenant, customer_id, period_from=query.get("period_from"),
                                     period_to=query.get("period_to"), currency=query.get("currency"),
                                     today=tenant_today(tenant))
        end_transaction()  # all read: rendering runs with no transaction open
        name = f"statement-{found.period_from.isoformat()}-{found.period_to.isoformat()}"
        if media == PDF_MIME:
            from ..documents.statement import render_statement_pdf
            from ..services.documents import pdf_layout

            content = render_statement_pdf(found, pdf_layout(tenant.layout))
            return Response(content, content_type=PDF_MIME,
                            headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})
        if media == CSV_MIME:
            return _csv_response(statement_csv(found), f"{name}.csv")
        return statement_view(found)


@blp.route("/reports/receivables-aging")
class ReceivablesAging(MethodView):
    @requires("backoffice")
    @blp.arguments(AgingQuery, location="query", unknown=RAISE)
    @blp.response(200, AgingReportSchema)
    @blp.doc(responses={"200": _alternatives(AgingReportSchema, (
        "The aging report; " + CSV_NOTE + " (one row per customer and currency, no total rows)"), CSV_MIME),
                        **problem_responses(401, 403, 406, 422)})
    def get(self, query: dict):
        """Open receivables per customer as of a day, by days past due: not_due, 1_30, ..., over_120

        As of the end of `as_of` (default: the tenant's today): invoices dated by then, less what was paid,
        credited and applied to them by then. The buckets always add up to `total`, the open receivables
        including what is not yet due. Overpayments and credit not yet applied or refunded are
        `unapplied_credit`, never netted into the buckets; `balance` = total - unapplied_credit. Amounts of
        different currencies are never added: a row is one customer in one currency, `totals` are per currency.
        """
        media = negotiate((JSON_MIME, CSV_MIME))
        tenant = current_tenant()
        as_of = query.get("as_of") or tenant_today(tenant)
        report = aging.receivables_aging(current_session(), tenant.id, as_of)
        end_transaction()
        if media == CSV_MIME:
            return _csv_response(aging_csv(report), f"receivables-aging-{as_of.isoformat()}.csv")
        return aging_view(report)


def statement_view(found: statements.Statement) -> dict:
    from ..documents.statement import describe

    customer = found.customer
    return {
        "customer": {"id": found.customer_id, "name": customer.name, "business_id": customer.business_id,
                     "vat_id": customer.vat_id, "street": customer.street, "postcode": customer.postcode,
                     "city": customer.city, "country": customer.country, "language": customer.language},
        "period": {"period_from": found.period_from, "period_to": found.period_to},
        "currency": found.currency, "language": found.language,
        "opening_balance": found.opening_balance, "closing_balance": found.closing_balance,
        "movements": [{"date": m.on, "kind": m.kind, "document": m.document,
                       "description": describe(m, found.language, found.currency), "amount": m.amount,
                       "applied_amount": m.applied_amount, "balance": m.balance,
                       "credited_document": m.credited_document, "due_date": m.due_date,
                       "currency": found.currency} for m in found.movements],
    }


def _amounts_view(amounts: aging.Amounts, currency: str) -> dict:
    return {"currency": currency, "total": amounts.total, "unapplied_credit": amounts.unapplied_credit,
            "balance": amounts.balance,
            **{_BUCKET_ATTRIBUTES[name]: value for name, value in amounts.buckets.items()}}


def aging_view(report: aging.AgingReport) -> dict:
    return {
        "as_of": report.as_of, "buckets": list(aging.BUCKETS),
        "rows": [{**_amounts_view(row.amounts, row.currency),
                  "customer": {"id": row.customer_id, "name": row.customer_name, "business_id": row.business_id}}
                 for row in report.rows],
        "totals": [_amounts_view(amounts, currency) for currency, amounts in report.totals.items()],
    }


def money_text(amount: Decimal, currency: str) -> str:
    return format(amount.quantize(quantum(currency)), "f")


def _cell(value: object) -> str:
    """A free-text cell that no spreadsheet runs as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def statement_csv(found: statements.Statement) -> str:
    from ..documents.statement import describe

    currency = found.currency
    return _csv_text(
        ("date", "kind", "document", "description", "amount", "applied_amount", "balance", "currency"),
        ((m.on.isoformat(), m.kind, _cell(m.document), _cell(describe(m, found.language, currency)),
          money_text(m.amount, currency),
          money_text(m.applied_amount, currency) if m.applied_amount is not None else "",
          money_text(m.balance, currency), currency) for m in found.movements))


AGING_COLUMNS = ("customer_id", "customer_name", "business_id", "currency", *aging.BUCKETS, "total",
                 "unapplied_credit", "balance")


def aging_csv(report: aging.AgingReport) -> str:
    def amounts(values: aging.Amounts, currency: str) -> list[str]:
        return [money_text(value, currency) for value in (*values.buckets.values(), values.total,
                                                          values.unapplied_credit, values.balance)]

    return _csv_text(AGING_COLUMNS, ((str(row.customer_id), _cell(row.customer_name), row.business_id or "",
                                      row.currency, *amounts(row.amounts, row.currency)) for row in report.rows))


def _csv_response(text: str, filename: str) -> Response:
    return Response(text.encode("utf-8"), content_type=f"{CSV_MIME}; charset=utf-8; header=present",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

