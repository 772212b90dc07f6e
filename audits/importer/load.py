"""Loading a data package into the store: validate while streaming, all or nothing.

Everything happens in ONE transaction: rows are validated as they stream from the files and
inserted in batches; any error anywhere makes the whole load roll back, so the database is
exactly as before (PostgreSQL sequences aside, which are not transactional).

Memory stays nearly flat with the size of payroll: only the small key sets (employer ids, contract
ids), the fast path's memos of distinct cell texts (bounded) and, while a big table is read, one
8-byte hash of its unique key per row (an array, not Python objects) live in Python. Duplicates in the big tables
(payroll, declarations, participants) are found in SQL after their rows are in, within this
import, when those hashes show a repeat (or a collision); with none the query is skipped.

Each row becomes a tuple of database-ready values (``_Table``): for the big tables' CSV files
first through the fast row parser (``fast.py``), which accepts only rows it can take for certain,
and otherwise — always for the other tables and for XLSX — through the pydantic model and the row
checks (``_Table.slow_row``), which are the only source of error messages. A plain CSV file of
payroll, declarations or payments (no quotes, one line a row: ``columnar.py``) is split column-wise
instead, each distinct cell text read once, and only its rows with a refused cell take that row
path. The tuples are written without per-value type processing (``audits/store/bulk.py``).

On SQLite the big CSV tables are read, checked and written into scratch files by forked processes
from the start of the load (``ahead.py``); their rows join the one transaction at their table's
turn, and only when they are exactly what the table's turn would have written.
"""
from __future__ import annotations

import ctypes
import gc
import json
from array import array
import time
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
from pydantic import ValidationError
from sqlalchemy import and_, func, insert, select
from sqlalchemy.engine import Connection, Engine

from patuh.audits.store import schema as s
from patuh.audits.store.db import ensure_schema, write_transaction

from . import columnar
from .ahead import Ahead
from .fast import column_plan, compile_plan
from . import package_yaml
from .fields import FieldError, iso_date, not_utf8, regency_or_province_code, show, text
from .forms import Forms, parse_forms, read_header, row_translator, xlsx_fast
from .models import REQUIRED_TABLES, REQUIRED_WHEN_NPP, SPECS, TableSpec
from .reader import PACKAGE_YAML, Discovery, ReadError, Source, _blank, discover, iter_rows, sha256_file
from patuh.audits.store.bulk import bind_processors, row_writer

ERROR_LIMIT = 200
PER_CAUSE = 10  # errors shown for one cause (file, column, problem) before they are counted only
BATCH = 5000
# The sum of one money column over a package, in Rupiah: with each amount below 10^13
# (fields.MAX_RUPIAH) this keeps every sum the audit forms, times 100, inside a 64-bit integer.
MAX_COLUMN_TOTAL = 5 * 10**14


class PackageError(Exception):
    """The package has errors; nothing was imported. ``errors`` are ready to print; ``total``
    counts every error found, also those only counted."""

    def __init__(self, errors: list[str], total: int | None = None):
        self.errors = list(errors)
        self.total = len(self.errors) if total is None else total
        super().__init__("\n".join(self.errors))


@dataclass
class LoadResult:
    import_id: int
    already_loaded: bool
    rows: dict[str, int]
    warnings: list[str]
    seconds: float
    # tables taken ahead of their turn (ahead.py): the wall seconds of each one's load, and the
    # peak RSS of the forked process that loaded it (None: loaded by this process)
    ahead: dict[str, dict] = field(default_factory=dict)


@dataclass
class _Errors:
    """Errors as they are found. One cause repeated over thousands of rows (a file that is not
    UTF-8, a missing employer, an empty column) is shown PER_CAUSE times and then counted in one
    line, so that the other causes are not pushed out of sight."""

    limit: int = ERROR_LIMIT
    shown: list[str] = field(default_factory=list)
    total: int = 0
    causes: dict = field(default_factory=dict)  # cause -> [count, where]

    def add(self, msg: str, cause=None, where: str | None = None) -> None:
        self.total += 1
        if cause is not None:
            c = self.causes.setdefault(cause, [0, where or str(cause)])
            c[0] += 1
            if c[0] > PER_CAUSE:
                return
        if len(self.shown) < self.limit:
            self.shown.append(msg)

    def __bool__(self) -> bool:
        return self.total > 0

    def final(self) -> list[str]:
        out = list(self.shown)
        counted = 0
        for n, where in self.causes.values():
            if n > PER_CAUSE:
                counted += n - PER_CAUSE
                out.append(f"{where}: the same problem in {n - PER_CAUSE:,} more row(s)")
        rest = self.total - len(self.shown) - counted
        if rest > 0:
            out.append(f"… and {rest:,} more")
        return out

    def error(self) -> "PackageError":
        return PackageError(self.final(), self.total)


