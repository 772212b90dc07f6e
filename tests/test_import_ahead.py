"""Big tables loaded ahead by forked processes (audits/importer/ahead.py) give what a load in one
process gives: the same rows with the same ids, source rows and stored types; for a broken
package the same errors in the same order; and nothing left behind — no scratch file, no database
still attached to a pooled connection.

Each package is loaded twice into a new SQLite file: with every table ahead that can be
(`AHEAD_FROM_BYTES` 0, `PATUH_LOAD_WORKERS` above the number of tables) and in one process
(`PATUH_LOAD_WORKERS=1`). PostgreSQL always
loads in one process, so these run on SQLite only."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from test_import_columnar import mutated, rewrite
from test_import_fast_store import stored

from patuh.audits.importer import PackageError, ahead, load_package
from patuh.audits.importer.models import SPECS
from patuh.audits.store.db import get_engine

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"
# the demo's tables that can go ahead with no size threshold: all but the key tables and those
# checked against contracts
AHEAD = {p.stem for p in DEMO.glob("*.csv") if p.stem in SPECS and not SPECS[p.stem].contract_refs} - set(ahead.KEY_TABLES)
# the second biggest is loaded ahead by the loading process itself, in a savepoint; children the rest
HERE = sorted(AHEAD, key=lambda name: -(DEMO / f"{name}.csv").stat().st_size)[1]
BY_CHILDREN = AHEAD - {HERE}
MANY = 16  # PATUH_LOAD_WORKERS: more than the tables, so that every one can have its child


@pytest.fixture(autouse=True)
def sqlite_only(db_url):
    if db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL loads in one process (ahead.py): nothing to compare there")


@contextmanager
def store(folder: Path, monkeypatch, workers: int, engine_for=lambda path: get_engine(f"sqlite:///{path}")):
    """A new store in `folder`, loaded into with `workers` processes and every table ahead that can be."""
    folder.mkdir()
    with monkeypatch.context() as m:
        m.setenv("PATUH_LOAD_WORKERS", str(workers))
        m.setattr(ahead, "AHEAD_FROM_BYTES", 0)
        engine = engine_for(folder / "store.db")
        try:
            yield engine
        finally:
            engine.dispose()


def load(pkg: Path, folder: Path, monkeypatch, workers: int) -> tuple:
    with store(folder, monkeypatch, workers) as engine:
        try:
            r = load_package(pkg, engine)
            outcome = ("loaded", r.rows, r.warnings)
            taken = set(r.ahead)
            # a child's own peak memory is reported (the benchmark adds them up); none for this process's
            assert all((how["peak_rss_mb"] is None) == (name == HERE) for name, how in r.ahead.items()), r.ahead
            assert all(how["peak_rss_mb"] is None or how["peak_rss_mb"] > 10 for how in r.ahead.values())
        except PackageError as exc:
            outcome = ("refused", exc.errors, exc.total)
            taken = None
        with engine.connect() as conn:  # the pooled connection the load used: nothing attached is left
            attached = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
        got = stored(engine)
    assert not [a for a in attached if a not in ("main", "temp")], attached
    assert sorted(p.name for p in folder.iterdir()) == ["store.db"]  # no scratch folder left
    return outcome, got, taken


def assert_same(pkg: Path, tmp_path: Path, monkeypatch) -> tuple:
    early = load(pkg, tmp_path / f"{pkg.name}-ahead", monkeypatch, MANY)
    one = load(pkg, tmp_path / f"{pkg.name}-one", monkeypatch, 1)
    assert early[0] == one[0]
    assert early[1] == one[1]
    assert one[2] in (None, set())
    return early[0], early[2]


def test_valid_package_is_loaded_ahead_and_stored_alike(tmp_path, monkeypatch):
    outcome, taken = assert_same(shutil.copytree(DEMO, tmp_path / "demo"), tmp_path, monkeypatch)
    assert outcome[0] == "loaded"
    assert taken == AHEAD


@pytest.mark.parametrize("seed", range(2))
def test_broken_package_gets_the_same_errors_in_the_same_order(tmp_path, monkeypatch, seed):
    outcome, _ = assert_same(mutated(tmp_path / f"m{seed}", seed, rate=0.004), tmp_path, monkeypatch)
    assert outcome[0] == "refused" and outcome[2] > 3


@pytest.mark.parametrize("table", ["payroll", "declarations"])
def test_a_duplicate_key_is_reported_in_its_place(tmp_path, monkeypatch, table):
    """In the table loaded ahead here (rolled back to its savepoint, loaded again in its turn) and
    in a child's (left to the loading process), with an error of another table before it."""
    assert HERE == "declarations" and "payroll" in BY_CHILDREN
    pkg = shutil.copytree(DEMO, tmp_path / f"dup-{table}")
    rewrite(pkg / f"{table}.csv", lambda rows: rows + [rows[5]])

    def unknown(rows):
        rows[2][rows[0].index("employer_id")] = "E-NOBODY"
        return rows

    rewrite(pkg / "participants.csv", unknown)
    outcome, _ = assert_same(pkg, tmp_path, monkeypatch)
    assert outcome[0] == "refused"
    places = [i for i, e in enumerate(outcome[1]) if "already given in row" in e or "E-NOBODY" in e]
    assert len(places) == 2 and "E-NOBODY" in outcome[1][places[0]]


