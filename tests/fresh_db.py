"""An empty store for a test: a new SQLite file in the test's own folder, or, with ``PATUH_TEST_DB``
set (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), that database after dropping all
patuh tables and ``alembic_version``."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, text


def empty(url: str) -> None:
    from patuh.audits.store.schema import metadata

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            if conn.dialect.name == "postgresql":  # migration 0007's trigger functions
                conn.execute(text("DROP FUNCTION IF EXISTS patuh_rows_name_an_import, patuh_import_still_named CASCADE"))
    finally:
        engine.dispose()


def fresh_db_url(folder: Path) -> str:
    url = os.environ.get("PATUH_TEST_DB")
    if not url:
        return f"sqlite:///{Path(folder) / 'patuh.db'}"
    empty(url)
    return url