@dataclass
class _Meta:
    name: str | None = None
    source: str | None = None
    as_of: date | None = None
    province: str | None = None


def _read_yaml(path: Path, errors: _Errors, warnings: list[str]) -> _Meta:
    meta = _Meta()
    try:
        data = package_yaml.read(path)
    except package_yaml.PackageYamlError as exc:
        errors.add(f"{path.name}: {exc}")
        return meta
    except OSError as exc:
        errors.add(f"{path.name}: cannot be read ({exc.strerror or type(exc).__name__})")
        return meta
    if data is None:
        return meta
    if not isinstance(data, dict):
        errors.add(f"{PACKAGE_YAML}: expected keys name, source, as_of, province")
        return meta
    for key, value in data.items():
        if key in ("format", "tables"):
            continue  # declared forms: read by forms.parse_forms
        if key == "office":
            continue  # the office configuration for letters, read by the audit (docs/letters.md)
        if key not in ("name", "source", "as_of", "province"):
            warnings.append(f"{PACKAGE_YAML}: unknown key {key!r} ignored")
            continue
        if value is None:
            continue
        if isinstance(value, (dict, list, bool)):
            what = "a yes/no value" if isinstance(value, bool) else "not a single value"
            errors.add(f"{PACKAGE_YAML}, key {key}: {show(value)} is {what} — "
                       + ("a date YYYY-MM-DD" if key == "as_of" else
                          "a province code of 2 digits, e.g. \"61\"" if key == "province" else "one line of text")
                       + " expected")
            continue
        try:
            if key == "as_of":
                meta.as_of = iso_date(str(value))
            elif key == "province":
                code = regency_or_province_code(str(value))
                if len(code) != 2:
                    raise FieldError(f"{show(value)} is not a province code — 2 digits expected, e.g. \"61\"")
                meta.province = code
            else:
                setattr(meta, key, text(str(value)).strip() or None)
        except FieldError as exc:
            errors.add(f"{PACKAGE_YAML}, key {key}: {exc}")
    return meta


def package_hash(files: list[tuple[str, str]]) -> str:
    """SHA-256 over the sorted ``name:sha256`` lines of the package's files."""
    import hashlib

    lines = sorted(f"{name}:{digest}" for name, digest in files)
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


def _norm(v):
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return v


def _no_fast_path(rownum: int, cells: list) -> None:
    return None


# A row's unique key -> a number equal for equal keys (tests swap in a colliding one). The keys are
# the tuples' database-ready values, so equal here is equal in the duplicates query's GROUP BY.
key_hash = hash


def _repeats(hashes: array) -> bool:
    """Whether any value occurs twice: sorted in numpy, with no Python object per row."""
    if len(hashes) < 2:
        return False
    ordered = np.sort(np.frombuffer(hashes, dtype=np.int64))
    return bool((ordered[1:] == ordered[:-1]).any())


