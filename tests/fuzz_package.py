"""A seeded mutator over a data package, and the invariants every mutant must keep (issue 10).

Each mutant is the package with one to three hostile edits (bytes inserted, deleted or cut off,
lines doubled, cells replaced by values that broke patuh before, headers renamed, package.yaml
twisted, file names changed). Loading it must end in one of two ways:

- a clean error: PackageError whose every message names a file of the package (or the package),
  and nothing written to the database; counted as "rejected with row" when a message names a row;
- a load whose rows equal the source: per table as many rows as the file has data rows, and each
  stored value what the cell says (read here independently with the csv module).

Anything else (another exception, a partial write, a loaded value that differs) is a crash.

    .venv/bin/python tests/fuzz_package.py --mutants 2000 --seed 7 [--package DIR] [--db URL]
"""
from __future__ import annotations

import argparse
import csv
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import func, select

from patuh.audits.importer import PackageError, load_package
from patuh.audits.importer import fields as f
from patuh.audits.importer.models import SPECS
from patuh.audits.store import schema as s
from patuh.audits.store.db import ensure_schema, get_engine

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini"

BYTES = [b'"', b",", b"\n", b"\r", b"\r\n", b"\x00", b"\x1b[2J", b"\xe9", b"\xff\xfe", b";", b" ", b"\t",
         "٢".encode(), "２".encode(), "\u202e".encode(), b"\x85", b"\xc2\x85", b"-", b"=", b"\xef\xbb\xbf"]
CELLS = ["", " ", "-1", "1e5", "٢٠٢٥-01", "２０２５-01-01", "9999-12", "0000-01", "2101-01", "1999-12-31",
         "99999999999999999999", "12345678901234567", "1234567890123456", "9999999999999.99", "3.054.552",
         "3,054,552", "Rp 3.054.552,-", "NaN", "Infinity", "=HYPERLINK(\"x\")", "+62", "@SUM(1)", "x" * 2000,
         "E" * 150, "a\u202eb", "2025-02-30", "2025-13", '"', '""', "E001", "E999", "\x00", "na\x1bme", "0",
         "2025-06-30", "2025-01", "6171010101900001", "pkwtt", "JKK;JKM", "JKK;;X", "1.005", "0.5", "00000000000001"]
YAML = ["as_of: 2025-06-30\nas_of: 2025-01-31\n", "a: &a [x, x]\nb: [*a, *a]\n", "as_of: 2025-02-30\n",
        "province: [61, 62]\n", "as_of: 9999-12-31\n", "name: [\n", "name: \"\\x1b[2J\"\n", "{}", "- 1\n",
        "province: 6100\n", "as_of: 2025-06-30\nprovince: '61'\nname: ok\n", "source: !!python/object:os.system x\n"]


@dataclass
class Tally:
    mutants: int = 0
    rejected_with_row: int = 0
    rejected_without_row: int = 0
    accepted: int = 0
    crashes: int = 0
    crash_notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"mutants {self.mutants}, rejected with row {self.rejected_with_row}, rejected without row "
                f"{self.rejected_without_row}, accepted {self.accepted}, crashes {self.crashes}")


# ---------------------------------------------------------------------------------- mutations


def _csvs(pkg: Path) -> list[Path]:
    return sorted(p for p in pkg.iterdir() if p.suffix.lower() == ".csv")


def _mutate_bytes(rng: random.Random, p: Path) -> str:
    data = p.read_bytes()
    i = rng.randrange(len(data) + 1)
    op = rng.choice(["insert", "delete", "cut", "double-line", "drop-newline"])
    if op == "insert":
        b = rng.choice(BYTES)
        data = data[:i] + b + data[i:]
    elif op == "delete":
        data = data[:i] + data[i + rng.randint(1, 8):]
    elif op == "cut":
        data = data[:i]
    elif op == "double-line":
        lines = data.splitlines(keepends=True)
        if len(lines) > 1:
            k = rng.randrange(1, len(lines))
            lines.insert(k, lines[k])
        data = b"".join(lines)
    else:
        data = data.rstrip(b"\r\n")
    p.write_bytes(data)
    return f"{p.name}: {op} at {i}"


def _rows(p: Path) -> list[list[str]] | None:
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            return list(csv.reader(fh, strict=True))
    except (UnicodeDecodeError, csv.Error):
        return None


