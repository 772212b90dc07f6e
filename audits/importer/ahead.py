"""Big tables loaded ahead, on SQLite: read, checked and written by forked processes while this
process sets up the store and loads the other tables, then copied into the store in their turn.

A load is one SQLite transaction, and SQLite takes one writer: the loading process worked on one
core while the other waited (docs/performance.md). Handing parsed rows back to it cost what the
parsing saved (pickling 350,000 tuples), but SQLite copies rows from another database file in C:
`INSERT … SELECT` of 350,000 payroll rows, indexes included, takes about a quarter of what binding
them from Python takes. So a big CSV table (payroll, participants, payments) is loaded by a
forked child — the loader's own `_Loader.load` — into a scratch SQLite file, and at the table's
turn this process attaches that file and copies the rows in, in their order, with the import's id,
inside the load's transaction. The second biggest (declarations) this process loads itself as soon
as the employers are in, in a savepoint: straight into the store it costs less than a scratch file
and a copy, and the process would otherwise only wait. The rows, their ids and their order in the
store are those of a load in one process.

The children start before the store is even opened, so they do not know the employers: each reads
its table as a package without an employers table would be read, and says which employer ids it
names. Its rows are taken only if it found no error at all (a cell, a key, a duplicate, a sum)
and every employer id it names is one of the package's employers — then the table, read in its
turn, would have found none either. Otherwise, or if the child failed in any way, this process
loads the table itself in its turn, so every error is reported as — and where — it always was.
Nothing is taken from a child but the rows it wrote, their count and its warnings.

Not ahead: employers and contracts (other tables are checked against them), tables that refer to
contracts, XLSX sheets (one open workbook for all of them), files under `AHEAD_FROM_BYTES`, and
PostgreSQL (its COPY is already fast, and its server does the work on its own core).
`PATUH_LOAD_WORKERS=N` caps the processes loading at once (this one and N − 1 children: the
smallest tables beyond that load in their turn); `1` keeps the whole load in one process, as does
a daemonic process (it may not fork) or a fork, pipe or folder that cannot be made. A package
already in the store is found after its files are hashed: its children are stopped then (some
0.1 s of their work lost).
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, create_engine
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from patuh.audits.forking import can_fork, frozen, processes_asked
from patuh.audits.store import schema as s

from . import columnar
from .models import TableSpec
from .reader import Source

# A table whose file is smaller than this is loaded in its turn: a fork and a scratch file cost
# some 20 ms, about what 30,000 rows of checking cost.
AHEAD_FROM_BYTES = 1 << 20
NICE = 5
KEY_TABLES = ("employers", "contracts")  # other tables' references are checked against these


def wanted() -> int:
    """How many processes may load at once (this one and its children): 1 keeps the load in this
    process. PATUH_LOAD_WORKERS=N sets it; unset, one child per big table on a machine of two
    or more CPUs. Always 1 in a daemonic process (it may not fork) and where there is no fork."""
    n = processes_asked("PATUH_LOAD_WORKERS", "load in one process")
    if n is None:
        n = len(s.DATA_TABLES) + 1 if (os.cpu_count() or 1) >= 2 else 1
    return n if can_fork() else 1


def _depends_on(spec: TableSpec) -> set[str]:
    return ({"employers"} if spec.employer_refs else set()) | ({"contracts"} if spec.contract_refs else set())


def _scratch_table(name: str) -> Table:
    """The store's table with its columns and their types (so SQLite stores each value as the
    store would), without its indexes and references: a scratch copy, written once, read once."""
    t = s.DATA_TABLES[name]
    return Table(t.name, MetaData(), *[Column(c.name, c.type, primary_key=c.primary_key) for c in t.columns])


@dataclass
class _Child:
    process: multiprocessing.process.BaseProcess
    results: object  # the read end of the pipe
    path: Path


class Ahead:
    """The big tables of one load taken ahead of their turn. Use:

        with Ahead(sources, SPECS, forms, engine) as early:    # children start here
            ... set up the store, begin the load's transaction, make the loader ...
            early.attach(loader)
            for name, spec in SPECS.items():
                src = sources.get(name)
                if src is not None and not early.take(spec, src):
                    loader.load(spec, src)
                early.passed(name)
    """

    def __init__(self, sources: dict[str, Source], specs: dict[str, TableSpec], forms, engine):
        self.loader = None
        self.conn: Connection | None = None
        self.forms = forms
        self.children: dict[str, _Child] = {}
        self.mine: tuple[str, TableSpec, Source] | None = None  # the table this process loads ahead
        self.here: dict[str, tuple[int, list[str], float]] = {}  # loaded here ahead of its turn, cleanly
        self.done: set[str] = set()  # tables whose turn has passed
        # per table taken ahead of its turn: its load's wall time, and a child's own peak RSS (None:
        # loaded by this process)
        self.taken_how: dict[str, dict] = {}
        self.dir: Path | None = None
        workers = wanted() if engine.dialect.name == "sqlite" else 1
        if workers == 1:
            return
        big = []
        for name, spec in specs.items():
            src = sources.get(name)
            if src is None or name in KEY_TABLES or src.sheet is not None or spec.contract_refs:
                continue
            try:
                size = src.path.stat().st_size
            except OSError:
                continue  # its own turn reports it
            if size >= AHEAD_FROM_BYTES:
                big.append((size, name, spec, src))
        if not big:
            return
        big.sort(key=lambda b: (-b[0], b[1]))
        # This process loads the second biggest itself once the employers are in; the biggest goes
        # to a child, which starts now and has the longest start on the setting up of the store
        # (350k payroll rows: 1.75-2.15 s against 1.94-2.47 s of load with this process on the biggest)
        self.mine = big.pop(1 if len(big) > 1 else 0)[1:]
        big = big[:workers - 1]  # the smallest beyond the limit load in their turn
        try:
            if big:
                db = engine.url.database
                near = Path(db).resolve().parent if db and db != ":memory:" and not db.startswith("file:") else None
                self.dir = Path(tempfile.mkdtemp(prefix="patuh-load-", dir=near))
                if any(columnar.qualifies(src) for *_, src in big):
                    columnar.arrow()  # imported once here, not once in each child
            for _, name, spec, src in big:
                self._start(name, spec, src)
        except Exception:  # noqa: BLE001 - no fork, no pipe, no folder: the load goes on in one process
            self.close()
            self.mine = None
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "Ahead":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ in the loading process
    def attach(self, loader) -> None:
        """The load's own loader, in the load's transaction: from now on tables can be taken."""
        self.loader, self.conn = loader, loader.conn
        self.passed(None)

    def passed(self, name: str | None) -> None:
        """The table `name` has had its turn: load this process's own table ahead once the tables
        it is checked against are in."""
        if name is not None:
            self.done.add(name)
        if self.mine is not None and self.loader is not None and _depends_on(self.mine[1]) <= self.done:
            mine, self.mine = self.mine, None
            self._load_here(*mine)

    def _start(self, name: str, spec: TableSpec, src: Source) -> None:
        """A forked child loads the table into a scratch file of its own."""
        path = self.dir / f"{name}.sqlite"
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_child, args=(spec, src, self.forms, path, send, os.getpid()), daemon=True,
                              name=f"patuh-load-{name}")
        try:
            with frozen():
                process.start()
        except BaseException:
            receive.close()
            raise
        finally:
            send.close()  # the child's end: its exit closes the pipe, so a child that died is noticed
        self.children[name] = _Child(process, receive, path)

    def _load_here(self, name: str, spec: TableSpec, src: Source) -> None:
        """The table loaded before its turn by this process, in a savepoint, with errors and
        warnings of its own: kept if it found no error (its warnings wait for its turn), else rolled
        back, to be loaded again in its turn, where its errors take their place among the others'."""
        from .load import _Errors

        loader = self.loader
        errors, warnings = loader.errors, loader.warnings
        loader.errors, loader.warnings = _Errors(), []
        t = time.perf_counter()
        savepoint = self.conn.begin_nested()
        try:
            count = loader.load(spec, src)
            clean = not loader.errors
        finally:
            mine = loader.warnings
            loader.errors, loader.warnings = errors, warnings
            loader.rows.pop(name, None)  # set again in its turn, so the tables stay in their order
        if clean:
            savepoint.commit()
            self.here[name] = (count, mine, time.perf_counter() - t)
        else:
            savepoint.rollback()
            loader.broken.discard(name)

    def take(self, spec: TableSpec, src: Source) -> bool:
        """At the table's turn: True when its rows are in the store already — loaded cleanly ahead
        here, or by a child and now copied in; False when this process must load it now (no child,
        or it found errors, or it names an employer that is not one)."""
        if spec.name in self.here:
            count, warnings, seconds = self.here.pop(spec.name)
            return self._taken(spec.name, count, warnings, seconds, None)
        child = self.children.pop(spec.name, None)
        if child is None:
            return False
        try:
            outcome = child.results.recv()
        except EOFError:  # died without a word (killed, out of memory): load the table here
            outcome = ("failed", "no result")
        except BaseException:  # interrupted while waiting: the child does not read on
            child.process.terminate()
            raise
        finally:
            child.results.close()
            child.process.join()
        if outcome[0] != "ok":
            return False
        _, count, errors, warnings, seconds, named, peak_mb = outcome
        if errors or not self._employers_known(spec, named):
            return False  # this process finds them again, in its turn
        try:
            self._copy(spec.name, child.path, count)
        except DBAPIError:  # a scratch file that cannot be read: the table is loaded here, in its turn
            return False
        return self._taken(spec.name, count, warnings, seconds, peak_mb)

    def _employers_known(self, spec: TableSpec, named: set[str]) -> bool:
        """Whether the table, read in its turn, would have found every employer id it names: those
        it names are all the package's employers, or (no employers table, or a broken one) its
        turn would not check them either."""
        loader = self.loader
        if not spec.employer_refs or loader.employer_ids is None or "employers" in loader.broken:
            return True
        return named <= loader.employer_ids.keys()

    def _taken(self, name: str, count: int, warnings: list[str], seconds: float, peak_mb: float | None) -> bool:
        self.loader.rows[name] = count
        self.loader.warnings.extend(warnings)
        self.taken_how[name] = {"seconds": seconds, "peak_rss_mb": peak_mb}
        return True

    def _copy(self, name: str, path: Path, count: int) -> None:
        conn = self.conn
        prep = conn.dialect.identifier_preparer
        table = s.DATA_TABLES[name]
        columns = [prep.quote(c.name) for c in table.columns if not c.primary_key]
        # the child did not know the import's id: its rows get it here
        values = ["?" if c.name == "import_id" else prep.quote(c.name) for c in table.columns if not c.primary_key]
        alias = f"patuh_ahead_{name}"
        # ATTACH may run inside the load's transaction, DETACH may not: it waits for its end (asked
        # for first, so that no interruption can leave the file attached to a pooled connection)
        conn.info.setdefault("after_transaction", []).append(lambda c: _detach(c, alias))
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {alias}", (str(path),))
        copied = conn.exec_driver_sql(
            f"INSERT INTO main.{prep.format_table(table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {alias}.{prep.format_table(table)} ORDER BY {prep.quote('row_id')}",
            (self.loader.import_id,),
        ).rowcount
        if copied != count:
            raise RuntimeError(f"{name}: {copied} rows copied from the loading process of the table, which wrote {count}")

    def close(self) -> None:
        """Stop children still running (the load failed, or found the package loaded, before their
        turn) and remove their files."""
        for child in self.children.values():
            if child.process.is_alive():
                child.process.terminate()
            child.process.join()
            child.results.close()
        self.children.clear()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)  # an attached file is freed at DETACH


