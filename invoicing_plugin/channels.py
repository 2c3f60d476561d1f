"""Channels by name: the built-in adapters and any a package registers under `invoicing_plugin.channels`.

A tenant's settings for a channel live in `tenant.channels[name]` as
`{"enabled": bool, "default": bool, "settings": {...}}`; `settings` goes to the channel's factory.
Setting names that look like secrets are never shown back (`redacted`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from adapters.base import Channel, ChannelFactory

from .domain.errors import ValidationFailed

GROUP = "invoicing_plugin.channels"
SECRET_NAME = re.compile(r"key|secret|password|apicode|token", re.IGNORECASE)

_registered: dict[str, ChannelFactory] = {}


class ChannelUnavailable(Exception):
    """The channel is unknown, disabled, or its settings cannot build it: retrying will not help."""


def register(name: str, factory: ChannelFactory) -> None:
    """Add a channel in code (a host application, a test's in-memory channel)."""
    _registered[name] = factory


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=GROUP)}


def known_channels() -> list[str]:
    return sorted(set(_entry_points()) | set(_registered))


def factory_for(name: str) -> ChannelFactory:
    if name in _registered:
        return _registered[name]
    point = _entry_points().get(name)
    if point is None:
        raise ChannelUnavailable(f"no channel named {name!r} (known: {', '.join(known_channels())})")
    return point.load()


def build(name: str, tenant_channels: Mapping[str, dict]) -> Channel:
    """The tenant's channel, ready to send; ChannelUnavailable when it cannot be."""
    config = tenant_channels.get(name)
    if not config or not config.get("enabled", True):
        raise ChannelUnavailable(f"the channel {name!r} is not enabled for this merchant")
    try:
        return factory_for(name)(config.get("settings") or {})
    except ChannelUnavailable:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise ChannelUnavailable(f"the settings of channel {name!r} are not usable: {error}") from None


def documents_needed(name: str, tenant_channels: Mapping[str, dict]) -> tuple[str, ...]:
    """The document kinds a delivery through this channel will ask for, as far as the channel says (its
    optional `documents_needed`); () when it says nothing or cannot be built (its delivery will tell why)."""
    try:
        channel = build(name, tenant_channels)
    except ChannelUnavailable:
        return ()
    return tuple(getattr(channel, "documents_needed", ()))


def validate_settings(name: str, settings: Mapping[str, object]) -> None:
    """Refuse settings the channel cannot be built from, naming the problem."""
    try:
        factory_for(name)(settings)
    except ChannelUnavailable as error:
        raise ValidationFailed({"channel": [str(error)]}) from None
    except (ValueError, KeyError, TypeError) as error:
        raise ValidationFailed({"settings": [str(error)]}) from None


def default_channels(tenant_channels: Mapping[str, dict]) -> list[str]:
    return sorted(name for name, config in tenant_channels.items()
                  if config.get("enabled", True) and config.get("default"))


def enabled_channels(tenant_channels: Mapping[str, dict]) -> list[str]:
    return sorted(name for name, config in tenant_channels.items() if config.get("enabled", True))


def redacted(tenant_channels: Mapping[str, dict]) -> dict[str, dict]:
    """The channel configuration with every secret-looking setting masked, for API responses and logs."""
    return {
        name: {
            **{key: value for key, value in config.items() if key != "settings"},
            "settings": {key: ("********" if SECRET_NAME.search(key) and value else value)
                         for key, value in (config.get("settings") or {}).items()},
        }
        for name, config in tenant_channels.items()
    }
