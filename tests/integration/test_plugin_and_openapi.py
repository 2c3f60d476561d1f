"""The plugin mounts into a host shop application, and the API describes itself (OpenAPI 3)."""

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from invoicing_plugin import InvoicingPlugin
from tests.conftest import make_shop, order_payload


def host_app(database_url, tmp_path):
    """A tiny web shop with its own Flask-SQLAlchemy database, its own pages and its own 404 page."""
    app = Flask("webshop")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    db = SQLAlchemy(app)

    class Product(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(50))

    @app.get("/")
    def front_page():
        return f"<h1>Shop with {db.session.query(Product).count()} products</h1>"

    @app.errorhandler(404)
    def not_found(_error):
        return "<h1>The shop has no such page</h1>", 404

    with app.app_context():
        db.create_all()
    InvoicingPlugin(app, {"INVOICING_DATABASE_URL": database_url})
    return app


def test_a_host_shop_with_its_own_database_mounts_the_plugin(database_url, tmp_path):
    app = host_app(database_url, tmp_path)
    shop = make_shop(app)
    client = app.test_client()

    assert client.get("/").data == b"<h1>Shop with 0 products</h1>"
    created = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth())
    assert created.status_code == 201 and created.json["invoice"]["number"] == "1"
    # The host keeps its own error pages; the API keeps problem details.
    assert client.get("/no-such-page").data == b"<h1>The shop has no such page</h1>"
    api_missing = client.get("/api/v1/no-such-thing", headers=shop.auth())
    assert api_missing.status_code == 404 and api_missing.mimetype == "application/problem+json"


def test_the_openapi_document_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/orders", "/api/v1/invoices", "/api/v1/invoices/{invoice_id}/finalize",
            "/api/v1/invoices/{invoice_id}/discard", "/api/v1/tenant", "/api/v1/api-keys"} <= set(spec["paths"])
    post_order = spec["paths"]["/api/v1/orders"]["post"]
    assert {"200", "201", "409", "422"} <= set(post_order["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in post_order["parameters"])
    order_schema = spec["components"]["schemas"]["Order"]
    assert {"source", "external_id", "customer", "lines"} <= set(order_schema["required"])
    line = spec["components"]["schemas"]["OrderLine"]["properties"]["unit_price"]
    assert line["type"] == "string" and line["format"] == "decimal"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_docs_page_is_served_without_a_key(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and b"swagger" in response.data.lower()