def _detach(conn: Connection, alias: str) -> None:
    if alias in [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]:
        conn.exec_driver_sql(f"DETACH DATABASE {alias}")


# ------------------------------------------------------------------------------ in the child
def _child(spec: TableSpec, src: Source, forms, path: Path, send, parent: int) -> None:
    """The table loaded into its scratch file by a loader of its own, as in a package without an
    employers table (the import's id a placeholder), and the employer ids its rows name. Whatever
    connection the parent had is never touched: the child uses its own and ends with os._exit."""
    from .load import _Errors, _Loader

    t = time.perf_counter()
    try:
        _die_with_parent(parent)
        os.nice(NICE)
        engine = create_engine(URL.create("sqlite", database=str(path)), poolclass=NullPool)  # a ? in a folder name stays a name
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=OFF")  # a scratch file: no journal, no sync
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            _scratch_table(spec.name).create(conn)
            loader = _Loader(conn, 0, _Errors(), [], forms)
            count = loader.load(spec, src)
            conn.commit()
            named = set()
            for col in spec.employer_refs:
                named.update(conn.exec_driver_sql(
                    f'SELECT DISTINCT "{col}" FROM "{spec.name}" WHERE "{col}" IS NOT NULL').scalars())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
        send.send(("ok", count, loader.errors.total, loader.warnings, time.perf_counter() - t, named, peak_mb))
    except BaseException:  # noqa: BLE001 - any failure: the parent loads the table itself
        send.send(("failed", traceback.format_exc()))
    finally:
        send.close()


def _die_with_parent(parent: int) -> None:
    """Linux: the child is killed when the loading process dies (kill -9 of a load), instead of
    reading on for nobody. Its scratch folder is then left beside the store (patuh-load-*).
    A parent that died between the fork and this call sent no signal: then the child has been
    adopted by another process already, and ends here."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)
