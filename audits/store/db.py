"""Engine helpers: which database, how to connect, and bringing its schema to head.

The schema is owned by Alembic migrations shipped inside the package
(``audits/store/migrations``), so ``ensure_schema`` works from any working directory and for an
installed package.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

DEFAULT_URL = "sqlite:///patuh.db"
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
    engine = create_engine(_normalise(resolve_url(url)), **kwargs)
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


def ensure_schema(engine: Engine) -> None:
    """Run the Alembic migrations up to head on ``engine`` (idempotent)."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
