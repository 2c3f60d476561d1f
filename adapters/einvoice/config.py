"""Settings of one tenant's e-invoicing operator connection, checked once when the channel is built."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from adapters import egress

from .protocol import FORMATS

REQUIRED = ("base_url", "api_key")
# The key travels in a header: it must be one line of printable ASCII or requests would refuse or mangle it.
_HEADER_SAFE = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True)
class EInvoiceConfig:
    base_url: str  # the operator's API root, e.g. "https://api.operator.example/v1"
    api_key: str = field(repr=False)
    format: str = "finvoice"  # which rendered document goes out: finvoice, finvoice_soap or ubl
    connect_timeout: float = 5.0  # seconds
    read_timeout: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.strip().rstrip("/"))  # we join paths with "/"
        problems = [f"{name} is missing" for name in REQUIRED if not getattr(self, name)]
        if self.base_url and not self.base_url.startswith(("https://", "http://")):
            problems.append("base_url must be an http(s) URL")
        if self.api_key and not _HEADER_SAFE.match(self.api_key):
            problems.append("api_key must be printable ASCII without spaces")
        if self.format not in FORMATS:
            problems.append(f"format must be one of {', '.join(FORMATS)}")
        for name in ("connect_timeout", "read_timeout"):
            value = getattr(self, name)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not (number and math.isfinite(value) and value > 0):
                problems.append(f"{name} must be a positive number of seconds")
        if problems:
            # Names only, never values: this message may reach a log, and one of the values is a secret.
            raise ValueError("invalid e-invoice settings: " + "; ".join(problems))

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> EInvoiceConfig:
        """Build from a tenant's channel settings; unknown keys are refused so a typo cannot pass silently."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown e-invoice settings: {', '.join(unknown)}")
        values: dict[str, object] = {name: "" for name in REQUIRED}
        problems = []
        for name, value in settings.items():
            if value is None:
                continue  # the default (or "missing" for a required key)
            if name in ("connect_timeout", "read_timeout"):
                values[name] = _seconds(value)
                if values[name] is None:
                    problems.append(f"{name} must be a positive number of seconds")
            elif not isinstance(value, str):
                problems.append(f"{name} must be text")
            else:
                values[name] = value
        if problems:
            raise ValueError("invalid e-invoice settings: " + "; ".join(problems))
        config = cls(**values)  # type: ignore[arg-type]
        try:
            egress.check_url(config.base_url)  # a tenant's setting: the operator's network is not its to reach
        except egress.UnsafeTarget as error:
            raise ValueError(f"invalid e-invoice settings: base_url: {error}") from None
        return config


def _seconds(value: object) -> float | None:
    if isinstance(value, bool):  # True would read as 1 second
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
