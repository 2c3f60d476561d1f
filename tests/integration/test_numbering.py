"""Invoice numbers are gapless and strictly increasing per (tenant, series), under any concurrency (DESIGN §5)."""

import multiprocessing
import uuid

import pytest
from sqlalchemy import select

from invoicing_plugin.api.schemas.orders import OrderRules, parse_order
from invoicing_plugin.db import Invoice, NumberSeries, Tenant
from invoicing_plugin.db.engine import make_engine, make_session_factory
from invoicing_plugin.services import audit, intake, invoices, tenants
from invoicing_plugin.services.actors import cli_actor
from invoicing_plugin.services.commands import SubmitOrder
from invoicing_plugin.services.unit_of_work import Database
from tests.conftest import make_shop, order_payload


def finalise_many(database_url: str, tenant_id: str, worker: int, count: int) -> list[str]:
    """One process: `count` orders finalised at once, each in its own transaction, through the services."""
    engine = make_engine(database_url)
    db = Database(make_session_factory(engine))
    actor = cli_actor(uuid.UUID(tenant_id))
    numbers = []
    for i in range(count):
        payload = order_payload(f"P{worker}-{i}")
        rules = db.read(lambda session: _rules(session, session.get(Tenant, actor.tenant_id)))
        command = SubmitOrder.from_validated(parse_order(payload, rules), intake.order_fingerprint(payload))
        numbers.append(intake.submit_order(db, actor, command).invoice.number)
    engine.dispose()
    return numbers


def _rules(session, tenant):
    rules = tenants.tenant_rules(session, tenant)
    return OrderRules(rules.vat_table, rules.series_names, frozenset(), invoices.tenant_today(tenant), "EUR", 500)


@pytest.mark.slow
def test_eight_processes_finalising_200_invoices_each_get_1_to_1600(app, database_url, engine_name, session):
    shop, bystander = make_shop(app), make_shop(app, "Sivullinen Oy", "2077474-0")
    finalise_many(database_url, str(bystander.tenant_id), 0, 1)
    processes, per_process = (8, 200) if engine_name == "postgresql" else (4, 50)

    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(finalise_many,
                               [(database_url, str(shop.tenant_id), w, per_process) for w in range(processes)])

    total = processes * per_process
    numbers = sorted(int(n) for batch in results for n in batch)
    assert numbers == list(range(1, total + 1))
    stored = session.scalars(select(Invoice.sequence_number).where(Invoice.tenant_id == shop.tenant_id)).all()
    assert sorted(stored) == list(range(1, total + 1))
    references = session.scalars(select(Invoice.reference).where(Invoice.tenant_id == shop.tenant_id)).all()
    assert len(set(references)) == total
    # The other tenant's series is untouched.
    assert session.scalars(select(Invoice.number).where(Invoice.tenant_id == bystander.tenant_id)).all() == ["1"]
    assert session.scalars(select(NumberSeries.next_number).where(
        NumberSeries.tenant_id == bystander.tenant_id, NumberSeries.name == "default")).one() == 2


def test_a_failed_finalisation_gives_its_number_back(client, shop, monkeypatch, session):
    assert client.post("/api/v1/orders", json=order_payload("A"), headers=shop.auth()).json["invoice"]["number"] == "1"

    original = audit.record

    def crash_after_numbering(db, actor, action, *args, **kwargs):
        if action == "invoice.finalized":
            raise RuntimeError("power cut after the number was taken")
        return original(db, actor, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", crash_after_numbering)
    crashed = client.post("/api/v1/orders", json=order_payload("B"), headers=shop.auth())
    assert crashed.status_code == 500 and "incident" in crashed.json["detail"]
    monkeypatch.setattr(audit, "record", original)

    assert client.post("/api/v1/orders", json=order_payload("B"), headers=shop.auth()).json["invoice"]["number"] == "2"
    assert sorted(session.scalars(select(Invoice.number))) == ["1", "2"]


def test_series_are_counted_separately(client, shop):
    admin = shop.auth("admin")
    response = client.put("/api/v1/tenant/number-series/export", json={"prefix": "EX-", "next_number": 5000},
                          headers=admin)
    assert response.status_code == 200, response.json
    export = client.post("/api/v1/orders", json=order_payload("E-1", invoicing={"mode": "immediate",
                                                                                  "series": "export"}),
                         headers=shop.auth()).json["invoice"]
    domestic = client.post("/api/v1/orders", json=order_payload("D-1"), headers=shop.auth()).json["invoice"]
    assert export["number"] == "EX-5000" and export["reference"].startswith("2")
    assert domestic["number"] == "1" and domestic["reference"].startswith("1")
    refused = client.put("/api/v1/tenant/number-series/export", json={"next_number": 9000}, headers=admin)
    assert refused.status_code == 409
