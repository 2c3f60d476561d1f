"""Copying one document to an S3-compatible bucket once: look first, then put with its SHA-256.

The worker decides retries (DESIGN §6), so boto3's own retries are off: one call is one attempt. Every attempt
first asks for the object (HEAD): when it is there with the same SHA-256 the document is archived already (an
earlier attempt reached the service without our hearing back, or another copy of this delivery ran), and nothing
is sent again. The put carries the SHA-256 twice: as user metadata (`x-amz-meta-sha256`, hex, what a person
or script reads back) and as the checksum S3 verifies on receipt (`x-amz-checksum-sha256`, base64), so a body
damaged on the way is refused rather than stored (Amazon S3 User Guide, "Checking object integrity").
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from adapters.base import AdapterError

# S3 error codes a later attempt may get past (Amazon S3 API Reference, "Error responses").
_RETRYABLE_CODES = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "Throttling",
                    "ThrottlingException", "RequestTimeTooSkewed"}


@dataclass(frozen=True)
class ArchiveSettings:
    """The installation's archive (INVOICING_ARCHIVE_*): endpoint None is AWS S3 in the region."""

    bucket: str
    endpoint: str | None = None
    prefix: str = ""
    region: str = "eu-north-1"
    access_key: str | None = None
    secret: str | None = None
    timeout: float = 30.0
    proxy: str | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> ArchiveSettings | None:
        if not settings.archive_bucket:
            return None
        return cls(bucket=settings.archive_bucket, endpoint=settings.archive_endpoint,
                   prefix=settings.archive_prefix or "", region=settings.archive_region,
                   access_key=settings.archive_access_key, secret=settings.archive_secret,
                   timeout=settings.archive_timeout_seconds, proxy=settings.egress_proxy)


@dataclass(frozen=True)
class ArchivedObject:
    key: str
    sha256: str | None  # what its metadata says


def archive_key(prefix: str, tenant_id: str, invoice_id: str, kind: str, reminder_id: str | None = None) -> str:
    """Where a document goes: by tenant, invoice and kind, ids that never change or repeat (an invoice number
    names the document in its metadata and download name; two series may share a prefix, ids never collide).
    A reminder's documents go beside its invoice's, under the reminder's id."""
    folder = f"{prefix}{tenant_id}/{invoice_id}/" + (f"reminder-{reminder_id}/" if reminder_id else "")
    return f"{folder}{kind}.{extension(kind)}"


def extension(kind: str) -> str:
    return "pdf" if kind == "pdf" else "xml"


class S3Archive:
    def __init__(self, settings: ArchiveSettings) -> None:
        from invoicing_plugin.extras import require

        boto3 = require("boto3", "archive", "The document archive")
        from botocore.config import Config

        self.settings = settings
        self.client = boto3.client(
            "s3", endpoint_url=settings.endpoint, region_name=settings.region,
            aws_access_key_id=settings.access_key, aws_secret_access_key=settings.secret,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=min(settings.timeout, 10),
                          read_timeout=settings.timeout, s3={"addressing_style": "path"},
                          proxies={"http": settings.proxy, "https": settings.proxy} if settings.proxy else None))

    def find(self, key: str) -> ArchivedObject | None:
        """The object as the bucket holds it, or None when it is not there."""
        try:
            head = self._call(self.client.head_object, Bucket=self.settings.bucket, Key=key)
        except AdapterError as error:
            if error.http_status == 404:
                return None
            raise
        return ArchivedObject(key, (head.get("Metadata") or {}).get("sha256"))

    def put(self, key: str, content: bytes, sha256: str, media_type: str, metadata: dict[str, str],
            filename: str) -> None:
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
        self._call(self.client.put_object, Bucket=self.settings.bucket, Key=key, Body=content,
                   ContentType=media_type, ContentDisposition=f'attachment; filename="{filename}"',
                   ChecksumSHA256=checksum, Metadata={**metadata, "sha256": sha256})

    def _call(self, operation: Any, **arguments: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

        try:
            return operation(**arguments)
        except ClientError as error:
            response = error.response
            status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) or None
            code = str(response.get("Error", {}).get("Code") or "")
            retryable = status is None or status >= 500 or status == 429 or code in _RETRYABLE_CODES
            raise AdapterError(f"the archive refused {operation.__name__}: {code or status}", retryable=retryable,
                               http_status=status, code=code or None,
                               response_excerpt=str(response.get("Error", {}).get("Message") or "")[:500]) from None
        except (ConnectionError, HTTPClientError) as error:  # refused, reset, timed out: the service may be back
            raise AdapterError(f"the archive did not answer: {error}", retryable=True) from None
        except BotoCoreError as error:  # a setting boto3 cannot use (no credentials, a bad endpoint)
            raise AdapterError(f"the archive cannot be reached as configured: {error}", retryable=False) from None
