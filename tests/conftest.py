"""Shared fixtures. ``db_url``: a fresh, empty database for one test.

SQLite in tmp_path by default. With ``PATUH_TEST_DB`` set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) that database is used after dropping all
patuh tables and ``alembic_version``, so each test starts empty.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text


@pytest.fixture
def db_url(tmp_path):
    url = os.environ.get("PATUH_TEST_DB")
    if not url:
        yield f"sqlite:///{tmp_path / 'patuh.db'}"
        return
    from patuh.audits.store.schema import metadata

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()
    yield url
