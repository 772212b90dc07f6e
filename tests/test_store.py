"""Store: migrations give exactly the schema; Money is exact and sums come back as Decimal."""
from __future__ import annotations

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, inspect, select

from patuh.audits.store import schema as s
from patuh.audits.store.db import ensure_schema, get_engine, resolve_url


@pytest.fixture
def engine(db_url):
    eng = get_engine(db_url)
    yield eng
    eng.dispose()


def test_migrating_empty_db_gives_exactly_metadata(engine):
    ensure_schema(engine)
    ensure_schema(engine)  # idempotent
    names = set(inspect(engine).get_table_names())
    assert names == set(s.metadata.tables) | {"alembic_version"}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), s.metadata)
    assert diff == []


def test_money_is_exact_and_sums_are_decimal(engine):
    ensure_schema(engine)
    wages = [Decimal("3054552.50"), Decimal("0.01"), Decimal("99999999999.99"), 7]
    with engine.begin() as conn:
        imp = conn.execute(insert(s.imports).values(package_hash="x" * 64)).inserted_primary_key[0]
        conn.execute(
            insert(s.payroll),
            [
                dict(import_id=imp, src_file="p.csv", src_row=i + 2, employer_id="E", period="2025-01",
                     nik=f"{i:016d}", name="n", employment="pkwtt", wage=w, bpjs_deduction=Decimal("0.1"))
                for i, w in enumerate(wages)
            ],
        )
    with engine.connect() as conn:
        stored = conn.execute(select(s.payroll.c.wage).order_by(s.payroll.c.src_row)).scalars().all()
        assert stored == [Decimal("3054552.50"), Decimal("0.01"), Decimal("99999999999.99"), Decimal(7)]
        assert all(isinstance(v, Decimal) for v in stored)
        total, ded, grouped = conn.execute(
            select(func.sum(s.payroll.c.wage), func.coalesce(func.sum(s.payroll.c.bpjs_deduction), 0), func.max(s.payroll.c.wage))
        ).one()
        assert total == Decimal("100003054559.50") and isinstance(total, Decimal)
        assert ded == Decimal("0.40") and isinstance(ded, Decimal)
        assert grouped == Decimal("99999999999.99")
        by_emp = conn.execute(
            select(s.payroll.c.employer_id, func.sum(s.payroll.c.wage)).group_by(s.payroll.c.employer_id)
        ).one()
        assert by_emp[1] == total and isinstance(by_emp[1], Decimal)


def test_money_rejects_fractions_of_a_sen():
    with pytest.raises(s.MoneyError):
        s.to_sen(Decimal("1.005"))
    assert s.to_sen(Decimal("1.50")) == 150
    assert s.from_sen(150) == Decimal("1.50")


def test_resolve_url(monkeypatch):
    monkeypatch.delenv("PATUH_DB", raising=False)
    assert resolve_url(None) == "sqlite:///patuh.db"
    monkeypatch.setenv("PATUH_DB", "sqlite:///env.db")
    assert resolve_url(None) == "sqlite:///env.db"
    assert resolve_url("sqlite:///cli.db") == "sqlite:///cli.db"
