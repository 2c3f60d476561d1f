"""Plain records of what Ropo answers (job references, status updates, job info), amounts as Decimal.

The reference (§2.3) names the fields of JobInfo but not those of a status update; names marked UNCERTAIN
below are read leniently (several spellings) so a differing service costs one line here, nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    return next((data[key] for key in keys if data.get(key) not in (None, "")), None)


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        # Via str: a float that slipped through becomes its shortest repr, not its binary expansion.
        return Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class JobRef:
    """Which job an answer is about (job submission, payment report)."""

    jobid: str | None
    billnum: str | None = None
    billcode: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobRef:
        return cls(_text(data.get("jobid")), _text(data.get("billnum")), _text(data.get("billcode")))


@dataclass(frozen=True)
class JobResponse:
    """§2.2 JobResponse: how many jobs were accepted, and their ids when the service names them."""

    accepted: int
    jobs: tuple[JobRef, ...]
    http_status: int
    excerpt: str = ""

    def jobid_for(self, billnum: str) -> str | None:
        return next((job.jobid for job in self.jobs if job.billnum == billnum and job.jobid), None)


def job_refs(body: Mapping[str, Any]) -> tuple[JobRef, ...]:
    """Job references from a JobResponse. UNCERTAIN whether Ropo returns them; we read
    `jobs: [{jobid, billnum, billcode}]` (as the sandbox does); else the adapter looks the jobid up."""
    jobs = body.get("jobs")
    if isinstance(jobs, list):
        return tuple(JobRef.from_json(job) for job in jobs if isinstance(job, dict))
    return ()


@dataclass(frozen=True)
class StatusUpdate:
    """One change of a job as §2.3 polling reports it."""

    jobid: str | None
    billnum: str | None
    billcode: str | None
    status: str | None  # the service's status code, as text
    status_text: str | None  # e.g. "Invoicing", "Paid"
    date: str | None  # YYYY-MM-DD of the change
    paydate: str | None  # YYYY-MM-DD of the payment, when the update reports one
    paid_amount: Decimal | None  # UNCERTAIN name: the payment this update reports
    open_amount: Decimal | None  # UNCERTAIN name: what the debtor still owes
    update_id: str | None = None  # UNCERTAIN: an id to dedupe on, as status notifications carry

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatusUpdate:
        return cls(
            jobid=_text(data.get("jobid")),
            billnum=_text(data.get("billnum")),
            billcode=_text(data.get("billcode")),
            status=_text(_first(data, "status", "currentstatus")),
            status_text=_text(_first(data, "statustext", "currentstatustext")),
            date=_text(_first(data, "date", "statusdate")),
            paydate=_text(_first(data, "paydate", "paymentdate")),
            paid_amount=_amount(_first(data, "paidamount", "payment_amount", "paymentamount")),
            open_amount=_amount(_first(data, "openamount", "open_amount")),
            update_id=_text(_first(data, "id", "updateid")),
        )


@dataclass(frozen=True)
class JobInfo:
    """§2.3 GET /rest/jobs?jobid= JobInfo (the fields the reference names)."""

    jobid: str | None
    billnum: str | None
    billcode: str | None
    current_status: str | None
    current_status_text: str | None
    current_paydate: str | None
    next_status_text: str | None
    next_status_date: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobInfo:
        return cls(
            jobid=_text(data.get("jobid")),
            billnum=_text(data.get("billnum")),
            billcode=_text(data.get("billcode")),
            current_status=_text(data.get("currentstatus")),
            current_status_text=_text(data.get("currentstatustext")),
            current_paydate=_text(data.get("currentpaydate")),
            next_status_text=_text(data.get("nextstatustext")),
            next_status_date=_text(data.get("nextstatusdate")),
        )
