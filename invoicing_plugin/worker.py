"""The outbox worker: claims due deliveries, calls the channel, records every attempt.

Any number of workers may run, on any machines (PostgreSQL: SKIP LOCKED). No transaction is open
while a service is called. A worker killed at any moment loses nothing: its claimed rows come due
again when their lease ends, and every attempt after the first asks the service whether it already
has the invoice before sending it again. SIGTERM lets the delivery in hand finish, then stops.
A worker renders a claimed batch's PDFs side by side in its pool of rendering processes (render_pool.py)
before delivering the batch one by one.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.archive import ArchiveSettings, S3Archive
from adapters.base import AdapterError, DeliveryContext, DeliveryResult
from webhooks.outbound import send_event
from webhooks.polling import sync_payments

from . import channels
from .db import Delivery, Invoice, Reminder, Tenant, WebhookEndpoint, guard
from .domain.errors import DomainError
from .domain.invoice_data import InvoiceData
from .plugin import load_extensions
from .render_pool import RenderPool, processes_for
from .services import (
    archive,
    documents,
    dunning,
    invoice_runs,
    notifications,
    outbox,
    reminder_documents,
    run_schedules,
    usage_drafts,
    vat_checks,
)
from .services.actors import system_actor
from .services.external_refs import TenantExternalRefs
from .services.tenants import tenant_rules
from .services.unit_of_work import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSettings:
    batch_size: int = 10
    lease: timedelta = timedelta(minutes=5)
    poll_interval: float = 1.0
    max_attempts: int = 12
    backoff_base: float = 5.0
    backoff_cap: float = 3600.0
    sync_payments_every: float = 0.0  # seconds; 0: the worker does not poll for payments
    run_batch_customers: int = invoice_runs.CUSTOMERS_PER_BATCH  # customers an invoice run's batch takes
    schedules_every: float = 30.0  # seconds between looks at the tenants' run schedules; 0: never
    # VIES (INVOICING_VIES_URL; None: off): drafts held as vat_check_pending are asked about again, each VAT ID
    # with the policy's backoff; the worker looks for due ones this often (0: never).
    vies_url: str | None = None
    vies_timeout: float = 10.0
    vat_policy: vat_checks.VatPolicy = vat_checks.VatPolicy()
    vat_recheck_every: float = 10.0
    dunning_every: float = 60.0  # seconds between looks for tenants whose day of dunning has come; 0: never
    # The document archive (INVOICING_ARCHIVE_*; None: off): each round first gives the stored documents not
    # yet archived to it (one delivery each), then delivers them with the rest.
    archive: ArchiveSettings | None = None
    # Open run drafts take in the usage recorded for their periods since (services/usage_drafts.py); 0: never.
    usage_drafts_every: float = 5.0
    # Processes rendering a batch's PDFs ahead (INVOICING_RENDER_PROCESSES, -1: one per core); 0 or 1: none,
    # each delivery renders its documents itself.
    render_processes: int = 0

    @classmethod
    def from_settings(cls, settings) -> WorkerSettings:
        return cls(
            batch_size=settings.worker_batch_size, lease=timedelta(seconds=settings.worker_lease_seconds),
            poll_interval=settings.worker_poll_seconds, max_attempts=settings.delivery_max_attempts,
            backoff_base=settings.delivery_backoff_base_seconds, backoff_cap=settings.delivery_backoff_cap_seconds,
            sync_payments_every=settings.sync_payments_seconds,
            vies_url=settings.vies_url, vies_timeout=settings.vies_timeout_seconds,
            vat_policy=vat_checks.policy_of(settings), archive=ArchiveSettings.from_settings(settings),
            render_processes=settings.render_processes,
        )


@dataclass(frozen=True)
class Loaded:
    """What one delivery of an invoice needs, read before the service is called."""

    invoice: InvoiceData
    channels: dict
    layout: dict
    webhooks: tuple  # the tenant's shop endpoints and the events each wants (cached per settings version)
    # A credit note's: the credited invoice's delivery through the same channel (status, external id).
    credited_delivery: tuple[str | None, str | None] = (None, None)


def _credited_delivery(session: Session, invoice: Invoice, channel: str) -> tuple[str | None, str | None]:
    """(status, external id) of the credited invoice's latest delivery through `channel`, for a credit note
    whose channel refers to the original (Netvisor's key, Ropo's jobid); (None, None) otherwise."""
    if invoice.credited_invoice_id is None:
        return None, None
    row = session.execute(
        select(Delivery.status, Delivery.external_id)
        .where(Delivery.tenant_id == invoice.tenant_id, Delivery.invoice_id == invoice.credited_invoice_id,
               Delivery.channel == channel)
        .order_by(Delivery.created_at.desc()).limit(1)).first()
    return (row.status, row.external_id) if row is not None else (None, None)


class Worker:
    def __init__(self, session_factory: sessionmaker[Session], settings: WorkerSettings | None = None,
                 name: str | None = None) -> None:
        self.session_factory = session_factory
        self.db = Database(session_factory)
        self.settings = settings or WorkerSettings()
        load_extensions()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"
        self.stopping = threading.Event()
        self._next_poll = 0.0
        self._next_schedule_look = 0.0
        self._next_vat_recheck = 0.0
        self._next_dunning_look = 0.0
        self._archive_store: S3Archive | None = None  # made on the first copy; boto3 clients are thread-safe
        self._next_usage_drafts = 0.0
        processes = processes_for(self.settings.render_processes)
        self.pool = RenderPool(processes) if processes > 1 else None

    def run(self) -> None:
        """Work until stopped (SIGTERM/SIGINT in the main thread, or `stop()`)."""
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: self.stop())
        log.info("worker %s started", self.name)
        while not self.stopping.is_set():
            self._poll_payments_when_due()
            self._start_scheduled_runs_when_due()
            self._recheck_vat_ids_when_due()
            self._dun_when_due()
            self._refresh_usage_drafts_when_due()
            if self.run_once() == 0:
                self.stopping.wait(self.settings.poll_interval)
        self.close()
        log.info("worker %s stopped", self.name)

    def close(self) -> None:
        """Stop the rendering processes, if any (`run` does this when it stops)."""
        if self.pool is not None:
            self.pool.close()

    def _poll_payments_when_due(self) -> None:
        every = self.settings.sync_payments_every
        if every <= 0 or time.monotonic() < self._next_poll:
            return
        self._next_poll = time.monotonic() + min(every, 60)
        try:
            sync_payments(self.session_factory, every=timedelta(seconds=every))
        except Exception:  # noqa: BLE001 - polling trouble must not stop deliveries
            log.exception("polling for payments failed")

    def _start_scheduled_runs_when_due(self) -> None:
        every = self.settings.schedules_every
        if every <= 0 or time.monotonic() < self._next_schedule_look:
            return
        self._next_schedule_look = time.monotonic() + every
        try:
            run_schedules.start_due(self.db)
        except Exception:  # noqa: BLE001 - a broken schedule must not stop deliveries
            log.exception("starting scheduled invoice runs failed")

    def _dun_when_due(self) -> None:
        """The daily dunning, once per tenant and tenant's day (claimed on its settings row)."""
        every = self.settings.dunning_every
        if every <= 0 or time.monotonic() < self._next_dunning_look:
            return
        self._next_dunning_look = time.monotonic() + every
        try:
            dunning.start_due(self.db)
        except Exception:  # noqa: BLE001 - a broken dunning setting must not stop deliveries
            log.exception("the daily dunning failed")

    def _recheck_vat_ids_when_due(self) -> None:
        every = self.settings.vat_recheck_every
        if every <= 0 or not self.settings.vies_url or time.monotonic() < self._next_vat_recheck:
            return
        self._next_vat_recheck = time.monotonic() + every
        try:
            self.recheck_vat_ids()
        except Exception:  # noqa: BLE001 - VIES trouble must not stop deliveries
            log.exception("re-checking held VAT IDs failed")

    def _refresh_usage_drafts_when_due(self) -> None:
        every = self.settings.usage_drafts_every
        if every <= 0 or time.monotonic() < self._next_usage_drafts:
            return
        self._next_usage_drafts = time.monotonic() + every
        try:
            self.refresh_usage_drafts()
        except Exception:  # noqa: BLE001 - a draft that cannot take its usage must not stop deliveries
            log.exception("bringing drafts up to date with late usage failed")

    def refresh_usage_drafts(self) -> int:
        """Usage recorded for periods whose run drafts are still open goes into them; the drafts changed."""
        return usage_drafts.refresh_drafts(self.db)

    def recheck_vat_ids(self) -> int:
        """Ask VIES again about the VAT IDs that held drafts wait on (outside any transaction, like a delivery);
        a valid answer finalises an immediate-mode invoice, whose deliveries this worker then sends."""
        from adapters.vies import vies_checker

        checker = vies_checker(self.settings.vies_url, self.settings.vies_timeout)
        return 0 if checker is None else vat_checks.recheck_held(self.db, checker, self.settings.vat_policy)

    def stop(self) -> None:
        self.stopping.set()

    def run_once(self) -> int:
        """Claim one batch and deliver it, then one batch of an invoice run; the number of things done."""
        if self.settings.archive is not None and self.db.read(archive.has_unarchived):
            self.db.run(archive.give_to_archive)
        claimed = self.db.run(lambda session: outbox.claim_due(
            session, self.name, limit=self.settings.batch_size, lease=self.settings.lease))
        ahead = self._render_ahead(claimed)
        for delivery in claimed:
            if self.stopping.is_set():
                break  # the rest come due again when their lease ends
            if delivery.invoice_id is not None:
                self._store_ahead(ahead.pop(delivery.invoice_id, None))
            self.deliver(delivery)
        for _, future in ahead.values():
            future.cancel()  # stopping: not needed now
        return len(claimed) + self.work_on_runs()

    def _render_ahead(self, claimed: list[outbox.Claimed]) -> dict[uuid.UUID, tuple[documents.ToRender, Future]]:
        """Start rendering the PDFs this batch's deliveries will attach, side by side in the pool, by invoice:
        while the first is being delivered the others are rendered. Only an optimisation: whatever it misses,
        a delivery renders itself."""
        wanted = [d for d in claimed if d.invoice_id is not None and d.channel != notifications.WEBHOOK_CHANNEL]
        if self.pool is None or len(wanted) < 2:
            return {}  # a single document costs the same rendered in place

        def read(session: Session) -> list[documents.ToRender]:
            tenant_channels = {}
            for tenant_id in {d.tenant_id for d in wanted}:
                tenant = session.get(Tenant, tenant_id)
                tenant_channels[tenant_id] = dict(tenant.channels or {}) if tenant is not None else {}
            return documents.documents_to_render(session, [
                (invoice_id, "pdf") for d in wanted if (invoice_id := d.invoice_id) is not None
                and "pdf" in channels.documents_needed(d.channel, tenant_channels[d.tenant_id])])

        try:
            to_render = self.db.read(read)
            futures = self.pool.submit([item.job for item in to_render])
        except Exception:  # noqa: BLE001 - the deliveries still render what is missing, and report it
            log.exception("rendering a batch's documents ahead failed")
            return {}
        return {item.invoice_id: (item, future) for item, future in zip(to_render, futures, strict=True)
                if future is not None}

    def _store_ahead(self, ahead: tuple[documents.ToRender, Future] | None) -> None:
        """Keep a document rendered ahead, once it is ready (before its delivery asks for it)."""
        if ahead is None or self.pool is None:
            return
        content = self.pool.result(ahead[1])
        if content is not None:
            try:
                documents.store_rendered(self.db, ahead[0], content)
            except Exception:  # noqa: BLE001 - the delivery renders and stores it itself
                log.exception("storing a document rendered ahead failed")

    def work_on_runs(self) -> int:
        """One batch of the oldest invoice run no other worker holds: 1 if there was one, else 0."""
        if self.stopping.is_set():
            return 0
        run_id = self.db.run(lambda session: invoice_runs.claim_run(session, self.name, self.settings.lease))
        if run_id is None:
            return 0
        invoice_runs.work_on_run(self.db, run_id, self.name, self.settings.lease, self.settings.run_batch_customers)
        return 1

    def deliver(self, claimed: outbox.Claimed) -> None:
        started_at = datetime.now(UTC)
        attempt_id = self.db.run(lambda session: outbox.start_attempt(session, claimed, self.name, started_at))
        clock = time.monotonic()
        loaded = None
        try:
            if claimed.channel == notifications.WEBHOOK_CHANNEL:
                outcome = self._notify_shop(claimed)
            elif claimed.channel.startswith(dunning.CHANNEL_PREFIX):
                outcome = self._send_reminder(claimed)
            elif claimed.channel == archive.CHANNEL:
                outcome = self._archive(claimed)
            else:
                loaded = self._load(claimed)
                outcome = self._attempt(claimed, loaded)
        except Exception as error:  # noqa: BLE001 - a bug in a channel must not stop the worker
            log.exception("delivery %s via %s failed unexpectedly", claimed.id, claimed.channel)
            outcome = self._failure(claimed, f"unexpected error: {type(error).__name__}: {error}", True)
        duration_ms = int((time.monotonic() - clock) * 1000)

        def record(session: Session) -> bool:
            kept = outbox.record(session, claimed, self.name, attempt_id, duration_ms, outcome)
            if kept and loaded is not None and outcome.status != outbox.FAILED:
                self._announce(session, claimed, outcome, loaded.webhooks)
            return kept

        kept = self.db.run(record)
        if not kept:
            log.warning("delivery %s was taken over by another worker after its lease ran out", claimed.id)
        log.info("delivery %s via %s attempt %d: %s", claimed.id, claimed.channel, claimed.attempt,
                 outcome.attempt_outcome)

    def _attempt(self, claimed: outbox.Claimed, loaded: Loaded) -> outbox.Outcome:
        invoice, layout = loaded.invoice, loaded.layout
        try:
            channel = channels.build(claimed.channel, loaded.channels)
        except channels.ChannelUnavailable as error:
            return self._failure(claimed, str(error), retryable=False)
        context = DeliveryContext(delivery_id=str(claimed.id), idempotency_key=f"delivery-{claimed.id}",
                                  attempt=claimed.attempt, documents=self._documents(claimed, layout), layout=layout,
                                  credited_delivery_status=loaded.credited_delivery[0],
                                  credited_external_id=loaded.credited_delivery[1],
                                  external_refs=TenantExternalRefs(self.db, claimed.tenant_id))
        guard.refuse_inside_transaction(f"calling {claimed.channel}")
        try:
            if claimed.attempt > 1:
                # An earlier attempt may have reached the service without our hearing back: ask first.
                found = channel.lookup(invoice, context)
                if found is not None:
                    return self._success(found, "found")
            return self._success(channel.deliver(invoice, context), "delivered")
        except AdapterError as error:
            return self._failure(claimed, error.message, error.retryable, error.http_status,
                                 error.response_excerpt, error.retry_after)
        except DomainError as error:  # the invoice cannot be put into the channel's document format
            return self._failure(claimed, error.detail, retryable=False)

    def _documents(self, claimed: outbox.Claimed, layout: dict):
        """The channel's way to the invoice's stored documents: made on first use, the same bytes after."""
        cache: dict[str, bytes] = {}
        actor = system_actor(claimed.tenant_id, f"worker:{self.name}")

        def document(kind: str) -> bytes:
            if kind not in cache:
                assert claimed.invoice_id is not None
                cache[kind] = documents.invoice_document(self.db, actor, claimed.invoice_id, kind, layout).content
            return cache[kind]

        return document

    def _send_reminder(self, claimed: outbox.Claimed) -> outbox.Outcome:
        """A reminder through the tenant's email or e-invoice channel, with its own PDF or Finvoice."""

        def read(session: Session) -> reminder_documents.ReminderDocument:
            delivery = session.get_one(Delivery, claimed.id)
            assert delivery.payload is not None  # a reminder's delivery carries its id
            reminder = session.get_one(Reminder, uuid.UUID(delivery.payload["reminder_id"]))
            return reminder_documents.load(session, reminder)

        loaded = self.db.read(read)
        if loaded.status != dunning.SENT:
            return self._failure(claimed, f"the reminder is {loaded.status}: not sent", retryable=False)
        if loaded.invoice_open <= 0:  # paid after the reminder was sent and before it went out
            return self._failure(claimed, f"not sent: {dunning.PAID_BEFORE_SENT}", retryable=False)
        try:
            channel = channels.build(claimed.channel.removeprefix(dunning.CHANNEL_PREFIX), loaded.channels)
        except channels.ChannelUnavailable as error:
            return self._failure(claimed, str(error), retryable=False)
        cache: dict[str, bytes] = {}

        def document(kind: str) -> bytes:
            # The stored bytes: a resend, the archive and the exports hold the very document that went out.
            if kind not in cache:
                cache[kind] = reminder_documents.stored(self.db, kind, loaded).content
            return cache[kind]

        context = DeliveryContext(delivery_id=str(claimed.id), idempotency_key=f"delivery-{claimed.id}",
                                  attempt=claimed.attempt, documents=document, layout=loaded.layout,
                                  external_refs=TenantExternalRefs(self.db, claimed.tenant_id))
        guard.refuse_inside_transaction(f"calling {claimed.channel}")
        try:
            if claimed.attempt > 1:
                found = channel.lookup(loaded.data, context)
                if found is not None:
                    return self._success(found, "found")
            return self._success(channel.deliver(loaded.data, context), "delivered")
        except AdapterError as error:
            return self._failure(claimed, error.message, error.retryable, error.http_status,
                                 error.response_excerpt, error.retry_after)
        except DomainError as error:
            return self._failure(claimed, error.detail, retryable=False)

    def _notify_shop(self, claimed: outbox.Claimed) -> outbox.Outcome:
        def read(session: Session) -> tuple[dict, tuple[str, str] | None]:
            delivery = session.get(Delivery, claimed.id)
            assert delivery is not None and delivery.payload is not None  # just claimed; it carries the event
            endpoint = session.get(WebhookEndpoint, uuid.UUID(delivery.payload["endpoint_id"]))
            target = (endpoint.url, endpoint.secret) if endpoint is not None and endpoint.enabled else None
            return delivery.payload, target

        payload, target = self.db.read(read)
        if target is None:
            return self._failure(claimed, "the webhook endpoint was removed or disabled", retryable=False)
        guard.refuse_inside_transaction("notifying the shop")
        try:
            return self._success(send_event(target[0], target[1], payload["event"]), "delivered")
        except AdapterError as error:
            return self._failure(claimed, error.message, error.retryable, error.http_status,
                                 error.response_excerpt, error.retry_after)

    def _archive(self, claimed: outbox.Claimed) -> outbox.Outcome:
        """Copy one stored document to the archive: looked for first, so no attempt stores it twice."""
        from adapters.archive import archive_key, extension

        if self.settings.archive is None:
            return self._failure(claimed, "the archive is not configured (INVOICING_ARCHIVE_BUCKET)", retryable=True)
        item = self.db.read(lambda session: archive.load_item(session, claimed.id))
        if item is None:
            return self._failure(claimed, "the archive delivery names no stored document", retryable=False)
        key = archive_key(self.settings.archive.prefix, item.tenant_id, item.invoice_id, item.kind, item.reminder_id)
        external_id = key if len(key) <= 100 else None  # the column's width; the excerpt always names the key
        guard.refuse_inside_transaction("copying a document to the archive")
        try:
            if self._archive_store is None:
                self._archive_store = S3Archive(self.settings.archive)
            store = self._archive_store
            found = store.find(key)
            if found is not None and found.sha256 == item.sha256:
                return self._success(DeliveryResult(
                    external_id, response_excerpt=f"{key} was archived already, sha256 {item.sha256}"), "found")
            metadata = {"invoice-number": item.invoice_number or "", "invoice-date": item.invoice_date or "",
                        "kind": item.kind}
            name = f"{item.invoice_number or item.invoice_id}-{item.kind}.{extension(item.kind)}"
            if item.reminder_id is not None:
                metadata["reminder-number"] = item.reminder_number or ""
                name = f"{item.reminder_number or item.reminder_id}-{item.kind}.{extension(item.kind)}"
            store.put(key, item.content, item.sha256, item.media_type, metadata, name)
        except AdapterError as error:
            return self._failure(claimed, error.message, error.retryable, error.http_status, error.response_excerpt)
        return self._success(DeliveryResult(external_id, response_excerpt=f"{key}, sha256 {item.sha256}"),
                             "delivered")

    def _load(self, claimed: outbox.Claimed) -> Loaded:
        def read(session: Session) -> Loaded:
            tenant = session.get(Tenant, claimed.tenant_id)
            invoice = session.get(Invoice, claimed.invoice_id)
            assert tenant is not None and invoice is not None  # the claimed delivery's own (foreign keys)
            return Loaded(documents.load_invoice_data(session, invoice), dict(tenant.channels or {}),
                          dict(tenant.layout or {}), tenant_rules(session, tenant).webhooks,
                          _credited_delivery(session, invoice, claimed.channel))

        return self.db.read(read)

    @staticmethod
    def _announce(session: Session, claimed: outbox.Claimed, outcome: outbox.Outcome, webhooks) -> None:
        """Tell the shop, in the same transaction as the result: invoice.delivered or invoice.delivery_failed."""
        event = "invoice.delivered" if outcome.status == outbox.DELIVERED else "invoice.delivery_failed"
        if not any(event in types for _, types in webhooks):
            return  # nobody listens: no query, no row
        invoice = session.get(Invoice, claimed.invoice_id)
        assert invoice is not None  # the delivery's invoice (a foreign key)
        notifications.notify(session, claimed.tenant_id, event, invoice, subscribed=webhooks, extra={"delivery": {
            "id": str(claimed.id), "channel": claimed.channel, "external_id": outcome.external_id,
            "error": outcome.error}})

    @staticmethod
    def _success(result: DeliveryResult, how: str) -> outbox.Outcome:
        return outbox.Outcome(status=outbox.DELIVERED, attempt_outcome=how, external_id=result.external_id,
                              http_status=result.http_status, response_excerpt=result.response_excerpt)

    def _failure(self, claimed: outbox.Claimed, message: str, retryable: bool, http_status: int | None = None,
                 excerpt: str = "", retry_after: float | None = None) -> outbox.Outcome:
        settings = self.settings
        if retryable and claimed.budget_used < settings.max_attempts:
            delay = outbox.backoff(claimed.budget_used, base=settings.backoff_base, cap=settings.backoff_cap,
                                   retry_after=retry_after)
            return outbox.Outcome(outbox.FAILED, "retry", error=message, http_status=http_status,
                                  response_excerpt=excerpt, retry_at=datetime.now(UTC) + delay)
        if retryable:
            message = f"gave up after {claimed.budget_used} attempts: {message}"
        return outbox.Outcome(outbox.DEAD, "dead", error=message, http_status=http_status, response_excerpt=excerpt)
