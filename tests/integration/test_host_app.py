"""A good guest in a host app: the plugin hooks only its own sessions, leaves the host's error pages alone,
and takes its callbacks under a prefix the host chooses."""

import json

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from invoicing_plugin import InvoicingPlugin, create_app, plugin_state
from invoicing_plugin.db import AuditEvent
from invoicing_plugin.db.engine import normalize_url
from invoicing_plugin.services import audit
from tests.conftest import make_shop, order_payload
from webhooks.signing import signed_headers


def audit_rows(app) -> int:
    with plugin_state(app).session_factory() as db:
        return db.scalar(select(func.count()).select_from(AuditEvent))


def test_a_host_session_commit_runs_none_of_the_plugins_listeners(database_url):
    # The host's Flask-SQLAlchemy works on the very database of the plugin, so that a listener of the
    # plugin running on the host's commit would show up as an audit row.
    host = Flask("webshop")
    host.config["SQLALCHEMY_DATABASE_URI"] = normalize_url(database_url)
    db = SQLAlchemy(host)
    InvoicingPlugin(host, {"INVOICING_DATABASE_URL": database_url})
    shop = make_shop(host)
    before = audit_rows(host)

    assert not event.contains(Session, "before_commit", audit._write_pending)
    assert not event.contains(Session, "after_soft_rollback", audit._forget_pending)
    with host.app_context():
        pending = {"tenant_id": shop.tenant_id, "occurred_at": None, "actor": "host", "action": "host.thing",
                   "entity_type": "thing", "entity_id": "1", "before": None, "after": None}
        db.session.info[audit._PENDING] = [pending]
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        assert db.session.info[audit._PENDING] == [pending]  # nobody took it
        db.session.info.clear()
    assert audit_rows(host) == before

    # The plugin's own sessions still keep their audit trail.
    created = host.test_client().post("/api/v1/orders", json=order_payload(), headers=shop.auth())
    assert created.status_code == 201
    assert audit_rows(host) > before
    plugin_state(host).engine.dispose()
    with host.app_context():
        db.engine.dispose()


def test_the_host_keeps_error_pages_it_registers_after_mounting_the_plugin(database_url):
    host = Flask("webshop")

    @host.post("/cart")
    def cart():
        return "<p>added</p>"

    InvoicingPlugin(host, {"INVOICING_DATABASE_URL": database_url})

    @host.errorhandler(404)
    def not_found(_error):
        return "<h1>The shop has no such page</h1>", 404

    @host.errorhandler(405)
    def not_allowed(_error):
        return "<h1>Use the cart button</h1>", 405

    client = host.test_client()
    assert client.get("/no-such-page").data == b"<h1>The shop has no such page</h1>"
    assert client.get("/cart").data == b"<h1>Use the cart button</h1>"
    assert client.get("/api/v1x").data == b"<h1>The shop has no such page</h1>"  # not under our prefix
    missing = client.get("/api/v1/no-such-thing")
    assert (missing.status_code, missing.mimetype) == (404, "application/problem+json")
    assert missing.json["instance"] == "/api/v1/no-such-thing"
    wrong_method = client.delete("/api/v1/orders")
    assert (wrong_method.status_code, wrong_method.mimetype) == (405, "application/problem+json")
    assert "POST" in wrong_method.headers["Allow"]
    assert client.get("/webhooks/nothing").mimetype == "application/problem+json"
    plugin_state(host).engine.dispose()


def test_callbacks_are_taken_under_the_configured_prefix(database_url):
    app = create_app({"INVOICING_DATABASE_URL": database_url, "INVOICING_WEBHOOKS_PREFIX": "/hooks/invoicing"})
    shop = make_shop(app)
    client = app.test_client()
    secret = client.post("/api/v1/tenant/inbound-webhooks/generic", headers=shop.auth("admin")).json
    assert secret["url"] == f"/hooks/invoicing/generic/{shop.slug}"
    body = json.dumps({"id": "evt-1", "type": "invoice.sent", "created_at": "2026-11-20T10:00:00Z",
                       "data": {"invoice_number": "404"}}).encode()
    headers = {**signed_headers(secret["secret"], body), "Content-Type": "application/json"}

    assert client.post(secret["url"], data=body, headers=headers).status_code == 200
    assert client.post(f"/webhooks/generic/{shop.slug}", data=body, headers=headers).status_code == 404
    plugin_state(app).engine.dispose()
