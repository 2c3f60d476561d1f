"""The Ropo24 sandbox's memory: jobs, billnum receipts, queued faults, status updates, payments; one lock.

Plain Python (no Flask) so the sandbox app stays a thin protocol layer over it. The totals model follows
dev.ropo.com, guides/basics/invoice/prices-on-the-invoice-row: a payrow that reports its `netamount`,
`vatamount` and `totalamount` ("the exact way") is taken as reported and summed; a row without them ("the
simple method") is computed, row net = count × amount rounded to the cent, VAT per rate on the rate's net
sum (the guide's example, 2 × 8.05 at 24 % and 22.89 at 10 %, gives 6.15 either per rate or over the whole
invoice; UNCERTAIN which Ropo rounds). Status codes are the sandbox's own (UNCERTAIN: Ropo's are not public).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import cast

CENT = Decimal("0.01")
INVOICING, PARTLY_PAID, PAID = (1, "Invoicing"), (6, "Partly paid"), (9, "Paid")
CREDITED = (10, "Credited")  # every euro of the job credited away, nothing paid
# dev.ropo.com "Credit note allocation": a credit note is a job like an invoice, with negative payrows and
# refundtojobid (or refundtobillnum) naming the job it credits.
REFUND_KEYS = ("refundtojobid", "refundtobillnum")
FAULT_MODES = ("500", "429", "timeout_after_store", "timeout_before_store", "down")
FAULT_ENDPOINTS = ("jobs", "token", "any")
EXACT_KEYS = ("netamount", "vatamount", "totalamount")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_or_none(value: object) -> Decimal | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def validate_job(job: object) -> list[dict[str, str]]:
    """Field problems of one jobtype 0 dataset, as RFC 7807 invalid-params; [] when it is acceptable.

    Each rule names its source on dev.ropo.com: "basics/invoice" is guides/basics/invoice (minimum payload
    and field table), "embed" is the guides page's "Embed: minimum required level information"."""
    if not isinstance(job, dict):
        return [{"name": "dataset[]", "reason": "a job is an object"}]
    problems = []
    for key, value in job.items():  # basics/invoice: every example value is a string ("jobtype": "0")
        if key != "payrow" and not isinstance(value, str):
            problems.append({"name": key, "reason": "values are strings"})
    if job.get("jobtype") != "0":  # basics/invoice: 0 = invoice, 300 = print service (not emulated)
        problems.append({"name": "jobtype", "reason": "the sandbox emulates invoices (jobtype 0) only"})
    holder = {"1": "company", "2": "person"}.get(job.get("customertype"))  # type: ignore[arg-type]
    if holder is None:  # embed: "customertype: Client type (1 = company, 2 = private person)"
        problems.append({"name": "customertype", "reason": "1 (company) or 2 (private person)"})
    # basics/invoice "Minimum invoice payload": debtor (company if 1, person if 2), address, postcode, city,
    # billdate, paydate.
    required = ["address", "postcode", "city", "billdate", "paydate"] + ([holder] if holder else [])
    problems += [{"name": key, "reason": "required"} for key in required if not job.get(key)]
    for key in ("billdate", "paydate"):  # basics/invoice field table: "in the form of YYYY-MM-DD"
        if job.get(key) and not _DATE.match(str(job[key])):
            problems.append({"name": key, "reason": "YYYY-MM-DD"})
    rows = job.get("payrow")
    if not isinstance(rows, list) or not rows:  # basics/invoice: "at least one invoice row (payrow)"
        return problems + [{"name": "payrow", "reason": "at least one payrow"}]
    for index, row in enumerate(rows):
        name = f"payrow[{index}]"
        if not isinstance(row, dict) or not isinstance(row.get("desc"), str):
            problems.append({"name": f"{name}.desc", "reason": "required"})
            continue
        for key in ("count", "amount", "taxpr"):  # embed, "Invoice Rows": desc, count, amount, taxpr
            if not isinstance(row.get(key), str) or decimal_or_none(row.get(key)) is None:
                problems.append({"name": f"{name}.{key}", "reason": "a decimal number as a string"})
        taxpr = decimal_or_none(row.get("taxpr"))
        if taxpr is not None and not 0 <= taxpr <= 100:  # embed: "taxpr: Value Added Tax (0-100)"
            problems.append({"name": f"{name}.taxpr", "reason": "0 to 100"})
        problems += _exact_problems(row, name)
    return problems