@pytest.mark.parametrize("table", ["payroll", "participants", "declarations"])
def test_an_unknown_employer_is_reported_in_its_turn(tmp_path, monkeypatch, table):
    """A child reads its table before the employers are known: the one unknown employer id is the
    package's only error, and it must still be found (the child's rows are not taken)."""
    pkg = shutil.copytree(DEMO, tmp_path / f"unknown-{table}")

    def unknown(rows):
        rows[3][rows[0].index("employer_id")] = "E-NOBODY"
        return rows

    rewrite(pkg / f"{table}.csv", unknown)
    outcome, _ = assert_same(pkg, tmp_path, monkeypatch)
    assert outcome[0] == "refused" and any("E-NOBODY" in e for e in outcome[1]), outcome


def test_quoted_cells_in_a_childs_table(tmp_path, monkeypatch):
    """A valid table that is not plain CSV (quotes) is read row by row by its child."""
    pkg = shutil.copytree(DEMO, tmp_path / "quoted")

    def quoted(rows):
        rows[2][rows[0].index("name")] = 'Budi "Ucok", S.T.'
        return rows

    rewrite(pkg / "payroll.csv", quoted)
    outcome, taken = assert_same(pkg, tmp_path, monkeypatch)
    assert outcome[0] == "loaded" and taken == AHEAD


def test_no_employers_table_takes_the_childrens_rows_unchecked_as_its_turn_would(tmp_path, monkeypatch):
    pkg = shutil.copytree(DEMO, tmp_path / "no-employers")
    (pkg / "employers.csv").unlink()
    outcome, _ = assert_same(pkg, tmp_path, monkeypatch)
    assert outcome[0] == "refused" and any("employers is missing" in e for e in outcome[1])


def test_a_child_that_dies_leaves_its_table_to_the_loading_process(tmp_path, monkeypatch):
    def dies(*_args):
        os._exit(3)

    monkeypatch.setattr(ahead, "_child", dies)
    outcome, taken = assert_same(shutil.copytree(DEMO, tmp_path / "dies"), tmp_path, monkeypatch)
    assert outcome[0] == "loaded" and taken == {HERE}


def test_a_child_that_fails_leaves_its_table_to_the_loading_process(tmp_path, monkeypatch):
    """An exception in a child (here: no scratch table to write) is not the load's error."""
    monkeypatch.setattr(ahead, "_scratch_table", lambda name: (_ for _ in ()).throw(OSError("no room")))
    outcome, taken = assert_same(shutil.copytree(DEMO, tmp_path / "fails"), tmp_path, monkeypatch)
    assert outcome[0] == "loaded" and taken == {HERE}


def test_a_second_load_into_the_same_store_goes_ahead_again(tmp_path, monkeypatch):
    """The ids of a second import follow the first's, as in one process; the aliases are free again."""
    first = shutil.copytree(DEMO, tmp_path / "first")
    second = shutil.copytree(DEMO, tmp_path / "second")
    rewrite(second / "payroll.csv", lambda rows: rows[:-3])
    got = {}
    for workers in (MANY, 1):
        with store(tmp_path / f"two-{workers}", monkeypatch, workers) as engine:
            taken = [set(load_package(pkg, engine).ahead) for pkg in (first, second)]
            got[workers] = stored(engine)
        assert taken == ([AHEAD, AHEAD] if workers == MANY else [set(), set()])
    assert got[MANY] == got[1]


def test_small_files_and_postgresql_load_in_turn(monkeypatch):
    monkeypatch.setenv("PATUH_LOAD_WORKERS", "1")
    assert ahead.wanted() == 1
    monkeypatch.setenv("PATUH_LOAD_WORKERS", "x")
    with pytest.raises(ValueError, match="PATUH_LOAD_WORKERS"):
        ahead.wanted()
    assert ahead.AHEAD_FROM_BYTES > (DEMO / "payroll.csv").stat().st_size  # the demo loads in one process


def test_a_daemonic_process_does_not_fork(monkeypatch):
    """A load run inside a multiprocessing pool's worker may not have children: it loads alone."""
    import types

    monkeypatch.setenv("PATUH_LOAD_WORKERS", str(MANY))
    assert ahead.wanted() == MANY
    monkeypatch.setattr(ahead.multiprocessing, "current_process", lambda: types.SimpleNamespace(daemon=True))
    assert ahead.wanted() == 1


def test_at_most_the_workers_asked_for(tmp_path, monkeypatch):
    """PATUH_LOAD_WORKERS=2: this process and one child, for the biggest table; the rest in turn."""
    pkg = shutil.copytree(DEMO, tmp_path / "two")
    one_child = load(pkg, tmp_path / "two-ahead", monkeypatch, 2)
    alone = load(pkg, tmp_path / "two-one", monkeypatch, 1)
    assert one_child[:2] == alone[:2]
    biggest = max(AHEAD, key=lambda name: (DEMO / f"{name}.csv").stat().st_size)
    assert one_child[2] == {HERE, biggest}