class _Loader:
    def __init__(self, conn: Connection, import_id: int, errors: _Errors, warnings: list[str], forms: Forms | None = None):
        self.forms = forms or Forms()
        self.conn = conn
        self.import_id = import_id
        self.errors = errors
        self.warnings = warnings
        self.employer_ids: dict[str, int] | None = None  # id -> first row; None = no employers table
        self.contract_ids: dict[str, int] | None = None
        self.npp_row: tuple[str, int] | None = None  # (label, row) of the first employer with an npp
        self.parent_refs: list[tuple[str, int, str]] = []
        self.rows: dict[str, int] = {}
        # key tables that could not be read: rows referring to them are not checked against them
        # (their own error is the one cause; thousands of "not an employer_id" would hide it)
        self.broken: set[str] = set()
        self.parsed: dict = {}  # the fast parsers' memo of cell values, by parser: this load's only

    # -------------------------------------------------------------------------------- per table
    def load(self, spec: TableSpec, src: Source) -> int:
        table = s.DATA_TABLES[spec.name]
        label = src.label
        err = self.errors.add
        if spec.name == "employers":
            self.employer_ids = {}
        elif spec.name == "contracts":
            self.contract_ids = {}

        rows = iter_rows(src, self.warnings.append)
        self.broken.add(spec.name)  # until its rows have been read to the end
        try:
            header_row = next(rows, None)
        except ReadError as exc:
            err(str(exc))
            return 0
        if header_row is None:
            err(f"{label}: empty — a header row with the column names is expected")
            return 0
        _, header = header_row
        bad = next((m for m in (not_utf8(h) for h in header if isinstance(h, str)) if m), None)
        if bad:
            err(f"{label} row 1: {bad}")
            return 0
        form = self.forms.table(spec.name)
        head = read_header(header, spec, form, label, is_csv=src.sheet is None)
        self.warnings.extend(head.warnings)
        for e in head.errors:
            err(e)
        if head.errors:
            return 0
        positions = head.positions

        ctx = _Table(self, spec, src, positions, head.labels)
        slow = ctx.slow_row
        fast = ctx.fast or _no_fast_path
        translate = row_translator(spec, form, head, label, err, ctx.remember_key)
        count = 0
        # money columns (int sen in the tuples) are summed batch by batch, in C (map/filter/sum)
        money = [k for k, c in enumerate(ctx.columns) if c in table.c and isinstance(table.c[c].type, s.Money)]
        totals = [0] * len(money)
        # the hashes of the unique keys written: as many as rows means no two rows share a key,
        # and the duplicates query (the one source of its messages) need not run
        key_of = itemgetter(*[ctx.columns.index(c) for c in spec.unique_sql]) if spec.unique_sql else None
        key_hashes = array("q")  # 8 bytes a row; a set of 3.5 M ints held some 250 MB
        with row_writer(self.conn, table, ctx.columns, constant=len(ctx.base)) as write_rows:

            def write(rows: list[tuple]) -> None:
                for j, k in enumerate(money):
                    totals[j] += sum(filter(None, map(itemgetter(k), rows)))
                if key_of is not None:
                    key_hashes.extend(map(key_hash, map(key_of, rows)))
                write_rows(rows)

            batch: list[tuple] = []
            append = batch.append
            width = len(header)
            by_columns = (translate is None and ctx.plan is not None and spec.row_check is None
                          and columnar.qualifies(src) and columnar.plain_csv(src.path, width))
            try:
                if by_columns:
                    rows.close()  # read column-wise instead (columnar.py): the same rows, the same errors

                    def row_path(rownum: int, cells: list) -> tuple | None:
                        return fast(rownum, cells) or slow(rownum, cells)

                    for block in columnar.row_blocks(src, width, ctx.plan, ctx.base, row_path):
                        count += len(block)
                        write(block)
                else:
                    for rownum, cells in rows:
                        if len(cells) > width and any(not _blank(c) for c in cells[width:]):
                            # an unquoted 3,054,552 splits into three cells: never read it as 3
                            err(f"{label} row {rownum}: {len(cells)} cells but the header has {width} columns" + (
                                " — a comma inside a number or a text? write numbers without separators"
                                " (3054552) and put text with commas in double quotes" if src.sheet is not None
                                or form.format.delimiter == "," else
                                f" — a {form.format.delimiter!r} inside a text? put text holding"
                                f" {form.format.delimiter!r} in double quotes"))
                            continue
                        if translate is not None:
                            cells = translate(rownum, cells)
                            if cells is None:
                                continue
                        row = fast(rownum, cells)
                        if row is None:
                            row = slow(rownum, cells)
                            if row is None:
                                continue
                        append(row)
                        count += 1
                        if len(batch) >= BATCH:
                            write(batch)
                            batch = []
                            append = batch.append
            except ReadError as exc:
                err(str(exc))
            else:
                self.broken.discard(spec.name)
            write(batch)
        self.rows[spec.name] = count
        for j, k in enumerate(money):
            if totals[j] > MAX_COLUMN_TOTAL * 100:
                err(f"{label}, column {ctx.col(ctx.columns[k], ctx.columns[k])}: the amounts add up to more than Rp 500.000.000.000.000"
                    " (5 × 10^14) — not a plausible package; is a column of sen read as Rupiah?")

        if spec.name == "contracts":
            for lbl, rownum, parent in self.parent_refs:
                if parent not in self.contract_ids and "contracts" not in self.broken:
                    err(f'{lbl} row {rownum}, column {ctx.col("parent_contract_id", "parent_contract_id")}:'
                        f' {show(parent)} is not a contract_id in contracts')
        if spec.unique_sql and _repeats(key_hashes):  # a repeated key, or two keys of one hash
            self._duplicates(spec, label, ctx.col)
        return count

    def _duplicates(self, spec: TableSpec, label: str, col=lambda c, default: default) -> None:
        t = s.DATA_TABLES[spec.name]
        keys = [t.c[k] for k in spec.unique_sql]
        g = (
            select(*keys, func.min(t.c.src_row).label("first_row"))
            .where(t.c.import_id == self.import_id)
            .group_by(*keys)
            .having(func.count() > 1)
            .subquery()
        )
        q = (
            select(t.c.src_row, g.c.first_row, *keys)
            .join(g, and_(*[t.c[k] == g.c[k] for k in spec.unique_sql]))
            .where(t.c.import_id == self.import_id, t.c.src_row > g.c.first_row)
            .order_by(t.c.src_row)
        )
        names = ", ".join(spec.unique_sql)
        written = ", ".join(col(k, k) for k in spec.unique_sql)  # as written in the file, and canonical
        for row in self.conn.execute(q):
            values = ", ".join(show(v.isoformat() if isinstance(v, date) else v) for v in row[2:])
            self.errors.add(
                f"{label} row {row.src_row}, columns {written}: {values} already given in row {row.first_row}"
                f" — one row per ({names})"
            )


