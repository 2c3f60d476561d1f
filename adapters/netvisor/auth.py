"""Netvisor request authentication (reference §1.2): the MAC in its three generations and its headers."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

ALGORITHMS = ("HMACSHA256", "SHA256", "MD5")

SENDER = "X-Netvisor-Authentication-Sender"
CUSTOMER_ID = "X-Netvisor-Authentication-CustomerId"
PARTNER_ID = "X-Netvisor-Authentication-PartnerId"
TIMESTAMP = "X-Netvisor-Authentication-Timestamp"
TRANSACTION_ID = "X-Netvisor-Authentication-TransactionId"
LANGUAGE = "X-Netvisor-Interface-Language"
ORGANISATION_ID = "X-Netvisor-Organisation-ID"
MAC = "X-Netvisor-Authentication-MAC"
ALGORITHM = "X-Netvisor-Authentication-MACHashCalculationAlgorithm"
TIMESTAMP_UNIX = "X-Netvisor-Authentication-TimestampUnix"
USE_HTTP_STATUS = "X-Netvisor-Authentication-UseHTTPResponseStatusCodes"

# §1.2 says the HMAC key and message are ISO-8859-1. For the MD5 and SHA256 generations the reference names
# no encoding (the old Python client used UTF-8); we use ISO-8859-1 for all three, which only differs for
# non-ASCII text, and our URLs are percent-encoded ASCII. UNCERTAIN for non-ASCII senders or keys.
ENCODING = "iso-8859-1"


@dataclass(frozen=True)
class MacInput:
    """Everything the MAC covers. `url` is the full URL with its query string, exactly as sent."""

    url: str
    sender: str
    customer_id: str
    timestamp: str  # ANSI "YYYY-MM-DD HH:MM:SS.fff", UTC
    language: str
    organisation_id: str
    transaction_id: str
    customer_key: str
    partner_key: str
    timestamp_unix: int | None = None  # HMACSHA256 only


def mac_message(fields: MacInput, algorithm: str) -> str:
    """The hashed string: fields joined by "&"; HMACSHA256 adds the Unix time after the transaction id."""
    parts = [fields.url, fields.sender, fields.customer_id, fields.timestamp, fields.language,
             fields.organisation_id, fields.transaction_id]
    if algorithm == "HMACSHA256":
        parts.append(str(fields.timestamp_unix))
    parts += [fields.customer_key, fields.partner_key]
    return "&".join(parts)


def compute_mac(fields: MacInput, algorithm: str) -> str:
    """Lowercase hex MAC of §1.2 for "MD5", "SHA256" or "HMACSHA256"."""
    message = mac_message(fields, algorithm).encode(ENCODING)
    if algorithm == "HMACSHA256":
        if fields.timestamp_unix is None:
            raise ValueError("HMACSHA256 needs the Unix timestamp")
        key = f"{fields.customer_key}&{fields.partner_key}".encode(ENCODING)
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    if algorithm == "SHA256":
        return hashlib.sha256(message).hexdigest()
    if algorithm == "MD5":
        return hashlib.md5(message).hexdigest()  # noqa: S324 - the service's legacy scheme, not our choice
    raise ValueError(f"unknown MAC algorithm {algorithm!r}; expected one of {ALGORITHMS}")


def ansi_timestamp(moment: datetime) -> str:
    """UTC in the "ANSI" form of §1.2, with milliseconds: "2009-01-12 15:49:12.221"."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond // 1000:03d}"


def auth_headers(
    *, url: str, sender: str, customer_id: str, customer_key: str, partner_id: str, partner_key: str,
    organisation_id: str, language: str, algorithm: str, now: datetime, transaction_id: str,
) -> dict[str, str]:
    """All headers of §1.2 for one request. The keys go into the MAC only, never into a header."""
    unix = int(now.timestamp()) if algorithm == "HMACSHA256" else None
    fields = MacInput(url=url, sender=sender, customer_id=customer_id, timestamp=ansi_timestamp(now),
                      language=language, organisation_id=organisation_id, transaction_id=transaction_id,
                      customer_key=customer_key, partner_key=partner_key, timestamp_unix=unix)
    headers = {
        SENDER: sender,
        CUSTOMER_ID: customer_id,
        PARTNER_ID: partner_id,
        TIMESTAMP: fields.timestamp,
        TRANSACTION_ID: transaction_id,
        LANGUAGE: language,
        ORGANISATION_ID: organisation_id,
        MAC: compute_mac(fields, algorithm),
    }
    # MD5 is what a request without the algorithm header means; the legacy clients never sent one.
    if algorithm != "MD5":
        headers[ALGORITHM] = algorithm
    if algorithm == "HMACSHA256":
        headers[TIMESTAMP_UNIX] = str(unix)
        headers[USE_HTTP_STATUS] = "1"
    return headers
