"""Settings of one tenant's Maventa account, checked once when the channel is built, every problem at once.

Maventa's credentials (REST API "Authentication", documentation-next.maventa.com/api-specification/rest-api/
authentication): the company UUID is the OAuth2 `client_id`, the user API key the `client_secret`, and the
vendor API key (the software vendor's key, "Settings > Company settings > Software API keys") travels with
them. The two keys are secrets: their names contain "key", so GET /tenant masks them (channels.redacted),
and no message here ever quotes a value.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from adapters import egress

# Production and test hosts of the AutoXChange (AX) API, REST "Getting Started" (…/rest-api/getting-started).
PRODUCTION_URL = "https://ax.maventa.com"
TEST_URL = "https://ax-stage.maventa.com"
# Which rendered document is uploaded: a bare Finvoice 3.0 or a Peppol BIS 3 UBL (both are formats Maventa takes
# and converts between, "Invoice sending" guide, documentation.maventa.com/integration-guide/invoice-sending/).
FORMATS = ("finvoice", "ubl")
# Scopes named on the authentication page; the third-party Ruby client authorises with the same three.
DEFAULT_SCOPE = "global company invoice:send"
SECRETS = ("user_api_key", "vendor_api_key")
REQUIRED = ("company_uuid", "user_api_key", "vendor_api_key")
# Keys travel in a form body: printable ASCII without spaces, so nothing is mangled on the way.
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True)
class MaventaConfig:
    company_uuid: str
    user_api_key: str = field(repr=False)
    vendor_api_key: str = field(repr=False)
    format: str = "finvoice"
    base_url: str = PRODUCTION_URL
    scope: str = DEFAULT_SCOPE
    connect_timeout: float = 5.0  # seconds
    read_timeout: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.strip().rstrip("/"))
        problems = [f"{name} is missing" for name in REQUIRED if not getattr(self, name)]
        if self.company_uuid:
            try:
                uuid.UUID(self.company_uuid)
            except ValueError:
                problems.append("company_uuid must be the company's UUID (Maventa: Settings > Company "
                                "settings), e.g. 0c9f1e0e-7f4b-4a57-9f0e-3c5b2a1d4e6f")
        for name in SECRETS:
            if getattr(self, name) and not _PRINTABLE.match(getattr(self, name)):
                problems.append(f"{name} must be printable ASCII without spaces")
        if self.format not in FORMATS:
            problems.append(f"format must be one of {', '.join(FORMATS)}")
        if not self.base_url.startswith(("https://", "http://")):
            problems.append("base_url must be an http(s) URL, e.g. " + PRODUCTION_URL)
        if not self.scope.strip():
            problems.append("scope must name at least one scope")
        for name in ("connect_timeout", "read_timeout"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
                    and value > 0):
                problems.append(f"{name} must be a positive number of seconds")
        if problems:
            raise ValueError("invalid Maventa settings: " + "; ".join(problems))

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.user_api_key, self.vendor_api_key)

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> MaventaConfig:
        """From a tenant's channel settings; unknown names are refused so that a typo cannot pass silently."""
        known = {f.name for f in fields(cls)}
        problems = [f"unknown setting {name!r} (known: {', '.join(sorted(known))})"
                    for name in sorted(set(settings) - known)]
        values: dict[str, object] = {name: "" for name in REQUIRED}
        for name, value in settings.items():
            if name not in known or value is None:
                continue
            if name in ("connect_timeout", "read_timeout"):
                seconds = _seconds(value)
                if seconds is None:
                    problems.append(f"{name} must be a positive number of seconds")
                else:
                    values[name] = seconds
            elif not isinstance(value, str):
                problems.append(f"{name} must be text")
            else:
                values[name] = value.strip()
        try:
            config = cls(**values)  # type: ignore[arg-type]
        except ValueError as error:
            problems.extend(str(error).removeprefix("invalid Maventa settings: ").split("; "))
            config = None
        if problems or config is None:
            raise ValueError("invalid Maventa settings: " + "; ".join(dict.fromkeys(problems)))
        try:
            egress.check_url(config.base_url)  # a tenant's setting: the operator's own network is not its to reach
        except egress.UnsafeTarget as error:
            raise ValueError(f"invalid Maventa settings: base_url: {error}") from None
        return config


def _seconds(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None
