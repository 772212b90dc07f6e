"""Issue 10, crashes and concurrency: a schema created all at once, a load killed at several points
leaves the database as it was, two loads and two audits of one package at once both succeed.

Run against PostgreSQL too with PATUH_TEST_DB (see conftest.py). ``pytest -s`` prints what each
kill found.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from patuh.audits.importer import load_package
from patuh.audits.store import schema as s
from patuh.audits.store.db import ensure_schema, get_engine

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and subprocesses")

KILL_SCHEMA = """
import os, sys
from sqlalchemy import event
from patuh.audits.store.db import get_engine, ensure_schema
engine = get_engine(sys.argv[1])
seen = [0]
@event.listens_for(engine, "before_cursor_execute")
def die(conn, cursor, statement, params, context, many):
    if statement.lstrip().upper().startswith("CREATE TABLE"):
        seen[0] += 1
        if seen[0] == int(sys.argv[2]):
            os.kill(os.getpid(), 9)
ensure_schema(engine)
"""


LOAD = """
import sys
from patuh.audits.importer import load_package
from patuh.audits.store.db import ensure_schema, get_engine
engine = get_engine(sys.argv[1])
ensure_schema(engine)
print("ready", flush=True)
load_package(sys.argv[2], engine)
print("done", flush=True)
"""


def _clear(engine) -> None:
    with engine.begin() as conn:
        for t in reversed(s.metadata.sorted_tables):
            if "import_id" in t.c and t.name != "imports":
                conn.execute(t.delete())
        conn.execute(s.imports.delete())


def _load_child(db_url: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", LOAD, db_url, str(DEMO)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"  # interpreter started, schema there: the load begins
    return proc


def patuh(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "patuh.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def content(engine, import_id: int) -> dict[str, tuple[int, str]]:
    """Per data table: (rows, sha256 of its rows in a fixed order), bookkeeping ids left out."""
    out = {}
    with engine.connect() as conn:
        for name, t in s.DATA_TABLES.items():
            cols = [c for c in t.columns if c.name not in ("row_id", "import_id")]
            rows = conn.execute(select(*cols).where(t.c.import_id == import_id)
                                .order_by(t.c.src_file, t.c.src_row)).all()
            out[name] = (len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest())
    return out


@pytest.fixture(scope="module")
def clean_load(tmp_path_factory):
    """The demo loaded once into a fresh SQLite database: what every reload must equal."""
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.db'}")
    r = load_package(DEMO, engine)
    got = content(engine, r.import_id)
    engine.dispose()
    return got


@pytest.mark.parametrize("nth", [1, 4, 12])
def test_schema_creation_killed_half_way_leaves_no_table(db_url, nth):
    res = subprocess.run([sys.executable, "-c", KILL_SCHEMA, db_url, str(nth)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == -9, res.stderr
    engine = get_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []  # all of the schema, or none of it
        ensure_schema(engine)  # and the next command creates it without "table imports already exists"
        assert {"imports", "payroll", "runs", "alembic_version"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_load_killed_at_several_points_leaves_the_database_intact(db_url, clean_load):
    engine = get_engine(db_url)
    ensure_schema(engine)
    report = []
    try:
        # how long the load itself takes here, from "ready" to "done"
        proc = _load_child(db_url)
        t0 = time.perf_counter()
        assert proc.stdout.readline().strip() == "done", proc.stderr.read()
        full = time.perf_counter() - t0
        proc.wait(timeout=60)
        _clear(engine)
        for fraction in (0.05, 0.2, 0.4, 0.6, 0.8, 0.95):
            proc = _load_child(db_url)
            time.sleep(fraction * full)
            killed = proc.poll() is None
            if killed:
                proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=120)
            with engine.connect() as conn:
                ids = conn.execute(select(s.imports.c.import_id)).scalars().all()
            # intact: no import, or one complete import (never a partial one)
            assert len(ids) <= 1
            if ids:
                assert content(engine, ids[0]) == clean_load
            state = "killed during the load" if killed and "done" not in out else "had finished"
            report.append(f"kill at {fraction:.0%} of {full:.2f} s: {state}, imports afterwards {len(ids)}")
            if ids:  # start the next round from an empty store
                _clear(engine)
        # and a load after all that equals a clean load
        r = load_package(DEMO, engine)
        assert not r.already_loaded and content(engine, r.import_id) == clean_load
    finally:
        engine.dispose()
    print(f"\n[{engine.dialect.name}] " + "\n".join(report))
    assert sum("killed during the load" in line for line in report) >= 3


def test_two_loads_at_once_give_one_import(db_url, clean_load):
    procs = [patuh("load", str(DEMO), "--db", db_url) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    outs = [o for o, _ in results]
    assert sum("already loaded as import" in o for o in outs) == 1, outs
    engine = get_engine(db_url)
    try:
        with engine.connect() as conn:
            ids = conn.execute(select(s.imports.c.import_id)).scalars().all()
        assert len(ids) == 1 and content(engine, ids[0]) == clean_load
    finally:
        engine.dispose()


def test_two_audits_of_one_package_at_once(db_url, tmp_path):
    """On a new database: both create the schema, load and record the run at the same moment."""
    procs = [patuh("audit", str(DEMO), "--out", str(tmp_path / f"out{i}"), "--db", db_url, "--no-pdf")
             for i in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-2000:] for _, e in results]
    assert not any("Traceback" in e or "IntegrityError" in e for _, e in results)
    engine = get_engine(db_url)
    try:
        with engine.connect() as conn:
            assert len(conn.execute(select(s.imports.c.import_id)).all()) == 1
            assert len(conn.execute(select(s.runs.c.run_id)).all()) == 1
    finally:
        engine.dispose()
    a, b = ((tmp_path / f"out{i}" / "findings.csv").read_bytes() for i in range(2))
    assert a == b