class _Table:
    """One table being loaded: its columns, where they are in the file, and the per-row checks."""

    def __init__(self, loader: _Loader, spec: TableSpec, src: Source, positions: dict[str, int], labels=None):
        self.loader = loader
        self.col = (labels or {}).get  # column as written in the file (declared forms), for messages
        self.positions = positions
        self.spec = spec
        self.label = src.label
        self.cols = list(positions.items())
        # insert order: bookkeeping columns, then the model's fields (= the table's columns)
        self.fields = list(spec.columns)
        self.columns = ["import_id", "src_file", "src_sheet", "src_row", *self.fields]
        self.base = (loader.import_id, src.file, src.sheet)
        procs = bind_processors(s.DATA_TABLES[spec.name], self.fields, loader.conn.dialect)
        self.procs = list(zip(self.fields, procs))
        self.validate = spec.model.model_validate
        usable = loader.employer_ids is not None and "employers" not in loader.broken
        self.emp_refs = spec.employer_refs if usable else ()
        # without a contracts table every contract reference is unknown: never import it unchecked
        self.con_refs = spec.contract_refs if "contracts" not in loader.broken else ()
        self.keyed = {"employers": ("employer_id", loader.employer_ids), "contracts": ("contract_id", loader.contract_ids)}.get(
            spec.name
        )
        # the fast path (fast.py) for the big tables' CSV files; None = every row through pydantic
        self.plan = column_plan(
            spec, positions, bind_procs=procs, employer_ids=loader.employer_ids, norm=_norm, memo=loader.parsed,
        )
        self.fast = compile_plan(spec, self.plan, self.base) if self.plan is not None else None
        if src.sheet is not None:
            self.fast = xlsx_fast(self.fast, spec, positions)  # typed cells as their CSV text

    def remember_key(self, cells: list) -> None:
        """A row refused before the model ran (declared form): keep its key, as slow_row does."""
        if self.keyed is None:
            return
        kcol, seen = self.keyed
        pos = self.positions.get(kcol)
        k = _norm(cells[pos]) if pos is not None and pos < len(cells) else None
        if isinstance(k, str) and k not in seen:
            seen[k] = 0

    def slow_row(self, rownum: int, cells: list) -> tuple | None:
        """The row through the pydantic model and the row checks: its database-ready tuple, or
        None after reporting its errors."""
        loader = self.loader
        err = loader.errors.add
        label = self.label
        spec = self.spec
        keyed = self.keyed
        n = len(cells)
        for name, i in self.cols:
            raw = cells[i] if i < n else None
            if isinstance(raw, str) and not raw.isascii():
                bad = not_utf8(raw)
                if bad:  # one cause for the whole file: later rows are counted, not each shown
                    err(f"{label} row {rownum}, column {self.col(name, name)}: {bad}", (label, "utf-8"), label)
                    return None
        data = {name: (_norm(cells[i]) if i < n else None) for name, i in self.cols}
        try:
            rec = self.validate(data).__dict__.copy()
        except ValidationError as exc:
            bad_cols = set()
            for e in exc.errors(include_url=False, include_input=False):
                col = e["loc"][0] if e["loc"] else "?"
                bad_cols.add(col)
                msg = e["ctx"]["msg"] if e["type"] == "patuh" else e["msg"]
                where = f"{label}, column {self.col(col, col)}"
                err(f"{label} row {rownum}, column {self.col(col, col)}: {msg}",
                    (label, col, msg.rsplit(" — ", 1)[-1]), where)
            if keyed is not None:
                # The row is broken but its key is fine: remember the key, so rows that
                # refer to it do not each report a second, misleading error.
                kcol, seen = keyed
                k = data.get(kcol)
                if kcol not in bad_cols and isinstance(k, str) and k not in seen:
                    seen[k] = rownum
            return None
        bad = False
        if spec.row_check is not None:
            for col, msg in spec.row_check(rec):
                err(f"{label} row {rownum}, column {self.col(col, col)}: {msg}")
                bad = True
        for col in self.emp_refs:
            v = rec[col]
            if v is not None and v not in loader.employer_ids:
                what = f"{show(v)} is not an employer_id in employers"
                err(f'{label} row {rownum}, column {self.col(col, col)}: {what}', (label, col, "employer", v),
                    f"{label}, column {self.col(col, col)}: {what}")
                bad = True
        for col in self.con_refs:
            v = rec[col]
            if v is not None and v not in (loader.contract_ids or ()):
                why = "" if loader.contract_ids is not None else " — the package has no contracts table"
                what = f"{show(v)} is not a contract_id in contracts{why}"
                err(f'{label} row {rownum}, column {self.col(col, col)}: {what}', (label, col, "contract", v),
                    f"{label}, column {self.col(col, col)}: {what}")
                bad = True
        if keyed is not None:
            kcol, seen = keyed
            k = rec[kcol]
            if k in seen:
                err(f'{label} row {rownum}, column {self.col(kcol, kcol)}: {show(k)} is already given in row {seen[k]}')
                bad = True
            else:
                seen[k] = rownum
        if spec.name == "employers" and rec.get("npp") and loader.npp_row is None:
            loader.npp_row = (label, rownum)
        if spec.name == "contracts" and rec.get("parent_contract_id"):
            loader.parent_refs.append((label, rownum, rec["parent_contract_id"]))
        if bad:
            return None
        return (*self.base, rownum, *[(p(rec[c]) if p is not None else rec[c]) for c, p in self.procs])


