"""Settings, read in one place: explicit config, then the host app's config, then environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass(frozen=True)
class Settings:
    # INVOICING_DATABASE_URL: sqlite:///... (default: a file in the instance folder) or postgresql://...
    database_url: str
    # INVOICING_MAX_BODY_BYTES: larger request bodies get 413 before anything is parsed.
    max_body_bytes: int = 1_048_576
    # INVOICING_MAX_LINES: lines per order.
    max_lines: int = 500
    # INVOICING_IDEMPOTENCY_RETENTION_HOURS: how long a key replays its response. A week, because
    # POS terminals can be offline for days and then retry what they queued.
    idempotency_retention_hours: int = 168
    # INVOICING_DB_POOL_SIZE: connections per process.
    db_pool_size: int = 5
    # Timeouts, ordered so that a request always gets its answer (409, or 503 with Retry-After) before the
    # server gives up on its worker and drops the connection (checked below):
    #   INVOICING_LOCK_TIMEOUT_MS: a PostgreSQL row lock wait, then 409; below the statement timeout, so a
    #     lock wait ends as a 409 and not as a cancelled statement.
    #   INVOICING_SQLITE_BUSY_TIMEOUT_MS: a wait for SQLite's write lock; a write tries 3 times, then 503.
    #   INVOICING_STATEMENT_TIMEOUT_MS: any one PostgreSQL statement (0: none), then 503.
    #   INVOICING_SERVER_TIMEOUT_SECONDS: gunicorn's worker timeout (`invoicing serve`), above 3 x the
    #     longer of the busy and statement timeouts.
    # INVOICING_DB_CONNECT_TIMEOUT_SECONDS and INVOICING_DB_POOL_TIMEOUT_SECONDS bound the wait for a new
    # connection and for a free one from the pool (then 503).
    lock_timeout_ms: int = 5_000
    sqlite_busy_timeout_ms: int = 5_000
    statement_timeout_ms: int = 8_000
    server_timeout_seconds: int = 30
    db_connect_timeout_seconds: int = 5
    db_pool_timeout_seconds: float = 5.0
    # INVOICING_WEBHOOKS_PREFIX: where providers post their callbacks (<prefix>/<provider>/<tenant>).
    webhooks_prefix: str = "/webhooks"
    # INVOICING_RETENTION_DAYS: `invoicing purge` deletes delivered deliveries with their attempts, and
    # processed or ignored inbox events, older than this. Invoices, payments, audit events and stored
    # documents are never purged (accounting vouchers are kept 6 years in Finland).
    retention_days: int = 90
    # INVOICING_API_PREFIX: where the API is mounted.
    api_prefix: str = "/api/v1"
    # The outbox worker: deliveries claimed per round, how long a claim lasts before another worker may
    # take the delivery over (longer than any one call to a service), and the idle poll interval.
    worker_batch_size: int = 10
    worker_lease_seconds: float = 300.0
    worker_poll_seconds: float = 1.0
    # INVOICING_RENDER_PROCESSES: processes that render a claimed batch's PDFs for one worker, side by side,
    # so that a worker uses more than one core (a PDF costs a core a fifth of a second or more). 0: the worker
    # renders each document itself when its delivery needs it; -1 (the default): one per core.
    render_processes: int = -1
    # Retryable failures back off exponentially with jitter from the base up to the cap; after this many
    # attempts the delivery is dead (visible in the back office, retried by hand).
    delivery_max_attempts: int = 12
    delivery_backoff_base_seconds: float = 5.0
    delivery_backoff_cap_seconds: float = 3600.0
    # INVOICING_SYNC_PAYMENTS_SECONDS: how often workers poll Netvisor/Ropo24 for payments (0: never; the
    # `invoicing sync-payments` command polls on demand).
    sync_payments_seconds: float = 300.0
    # INVOICING_ALLOW_PRIVATE_TARGETS: let webhook endpoints and channel hosts be loopback, private or
    # link-local addresses, and plain http. Only for the demo's and the tests' sandboxes on loopback, or an
    # installation that delivers inside its own network on purpose (README, "Outbound safety").
    allow_private_targets: bool = False
    # INVOICING_EGRESS_PROXY: every outbound HTTP call goes through this proxy (http://proxy:3128).
    egress_proxy: str | None = None
    # INVOICING_VIES_URL: the EU VIES check of the buyer's VAT ID for reverse-charge (AE) and intra-community
    # (K) lines. Unset or "off": no check (such orders rest on the VAT ID's check digits, as before);
    # "official": the Commission's service; or a URL (a sandbox: `invoicing sandbox vies`). Off by default so
    # that nothing calls out of a machine that was not told to; production sets "official".
    # INVOICING_VIES_TIMEOUT_SECONDS bounds one call; answers are reused per VAT ID for
    # INVOICING_VIES_VALID_HOURS (valid) and INVOICING_VIES_INVALID_HOURS (invalid), never when unavailable;
    # held invoices are asked again after INVOICING_VIES_RECHECK_BASE_SECONDS, doubling up to the cap.
    vies_url: str | None = None
    vies_timeout_seconds: float = 10.0
    vies_valid_hours: float = 24.0
    vies_invalid_hours: float = 1.0
    vies_recheck_base_seconds: float = 60.0
    vies_recheck_cap_seconds: float = 3600.0
    # The back-office console (invoicing_plugin/console): INVOICING_CONSOLE_ENABLED switches it off,
    # INVOICING_CONSOLE_PREFIX is where it is mounted. Its session cookie is signed with
    # INVOICING_CONSOLE_SECRET_KEY, else the Flask app's SECRET_KEY; with neither, a random key per process
    # (logins then end when the process restarts, and do not carry across processes: fine for the demo only).
    # A session ends after INVOICING_CONSOLE_IDLE_MINUTES without a request. After
    # INVOICING_CONSOLE_MAX_FAILED_LOGINS wrong passwords in a row, the user's logins are refused for
    # INVOICING_CONSOLE_THROTTLE_MINUTES (the right password too, so that guessing gains nothing).
    console_enabled: bool = True
    console_prefix: str = "/backoffice"
    console_secret_key: str | None = None
    console_idle_minutes: int = 30
    console_max_failed_logins: int = 5
    console_throttle_minutes: int = 15
    # The archive of stored documents (PDF, Finvoice, UBL) in S3-compatible storage; off unless
    # INVOICING_ARCHIVE_BUCKET is set. INVOICING_ARCHIVE_ENDPOINT: the service's URL (unset: AWS S3 in the
    # region); INVOICING_ARCHIVE_PREFIX: put before every key (e.g. "invoices/"); INVOICING_ARCHIVE_ACCESS_KEY and
    # INVOICING_ARCHIVE_SECRET: the credentials (unset: boto3's own chain, e.g. an instance role);
    # INVOICING_ARCHIVE_TIMEOUT_SECONDS bounds one call. Each document is one outbox delivery (channel "archive").
    archive_endpoint: str | None = None
    archive_bucket: str | None = None
    archive_prefix: str = ""
    archive_region: str = "eu-north-1"
    archive_access_key: str | None = None
    archive_secret: str | None = None
    archive_timeout_seconds: float = 30.0
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        longest_write_ms = 3 * max(self.sqlite_busy_timeout_ms, self.statement_timeout_ms)
        if self.statement_timeout_ms and self.lock_timeout_ms >= self.statement_timeout_ms:
            raise ValueError("INVOICING_LOCK_TIMEOUT_MS must be below INVOICING_STATEMENT_TIMEOUT_MS")
        if longest_write_ms >= self.server_timeout_seconds * 1000:
            raise ValueError("INVOICING_SERVER_TIMEOUT_SECONDS must exceed 3 x the SQLite busy timeout and "
                             "3 x the statement timeout, so that requests are answered before the server gives up")

    @property
    def idempotency_retention(self) -> timedelta:
        return timedelta(hours=self.idempotency_retention_hours)


def default_database_url(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path, 'invoicing.sqlite3')}"


def parse_flag(value: object, name: str) -> bool:
    """A yes/no setting (true/1/yes/on, false/0/no/off); anything else is refused rather than read as no."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValueError(f"{name} must be true or false, not {value!r}")


def load_settings(
    instance_path: str, *sources: Mapping[str, object] | None, environ: Mapping[str, str] = os.environ
) -> Settings:
    """Each setting from the first source that has INVOICING_<NAME>, else the environment, else its default."""
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        if spec.name == "extra":
            continue
        key = f"INVOICING_{spec.name.upper()}"
        for source in (*[s for s in sources if s], environ):
            if key in source and source[key] not in (None, ""):
                raw = source[key]
                if spec.type == "bool":
                    values[spec.name] = parse_flag(raw, key)
                else:
                    kind = cast(str, spec.type)  # postponed annotations: the type's name
                    values[spec.name] = {"int": int, "float": float}.get(kind, str)(raw)
                break
    values.setdefault("database_url", default_database_url(instance_path))
    return Settings(**values)
