"""The EU VIES VAT number check (checkVatApprox through zeep, the official WSDL shipped here) and its sandbox.

`vies_checker(url, timeout)` is what the API and the worker wire in: None when checks are off (no
INVOICING_VIES_URL), else a callable `(vat_id, requester_vat_id) -> ViesAnswer`. zeep comes with the
`vies` extra and is imported only when a client is made.
"""

from __future__ import annotations

from collections.abc import Callable

from .answer import INVALID, UNAVAILABLE, VALID, ViesAnswer, normalize_vat_id, split_vat_id

__all__ = ["INVALID", "UNAVAILABLE", "VALID", "ViesAnswer", "normalize_vat_id", "split_vat_id", "vies_checker"]


def vies_checker(url: str | None, timeout: float = 10.0) -> Callable[[str, str | None], ViesAnswer] | None:
    """The checker for INVOICING_VIES_URL as written ("official", a URL, or unset/"off": None)."""
    from .client import client_for, resolve_url

    address = resolve_url(url)
    return None if address is None else client_for(address, timeout).check