def _give_back_memory() -> None:
    """Return the memory a load freed to the system. A big load leaves the C heap fragmented (its
    memos grow while blocks of rows come and go), and the audit's workers, forked next, would each
    carry it: at 3.5 M payroll rows the process held 312 MB after the load, 220 MB after this.
    glibc's malloc_trim; nothing where the C library has none."""
    gc.collect()  # the memos' closures are in reference cycles
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def load_package(path: str | Path, engine: Engine) -> LoadResult:
    """Validate and load the package folder ``path``; all or nothing.

    Returns the new (or, for a package loaded before, the existing) import. Raises
    :class:`PackageError` with every error found (up to 200, then "… and N more").
    """
    t0 = time.perf_counter()
    folder = Path(path)
    if not folder.is_dir():
        raise PackageError(
            [f"{path}: not a folder — a data package is a folder of CSV files and/or one .xlsx workbook"]
        )
    forms = _read_forms(folder)
    d: Discovery = discover(folder, forms.files, forms.sheets)
    for name, src in d.sources.items():
        if src.sheet is None:
            fm = forms.table(name).format
            src.delimiter, src.encoding = fm.delimiter, fm.codec
    d.errors[:0] = forms.errors
    if forms.errors:
        # a declaration that cannot be used would read every file in a form nobody declared: each
        # file's errors would be noise (a ';' hint for a package that declares ';'); say only these
        d.close()
        raise PackageError(d.errors + ["package.yaml: the declaration above must be corrected before the files are read"])
    try:
        return _load(folder, d, engine, t0, forms)
    finally:
        d.close()
        _give_back_memory()


def _read_forms(folder: Path) -> Forms:
    """The declared forms of package.yaml (forms.py); an unreadable file is reported by _read_yaml."""
    try:
        data = package_yaml.read(folder / PACKAGE_YAML)
    except (OSError, package_yaml.PackageYamlError):
        return Forms()
    return parse_forms(data) if isinstance(data, dict) else Forms()


