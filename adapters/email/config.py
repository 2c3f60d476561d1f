"""Settings of one tenant's SMTP connection, checked once when the channel is built, and address checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from adapters import egress

SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}  # RFC 6409 submission, RFC 8314 implicit TLS
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 600.0  # a worker holding a lease must not wait on one socket for longer than this

# An addr-spec we can send to without SMTPUTF8 (RFC 5321 §4.1.2): a dot-atom local part of ASCII, and a
# domain name whose labels IDNA can encode. Quoted local parts and address literals are left out on purpose:
# no invoice recipient needs them, and every mail system in between handles them differently.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def checked_address(text: object) -> str | None:
    """The address in the form we put on the wire (an IDN domain as xn--), or None when it is not one."""
    if not isinstance(text, str):
        return None
    local, at, domain = text.strip().rpartition("@")
    if not at or len(local) > 64 or not _LOCAL_PART.fullmatch(local):
        return None
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = domain.split(".")
    # At least two labels: "laskut@esimerkki" is a typo for a customer's address, never a mailbox.
    if len(domain) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True)
class EmailConfig:
    host: str
    from_address: str
    security: str = "starttls"
    port: int = 0  # 0: the default port of `security`
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    from_name: str | None = None  # None: the seller's name on each invoice
    reply_to: str | None = None
    bcc: str | None = None  # an archive copy of every message, never shown to the recipient
    attach_finvoice: bool = False
    timeout: float = DEFAULT_TIMEOUT  # seconds, for the connection and for each reply

    def __post_init__(self) -> None:
        if not self.port and self.security in DEFAULT_PORTS:
            object.__setattr__(self, "port", DEFAULT_PORTS[self.security])

    @property
    def from_domain(self) -> str:
        return self.from_address.rpartition("@")[2]

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> EmailConfig:
        """Build from a tenant's channel settings; ValueError lists every problem at once.

        Messages name settings, never their values: a password typed into the wrong field must not
        reach the admin's screen or a log through this message.
        """
        known = {f.name for f in fields(cls)}
        problems = [f"{key}: unknown setting; use {', '.join(sorted(known))}" for key in settings
                    if key not in known]
        values: dict[str, object] = {}

        host = settings.get("host")
        if not isinstance(host, str) or not host.strip():
            problems.append("host is missing")
        elif any(ch.isspace() for ch in host.strip()) or "/" in host or "@" in host:
            problems.append("host must be a host name or an IP address, without scheme or path")
        else:
            try:  # a tenant's setting: the operator's own network is not its to reach
                egress.check_host(host.strip())
                values["host"] = host.strip()
            except egress.UnsafeTarget as error:
                problems.append(f"host: {error}")

        security = settings.get("security", "starttls")
        if security not in SECURITY_MODES:
            problems.append(f"security must be one of {', '.join(SECURITY_MODES)}")
        else:
            values["security"] = security

        if settings.get("port") not in (None, ""):
            port = _whole_number(settings["port"])
            if port is None or not 1 <= port <= 65535:
                problems.append("port must be a whole number from 1 to 65535")
            else:
                values["port"] = port

        username, password = settings.get("username") or None, settings.get("password") or None
        if (username is None) != (password is None):
            problems.append("username and password must be given together, or neither")
        elif username is not None:
            if not isinstance(username, str) or not isinstance(password, str):
                problems.append("username and password must be text")
            elif any(ch in "\r\n" for ch in username + password):
                problems.append("username and password must be one line each")
            else:
                values.update(username=username, password=password)

        from_address = settings.get("from_address")
        if from_address in (None, ""):
            problems.append("from_address is missing")
        elif (checked := checked_address(from_address)) is None:
            problems.append("from_address is not a valid email address")
        else:
            values["from_address"] = checked

        for key in ("reply_to", "bcc"):
            if settings.get(key) not in (None, ""):
                if (checked := checked_address(settings[key])) is None:
                    problems.append(f"{key} is not a valid email address")
                else:
                    values[key] = checked

        from_name = settings.get("from_name")
        if from_name not in (None, ""):
            if not isinstance(from_name, str) or any(ch in "\r\n" for ch in from_name):
                problems.append("from_name must be one line of text")
            else:
                values["from_name"] = from_name.strip()

        attach = settings.get("attach_finvoice", False)
        if not isinstance(attach, bool):
            problems.append("attach_finvoice must be true or false")
        else:
            values["attach_finvoice"] = attach

        if settings.get("timeout") not in (None, ""):
            timeout = _seconds(settings["timeout"])
            if timeout is None or not 0 < timeout <= MAX_TIMEOUT:
                problems.append(f"timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}")
            else:
                values["timeout"] = timeout

        if problems:
            raise ValueError("invalid email settings: " + "; ".join(problems))
        return cls(**values)  # type: ignore[arg-type]


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):  # True is an int to Python, never a port to a person
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _seconds(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if seconds == seconds else None  # NaN compares unequal to itself
