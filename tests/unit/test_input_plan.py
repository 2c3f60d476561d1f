"""The order schemas' planned loading (api/schemas/input.py) gives what marshmallow's own loading gives: the same
validated order, or the same problems under the same field names, in the same order."""

import copy
import json
from datetime import date

import pytest

from invoicing_plugin.api.schemas.input import InputSchema
from invoicing_plugin.api.schemas.orders import OrderRules, parse_order
from invoicing_plugin.domain.errors import ValidationFailed
from invoicing_plugin.domain.vat import FINNISH_DEFAULT_RATES, VatTable
from invoicing_plugin.examples import webshop_order

RULES = OrderRules(vat_table=VatTable(FINNISH_DEFAULT_RATES), series_names=frozenset({"default"}),
                   channel_names=frozenset({"email"}), today=date(2026, 12, 2), default_currency="EUR", max_lines=3)


def changed(change):
    order = copy.deepcopy(webshop_order("WS-1"))
    change(order)
    return order


def _set(path, value):
    def change(order):
        target = order
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


CASES = {
    "valid": changed(lambda order: None),
    "valid with everything": changed(lambda order: order.update(
        source="pos", store_id="S1", terminal_id="T1", cashier="C", currency="SEK", exchange_rate="11.1",
        invoicing={"mode": "queue", "kind": "proforma", "channels": ["email"]}, notes="n", buyer_reference="PO",
        lines=[{**order["lines"][0], "service_period": {"start": "2026-01-01", "end": "2026-01-31"}}])),
    "not an object": [],
    "a JSON number for a decimal": changed(_set(("lines", 0, "quantity"), 3)),
    "bad identifiers and an unknown field": changed(lambda order: (
        order["customer"].update(business_id="123", zz=1), order.update(extra=1, other=2))),
    "required missing, wrong types": changed(lambda order: (
        order.pop("source"), order.update(customer="x", lines="y", prices_include_vat="yes"))),
    "nulls": changed(lambda order: order.update(contact=None, notes=None, lines=[None, order["lines"][0]])),
    "no lines, bad invoicing": changed(lambda order: order.update(
        lines=[], invoicing={"mode": "x", "channels": ["y"]})),
    "too many lines": changed(lambda order: order.update(lines=order["lines"] * 4)),
    "schema-level rules": changed(lambda order: (
        order.update(source="pos", delivery_date="2026-13-01"),
        order["lines"][0].update(vat_rate="24", service_period={"start": "2026-02-01", "end": "2026-01-01"}),
        order["customer"].update(address={"country": "XX"}))),
}


def load(payload):
    try:
        return "loaded", parse_order(payload, RULES)
    except ValidationFailed as failure:
        return "refused", failure.errors


@pytest.mark.parametrize("name", list(CASES))
def test_the_planned_load_gives_what_marshmallow_gives(name, monkeypatch):
    planned = load(CASES[name])
    with monkeypatch.context() as patched:
        patched.setattr(InputSchema, "fast_load", False)
        marshmallows = load(CASES[name])
    assert planned == marshmallows
    assert json.dumps(planned, default=str) == json.dumps(marshmallows, default=str)  # key order too
    assert planned[0] == ("loaded" if name.startswith("valid") else "refused")