def test_a_fork_that_fails_leaves_the_load_to_this_process(tmp_path, monkeypatch):
    """No fork, no pipe (EAGAIN, EMFILE): the load goes on in one process, children already
    started are stopped and their folder removed."""
    real = ahead.Ahead._start
    started = []

    def second_fails(self, name, spec, src):
        if started:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        real(self, name, spec, src)
        started.append(self.children[name].process)

    monkeypatch.setattr(ahead.Ahead, "_start", second_fails)
    outcome, taken = assert_same(shutil.copytree(DEMO, tmp_path / "nofork"), tmp_path, monkeypatch)
    assert outcome[0] == "loaded" and taken == set()
    assert started and not any(p.is_alive() for p in started)


def test_a_scratch_file_that_cannot_be_copied_leaves_its_table_to_this_process(tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def unreadable(self, name, path, count):
        raise OperationalError("ATTACH DATABASE", None, Exception("file is not a database"))

    monkeypatch.setattr(ahead.Ahead, "_copy", unreadable)
    outcome, taken = assert_same(shutil.copytree(DEMO, tmp_path / "unreadable"), tmp_path, monkeypatch)
    assert outcome[0] == "loaded" and taken == {HERE}


def test_a_question_mark_in_the_stores_folder(tmp_path, monkeypatch):
    """The children's scratch files beside the store: a folder name with ? is a name, not a query."""
    from sqlalchemy import URL, create_engine

    got = {}
    for workers in (MANY, 1):
        folder = tmp_path / f"q?{workers}"
        with store(folder, monkeypatch, workers,
                   lambda path: create_engine(URL.create("sqlite", database=str(path)))) as engine:
            taken = set(load_package(DEMO, engine).ahead)
            got[workers] = stored(engine)
        assert taken == (AHEAD if workers == MANY else set())
        assert sorted(p.name for p in folder.iterdir()) == ["store.db"]
    assert got[MANY] == got[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q?1", f"q?{MANY}"]  # nothing written beside


KILLED = """
import sys, time
from patuh.audits.importer import ahead, load_package
from patuh.audits.store.db import ensure_schema, get_engine
ahead.AHEAD_FROM_BYTES = 0
slow = ahead._scratch_table
def scratch_table(name):  # the children take their time: the load is killed while they read
    time.sleep(60)
    return slow(name)
ahead._scratch_table = scratch_table
die_with_parent = ahead._die_with_parent
def late(parent):  # the parent is killed before the child asks to die with it: the race, every time
    time.sleep(1.0)
    die_with_parent(parent)
ahead._die_with_parent = late
start = ahead.Ahead._start
def started(self, name, spec, src):
    start(self, name, spec, src)
    print("child", self.children[name].process.pid, flush=True)
ahead.Ahead._start = started
engine = get_engine(sys.argv[1])
ensure_schema(engine)
load_package(sys.argv[2], engine)
print("done", flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie is dead, only not yet reaped by whoever adopted it


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_load_killed_while_its_children_read_takes_them_with_it(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from sqlalchemy import select

    from patuh.audits.store import schema as s

    db = f"sqlite:///{tmp_path / 'store.db'}"
    env = dict(os.environ, PATUH_LOAD_WORKERS=str(MANY))
    proc = subprocess.Popen([sys.executable, "-c", KILLED, db, str(DEMO)], stdout=subprocess.PIPE, text=True, env=env)
    pids = [int(proc.stdout.readline().split()[1]) for _ in BY_CHILDREN]
    assert all(_alive(pid) for pid in pids)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)  # not reading on for a minute for nobody
    engine = get_engine(db)
    with engine.connect() as conn:
        assert conn.execute(select(s.imports.c.import_id)).all() == []
    engine.dispose()


def test_a_failing_step_after_the_transaction_discards_its_connection(tmp_path):
    """write_transaction runs what the work asked for after its end (ahead.py: DETACH); if that
    fails the connection is closed for good, not handed on with a database still attached."""
    from patuh.audits.store.db import ensure_schema, write_transaction

    engine = get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    ensure_schema(engine)
    with write_transaction(engine, "test") as conn:
        conn.exec_driver_sql("ATTACH DATABASE ? AS stray", (str(tmp_path / "stray.db"),))
        conn.info.setdefault("after_transaction", []).append(lambda c: c.exec_driver_sql("DETACH DATABASE nothing"))
    with engine.connect() as conn:
        assert "stray" not in [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
    engine.dispose()


def test_forking_frozen_leaves_what_the_host_froze():
    import gc

    from patuh.audits.forking import frozen

    assert gc.get_freeze_count() == 0
    with frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # thawed after the fork
    gc.freeze()
    try:
        host = gc.get_freeze_count()
        with frozen():
            pass
        assert gc.get_freeze_count() >= host  # what the host froze is still frozen
    finally:
        gc.unfreeze()
