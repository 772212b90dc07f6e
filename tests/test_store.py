"""Store: migrations give exactly the schema; Money is exact and sums come back as Decimal."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Date, func, insert, inspect, select

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
    if engine.dialect.name == "postgresql":
        # migration 0007: these four references are checked by statement triggers instead
        # (test_import_references_are_enforced below holds them to the same rules)
        assert sorted((d[0], d[1].parent.name) for d in diff) == [("add_fk", t) for t in sorted(BIG_TABLES)]  # metadata has them, the database not
    else:
        assert diff == []


BIG_TABLES = ("participants", "declarations", "payments", "payroll")


def _alembic_upgrade(conn, revision: str) -> None:
    """Alembic's own upgrade to `revision`, on `conn` (in its transaction)."""
    from alembic import command

    from patuh.audits.store.db import alembic_config

    cfg = alembic_config(conn.engine)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def test_schema_head_is_alembics_head():
    """ensure_schema knows head without Alembic: a new migration must move SCHEMA_HEAD too."""
    from alembic.script import ScriptDirectory

    from patuh.audits.store.db import SCHEMA_HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [SCHEMA_HEAD]


def _sqlite_schema(path) -> dict:
    """What SQLite holds of a database's schema, table by table: columns (name, type, not null,
    default, key), indexes with their columns, foreign keys — not the DDL's spacing."""
    import sqlite3

    con = sqlite3.connect(path)
    out = {}
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        indexes = {}
        for _seq, name, unique, origin, partial in con.execute(f"PRAGMA index_list('{table}')"):
            cols = [r[2] for r in con.execute(f"PRAGMA index_xinfo('{name}')") if r[5]]
            indexes[name] = (unique, origin, partial, cols)
        out[table] = (con.execute(f"PRAGMA table_xinfo('{table}')").fetchall(), indexes,
                      sorted(con.execute(f"PRAGMA foreign_key_list('{table}')").fetchall()))
    con.execute("PRAGMA integrity_check")
    con.close()
    return out


def test_empty_sqlite_created_at_head_is_the_migrated_schema(tmp_path):
    """An empty SQLite store is created from the metadata and stamped, not migrated: it must be
    what the migrations give, to the column, index and foreign key, and Alembic must see it at head
    (a later migration then starts from it)."""
    from alembic.runtime.migration import MigrationContext

    from patuh.audits.store.db import SCHEMA_HEAD

    migrated, created = tmp_path / "migrated.db", tmp_path / "created.db"
    eng = get_engine(f"sqlite:///{migrated}")
    with eng.begin() as conn:
        _alembic_upgrade(conn, "head")
    eng.dispose()
    eng = get_engine(f"sqlite:///{created}")
    ensure_schema(eng)
    with eng.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == (SCHEMA_HEAD,)
    with eng.begin() as conn:  # nothing left to migrate: Alembic agrees it is at head
        _alembic_upgrade(conn, "head")
    eng.dispose()
    expected, got = _sqlite_schema(migrated), _sqlite_schema(created)
    assert set(got) == set(s.metadata.tables) | {"alembic_version"}
    assert got == expected


def test_a_store_below_head_is_migrated_not_recreated(tmp_path):
    """A store stamped at an older revision keeps its rows and is brought to head by Alembic."""
    from patuh.audits.store.db import SCHEMA_HEAD

    eng = get_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with eng.begin() as conn:
        _alembic_upgrade(conn, "0005")
        conn.execute(insert(s.imports).values(package_hash="o" * 64))
    ensure_schema(eng)
    with eng.connect() as conn:
        assert conn.execute(select(s.imports.c.package_hash)).scalars().all() == ["o" * 64]
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [SCHEMA_HEAD]
    eng.dispose()
    assert _sqlite_schema(tmp_path / "old.db") == _sqlite_schema_at_head(tmp_path)


def _sqlite_schema_at_head(tmp_path):
    eng = get_engine(f"sqlite:///{tmp_path / 'head.db'}")
    ensure_schema(eng)
    eng.dispose()
    return _sqlite_schema(tmp_path / "head.db")


