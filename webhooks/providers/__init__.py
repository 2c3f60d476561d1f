"""Inbound providers by name: each turns its own payload into ProviderEvents."""

from __future__ import annotations

from collections.abc import Callable

from invoicing_plugin.domain.provider_events import ProviderEvent

from . import generic, ropo24

PROVIDERS: dict[str, Callable[[object], list[ProviderEvent]]] = {
    "ropo24": ropo24.parse,
    "generic": generic.parse,
}

# One stored event (its raw form in the inbox) back into a ProviderEvent, to process it again.
_REPARSE: dict[str, Callable[[dict], ProviderEvent]] = {
    "ropo24": ropo24.message_event,
    "generic": lambda raw: generic.parse(raw)[0],
}


def register_reparser(provider: str, reparse: Callable[[dict], ProviderEvent]) -> None:
    """For providers whose events arrive by polling (Netvisor), not through a webhook."""
    _REPARSE[provider] = reparse


def reparse(provider: str, raw: dict) -> ProviderEvent:
    return _REPARSE[provider](raw)
