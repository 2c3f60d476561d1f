"""The EU VIES VAT number check through zeep, against the official WSDL shipped beside this module.

VIES (VAT Information Exchange System) is the Commission's SOAP service `checkVatService`; its description
is published at ec.europa.eu/taxation_customs/vies/checkVatService.wsdl and a byte-identical copy is
`checkVatService.wsdl` here, so zeep reads it from the package and nothing is downloaded at run time. We
call `checkVatApprox` with the requester's (the merchant's) own VAT ID: its answer carries a consultation
number (`requestIdentifier`, given only when the requester fields are sent) that proves the check was made
(the Commission's VIES FAQ, ec.europa.eu/taxation_customs/vies/faq.html, Q18 on what to do when a number
cannot be checked; "VIES Consultation Number: What It Is and How to Store It", vatnode.dev). Germany and
Spain disclose no name or address ("---"). Faults are the strings the WSDL documents (MS_UNAVAILABLE,
TIMEOUT, ...); none of them is ever read as "valid", nor as "invalid" except INVALID_INPUT.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import requests

from adapters import egress
from invoicing_plugin.extras import require

from .answer import (
    INVALID,
    INVALID_FAULTS,
    UNAVAILABLE,
    UNAVAILABLE_FAULTS,
    VALID,
    ViesAnswer,
    normalize_vat_id,
    split_vat_id,
)

log = logging.getLogger(__name__)

WSDL_PATH = Path(__file__).with_name("checkVatService.wsdl")
# The service's address. The WSDL names it with plain http; the Commission serves the same path over https.
OFFICIAL_URL = "https://ec.europa.eu/taxation_customs/vies/services/checkVatService"
BINDING = "{urn:ec.europa.eu:taxud:vies:services:checkVat}checkVatBinding"
DEFAULT_TIMEOUT = 10.0


def _text(value: Any) -> str | None:
    """VIES answers "---" for what a member state does not disclose (Germany, Spain: names, addresses)."""
    if value is None:
        return None
    text = str(value).strip()
    return None if not text or text == "---" else text


def _transport_class(base: type) -> type:
    """zeep's transport, but an HTTP error that is not SOAP (a proxy's or a load balancer's page) is an error
    naming its status, instead of zeep's "Unknown fault occured"."""
    from zeep.exceptions import TransportError

    class Transport(base):
        def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
            response = super().post(address, message, headers)
            if response.status_code >= 400 and "xml" not in response.headers.get("Content-Type", ""):
                raise TransportError(status_code=response.status_code, content=response.content[:300])
            return response

    return Transport


def fault_code(faultstring: str) -> str | None:
    """The documented code in a faultstring ("MS_UNAVAILABLE", or a longer text that names one)."""
    codes = INVALID_FAULTS | UNAVAILABLE_FAULTS
    if faultstring in codes:
        return faultstring
    return next((code for code in sorted(codes, key=len, reverse=True) if code in faultstring), None)


class ViesClient:
    """checkVatApprox at `url` (the official service, or a sandbox); one instance serves many threads."""

    def __init__(self, url: str = OFFICIAL_URL, timeout: float = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        zeep = require("zeep", "vies", "The VIES VAT number check")
        transports = require("zeep.transports", "vies", "The VIES VAT number check")
        self.url = url
        # Every outbound call goes through the egress guard (proxy, connect-time checks, no redirects).
        transport = _transport_class(transports.Transport)(
            session=session or egress.safe_session(), timeout=timeout, operation_timeout=timeout)
        # The WSDL is a local file: zeep's transport opens a path without any HTTP.
        self._client = zeep.Client(wsdl=str(WSDL_PATH), transport=transport,
                                   settings=zeep.Settings(strict=True, xml_huge_tree=False))
        self._service = self._client.create_service(BINDING, url)
        self._lock = threading.Lock()

    def check(self, vat_id: str, requester_vat_id: str | None = None) -> ViesAnswer:
        """Ask VIES about `vat_id` on behalf of `requester_vat_id` (the merchant's own, for the proof)."""
        from zeep import exceptions

        compact = normalize_vat_id(vat_id)
        country, number = split_vat_id(compact)
        arguments: dict[str, str] = {"countryCode": country, "vatNumber": number}
        if requester_vat_id:
            requester_country, requester_number = split_vat_id(requester_vat_id)
            arguments.update(requesterCountryCode=requester_country, requesterVatNumber=requester_number)
        try:
            result = self._service.checkVatApprox(**arguments)
        except exceptions.Fault as fault:
            code = (fault.message or "").strip().upper()
            known = fault_code(code)
            status = INVALID if known in INVALID_FAULTS else UNAVAILABLE
            return ViesAnswer(compact, status, fault=known or "UNKNOWN_FAULT", detail=fault.message or "")
        except requests.Timeout as error:
            return ViesAnswer(compact, UNAVAILABLE, fault="TIMEOUT", detail=f"no answer in time: {error}")
        except requests.ConnectionError as error:
            return ViesAnswer(compact, UNAVAILABLE, fault="CONNECTION_ERROR", detail=str(error)[:300])
        except exceptions.TransportError as error:  # an HTTP error page instead of SOAP (a proxy, a 503)
            return ViesAnswer(compact, UNAVAILABLE, fault=f"HTTP_{error.status_code}",
                              detail=f"HTTP {error.status_code} instead of a SOAP answer")
        except (exceptions.Error, egress.RefusedConnection, ValueError) as error:
            log.warning("VIES answered something unreadable for %s: %s", compact, error)
            return ViesAnswer(compact, UNAVAILABLE, fault="BAD_ANSWER", detail=str(error)[:300])
        return ViesAnswer(
            compact, VALID if result.valid else INVALID,
            name=_text(result.traderName), address=_text(result.traderAddress),
            consultation_number=_text(result.requestIdentifier), request_date=result.requestDate,
        )

    __call__ = check


@lru_cache(maxsize=8)
def client_for(url: str, timeout: float = DEFAULT_TIMEOUT) -> ViesClient:
    """One client per address and timeout in a process (reading the WSDL takes a few milliseconds)."""
    return ViesClient(url, timeout)


def resolve_url(setting: str | None) -> str | None:
    """INVOICING_VIES_URL as written: unset, "" or "off" -> None (no checks); "official" -> the EU's service."""
    if setting is None or setting.strip().lower() in ("", "off", "none", "false", "0"):
        return None
    return OFFICIAL_URL if setting.strip().lower() == "official" else setting.strip()
