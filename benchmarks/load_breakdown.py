"""Where the load's time goes, layer by layer, without a profiler's overhead.

A sampling profiler inflates the load (millions of tiny calls) about 2×, so this script rebuilds
the importer's inner loop for one table from its own pieces (`iter_rows`, the row model, `_norm`,
the SQLAlchemy table) and times each layer on its own, cumulatively:

  read      csv rows through audits.importer.reader.iter_rows
  dicts     + the per-row dict of normalised cells (load.py's comprehension over _norm)
  validate  + the pydantic row model (model_validate(...).__dict__.copy())
  insert    + SQLAlchemy Core executemany in batches of 5000 into a fresh SQLite file, one transaction
  dupes     the duplicate-key query the importer runs after the inserts

and, for comparison (not patuh's code path):

  raw-insert   the same validated rows as tuples (money already in sen) through sqlite3 executemany
  sa-insert-noidx  the SQLAlchemy insert into the table without its secondary index

    .venv/bin/python benchmarks/load_breakdown.py [--package /tmp/patuh-bench/350000] [--table payroll]
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import create_engine, insert  # noqa: E402

from patuh.audits.importer.load import BATCH, _norm  # noqa: E402
from patuh.audits.importer.models import SPECS  # noqa: E402
from patuh.audits.importer.reader import discover, iter_rows  # noqa: E402
from patuh.audits.store import schema as s  # noqa: E402
from patuh.audits.store.db import ensure_schema  # noqa: E402


def rows_of(package: Path, table: str):
    d = discover(package)
    src = d.sources[table]
    it = iter_rows(src)
    _, header = next(it)
    return src, header, it


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", type=Path, default=Path("/tmp/patuh-bench/350000"))
    ap.add_argument("--table", default="payroll")
    ap.add_argument("--work", type=Path, default=Path("/tmp/patuh-load-breakdown"))
    a = ap.parse_args(argv)
    spec = SPECS[a.table]
    table = s.DATA_TABLES[a.table]
    a.work.mkdir(parents=True, exist_ok=True)
    out: dict[str, float] = {}

    # read
    t = time.perf_counter()
    src, header, it = rows_of(a.package, a.table)
    n = sum(1 for _ in it)
    out["read"] = time.perf_counter() - t

    positions = {name.strip(): i for i, name in enumerate(header) if name.strip() in spec.columns}
    cols = list(positions.items())

    # dicts
    t = time.perf_counter()
    _, _, it = rows_of(a.package, a.table)
    for _rownum, cells in it:
        k = len(cells)
        data = {name: (_norm(cells[i]) if i < k else None) for name, i in cols}
    out["dicts"] = time.perf_counter() - t

    # validate
    validate = spec.model.model_validate
    recs = []
    t = time.perf_counter()
    _, _, it = rows_of(a.package, a.table)
    base = {"import_id": 1, "src_file": src.file, "src_sheet": src.sheet}
    for rownum, cells in it:
        k = len(cells)
        data = {name: (_norm(cells[i]) if i < k else None) for name, i in cols}
        rec = validate(data).__dict__.copy()
        rec.update(base)
        rec["src_row"] = rownum
        recs.append(rec)
    out["validate"] = time.perf_counter() - t

    # insert through SQLAlchemy, as the loader does
    def fresh(name: str):
        path = a.work / name
        if path.exists():
            path.unlink()
        eng = create_engine(f"sqlite:///{path}")
        ensure_schema(eng)
        with eng.begin() as conn:
            conn.execute(insert(s.imports).values(import_id=1, package_hash="x" * 64))
        return eng, path

    eng, path = fresh("sa.db")
    t = time.perf_counter()
    with eng.begin() as conn:
        for i in range(0, len(recs), BATCH):
            conn.execute(insert(table), recs[i:i + BATCH])
    out["insert"] = time.perf_counter() - t

    # duplicates query, as load.py _duplicates
    from patuh.audits.importer.load import _Errors, _Loader

    t = time.perf_counter()
    with eng.begin() as conn:
        if spec.unique_sql:
            _Loader(conn, 1, _Errors(), [])._duplicates(spec, src.label)
    out["dupes"] = time.perf_counter() - t
    eng.dispose()

    # the same rows without the secondary index on the table
    eng, path = fresh("noidx.db")
    with eng.begin() as conn:
        for ix in table.indexes:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {ix.name}")
    t = time.perf_counter()
    with eng.begin() as conn:
        for i in range(0, len(recs), BATCH):
            conn.execute(insert(table), recs[i:i + BATCH])
    out["sa-insert-noidx"] = time.perf_counter() - t
    eng.dispose()

    # raw sqlite3 with tuples, money in sen precomputed (what the Money type does per value)
    eng, path = fresh("raw.db")
    eng.dispose()
    colnames = [c.name for c in table.columns if c.name != "row_id"]
    money_cols = {c.name for c in table.columns if isinstance(c.type, s.Money)}
    t = time.perf_counter()
    tuples = [tuple(s.to_sen(r.get(c)) if c in money_cols and r.get(c) is not None else r.get(c) for c in colnames)
              for r in recs]
    t_conv = time.perf_counter() - t
    con = sqlite3.connect(path)
    t = time.perf_counter()
    con.executemany(f"INSERT INTO {a.table} ({', '.join(colnames)}) VALUES ({', '.join('?' * len(colnames))})",
                    tuples)
    con.commit()
    out["raw-insert"] = time.perf_counter() - t + t_conv
    con.close()

    print(f"{a.table}: {n:,} rows from {a.package}")
    prev = 0.0
    for k in ("read", "dicts", "validate"):
        print(f"  {k:<16} {out[k]:7.2f} s cumulative   (+{out[k] - prev:6.2f} s, {n / max(out[k] - prev, 1e-9):>10,.0f} rows/s)")
        prev = out[k]
    print(f"  {'insert (SA)':<16} {out['insert']:7.2f} s  ({n / out['insert']:,.0f} rows/s)")
    print(f"  {'dupes query':<16} {out['dupes']:7.2f} s")
    print(f"  {'SA, no index':<16} {out['sa-insert-noidx']:7.2f} s")
    print(f"  {'raw sqlite3':<16} {out['raw-insert']:7.2f} s  (tuples, sen precomputed, incl. conversion)")
    total = out["validate"] + out["insert"] + out["dupes"]
    print(f"  patuh path total {total:7.2f} s: read {out['read'] / total:.0%}, dicts {(out['dicts'] - out['read']) / total:.0%}, "
          f"validate {(out['validate'] - out['dicts']) / total:.0%}, insert {out['insert'] / total:.0%}, "
          f"dupes {out['dupes'] / total:.0%}")


if __name__ == "__main__":
    main()