def _load(folder: Path, d: Discovery, engine: Engine, t0: float, forms: Forms | None = None) -> LoadResult:
    errors = _Errors()
    warnings = list(d.warnings)
    for e in d.errors:
        errors.add(e)
    meta = _read_yaml(d.yaml, errors, warnings) if d.yaml else _Meta()

    # big tables read by forked processes from now, while the files are hashed and the store is
    # set up (ahead.py)
    with Ahead(d.sources, SPECS, forms, engine) as early:
        hashes = {p.name: sha256_file(p) for p in d.data_files}
        phash = package_hash(list(hashes.items()))

        ensure_schema(engine)
        with engine.connect() as conn:
            existing = conn.execute(select(s.imports.c.import_id).where(s.imports.c.package_hash == phash)).scalar()
            if existing is not None:
                rows = _count_rows(conn, existing)
                stored = conn.execute(select(s.imports.c.warnings).where(s.imports.c.import_id == existing)).scalar()
                return LoadResult(existing, True, rows, json.loads(stored or "[]"), time.perf_counter() - t0)

        for table in REQUIRED_TABLES:
            if table not in d.sources and table not in d.doubled:
                errors.add(
                    f"package: table {table} is missing — give {table}.csv or a sheet {table} in the workbook"
                )

        # One load of a package at a time: a second `patuh load` of the same package waits here and
        # then finds it loaded, instead of parsing every row to fail on uq_imports_package_hash.
        with write_transaction(engine, f"load:{phash}") as conn:
            existing = conn.execute(select(s.imports.c.import_id).where(s.imports.c.package_hash == phash)).scalar()
            if existing is not None:
                rows = _count_rows(conn, existing)
                stored = conn.execute(select(s.imports.c.warnings).where(s.imports.c.import_id == existing)).scalar()
                return LoadResult(existing, True, rows, json.loads(stored or "[]"), time.perf_counter() - t0)
            import_id = conn.execute(
                insert(s.imports).values(
                    package_hash=phash,
                    name=meta.name,
                    source=meta.source,
                    as_of=meta.as_of,
                    province=meta.province,
                    loaded_at=datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0),
                )
            ).inserted_primary_key[0]
            loader = _Loader(conn, import_id, errors, warnings, forms)
            early.attach(loader)
            for name, spec in SPECS.items():
                src = d.sources.get(name)
                if src is not None and not early.take(spec, src):
                    loader.load(spec, src)
                early.passed(name)
            if loader.npp_row is not None:
                lbl, rownum = loader.npp_row
                for table in REQUIRED_WHEN_NPP:
                    if table not in d.sources and table not in d.doubled:
                        errors.add(
                            f"package: table {table} is missing — it is required because an employer has an npp"
                            f" ({lbl} row {rownum}); give {table}.csv or a sheet {table} in the workbook"
                        )
            if errors:
                raise errors.error()  # leaving the block rolls everything back

            file_rows = []
            for name, digest in sorted(hashes.items()):
                srcs = [x for x in d.sources.values() if x.file == name]
                if not srcs:
                    file_rows.append(dict(import_id=import_id, file=name, sheet=None, sha256=digest, rows=None))
                for src in sorted(srcs, key=lambda x: x.table):
                    file_rows.append(
                        dict(import_id=import_id, file=name, sheet=src.sheet, sha256=digest, rows=loader.rows.get(src.table, 0))
                    )
            conn.execute(insert(s.import_files), file_rows)
            conn.execute(
                s.imports.update().where(s.imports.c.import_id == import_id).values(warnings=json.dumps(warnings))
            )
            _refresh_statistics(conn, [name for name, n in loader.rows.items() if n])
    return LoadResult(import_id, False, dict(loader.rows), warnings, time.perf_counter() - t0, dict(early.taken_how))


def _refresh_statistics(conn: Connection, tables: list[str]) -> None:
    """PostgreSQL: the planner's statistics of the tables just loaded, in the load's transaction.
    Without them the audit that follows a load (before autovacuum has looked) chose worse plans:
    10.5 s against 8.8-9.0 s for one process at 350,000 payroll rows, for about 0.4 s here
    (docs/performance.md). SQLite plans well without statistics (its queries are written so)."""
    if conn.dialect.name == "postgresql" and tables:
        prep = conn.dialect.identifier_preparer
        conn.exec_driver_sql("ANALYZE " + ", ".join(prep.format_table(s.DATA_TABLES[t]) for t in sorted(tables)))


def _count_rows(conn: Connection, import_id: int) -> dict[str, int]:
    out = {}
    for name, t in s.DATA_TABLES.items():
        n = conn.execute(select(func.count()).select_from(t).where(t.c.import_id == import_id)).scalar()
        if n:
            out[name] = n
    return out
