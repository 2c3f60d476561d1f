"""The benchmark's WSGI app: the product, plus a baseline endpoint that inserts one row with the same stack."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import Blueprint, jsonify, request
from sqlalchemy import DateTime, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from invoicing_plugin import create_app
from invoicing_plugin.api.context import authenticate, current_actor, end_transaction
from invoicing_plugin.db.engine import unit_of_work
from invoicing_plugin.plugin import current_session


class BenchBase(DeclarativeBase):
    metadata = MetaData()


class BenchRow(BenchBase):
    __tablename__ = "bench_rows"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    note: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_baseline_table(engine) -> None:
    BenchBase.metadata.create_all(engine)


baseline = Blueprint("bench", __name__, url_prefix="/bench")
baseline.before_request(authenticate)
baseline.teardown_request(end_transaction)


@baseline.post("/baseline")
def insert_one_row():
    """Same work shape as an order, minus the invoicing: auth, parse JSON, one INSERT, commit, JSON out."""
    payload = request.get_json()
    session = current_session()
    row = BenchRow(tenant_id=current_actor().tenant_id, note=payload["note"][:100], created_at=datetime.now(UTC))
    with unit_of_work(session):
        session.add(row)
    return jsonify({"id": str(row.id), "note": row.note}), 201


app = create_app()
app.register_blueprint(baseline)
