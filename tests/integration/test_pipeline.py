"""A pipelined unit of work keeps every guarantee of a plain one: reads see the writes before them, a failed
deferred write fails the commit and writes nothing, and the connection leaves pipeline mode with its
transaction."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from invoicing_plugin import plugin_state
from invoicing_plugin.db import AuditEvent, IdempotencyRecord
from invoicing_plugin.services import audit
from invoicing_plugin.services.actors import cli_actor
from invoicing_plugin.services.rows import ROWS_PER_INSERT, NewRow, insert_new


def key_row(shop, key: str) -> NewRow:
    return NewRow(tenant_id=shop.tenant_id, scope="", key=key, request="POST /x", fingerprint="f",
                  created_at=datetime.now(UTC))


def keys_of(app, shop) -> int:
    with plugin_state(app).session_factory() as session:
        return session.scalar(select(func.count()).select_from(IdempotencyRecord)
                              .where(IdempotencyRecord.tenant_id == shop.tenant_id))


def pipeline_on(session) -> bool:
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return False
    return bool(connection.connection.driver_connection.pgconn.pipeline_status)


def test_a_read_after_deferred_writes_sees_them(app, shop, engine_name):
    def work(session):
        insert_new(session, IdempotencyRecord, [key_row(shop, "a"), key_row(shop, "b")])
        insert_new(session, IdempotencyRecord, [key_row(shop, "c")])
        assert pipeline_on(session) == (engine_name == "postgresql")
        return session.scalar(select(func.count()).select_from(IdempotencyRecord)
                              .where(IdempotencyRecord.tenant_id == shop.tenant_id))

    assert plugin_state(app).database.run(work, pipelined=True) == 3
    assert keys_of(app, shop) == 3


def test_a_deferred_write_that_breaks_a_unique_key_fails_the_commit_and_nothing_is_written(app, shop):
    actor = cli_actor(shop.tenant_id)
    entity = uuid.uuid4()

    def work(session):
        insert_new(session, IdempotencyRecord, [key_row(shop, "first")])
        insert_new(session, IdempotencyRecord, [key_row(shop, "twice")])
        insert_new(session, IdempotencyRecord, [key_row(shop, "twice")])  # the unique (tenant, scope, key)
        audit.record(session, actor, "test.written", "test", entity)  # deferred too, after the failed one

    with pytest.raises(IntegrityError):
        plugin_state(app).database.run(work, pipelined=True, attempts=1)
    assert keys_of(app, shop) == 0
    with plugin_state(app).session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.entity_id == str(entity))) == 0


def test_the_connection_leaves_pipeline_mode_with_its_transaction(app, shop):
    state = plugin_state(app)
    state.database.run(lambda session: insert_new(session, IdempotencyRecord, [key_row(shop, "k")]), pipelined=True)
    with pytest.raises(IntegrityError):
        state.database.run(lambda session: insert_new(session, IdempotencyRecord, [key_row(shop, "k")]),
                           pipelined=True, attempts=1)

    def plain(session):
        assert not pipeline_on(session)  # the same pooled connection, after a commit and after a rollback
        return session.scalar(select(func.count()).select_from(IdempotencyRecord)
                              .where(IdempotencyRecord.tenant_id == shop.tenant_id))

    assert state.database.run(plain) == 1


def test_a_pipelined_insert_stores_what_a_plain_one_stores(app, shop):
    """The pipelined INSERT goes to the driver's cursor (services/rows.py): the same SQL, bind processing
    (JSON null for None, UTC times) and column defaults as SQLAlchemy's own execution of it."""
    state = plugin_state(app)
    actor = cli_actor(shop.tenant_id)
    entities = {True: uuid.uuid4(), False: uuid.uuid4()}

    def work(pipelined):
        def write(session):
            audit.record(session, actor, "test.written", "test", entities[pipelined], after={"a": "1"})
            insert_new(session, IdempotencyRecord, [NewRow(  # scope and created_at left to their defaults
                tenant_id=shop.tenant_id, key=f"defaults-{pipelined}", request="POST /x", fingerprint="f")])
        return write

    for pipelined in (True, False):
        state.database.run(work(pipelined), pipelined=pipelined)
    with state.session_factory() as session:
        events = {pipelined: session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.before, AuditEvent.after,
                   AuditEvent.before.is_(None)).where(AuditEvent.entity_id == str(entity))).one()
            for pipelined, entity in entities.items()}
        keys = {pipelined: session.execute(
            select(IdempotencyRecord.scope, IdempotencyRecord.created_at)
            .where(IdempotencyRecord.key == f"defaults-{pipelined}")).one() for pipelined in entities}
    assert events[True] == events[False]
    assert keys[True].scope == keys[False].scope == ""
    assert abs(keys[True].created_at - keys[False].created_at).total_seconds() < 60


def test_rows_beyond_one_multi_row_insert_are_all_written(app, shop):
    count = ROWS_PER_INSERT * 2 + 3  # two full statements and a shorter one
    plugin_state(app).database.run(lambda session: insert_new(
        session, IdempotencyRecord, [key_row(shop, f"many-{i}") for i in range(count)]), pipelined=True)
    assert keys_of(app, shop) == count