def _write_rows(p: Path, rows: list[list[str]]) -> None:
    with open(p, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _mutate_cell(rng: random.Random, p: Path) -> str:
    rows = _rows(p)
    if not rows or len(rows) < 2:
        return _mutate_bytes(rng, p)
    r = rng.randrange(1, len(rows))
    if not rows[r]:
        return _mutate_bytes(rng, p)
    c = rng.randrange(len(rows[r]))
    value = rng.choice(CELLS)
    rows[r][c] = value
    _write_rows(p, rows)
    return f"{p.name} row {r + 1} cell {c + 1} := {value[:20]!r}"


def _mutate_header(rng: random.Random, p: Path) -> str:
    rows = _rows(p)
    if not rows:
        return _mutate_bytes(rng, p)
    head = rows[0]
    op = rng.choice(["rename", "drop", "swap", "upper", "double"])
    k = rng.randrange(len(head))
    if op == "rename":
        head[k] = head[k] + "_x"
    elif op == "drop":
        for row in rows:
            if k < len(row):
                del row[k]
    elif op == "swap" and len(head) > 1:
        j = rng.randrange(len(head))
        head[k], head[j] = head[j], head[k]
    elif op == "upper":
        head[k] = head[k].upper()
    else:
        head.append(head[k])
    _write_rows(p, rows)
    return f"{p.name} header {op} {k}"


def _mutate_files(rng: random.Random, pkg: Path) -> str:
    p = rng.choice(_csvs(pkg))
    op = rng.choice(["upper-copy", "upper-rename", "delete", "empty"])
    other = p.name.upper() if p.name != p.name.upper() else p.name.lower()
    if op == "upper-copy":
        shutil.copy(p, pkg / other)
    elif op == "upper-rename":
        p.rename(pkg / other)
    elif op == "delete":
        p.unlink()
    else:
        p.write_bytes(b"")
    return f"{p.name}: {op}"


def mutate(rng: random.Random, pkg: Path) -> list[str]:
    done = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        csvs = _csvs(pkg)
        kind = rng.choices(["bytes", "cell", "header", "yaml", "files"], weights=[35, 40, 10, 8, 7])[0]
        if kind == "yaml":
            (pkg / "package.yaml").write_text(rng.choice(YAML), encoding="utf-8")
            done.append("package.yaml replaced")
        elif kind == "files" or not csvs:
            done.append(_mutate_files(rng, pkg) if csvs else "no csv left")
        elif kind == "bytes":
            done.append(_mutate_bytes(rng, rng.choice(csvs)))
        elif kind == "cell":
            done.append(_mutate_cell(rng, rng.choice(csvs)))
        else:
            done.append(_mutate_header(rng, rng.choice(csvs)))
    return done


# ---------------------------------------------------------------------------------- the oracle

_SEPARATORS = str.maketrans("", "", ".- ")


def _expected(parser, cell: str | None, default):
    """What the store must hold for ``cell`` (independently of the importer's code paths)."""
    if cell is None or not cell.strip():
        return default
    v = cell.strip()
    if parser in (f.nik, f.npwp):
        return v.translate(_SEPARATORS)
    if parser is f.money:
        return Decimal(v)
    if parser is f.iso_date:
        return date.fromisoformat(v)
    if parser in (f.integer, getattr(f, "year", f.integer), f.risk_group):
        return int(v)
    if parser is f.programs:
        return ";".join(x for x in ("JKK", "JKM", "JHT", "JP") if x in {i.strip() for i in v.split(";")})
    return v


def _check_accepted(engine, pkg: Path, import_id: int) -> str | None:
    """None when every table's stored rows are its file's rows; else what differs."""
    files = {p.name.lower()[:-4]: p for p in pkg.iterdir() if p.suffix.lower() == ".csv"}
    with engine.connect() as conn:
        for name, spec in SPECS.items():
            t = s.DATA_TABLES[name]
            stored = conn.execute(select(t).where(t.c.import_id == import_id).order_by(t.c.src_row)).mappings().all()
            p = files.get(name)
            if p is None:
                if stored:
                    return f"{name}: {len(stored)} rows stored without a file"
                continue
            rows = _rows(p)
            if rows is None:
                return f"{p.name}: loaded, but the csv module cannot read it strictly"
            head = [h.strip() for h in rows[0]] if rows else []
            data = {i + 1: r for i, r in enumerate(rows) if i > 0 and any(c.strip() for c in r)}
            if len(stored) != len(data):
                return f"{p.name}: {len(stored)} rows stored, {len(data)} data rows in the file"
            for row in stored:
                cells = data.get(row["src_row"])
                if cells is None:
                    return f"{p.name}: stored row {row['src_row']} is not a data row of the file"
                for col in spec.columns:
                    fi = spec.model.model_fields[col]
                    parser = next(m.func.parser for m in fi.metadata if hasattr(m, "func"))
                    cell = cells[head.index(col)] if col in head and head.index(col) < len(cells) else None
                    default = None if fi.is_required() else fi.default
                    try:
                        want = _expected(parser, cell, default)
                    except (ValueError, InvalidOperation):
                        return f"{p.name} row {row['src_row']} column {col}: {cell!r} was loaded but does not parse"
                    got = row[col]
                    if got != want:
                        return f"{p.name} row {row['src_row']} column {col}: stored {got!r}, the file says {cell!r}"
                    if isinstance(got, str) and re.search("[\x00-\x1f\x7f-\x9f]", got):
                        return f"{p.name} row {row['src_row']} column {col}: a control character was stored"
    return None


def _names_a_file(message: str, pkg: Path) -> bool:
    """The message starts with a file of the package, the package, or a table of the package."""
    names = [p.name for p in pkg.iterdir()] + ["package.yaml", "package:"]
    tables = [f"{t}: " for t in SPECS] + [f"{t}, column " for t in SPECS]
    return message.startswith(tuple(names) + tuple(tables))


def run(n: int, seed: int, budget: float, package: Path = MINI, db_url: str | None = None,
        say=print) -> Tally:
    tally = Tally()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        engine = get_engine(db_url or f"sqlite:///{tmp / 'fuzz.db'}")
        ensure_schema(engine)
        t0 = time.perf_counter()
        try:
            for i in range(n):
                if time.perf_counter() - t0 > budget:
                    break
                pkg = tmp / f"m{i}"
                shutil.copytree(package, pkg)
                edits = mutate(rng, pkg)
                tally.mutants += 1
                with engine.connect() as conn:
                    before = conn.execute(select(func.count()).select_from(s.imports)).scalar()
                    rows_before = sum(conn.execute(select(func.count()).select_from(t)).scalar()
                                      for t in s.DATA_TABLES.values())
                problem = None
                try:
                    r = load_package(pkg, engine)
                except PackageError as exc:
                    with engine.connect() as conn:
                        after = conn.execute(select(func.count()).select_from(s.imports)).scalar()
                        rows_after = sum(conn.execute(select(func.count()).select_from(t)).scalar()
                                         for t in s.DATA_TABLES.values())
                    unnamed = [m for m in exc.errors if not _names_a_file(m, pkg) and not m.startswith("… and")]
                    if after != before or rows_after != rows_before:
                        problem = "rejected, but rows were written"
                    elif not exc.errors or unnamed:
                        problem = f"an error that names no file: {unnamed[:1]}"
                    elif any(re.search(r" row \d+", m) for m in exc.errors):
                        tally.rejected_with_row += 1
                    else:
                        tally.rejected_without_row += 1
                except Exception:  # noqa: BLE001 - a crash is what we count
                    problem = traceback.format_exc(limit=3)
                else:
                    problem = _check_accepted(engine, pkg, r.import_id)
                    if problem is None:
                        tally.accepted += 1
                if problem is not None:
                    tally.crashes += 1
                    tally.crash_notes.append(f"mutant {i} ({'; '.join(edits)}): {problem}")
                shutil.rmtree(pkg, ignore_errors=True)
        finally:
            engine.dispose()
    say(f"fuzz (seed {seed}, {time.perf_counter() - t0:.1f} s): {tally.line()}")
    for note in tally.crash_notes[:10]:
        say("  " + note)
    return tally


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mutants", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=3600.0, help="seconds")
    ap.add_argument("--package", type=Path, default=MINI)
    ap.add_argument("--db", default=None)
    a = ap.parse_args(argv)
    tally = run(a.mutants, a.seed, a.budget, a.package, a.db)
    return 1 if tally.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
