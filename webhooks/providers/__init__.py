"""Inbound providers by name: each reads its own events (pushed callbacks, polled pages, stored inbox rows).

Providers are registered explicitly, when the app or the worker starts (`load_providers`, from the entry
point group `invoicing_plugin.providers`), or in code with `register` (a host application, a test):
never as a side effect of importing some module, so every process knows the same providers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from invoicing_plugin.domain.errors import NotFound
from invoicing_plugin.domain.provider_events import ProviderEvent

from . import generic, netvisor, ropo24

GROUP = "invoicing_plugin.providers"


@dataclass(frozen=True)
class Provider:
    name: str
    # One stored (or polled) event, in the form the inbox keeps it, as a ProviderEvent.
    reparse: Callable[[dict], ProviderEvent]
    # A pushed callback's whole body as its events; None for a provider that is only polled.
    parse: Callable[[object], list[ProviderEvent]] | None = None
    # Whether it may call with OAuth2 client credentials or Basic auth (services/provider_credentials.py)
    # besides the Standard Webhooks signature.
    client_credentials: bool = False


# What the entry points of this package name (setup.cfg): the built-in providers.
# dev.ropo.com guides/general-add-ons/status-notifications-events: OAuth2 client credentials or Basic auth.
ROPO24 = Provider("ropo24", reparse=ropo24.message_event, parse=ropo24.parse, client_credentials=True)
GENERIC = Provider("generic", reparse=lambda raw: generic.parse(raw)[0], parse=generic.parse)
NETVISOR = Provider("netvisor", reparse=netvisor.payment_event)

_registered: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    _registered[provider.name] = provider


def load_providers() -> None:
    """Register every provider an installed package declares (this one's: ropo24, generic, netvisor)."""
    for point in entry_points(group=GROUP):
        provider = point.load()
        if not isinstance(provider, Provider):
            raise TypeError(f"entry point {point.name!r} of {GROUP} is not a Provider")
        register(provider)


def provider(name: str) -> Provider:
    found = _registered.get(name)
    if found is None:
        raise NotFound(f"no provider named {name!r} is registered")
    return found


def pushing(name: str) -> Provider | None:
    """The provider that takes callbacks under this name, or None."""
    found = _registered.get(name)
    return found if found is not None and found.parse is not None else None


def pushing_names() -> list[str]:
    return sorted(name for name, found in _registered.items() if found.parse is not None)


def reparse(name: str, raw: dict) -> ProviderEvent:
    return provider(name).reparse(raw)
