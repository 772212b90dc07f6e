"""PostgreSQL-only checks: the same package gives the same findings on PostgreSQL as on SQLite.

Every other database test already runs on PostgreSQL when PATUH_TEST_DB is set (CI sets it);
these are skipped, saying so, when no server URL is given."""
import os
from pathlib import Path

import pytest

from patuh.audits.audit import run_audit
from patuh.audits.importer import load_package
from patuh.audits.store.db import get_engine

MINI = Path(__file__).resolve().parent / "data" / "mini"
PG = os.environ.get("PATUH_TEST_DB", "")

pytestmark = pytest.mark.skipif(
    not PG.startswith("postgresql"),
    reason="no PostgreSQL server URL given (set PATUH_TEST_DB=postgresql+psycopg://postgres@127.0.0.1:5432/test)",
)


def _findings(url):
    engine = get_engine(url)
    r = run_audit(engine, load_package(MINI, engine).import_id)
    return engine, sorted((f.finding_id, f.category, f.amount, f.late_fee, f.message) for f in r.findings)


def test_postgres_and_sqlite_agree(db_url, tmp_path):
    engine, on_pg = _findings(db_url)
    assert engine.dialect.name == "postgresql"
    _, on_sqlite = _findings(f"sqlite:///{tmp_path / 'x.db'}")
    assert on_pg == on_sqlite and on_pg


def test_a_load_leaves_the_planner_statistics_of_the_tables_it_filled(db_url):
    """The audit that follows a load runs before autovacuum has looked: the load ANALYZEs the
    tables it filled (load._refresh_statistics), so the planner knows their size."""
    from sqlalchemy import text

    engine = get_engine(db_url)
    load_package(MINI, engine)
    with engine.connect() as conn:
        tuples = dict(conn.execute(text(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN ('payroll', 'declarations', 'employers')")).all())
    # a table never analysed (nor vacuumed) has reltuples -1 on PostgreSQL 14 and later
    assert set(tuples) == {"payroll", "declarations", "employers"} and all(n > 0 for n in tuples.values()), tuples