def test_import_references_are_enforced(engine):
    """Data rows name an import that exists, and an import still named cannot go: the foreign keys
    on SQLite, on PostgreSQL the triggers of migration 0007 for the four big tables, including rows
    written by the loader's COPY."""
    from sqlalchemy.exc import IntegrityError

    from patuh.audits.store.bulk import row_writer

    ensure_schema(engine)
    row = dict(src_file="p.csv", src_row=2, employer_id="E", period="2025-01", nik="1" * 16, name="n",
               employment="pkwtt", wage=Decimal(1), bpjs_deduction=Decimal(0))
    with engine.begin() as conn:
        imp = conn.execute(insert(s.imports).values(package_hash="r" * 64)).inserted_primary_key[0]
        conn.execute(insert(s.payroll), [dict(row, import_id=imp)])
    for t in BIG_TABLES:  # through SQLAlchemy, to an import that is not there
        values = {c.name: row.get(c.name, dt.date(2025, 1, 1) if isinstance(c.type, Date) else "x")
                  for c in s.DATA_TABLES[t].c if c.name not in ("row_id",) and not c.nullable}
        values.update(import_id=imp + 1, src_file="p.csv", src_row=2)
        for c in s.DATA_TABLES[t].c:
            if isinstance(c.type, s.Money):
                values[c.name] = Decimal(1)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(s.DATA_TABLES[t]), [values])
    # through the loader's writer (COPY on PostgreSQL), to an import that is not there
    columns = ["import_id", "src_file", "src_sheet", "src_row", "employer_id", "period", "nik", "name",
               "employment", "wage", "bpjs_deduction"]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        with row_writer(conn, s.payroll, columns, constant=3) as write:
            write([(imp + 1, "p.csv", None, 3, "E", "2025-01", "2" * 16, "n", "pkwtt", 100, 0)])
    with pytest.raises(IntegrityError), engine.begin() as conn:  # renumbering an import still named
        conn.execute(s.imports.update().where(s.imports.c.import_id == imp).values(import_id=imp + 1))
    with pytest.raises(IntegrityError), engine.begin() as conn:  # pointing a row elsewhere
        conn.execute(s.payroll.update().values(import_id=imp + 1))
    with pytest.raises(IntegrityError), engine.begin() as conn:  # deleting it
        conn.execute(s.imports.delete().where(s.imports.c.import_id == imp))
    if engine.dialect.name == "postgresql":
        with pytest.raises(IntegrityError), engine.begin() as conn:  # CASCADE follows foreign keys only
            conn.exec_driver_sql("TRUNCATE imports CASCADE")
        with engine.begin() as conn:  # as NO ACTION: checked at the end of the statement
            conn.exec_driver_sql("WITH d AS (DELETE FROM payroll RETURNING import_id)"
                                 " DELETE FROM imports WHERE import_id IN (SELECT import_id FROM d)")
            assert conn.execute(select(func.count()).select_from(s.imports)).scalar() == 0
        return
    with engine.begin() as conn:  # once nothing names it, it can go
        conn.execute(s.payroll.delete())
        conn.execute(s.imports.delete().where(s.imports.c.import_id == imp))
        assert conn.execute(select(func.count()).select_from(s.imports)).scalar() == 0


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


def test_migration_0007_up_and_down_keeps_rows_and_the_rule(engine):
    """A store at 0006 with loaded rows, migrated to head and back: the rows stay, and at each end
    an import still named by a payroll row cannot be deleted (triggers at head on PostgreSQL, the
    foreign key at 0006 and on SQLite)."""
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    from patuh.audits.store.db import alembic_config

    def migrate(how, revision):
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            how(cfg, revision)

    def refused_delete():
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(s.imports.delete())

    migrate(command.upgrade, "0006")
    with engine.begin() as conn:
        imp = conn.execute(insert(s.imports).values(package_hash="m" * 64)).inserted_primary_key[0]
        conn.execute(insert(s.payroll), [dict(import_id=imp, src_file="p.csv", src_row=2, employer_id="E", period="2025-01",
                                              nik="1" * 16, name="n", employment="pkwtt", wage=Decimal(5), bpjs_deduction=Decimal(0))])
    ensure_schema(engine)
    refused_delete()
    migrate(command.downgrade, "0006")
    refused_delete()
    with engine.connect() as conn:
        assert conn.execute(select(s.payroll.c.wage)).scalars().all() == [Decimal(5)]
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), s.metadata)
    assert diff == []  # the foreign keys are back
