"""Big tables loaded ahead, on SQLite: read, checked and written by forked processes while this
process loads the other tables, then copied into the store in their turn.

A load is one SQLite transaction, and SQLite takes one writer: the loading process worked on one
core while the other waited (docs/performance.md). Handing parsed rows back to it cost what the
parsing saved (pickling 350,000 tuples), but SQLite copies rows from another database file in C:
`INSERT … SELECT` of 350,000 payroll rows, indexes included, takes about a quarter of what binding
them from Python takes. So a big CSV table (payroll, declarations, participants, payments) is
loaded by a forked child — the very `_Loader.load`, with the same key sets — into a scratch
SQLite file of its own, and at the table's turn this process attaches that file and copies the
rows in, in their order, inside the load's transaction. The rows, their ids and their order in the
store are those of a load in one process.

Only a clean table is taken from a child: if the child found any error (a cell, a key, a
duplicate, a sum), or failed in any way, this process loads that table itself in its turn, so
every error is reported as — and where — it always was. Nothing is taken from a child but rows it
wrote, its row count and its warnings.

Not ahead: employers and contracts (other tables are checked against their keys, so they load
first), XLSX sheets (one open workbook for all of them), files under `AHEAD_FROM_BYTES`, and
PostgreSQL (its COPY is already fast, and its server does the work on its own core).
`PATUH_LOAD_WORKERS=1` keeps the whole load in one process.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from patuh.audits.store import schema as s

from . import columnar
from .models import TableSpec
from .reader import Source

# A table whose file is smaller than this is loaded in its turn: a fork and a scratch file cost
# some 20 ms, about what 30,000 rows of checking cost.
AHEAD_FROM_BYTES = 1 << 20
NICE = 5
KEY_TABLES = ("employers", "contracts")  # other tables' references are checked against these


def wanted() -> bool:
    """Whether this machine and PATUH_LOAD_WORKERS allow loading tables in forked processes."""
    env = os.environ.get("PATUH_LOAD_WORKERS", "").strip()
    if env:
        try:
            if int(env) <= 1:
                return False
        except ValueError:
            raise ValueError(f"PATUH_LOAD_WORKERS={env!r}: give a whole number (1: load in one process)") from None
    elif (os.cpu_count() or 1) < 2:
        return False
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


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
    """The big tables of one load that forked children load ahead. Use:

        with Ahead(loader, sources, SPECS) as early:
            for name, spec in SPECS.items():
                src = sources.get(name)
                if src is not None and not early.take(spec, src):
                    loader.load(spec, src)
                early.passed(name)
    """

    def __init__(self, loader, sources: dict[str, Source], specs: dict[str, TableSpec]):
        self.loader = loader
        self.conn: Connection = loader.conn
        self.waiting: dict[str, tuple[TableSpec, Source]] = {}
        self.children: dict[str, _Child] = {}
        self.here: dict[str, tuple[int, list[str], float]] = {}  # loaded here ahead of its turn, cleanly
        self.done: set[str] = set()  # tables whose turn has passed
        self.taken: list[str] = []  # tables whose rows came from a child
        self.seconds: dict[str, float] = {}  # per table taken: the child's own wall time
        self.dir: Path | None = None
        if self.conn.dialect.name != "sqlite" or not wanted():
            return
        for name, spec in specs.items():
            src = sources.get(name)
            if src is None or name in KEY_TABLES or src.sheet is not None:
                continue
            try:
                size = src.path.stat().st_size
            except OSError:
                continue  # its own turn reports it
            big = size >= AHEAD_FROM_BYTES
            if big:
                self.waiting[name] = (spec, src, size)

    def __enter__(self) -> "Ahead":
        if self.waiting and any(columnar.qualifies(src) for _spec, src, _size in self.waiting.values()):
            columnar.arrow()  # imported once here, not once in each child
        self.passed(None)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ in the loading process
    def passed(self, name: str | None) -> None:
        """The table `name` has had its turn: start the children whose tables depend on nothing
        still to come."""
        if name is not None:
            self.done.add(name)
        ready = [(size, table, spec, src) for table, (spec, src, size) in self.waiting.items()
                 if _depends_on(spec) <= self.done]
        if not ready:
            return
        ready.sort(key=lambda r: (-r[0], r[1]))
        for _, table, spec, src in ready:
            del self.waiting[table]
        # the biggest is loaded here and now, while the children load the others: straight into the
        # store it costs less than a child's scratch file and a copy, and this process has nothing
        # else to do until their turns
        for _, table, spec, src in ready[1:]:
            self._start(table, spec, src)
        self._load_here(*ready[0][1:])

    def _start(self, name: str, spec: TableSpec, src: Source) -> None:
        """A forked child loads the table into a scratch file of its own."""
        if self.dir is None:
            db = self.conn.engine.url.database
            here = Path(db).resolve().parent if db and db != ":memory:" and not db.startswith("file:") else None
            self.dir = Path(tempfile.mkdtemp(prefix="patuh-load-", dir=here))
        path = self.dir / f"{name}.sqlite"
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_child, args=(self.loader, spec, src, path, send), daemon=True,
                              name=f"patuh-load-{name}")
        # what the child inherits is never collected there: a collection in the child would walk
        # (and so copy, page by page) the parent's objects: the children took 0.07-0.08 s more CPU each
        gc.freeze()
        try:
            process.start()
        finally:
            gc.unfreeze()
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
        or it found errors)."""
        if spec.name in self.here:
            count, warnings, seconds = self.here.pop(spec.name)
            self.loader.rows[spec.name] = count
            self.loader.warnings.extend(warnings)
            self.taken.append(spec.name)
            self.seconds[spec.name] = seconds
            return True
        child = self.children.pop(spec.name, None)
        if child is None:
            return False
        try:
            outcome = child.results.recv()
        except EOFError:  # died without a word (killed, out of memory): load the table here
            outcome = ("failed", "no result")
        finally:
            child.results.close()
            child.process.join()
        if outcome[0] != "ok" or outcome[2]:  # failed, or errors: this process finds them again
            return False
        _, count, _errors, warnings, seconds = outcome
        self._copy(spec.name, child.path, count)
        self.loader.rows[spec.name] = count
        self.loader.warnings.extend(warnings)
        self.taken.append(spec.name)
        self.seconds[spec.name] = seconds
        return True

    def _copy(self, name: str, path: Path, count: int) -> None:
        conn = self.conn
        prep = conn.dialect.identifier_preparer
        table = s.DATA_TABLES[name]
        columns = ", ".join(prep.quote(c.name) for c in table.columns if not c.primary_key)
        alias = f"patuh_ahead_{name}"
        # ATTACH may run inside the load's transaction, DETACH may not: it waits for its end
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {alias}", (str(path),))
        conn.info.setdefault("after_transaction", []).append(lambda c: c.exec_driver_sql(f"DETACH DATABASE {alias}"))
        copied = conn.exec_driver_sql(
            f"INSERT INTO main.{prep.format_table(table)} ({columns}) "
            f"SELECT {columns} FROM {alias}.{prep.format_table(table)} ORDER BY {prep.quote('row_id')}"
        ).rowcount
        if copied != count:
            raise RuntimeError(f"{name}: {copied} rows copied from the loading process of the table, which wrote {count}")

    def close(self) -> None:
        """Stop children still running (the load failed before their turn) and remove their files."""
        for child in self.children.values():
            if child.process.is_alive():
                child.process.terminate()
            child.process.join()
            child.results.close()
        self.children.clear()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)  # an attached file is freed at DETACH


# ------------------------------------------------------------------------------ in the child
def _child(loader, spec: TableSpec, src: Source, path: Path, send) -> None:
    """The table loaded into its scratch file by the loader's own code, with the key sets and
    state the loader had when it forked. The parent's connection, inherited with its open
    transaction, is never touched: the child uses its own and ends with os._exit."""
    from .load import _Errors

    t = time.perf_counter()
    try:
        os.nice(NICE)
        engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=OFF")  # a scratch file: no journal, no sync
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            _scratch_table(spec.name).create(conn)
            loader.conn = conn
            loader.errors = _Errors()
            before = len(loader.warnings)
            count = loader.load(spec, src)
            conn.commit()
        send.send(("ok", count, loader.errors.total, loader.warnings[before:], time.perf_counter() - t))
    except BaseException:  # noqa: BLE001 - any failure: the parent loads the table itself
        send.send(("failed", traceback.format_exc()))
    finally:
        send.close()
