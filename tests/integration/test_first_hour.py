"""A newcomer's first hour: a tenant without channels is warned about, and the tenants can be listed."""

import pytest

from invoicing_plugin import channels
from tests.fakes import MemoryChannel, MemoryService

NOWHERE = ("no delivery channel is enabled: finalised invoices go nowhere; "
           "set one with PUT /api/v1/tenant/channels/{name}")


@pytest.fixture
def memory_channel():
    channels.register("memory", lambda settings: MemoryChannel(MemoryService(), dict(settings)))
    yield
    channels._registered.pop("memory", None)


def test_get_tenant_warns_while_finalised_invoices_would_go_nowhere(client, shop, memory_channel):
    admin = shop.auth("admin")
    assert client.get("/api/v1/tenant", headers=admin).json["warnings"] == [NOWHERE]

    channel = {"default": False, "settings": {"password": "right"}}
    assert client.put("/api/v1/tenant/channels/memory", json=channel, headers=admin).status_code == 200
    assert client.get("/api/v1/tenant", headers=admin).json["warnings"] == [
        "no enabled delivery channel is a default: invoices of orders that name no channel go nowhere; "
        "make one the default with PUT /api/v1/tenant/channels/{name}"]

    channel["default"] = True
    assert client.put("/api/v1/tenant/channels/memory", json=channel, headers=admin).status_code == 200
    assert client.get("/api/v1/tenant", headers=admin).json["warnings"] == []


def test_create_tenant_warns_about_missing_channels_above_the_slug(invoke):
    code, lines = invoke("create-tenant", "--name", "Leipomo Oy", "--business-id", "2077474-0")
    assert code == 0
    assert lines[-2].startswith("warning: no delivery channel is enabled: finalised invoices go nowhere")
    assert "invoicing set-channel --tenant leipomo-oy" in lines[-2]
    assert lines[-1] == "leipomo-oy"


def test_list_tenants_shows_slug_name_business_id_and_channels(invoke, memory_channel):
    assert invoke("list-tenants") == (0, ["no tenants yet: create one with `invoicing create-tenant`"])
    invoke("create-tenant", "--name", "Leipomo Oy", "--business-id", "2077474-0")
    invoke("create-tenant", "--name", "Kahvila Oy", "--business-id", "0737546-2")
    assert invoke("set-channel", "--tenant", "kahvila-oy", "--channel", "memory", "--setting", "password=right")[0] == 0

    code, lines = invoke("list-tenants")
    assert code == 0
    assert [line.split() for line in lines] == [
        ["slug", "name", "business", "ID", "channels"],
        ["kahvila-oy", "Kahvila", "Oy", "0737546-2", "memory*"],
        ["leipomo-oy", "Leipomo", "Oy", "2077474-0", "none"],
    ]
