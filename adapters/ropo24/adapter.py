"""The Ropo24 collection-service channel: sends an invoice as a job, finds it again by our invoice number."""

from __future__ import annotations

from collections.abc import Mapping

from adapters import egress
from adapters.base import AdapterError, DeliveryContext, DeliveryResult, EventPage, InvoiceData, credited_external_id

from .client import DEFAULT_BASE_URL, Ropo24Client, Ropo24Config
from .errors import DuplicateJob
from .mapping import build_job


class Ropo24Channel:
    """Channel "ropo24" (adapters.base.Channel). Ropo sends, monitors, reminds and collects; we hand it jobs.

    A credit note goes as Ropo's credit note allocation (dev.ropo.com, "Credit note allocation"): negative
    payrows tagged with the credited job, so Ropo collects only what is left of that job.

    Idempotency: our invoice number is the job's billnum, which Ropo keeps unique (409 on a repeat), and the
    delivery's idempotency key travels as the DataIdentifier header. A repeat after an unknown outcome is
    answered by looking the job up, so the service never holds the invoice twice.
    """

    name = "ropo24"
    provider = "ropo24"  # PaymentSource: its status updates, in the form of its pushed notifications

    def __init__(self, config: Ropo24Config, *, client: Ropo24Client | None = None,
                 currency: str = "EUR") -> None:
        self.config = config
        self.client = client or Ropo24Client(config)
        self.currency = currency

    def fetch_events(self, cursor: str | None) -> EventPage:
        """Status updates until the service answers 204 (guides/general-add-ons/status-updates-polling);
        Ropo remembers what it handed out, so there is no cursor. An update without an id (no source shows
        one) is kept, never dropped: the ropo24 provider gives it a stable key from its content."""
        events = [{
            "id": u.update_id, "event": "payment" if u.paid_amount is not None else "jobstatus", "jobid": u.jobid,
            "billnum": u.billnum, "billcode": u.billcode, "status": u.status, "statustext": u.status_text,
            "date": u.date, "paydate": u.paydate,
            "openamount": str(u.open_amount) if u.open_amount is not None else None,
            "paidamount": str(u.paid_amount) if u.paid_amount is not None else None,
        } for u in self.client.iter_status_updates()]
        return EventPage(events, None)

    def deliver(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult:
        credited_jobid = (credited_external_id(invoice, context, "Ropo24")
                          if invoice.kind == "credit_note" else None)
        job = build_job(invoice, self.currency, credited_jobid)
        try:
            response = self.client.submit_jobs([job], data_identifier=context.idempotency_key)
        except DuplicateJob as duplicate:
            return self._already_there(invoice, context, duplicate)
        if response.accepted < 1:
            raise AdapterError("Ropo24 send job: the service accepted none of the jobs", retryable=False,
                               http_status=response.http_status, response_excerpt=response.excerpt,
                               code="not_accepted")
        jobid = response.jobid_for(invoice.number)
        if jobid is None:
            jobid = self._jobid_after_success(invoice, context)
        details = {"billnum": job["billnum"], "billcode": job["billcode"], "sendtype": job.get("sendtype", "")}
        for tag in ("refundtojobid", "refundtobillnum"):
            if tag in job:
                details[tag] = job[tag]
        # A credit note's id is that of the job it was allocated to: it has none of its own.
        return DeliveryResult(external_id=jobid, http_status=response.http_status,
                              response_excerpt=response.excerpt, details=details)

    def lookup(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult | None:
        # §2.3: GET /rest/jobs/statusupdates?billnum= returns that job's status without consuming updates.
        try:
            updates = self.client.status_updates(billnum=invoice.number)
        except AdapterError as error:
            if error.http_status == 404:  # UNCERTAIN whether an unknown billnum is 204 or 404: both mean none
                return None
            raise
        # A credit note has no job: Ropo answers its billnum with the job it credits (the sandbox does so;
        # UNCERTAIN for the service), whose billnum is the credited invoice's.
        ours = {None, invoice.number}
        if invoice.kind == "credit_note" and invoice.credited_invoice_number:
            ours.add(invoice.credited_invoice_number)
        for update in updates:
            if update.billnum not in ours or not update.jobid:
                continue
            if update.billnum != invoice.number and update.billnum is not None:
                return DeliveryResult(external_id=update.jobid, http_status=200, details={
                    "billnum": invoice.number, "credited_billnum": update.billnum, "status": update.status or "",
                    "status_text": update.status_text or ""})
            if update.billcode and update.billcode != invoice.reference.replace(" ", ""):
                # Same number, other reference: not our invoice (e.g. another series sharing the account).
                continue
            return DeliveryResult(
                external_id=update.jobid, http_status=200,
                details={"billnum": invoice.number, "status": update.status or "",
                         "status_text": update.status_text or ""},
            )
        return None

    def _already_there(self, invoice: InvoiceData, context: DeliveryContext, duplicate: DuplicateJob
                       ) -> DeliveryResult:
        found = self.lookup(invoice, context)
        if found is None:
            # A 409 for a billnum we cannot find as ours: another job holds our number. A person decides.
            raise AdapterError(
                f"Ropo24 send job: billnum {invoice.number} is taken by a job that is not this invoice",
                retryable=False, http_status=duplicate.http_status,
                response_excerpt=duplicate.response_excerpt, code="billnum_conflict",
            )
        return DeliveryResult(
            external_id=found.external_id, http_status=duplicate.http_status,
            response_excerpt=duplicate.response_excerpt, details={**found.details, "duplicate": "true"},
        )

    def _jobid_after_success(self, invoice: InvoiceData, context: DeliveryContext) -> str | None:
        # The job is accepted; failing to learn its id must not turn that into an error (and a resend).
        try:
            found = self.lookup(invoice, context)
        except AdapterError:
            return None
        return found.external_id if found else None


SETTINGS = ("cid", "apicode", "base_url", "connect_timeout", "read_timeout", "token_refresh_margin", "currency")


def _seconds(settings: Mapping[str, object], key: str, default: float, problems: list[str]) -> float:
    value = settings.get(key)
    if value in (None, ""):
        return default
    try:
        number = float(str(value))  # seconds, not money
    except ValueError:
        number = -1.0
    if not 0 <= number < float("inf") or (number == 0 and key != "token_refresh_margin"):
        problems.append(f"{key} must be a positive number of seconds")  # the name only, never the value
    return number


def ropo24_channel(settings: Mapping[str, object]) -> Ropo24Channel:
    """ChannelFactory: settings keys `cid`, `apicode` (required), `base_url`, `connect_timeout`,
    `read_timeout`, `token_refresh_margin` (seconds) and `currency` (default EUR). Unknown keys are refused:
    a typo must not pass silently, and an unknown key cannot be known to hold no secret."""
    problems = [f"{key}: unknown setting; use {', '.join(SETTINGS)}" for key in settings if key not in SETTINGS]
    problems += [f"{key} is missing" for key in ("cid", "apicode") if not settings.get(key)]
    base_url = str(settings.get("base_url") or DEFAULT_BASE_URL).strip().rstrip("/")
    try:  # a tenant's setting: the operator's own network is not its to reach
        egress.check_url(base_url)
    except egress.UnsafeTarget as error:
        problems.append(f"base_url: {error}")
    timeouts = {key: _seconds(settings, key, default, problems) for key, default in (
        ("connect_timeout", 5.0), ("read_timeout", 30.0), ("token_refresh_margin", 300.0))}
    if problems:
        raise ValueError("invalid ropo24 settings: " + "; ".join(problems))
    config = Ropo24Config(cid=str(settings["cid"]), apicode=str(settings["apicode"]), base_url=base_url, **timeouts)
    return Ropo24Channel(config, currency=str(settings.get("currency") or "EUR"))
