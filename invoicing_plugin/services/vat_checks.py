"""EU VAT ID checks (VIES) for reverse-charge and intra-community sales: asked, kept as proof, cached, re-asked.

A line with VAT category AE (reverse charge) or K (intra-community supply) rests on the buyer's VAT ID being
valid. Intake asks VIES before its transaction opens (`check_for_order`); every answer is a `VatCheck` row
(the consultation number is the proof) that the invoice links (`Invoice.vat_check_id`):

- valid: the order goes on as usual;
- invalid: the order is refused (422 on `customer.vat_id`);
- unavailable (MS_UNAVAILABLE, TIMEOUT, ...): the order is accepted, its invoice is a draft held with
  `hold_reason = "vat_check_pending"` (in immediate mode too), and the worker asks again with backoff
  (`recheck_held`): valid -> the hold is lifted and an immediate-mode invoice is finalised; invalid -> the
  draft stays, held as `vat_id_invalid`, for the back office.

Answers are reused per (tenant, VAT ID): a valid one for `VatPolicy.valid_for` (24 h), an invalid one for
`invalid_for` (1 h), an unavailable one never. Nothing here calls VIES inside a transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.vies.answer import INVALID, UNAVAILABLE, VALID, ViesAnswer, normalize_vat_id

from ..config import Settings
from ..db import Invoice, Order, Tenant, VatCheck, guard
from ..domain.errors import Conflict, DomainError
from ..domain.identifiers import finnish_vat_id
from ..domain.lifecycle import InvoiceStatus, InvoicingMode
from . import audit
from .actors import system_actor
from .commands import SubmitOrder
from .unit_of_work import Database

log = logging.getLogger(__name__)

PENDING = "vat_check_pending"  # VIES or the member state did not answer: never taken as valid
INVALID_HOLD = "vat_id_invalid"  # VIES said invalid after the order was accepted: for the back office
CHECKED_CATEGORIES = frozenset({"AE", "K"})

# (vat_id, requester_vat_id) -> the answer; adapters.vies.vies_checker makes one from INVOICING_VIES_URL.
Checker = Callable[[str, "str | None"], ViesAnswer]


class VatCheckPending(Conflict):
    code = "vat_check_pending"
    title = "The buyer's VAT ID is not confirmed yet"


@dataclass(frozen=True)
class VatPolicy:
    """How long answers are reused, and how the worker backs off while VIES does not answer."""

    valid_for: timedelta = timedelta(hours=24)
    invalid_for: timedelta = timedelta(hours=1)
    recheck_base: timedelta = timedelta(minutes=1)
    recheck_cap: timedelta = timedelta(hours=1)

    def reuse_for(self, status: str) -> timedelta | None:
        return {VALID: self.valid_for, INVALID: self.invalid_for}.get(status)

    def recheck_delay(self, unanswered: int) -> timedelta:
        """After the n-th unanswered check in a row: base, 2 x base, 4 x base, ... up to the cap."""
        delay: timedelta = self.recheck_base * (2 ** max(0, unanswered - 1))
        return min(self.recheck_cap, delay)


def policy_of(settings: Settings) -> VatPolicy:
    """The policy the INVOICING_VIES_* settings describe."""
    return VatPolicy(timedelta(hours=settings.vies_valid_hours), timedelta(hours=settings.vies_invalid_hours),
                     timedelta(seconds=settings.vies_recheck_base_seconds),
                     timedelta(seconds=settings.vies_recheck_cap_seconds))


@dataclass(frozen=True)
class Verdict:
    """A stored answer (the VatCheck row's id) as intake and the worker use it."""

    check_id: uuid.UUID
    vat_id: str
    status: str
    name: str | None = None
    consultation_number: str | None = None
    fault: str | None = None

    @classmethod
    def of(cls, row: VatCheck) -> Verdict:
        return cls(row.id, row.vat_id, row.status, row.name, row.consultation_number, row.fault)


def needs_check(categories: Iterable[str | None]) -> bool:
    """Only reverse-charge (AE) and intra-community (K) lines rest on the buyer's VAT ID."""
    return any(category in CHECKED_CATEGORIES for category in categories)


def requester_of(tenant: Tenant) -> str | None:
    """The merchant's own VAT ID, sent so that VIES gives a consultation number."""
    if tenant.vat_id:
        return tenant.vat_id
    return finnish_vat_id(tenant.business_id) if tenant.business_id and tenant.country == "FI" else None


def check_vat_id(db: Database, tenant: Tenant, vat_id: str, checker: Checker, policy: VatPolicy | None = None,
                 *, now: datetime | None = None, reuse: bool = True) -> Verdict:
    """The tenant's recent answer for `vat_id` when still fresh, else VIES' answer, stored as a VatCheck."""
    policy = policy or VatPolicy()
    now = now or datetime.now(UTC)
    compact = normalize_vat_id(vat_id)
    if reuse:
        cached = db.read(lambda session: _fresh_answer(session, tenant.id, compact, policy, now))
        if cached is not None:
            return cached
    requester = requester_of(tenant)
    guard.refuse_inside_transaction("a VIES VAT number check")
    answer = checker(compact, requester)
    if answer.status == UNAVAILABLE:
        log.warning("VIES did not confirm %s for tenant %s: %s %s", compact, tenant.slug, answer.fault,
                    answer.detail)
    return db.run(lambda session: _store(session, tenant.id, compact, requester, answer, now))


def _fresh_answer(session: Session, tenant_id: uuid.UUID, vat_id: str, policy: VatPolicy,
                  now: datetime) -> Verdict | None:
    latest = session.scalars(
        select(VatCheck).where(VatCheck.tenant_id == tenant_id, VatCheck.vat_id == vat_id,
                               VatCheck.status.in_((VALID, INVALID)))
        .order_by(VatCheck.checked_at.desc()).limit(1)).first()
    if latest is None:
        return None
    reuse_for = policy.reuse_for(latest.status)
    return Verdict.of(latest) if reuse_for is not None and latest.checked_at + reuse_for > now else None


def _store(session: Session, tenant_id: uuid.UUID, vat_id: str, requester: str | None, answer: ViesAnswer,
           now: datetime) -> Verdict:
    row = VatCheck(id=uuid.uuid4(), tenant_id=tenant_id, vat_id=vat_id, status=answer.status,
                   name=(answer.name or None) and answer.name[:300], address=answer.address,
                   requester_vat_id=requester, consultation_number=answer.consultation_number,
                   fault=(answer.fault or None) and (answer.fault or "")[:60], checked_at=now)
    session.add(row)
    session.flush()
    return Verdict.of(row)


# -- intake -----------------------------------------------------------------------------------------

def check_for_order(db: Database, tenant: Tenant, command: SubmitOrder, checker: Checker | None,
                    policy: VatPolicy | None = None) -> Verdict | None:
    """VIES' word on the buyer's VAT ID when the order has AE or K lines and checks are on; else None."""
    vat_id = command.customer.vat_id
    if checker is None or not vat_id or not needs_check(line.vat_category for line in command.lines):
        return None  # no VAT ID at all: intake's own rules refuse reverse charge without one
    return check_vat_id(db, tenant, vat_id, checker, policy)


def order_problems(verdict: Verdict | None) -> dict[str, list[str]]:
    """An invalid answer as intake reports it, beside the order's other problems."""
    if verdict is None or verdict.status != INVALID:
        return {}
    why = f" ({verdict.fault})" if verdict.fault else ""
    return {"customer.vat_id": [
        f"{verdict.vat_id} is not a valid VAT number according to the EU VIES service{why}; reverse-charge "
        "(AE) and intra-community (K) sales need the buyer's valid VAT ID"]}


def hold_reason(verdict: Verdict | None) -> str | None:
    """Why the order's invoice must wait: VIES has not confirmed the VAT ID yet."""
    return PENDING if verdict is not None and verdict.status == UNAVAILABLE else None


# -- the worker's re-checks -------------------------------------------------------------------------

@dataclass(frozen=True)
class Held:
    """One VAT ID of one tenant that held drafts wait on."""

    tenant_id: uuid.UUID
    vat_id: str
    invoice_ids: tuple[uuid.UUID, ...]


def due_rechecks(session: Session, policy: VatPolicy, now: datetime, limit: int = 20) -> list[Held]:
    """Held VAT IDs whose backoff has passed: the last unanswered check plus base x 2^(n-1), n in a row."""
    rows = session.execute(
        select(Invoice.id, Invoice.tenant_id, Invoice.created_at, VatCheck.vat_id)
        .join(VatCheck, VatCheck.id == Invoice.vat_check_id)
        .where(Invoice.status == InvoiceStatus.DRAFT, Invoice.hold_reason == PENDING)
        .order_by(Invoice.created_at)).all()
    groups: dict[tuple[uuid.UUID, str], list[tuple[uuid.UUID, datetime]]] = {}
    for invoice_id, tenant_id, created_at, vat_id in rows:
        groups.setdefault((tenant_id, vat_id), []).append((invoice_id, created_at))
    due: list[Held] = []
    for (tenant_id, vat_id), invoices in groups.items():
        since = min(created_at for _, created_at in invoices) - timedelta(minutes=5)
        unanswered, last = session.execute(
            select(func.count(), func.max(VatCheck.checked_at))
            .where(VatCheck.tenant_id == tenant_id, VatCheck.vat_id == vat_id, VatCheck.status == UNAVAILABLE,
                   VatCheck.checked_at >= since)).one()
        if last is None or last + policy.recheck_delay(int(unanswered)) <= now:
            due.append(Held(tenant_id, vat_id, tuple(invoice_id for invoice_id, _ in invoices)))
        if len(due) >= limit:
            break
    return due


def recheck_held(db: Database, checker: Checker, policy: VatPolicy | None = None, *,
                 now: datetime | None = None) -> int:
    """Ask VIES again for every held VAT ID that is due, and act on the answers; how many were asked."""
    policy = policy or VatPolicy()
    moment = now or datetime.now(UTC)
    held = db.read(lambda session: due_rechecks(session, policy, moment))
    for item in held:
        try:
            _recheck(db, item, checker, policy, moment)
        except Exception:  # noqa: BLE001 - one tenant's trouble must not stop the others' re-checks
            log.exception("re-checking VAT ID %s for tenant %s failed", item.vat_id, item.tenant_id)
    return len(held)


def _recheck(db: Database, held: Held, checker: Checker, policy: VatPolicy, now: datetime) -> None:
    tenant = db.read(lambda session: session.get(Tenant, held.tenant_id))
    if tenant is None:
        return
    verdict = check_vat_id(db, tenant, held.vat_id, checker, policy, now=now)
    try:
        db.run(lambda session: _settle(session, held, verdict))
    except DomainError as error:  # e.g. a rate or VAT rate no longer there: released, for the back office
        log.warning("held invoices of %s stay drafts after their VAT check: %s", held.vat_id, error.detail)
        db.run(lambda session: _settle(session, held, verdict, finalise=False))


def _settle(session: Session, held: Held, verdict: Verdict, finalise: bool = True) -> None:
    """Apply an answer to the drafts that wait on it: still held, under their row locks."""
    from . import invoices  # invoices imports intake's neighbours; late, to keep the import graph flat

    actor = system_actor(held.tenant_id, "worker:vies")
    tenant = session.get(Tenant, held.tenant_id)
    assert tenant is not None  # the drafts' own tenant (a foreign key)
    for invoice_id in held.invoice_ids:
        invoice = session.scalars(select(Invoice).where(Invoice.id == invoice_id).with_for_update()).first()
        if invoice is None or invoice.status != InvoiceStatus.DRAFT or invoice.hold_reason != PENDING:
            continue  # discarded, approved or already settled meanwhile
        invoice.vat_check_id = verdict.check_id
        if verdict.status == UNAVAILABLE:
            continue
        before = {"hold_reason": invoice.hold_reason}
        invoice.hold_reason = None if verdict.status == VALID else INVALID_HOLD
        audit.record(session, actor, "invoice.vat_checked", "invoice", invoice.id, before=before,
                     after={"hold_reason": invoice.hold_reason, "vat_id": verdict.vat_id, "status": verdict.status,
                            "consultation_number": verdict.consultation_number})
        if finalise and verdict.status == VALID and _sent_for_immediate(session, invoice):
            invoices.finalize(session, actor, tenant, invoice)  # a DomainError: see _recheck


def _sent_for_immediate(session: Session, invoice: Invoice) -> bool:
    modes = session.scalars(select(Order.invoicing_mode).where(Order.invoice_id == invoice.id)).all()
    return bool(modes) and all(mode == InvoicingMode.IMMEDIATE for mode in modes)
