"""Editing a draft before it is approved: lines, dates, terms, references and billing details, recomputed and
checked by the same rules as intake, and guarded by the draft's version so two clerks never overwrite each other.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..db import Invoice, InvoiceLine, Tenant
from ..domain.errors import InvalidState, ValidationFailed
from ..domain.identifiers import InvalidIdentifier, normalize_einvoice_address, normalize_operator_id
from ..domain.lifecycle import InvoiceKind, InvoiceStatus
from ..domain.money import PricedLine, compute_totals
from ..domain.orders import LineTax, order_problems
from ..domain.vat import default_category
from . import audit
from .actors import Actor
from .commands import BillingDetails, EditDraft, OrderLine
from .invoices import InvoiceResult, check_invoice_date, check_version, state, tenant_today
from .queries import get_invoice, orders_of_invoice
from .rows import NewRow, insert_new
from .tenants import load_tenant, series_by_name, vat_table
from .unit_of_work import Database, Reply


def edit_draft(db: Database, actor: Actor, command: EditDraft, *, reply: Reply | None = None) -> InvoiceResult:
    """Change a draft; every problem is reported at once and nothing is written unless all is well."""

    def work(session: Session) -> InvoiceResult:
        tenant = load_tenant(session, actor)
        invoice = get_invoice(session, actor, command.invoice_id, for_update=True)
        if invoice.status != InvoiceStatus.DRAFT:
            raise InvalidState(f"only drafts are edited; this invoice is {invoice.status} (a finalised invoice "
                               "is corrected with a credit note)")
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            raise InvalidState("a draft credit note is not edited: discard it and credit the invoice again")
        check_version(invoice, command.expected_version)
        billing = _checked(session, tenant, invoice, command)
        before = {**state(invoice), **_editable(invoice), "version": invoice.version}
        order_ids = orders_of_invoice(session, invoice.id)
        if command.lines is not None:
            _replace_lines(session, tenant, invoice, command.lines, order_ids)
        for field in ("payment_terms_days", "buyer_reference", "notes", "series"):
            if getattr(command, field) is not None:
                setattr(invoice, field, getattr(command, field))
        if billing:
            invoice.buyer = {**invoice.buyer, **billing}  # a new dict: JSON columns track assignment
            if "language" in billing:
                invoice.language = billing["language"]
        if command.invoice_date is not None:
            invoice.invoice_date = command.invoice_date
        if invoice.invoice_date is not None:
            invoice.due_date = invoice.invoice_date + timedelta(days=invoice.payment_terms_days)
        invoice.version += 1
        invoice.updated_at = datetime.now(UTC)
        session.flush()
        audit.record(session, actor, "invoice.edited", "invoice", invoice.id,
                     before=before,
                     after={**state(invoice), **_editable(invoice), "version": invoice.version})
        return InvoiceResult(invoice, tuple(order_ids))

    return db.run(work, reply=reply)


def _checked(session: Session, tenant: Tenant, invoice: Invoice, command: EditDraft) -> dict[str, Any]:
    """The billing changes, normalised; ValidationFailed with every problem of the command at once."""
    errors: dict[str, list[str]] = {}
    if command.lines is not None:
        lines = command.lines
        errors.update(order_problems(
            lines=[LineTax(line.vat_rate, line.vat_category) for line in lines],
            priced=[_priced(line) for line in lines], tax_date=invoice.tax_date, today=tenant_today(tenant),
            table=vat_table(session, tenant), buyer_has_vat_id=bool(invoice.buyer.get("vat_id")),
            currency=invoice.currency, prices_include_vat=invoice.prices_include_vat))
        if not lines:
            errors["lines"] = ["an invoice needs at least one line"]
    if command.series is not None and command.series not in series_by_name(session, tenant.id):
        errors["series"] = [f"no number series named {command.series!r}"]
    if command.invoice_date is not None:
        try:
            check_invoice_date(session, tenant, invoice, command.invoice_date)
        except ValidationFailed as problem:
            errors.update(problem.errors)
    billing = _billing_changes(command.billing, errors) if command.billing is not None else {}
    address = billing.get("einvoice_address", invoice.buyer.get("einvoice_address"))
    operator = billing.get("einvoice_operator", invoice.buyer.get("einvoice_operator"))
    if bool(address) != bool(operator):
        errors["billing.einvoice_operator" if address else "billing.einvoice_address"] = [
            "an e-invoice is routed by both the e-invoice address and its operator: give both"]
    if errors:
        raise ValidationFailed(errors)
    return billing


def _billing_changes(billing: BillingDetails, errors: dict[str, list[str]]) -> dict[str, Any]:
    changes = {key: value for key, value in asdict(billing).items() if key != "address" and value is not None}
    if billing.address is not None:
        changes.update({key: value for key, value in asdict(billing.address).items() if value is not None})
    for field, normalize in (("einvoice_address", normalize_einvoice_address),
                             ("einvoice_operator", normalize_operator_id)):
        if field in changes:
            try:
                changes[field] = normalize(changes[field])
            except InvalidIdentifier as error:
                errors[f"billing.{field}"] = [str(error)]
    return changes


def _priced(line: OrderLine) -> PricedLine:
    return PricedLine(line.quantity, line.unit_price, line.vat_rate,
                      line.vat_category or default_category(line.vat_rate), line.discount_percent)


def _replace_lines(session: Session, tenant: Tenant, invoice: Invoice, lines: tuple[OrderLine, ...],
                   order_ids: list[uuid.UUID]) -> None:
    """New lines and totals by the same money rules as intake (the draft's own currency and pricing)."""
    totals = compute_totals([_priced(line) for line in lines], invoice.currency, invoice.prices_include_vat)
    order_id = order_ids[0] if len(order_ids) == 1 else None  # the line's order, where there is one
    session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    insert_new(session, InvoiceLine, [
        NewRow(id=uuid.uuid4(), tenant_id=tenant.id, invoice_id=invoice.id, position=position, order_id=order_id,
               sku=line.sku, description=line.description, quantity=line.quantity, unit=line.unit,
               unit_price=line.unit_price, discount_percent=line.discount_percent, vat_rate=line.vat_rate,
               vat_category=line.vat_category or default_category(line.vat_rate), net_amount=amounts.net,
               vat_amount=amounts.vat, gross_amount=amounts.gross,
               service_period_start=line.service_period_start, service_period_end=line.service_period_end)
        for position, (line, amounts) in enumerate(zip(lines, totals.lines, strict=True), start=1)
    ])
    invoice.total_net, invoice.total_vat, invoice.total_gross = totals.net, totals.vat, totals.gross
    session.expire(invoice, ["lines"])  # read back from the rows just written


def _editable(invoice: Invoice) -> dict[str, Any]:
    """What an edit can change, as the audit trail records it."""
    return {
        "payment_terms_days": invoice.payment_terms_days, "buyer_reference": invoice.buyer_reference,
        "notes": invoice.notes, "series": invoice.series, "buyer": dict(invoice.buyer),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "lines": [{"description": line.description, "quantity": str(line.quantity),
                   "unit_price": str(line.unit_price), "vat_rate": str(line.vat_rate)} for line in invoice.lines],
    }

