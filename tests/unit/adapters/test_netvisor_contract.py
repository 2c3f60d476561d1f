"""Contract: the same register requests against the sandbox and against Netvisor's own example responses.

The recorded bodies are the examples of Netvisor's published flow examples ("Add new sales invoice and
payment": customerlist.nv, customer.nv, productlist.nv; developers.qodex.ai/visma-solutions-oy-netvisor-api-
flow-examples) wrapped in the §1.3 envelope they come in. Our client must read both the same way: the
sandbox answers in the shape the real service documents.
"""

from __future__ import annotations

from dataclasses import fields

import pytest
import responses

from adapters.netvisor import netvisor_channel
from adapters.netvisor.client import RegisterRow
from adapters.netvisor.invoice_xml import customer_xml, product_xml
from adapters.netvisor.sandbox import demo_settings, running_sandbox
from tests.factories import invoice_data

HOST = "https://isvapi.netvisor.fi"
STATUS = "<ResponseStatus><Status>OK</Status><TimeStamp>21.6.2023 13:46:01</TimeStamp></ResponseStatus>"
RECORDED = {
    "customerlist.nv": f"<Root>{STATUS}<Customerlist><Customer><Netvisorkey>1000</Netvisorkey>"
                       "<Name>Example Customer</Name><Code>101</Code><OrganisationIdentifier>1234567-8"
                       "</OrganisationIdentifier><CustomerGroupID>1</CustomerGroupID><CustomerGroupName>"
                       "Customergroup 1</CustomerGroupName><Uri>https://isvapi.netvisor.figetcustomer.nv?id=1000"
                       "</Uri></Customer></Customerlist></Root>",
    "customer.nv": f"<Root>{STATUS}<Replies><InsertedDataIdentifier>10598</InsertedDataIdentifier></Replies></Root>",
    "productlist.nv": f"<Root>{STATUS}<ProductList><Product><NetvisorKey>10</NetvisorKey><ProductCode>TP2"
                      "</ProductCode><Name>Test Product 2</Name><UnitPrice>50,00</UnitPrice><UnitGrossPrice>62,00"
                      "</UnitGrossPrice><ProductGroupID /><ProductGroupDescription /><Uri>"
                      "https://isvapi.netvisor.fi/getproduct.nv?id=10</Uri></Product></ProductList></Root>",
    "product.nv": f"<Root>{STATUS}<Replies><InsertedDataIdentifier>11</InsertedDataIdentifier></Replies></Root>",
}


def run_flow(host: str, organisation_id: str = "1234567-8") -> dict:
    """The documented flow's calls, in order: add a customer and a product, then list both."""
    client = netvisor_channel({**demo_settings(host, organisation_id)}).client
    invoice = invoice_data()
    buyer = invoice.buyer.__class__(**{**{f.name: getattr(invoice.buyer, f.name) for f in fields(invoice.buyer)},
                                       "name": "Example Customer", "business_id": "1234567-8"})
    return {
        "customer.nv": client.add_customer(customer_xml(buyer, None)).netvisor_key,
        "product.nv": client.add_product(product_xml("TP2", invoice.lines[0], False, "Books")).netvisor_key,
        "customerlist.nv": client.list_customers("1234567-8"),
        "productlist.nv": client.list_products("TP2"),
    }


def shape(result: dict) -> dict:
    """What the caller relies on: keys are digits, the rows found carry what registers.py matches by."""
    def row(r: RegisterRow) -> tuple:
        return (r.netvisor_key.isdigit(), r.code, r.organisation_identifier)

    return {"customer.nv": result["customer.nv"].isdigit(), "product.nv": result["product.nv"].isdigit(),
            "customerlist.nv": [row(r) for r in result["customerlist.nv"]],
            "productlist.nv": [row(r) for r in result["productlist.nv"]]}


def test_the_sandbox_and_netvisors_recorded_answers_read_the_same():
    with responses.RequestsMock() as mock:
        for resource, body in RECORDED.items():
            method = responses.POST if resource in ("customer.nv", "product.nv") else responses.GET
            mock.add(method, f"{HOST}/{resource}", body=body, content_type="text/xml")
        recorded = run_flow(HOST)
        sent = {call.request.url.split("?")[0].rsplit("/", 1)[1]: call.request for call in mock.calls}
    assert sent["customer.nv"].body.startswith(b"<root><customer>"), "the message begins with <root>"
    assert sent["product.nv"].body.startswith(b"<root><product>")
    with running_sandbox() as (url, _):
        emulated = run_flow(url)
    recorded_shape, emulated_shape = shape(recorded), shape(emulated)
    # The example customer's code is 101 in the recording, and the sandbox's first automatic code is 101 too.
    assert recorded_shape == emulated_shape
    assert recorded["customerlist.nv"][0].name == emulated["customerlist.nv"][0].name == "Example Customer"


@pytest.mark.parametrize("resource", ["customer.nv", "product.nv"])
def test_both_refuse_an_add_without_its_method_alike(resource):
    """Without method=add, Netvisor answers INVALID_DATA (77000554181, 77000554243); so does the sandbox."""
    from adapters.base import AdapterError

    with running_sandbox() as (url, _):
        client = netvisor_channel(demo_settings(url)).client
        with pytest.raises(AdapterError) as caught:
            client._call("POST", resource, {}, b"<root />")
    assert (caught.value.code, caught.value.retryable) == ("INVALID_DATA", False)
