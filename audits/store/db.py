"""Engine helpers: which database, how to connect, and bringing its schema to head.

The schema is owned by Alembic migrations shipped inside the package
(``audits/store/migrations``), so ``ensure_schema`` works from any working directory and for an
installed package.

Writers that must not interleave take a lock for the length of their transaction
(:func:`write_transaction`): on PostgreSQL a transaction-level advisory lock named by a key
(schema creation, one package's load, run recording), on SQLite the database's write lock taken at
``BEGIN IMMEDIATE``. So two commands started at once wait for each other instead of failing with
a raw IntegrityError, and the one that waited finds the work done ("already loaded").
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import (Column, MetaData, PrimaryKeyConstraint, String, Table, create_engine, event, inspect, select,
                        text)
from sqlalchemy.engine import Connection, Engine

from .schema import metadata

DEFAULT_URL = "sqlite:///patuh.db"
SQLITE_WAIT_SECONDS = 600  # how long a SQLite writer waits for another one (a long load) to finish
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def resolve_url(cli_value: str | None = None) -> str:
    """The database URL: ``--db`` value, else env ``PATUH_DB``, else ``sqlite:///patuh.db``."""
    if cli_value:
        return cli_value
    env = os.environ.get("PATUH_DB")
    if env:
        return env
    return DEFAULT_URL


def _normalise(url: str) -> str:
    # A bare postgresql:// URL would pick psycopg2, which is not installed; we use psycopg 3.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def get_engine(url: str | None = None, **kwargs) -> Engine:
    """An Engine for ``url`` (resolved with :func:`resolve_url` when None).

    SQLite: foreign keys are enforced on every connection. PostgreSQL: psycopg 3.
    """
    url = _normalise(resolve_url(url))
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_WAIT_SECONDS)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def alembic_config(engine: Engine | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(f"patuh:{name}".encode()).digest()[:8], "big", signed=True)


def take_lock(conn: Connection, name: str) -> None:
    """Inside the caller's transaction on PostgreSQL: wait for, then hold until commit, the
    advisory lock ``name`` (SQLite has one write lock for the whole database anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(name)})


@contextmanager
def write_transaction(engine: Engine, lock: str) -> Iterator[Connection]:
    """A transaction (committed at the end of the block, rolled back on error) that holds the
    lock ``lock`` from its start: other writers with the same lock wait. On SQLite every such
    transaction takes the one database write lock (``BEGIN IMMEDIATE``): Python's sqlite3 would
    otherwise run DDL outside any transaction, so an interrupted schema creation stayed half done."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            dbapi = conn.connection.driver_connection
            saved = dbapi.isolation_level
            dbapi.isolation_level = None  # no implicit BEGIN/COMMIT: the transaction is ours
            try:
                with conn.begin():
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    yield conn
            finally:
                if dbapi.in_transaction:  # an error before SQLAlchemy saw the transaction
                    dbapi.rollback()
                dbapi.isolation_level = saved
                _after_transaction(conn)
        return
    with engine.connect() as conn:
        try:
            with conn.begin():
                take_lock(conn, lock)
                yield conn
        finally:
            _after_transaction(conn)


def _after_transaction(conn: Connection) -> None:
    """What the transaction's work asked to be done after its end, on its connection, before the
    connection goes back to the pool: e.g. DETACH of a database attached inside it (ahead.py).
    The transaction has ended either way: a step that fails here closes the connection for good
    (the pool opens a new one), so that what it left undone cannot leak into the next use."""
    for fn in conn.info.pop("after_transaction", ()):
        try:
            fn(conn)
        except Exception:  # noqa: BLE001 - the connection is discarded instead
            conn.invalidate()
            return


# The newest migration in migrations/versions: a database stamped with it is at head.
# tests/test_store.py holds it to Alembic's own head, so a new migration cannot be forgotten here.
SCHEMA_HEAD = "0007"
# Alembic's version table, as Alembic itself creates it (alembic.runtime.migration)
_VERSION_TABLE = Table("alembic_version", MetaData(), Column("version_num", String(32), nullable=False),
                       PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))


def ensure_schema(engine: Engine) -> None:
    """Bring ``engine``'s schema to head (idempotent), in one transaction under the ``schema``
    lock: all of it or none of it, one process at a time.

    A database at head (nearly always) is recognised by its version row, without importing
    Alembic (0.12 s) and without the lock, so readers never wait. An empty SQLite database is
    created from the schema's metadata and stamped at head: on SQLite the migrations give exactly
    that schema (tests/test_store.py compares the two, table by table), in a tenth of the time
    (0.02 s against 0.2 s, which every benchmark load paid). Anything else — an older schema,
    PostgreSQL, whose migration 0007 puts triggers where the metadata has foreign keys — is
    migrated by Alembic."""
    with engine.connect() as conn:
        if _revisions(conn) == {SCHEMA_HEAD}:
            return
    with write_transaction(engine, "schema") as conn:
        if _revisions(conn) == {SCHEMA_HEAD}:  # another process got here first
            return
        if conn.dialect.name == "sqlite" and not inspect(conn).get_table_names():
            metadata.create_all(conn)
            _VERSION_TABLE.create(conn)
            conn.execute(_VERSION_TABLE.insert().values(version_num=SCHEMA_HEAD))
            return
        from alembic import command

        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _revisions(conn: Connection) -> set[str]:
    """The revisions the database is stamped with (none for a database Alembic never saw)."""
    if not inspect(conn).has_table(_VERSION_TABLE.name):
        return set()
    return set(conn.execute(select(_VERSION_TABLE.c.version_num)).scalars())