def _exact_problems(row: dict, name: str) -> list[dict[str, str]]:
    """"The exact way" (prices-on-the-invoice-row): the three amounts together, and taxable = tax-free + tax.
    (The guide names the three together; the sum is what "taxable amount" means. The sandbox refuses a row
    that breaks either, UNCERTAIN whether Ropo does or prints it as sent.)"""
    given = [key for key in EXACT_KEYS if key in row]
    if not given:
        return []
    values = {key: decimal_or_none(row.get(key)) if isinstance(row.get(key), str) else None for key in EXACT_KEYS}
    bad = [key for key, value in values.items() if value is None]
    if bad:
        return [{"name": f"{name}.{key}", "reason": "a decimal number as a string, with the other two of "
                 "netamount, vatamount, totalamount"} for key in bad]
    net, vat, total = (cast("Decimal", values[key]) for key in EXACT_KEYS)
    if net + vat != total:
        return [{"name": f"{name}.totalamount", "reason": "netamount + vatamount"}]
    return []


def vat_by_rate(rows: list[dict]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """(net, vat) per taxpr of validated payrows, as Ropo takes or computes them (see the module's doc)."""
    reported: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    computed: dict[Decimal, Decimal] = defaultdict(Decimal)
    for row in rows:
        rate = Decimal(row["taxpr"]).normalize()
        if all(key in row for key in EXACT_KEYS):
            reported[rate][0] += Decimal(row["netamount"])
            reported[rate][1] += Decimal(row["vatamount"])
        else:
            computed[rate] += money(Decimal(row["count"]) * Decimal(row["amount"]))
    result = {}
    for rate in {*reported, *computed}:
        net = reported[rate][0] + computed[rate]
        result[rate] = (net, reported[rate][1] + money(computed[rate] * rate / 100))
    return result


def totals(rows: list[dict]) -> tuple[Decimal, Decimal, Decimal]:
    """(net, vat, gross) of validated payrows, as Ropo sums them."""
    groups = vat_by_rate(rows).values()
    net = sum((net for net, _ in groups), Decimal(0))
    vat = sum((vat for _, vat in groups), Decimal(0))
    return money(net), money(vat), money(net + vat)


@dataclass
class Fault:
    mode: str
    remaining: int
    endpoint: str = "jobs"
    retry_after: int = 1
    delay: float = 2.0


@dataclass
class SandboxJob:
    jobid: int
    cid: str
    dataset: dict
    data_identifier: str | None
    net: Decimal
    vat: Decimal
    gross: Decimal
    paid: Decimal = Decimal(0)
    status: tuple[int, str] = INVOICING
    payments: list[dict] = field(default_factory=list)
    credited: Decimal = Decimal(0)  # positive: the sum of the credit notes allocated to this job
    credits: list[dict] = field(default_factory=list)

    @property
    def open(self) -> Decimal:
        """What Ropo still collects: the job's sum less its payments and its credit notes."""
        return self.gross - self.credited - self.paid

    def status_record(self, when: str, event: str = "jobstatus") -> dict:
        return {"id": str(uuid.uuid4()), "event": event, "jobid": self.jobid,
                "billnum": self.dataset.get("billnum"), "billcode": self.dataset.get("billcode"),
                "status": self.status[0], "statustext": self.status[1],
                "date": when, "openamount": f"{self.open}"}

    def as_json(self) -> dict:
        return {"jobid": self.jobid, "cid": self.cid, "billnum": self.dataset.get("billnum"),
                "billcode": self.dataset.get("billcode"), "data_identifier": self.data_identifier,
                "dataset": self.dataset, "net": f"{self.net}", "vat": f"{self.vat}", "gross": f"{self.gross}",
                "paid": f"{self.paid}", "credited": f"{self.credited}", "open": f"{self.open}",
                "status": self.status[0], "statustext": self.status[1], "payments": self.payments,
                "credits": self.credits}


class DuplicateBillnum(Exception):
    pass


class CreditRefused(Exception):
    """A credit note that names no job this customer holds, or credits more than the job's open amount."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


def refund_target(job: dict) -> tuple[str, str] | None:
    """(tag, value) of the job a credit note dataset credits, None for an ordinary invoice."""
    return next(((key, str(job[key])) for key in REFUND_KEYS if job.get(key) not in (None, "")), None)


class SandboxStore:
    def __init__(self, batch_limit: int = 1000) -> None:
        self.batch_limit = batch_limit
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.jobs: dict[int, SandboxJob] = {}
            self.by_billnum: dict[tuple[str, str], int] = {}
            self.credit_billnums: dict[tuple[str, str], int] = {}  # a credit note's billnum -> the job it credits
            self.received: Counter[tuple[str, str]] = Counter()
            self.faults: list[Fault] = []
            self.updates: dict[str, list[dict]] = defaultdict(list)
            self.fetched: dict[str, int] = defaultdict(int)  # per cid: how many updates were polled already
            self.notifications: list[dict] = []
            self.next_jobid = 1000001

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, endpoint: str) -> Fault | None:
        """The next queued fault that applies to this endpoint, counted down by one."""
        with self.lock:
            for fault in self.faults:
                if fault.endpoint in (endpoint, "any"):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def note_received(self, cid: str, datasets: list) -> None:
        with self.lock:
            for job in datasets:
                if isinstance(job, dict) and job.get("billnum"):
                    self.received[(cid, str(job["billnum"]))] += 1

    def store(self, cid: str, datasets: list[dict], data_identifier: str | None, today: str
              ) -> tuple[list[SandboxJob], list[dict]]:
        """All jobs of one request or none (a duplicate billnum refuses the whole request); returns the jobs
        and the status updates their arrival made."""
        with self.lock:
            billnums = [job.get("billnum") for job in datasets if job.get("billnum")]
            taken = [b for b in billnums if (cid, b) in self.by_billnum or (cid, b) in self.credit_billnums]
            if taken or len(set(billnums)) != len(billnums):
                raise DuplicateBillnum(", ".join(cast("list[str]", taken)) or "repeated within the request")
            targets = self._credit_targets(cid, datasets)
            stored, updates = [], []
            for index, job in enumerate(datasets):
                net, vat, gross = totals(job["payrow"])
                if index in targets:
                    # A credit note creates no job: it lowers what the credited job collects.
                    target = targets[index]
                    self._allocate_credit(target, job, -gross, today)
                    updates.append(target.status_record(today, "jobstatus")
                                   | {"creditbillnum": job.get("billnum"), "creditamount": f"{-gross}"})
                    stored.append(target)
                    continue
                record = SandboxJob(self.next_jobid, cid, job, data_identifier, net, vat, gross)
                self.next_jobid += 1
                self.jobs[record.jobid] = record
                if job.get("billnum"):
                    self.by_billnum[(cid, job["billnum"])] = record.jobid
                updates.append(record.status_record(today, "jobstatus"))
                stored.append(record)
            self.updates[cid].extend(updates)
            return stored, updates

    def _credit_targets(self, cid: str, datasets: list[dict]) -> dict[int, SandboxJob]:
        """The job each credit note dataset of a request credits, checked before anything is stored."""
        targets: dict[int, SandboxJob] = {}
        left: dict[int, Decimal] = {}
        for index, job in enumerate(datasets):
            refund = refund_target(job)
            if refund is None:
                continue
            key, value = refund
            name = f"dataset[{index}].{key}"
            target = self.find(cid, jobid=value) if key == "refundtojobid" else self._job_by_billnum(cid, value)
            if target is None:
                raise CreditRefused(name, f"no job {value} to credit")
            credit = -totals(job["payrow"])[2]
            if credit <= 0:
                raise CreditRefused(f"dataset[{index}].payrow", "a credit note's payrows are negative")
            open_amount = left.get(target.jobid, target.open)
            if credit > open_amount:
                raise CreditRefused(name, f"the credit {credit} exceeds the open amount {open_amount} of job "
                                          f"{target.jobid}")
            left[target.jobid] = open_amount - credit
            targets[index] = target
        return targets

    def _job_by_billnum(self, cid: str, billnum: str) -> SandboxJob | None:
        jobid = self.by_billnum.get((cid, billnum))
        return self.jobs.get(jobid) if jobid is not None else None

    def _allocate_credit(self, job: SandboxJob, credit_note: dict, amount: Decimal, today: str) -> None:
        job.credited += amount
        job.credits.append({"billnum": credit_note.get("billnum"), "amount": f"{amount}", "date": today,
                            "dataset": credit_note})
        if credit_note.get("billnum"):
            self.credit_billnums[(job.cid, credit_note["billnum"])] = job.jobid
        if job.open <= 0:
            job.status = PAID if job.paid > 0 else CREDITED

    def find(self, cid: str | None, *, jobid: object = None, billnum: object = None,
             billcode: object = None) -> SandboxJob | None:
        with self.lock:
            for job in self.jobs.values():
                if cid is not None and job.cid != cid:
                    continue
                if (jobid is not None and str(job.jobid) == str(jobid)) or \
                        (billnum is not None and job.dataset.get("billnum") == str(billnum)) or \
                        (billcode is not None and job.dataset.get("billcode") == str(billcode)):
                    return job
            return None

    def current_status(self, cid: str, billnum: str, today: str) -> list[dict]:
        """The job's status now, as one update that is not marked fetched; [] for an unknown billnum."""
        with self.lock:
            job = self.find(cid, billnum=billnum)
            if job is None and (cid, billnum) in self.credit_billnums:  # a credit note: the job it credits
                credited = self.jobs[self.credit_billnums[(cid, billnum)]]
                return [credited.status_record(today) | {"creditbillnum": billnum}]
            return [job.status_record(today)] if job else []

    def take_updates(self, cid: str) -> list[dict]:
        """Not-yet-fetched updates, at most batch_limit; each is handed out once."""
        with self.lock:
            start = self.fetched[cid]
            batch = self.updates[cid][start:start + self.batch_limit]
            self.fetched[cid] = start + len(batch)
            return batch

    def updates_on(self, cid: str, day: str) -> list[dict]:
        with self.lock:
            return [update for update in self.updates[cid] if update["date"] == day]

    def pay(self, job: SandboxJob, amount: Decimal, paydate: date, kind: str, today: str) -> dict:
        """Record a payment on a job (`today`: when the change happened); returns the status update made."""
        with self.lock:
            job.paid += amount
            job.status = PAID if job.open <= 0 else PARTLY_PAID
            job.payments.append({"amount": f"{amount}", "paydate": paydate.isoformat(), "type": kind})
            update = job.status_record(today, "payment")
            update.update({"paidamount": f"{amount}", "paydate": paydate.isoformat(), "paymenttype": kind})
            self.updates[job.cid].append(update)
            return update

    def snapshot(self) -> dict:
        with self.lock:
            billnums = {}
            for (cid, billnum), count in self.received.items():
                accepted = 1 if (cid, billnum) in self.by_billnum else 0
                billnums[billnum] = {"received": count, "accepted": accepted, "cid": cid}
            return {"jobs": [job.as_json() for job in self.jobs.values()], "billnums": billnums,
                    "pending_faults": len(self.faults)}
