"""Load speed of one package in three forms: canonical CSV, declared Indonesian CSV, typed XLSX.

    .venv/bin/patuh generate /tmp/big --employers 1500 --months 2025-01:2025-12 --seed 1
    .venv/bin/python benchmarks/intake_forms.py /tmp/big [--work /tmp/forms] [--db-dir /tmp/forms]

Writes the Indonesian form with fixtures/build_demo_id.py and a workbook with every table as a
sheet of typed cells (numbers as numbers, dates as dates, identifiers as text; written in
openpyxl's normal mode, which keeps text in the shared-strings table as Excel does — its write-only
mode writes inline strings, which openpyxl reads about twice as slowly and Excel never writes),
then loads each once into its own fresh SQLite file and prints rows, seconds and
rows/s (the importer's own timing). One load each: on a busy machine, quote what you see.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures"))

import build_demo_id  # noqa: E402

from patuh.audits.importer.load import load_package  # noqa: E402
from patuh.audits.importer.models import SPECS  # noqa: E402
from patuh.audits.store.db import get_engine  # noqa: E402


def write_xlsx(src: Path, out: Path) -> None:
    from openpyxl import Workbook

    out.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    for table, spec in SPECS.items():
        path = src / f"{table}.csv"
        if not path.exists():
            continue
        ws = wb.create_sheet(table)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            ws.append(header)
            for r in reader:
                ws.append([build_demo_id.typed_cell(spec, h, v) for h, v in zip(header, r)])
    wb.save(out / "paket.xlsx")
    shutil.copy(src / "package.yaml", out / "package.yaml")


def canonical(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for p in src.iterdir():
        if (p.suffix == ".csv" and p.stem in SPECS) or p.name == "package.yaml":
            shutil.copy(p, out / p.name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("package")
    ap.add_argument("--work", default=None)
    ap.add_argument("--only", default=None, help="canonical, indonesian or xlsx")
    args = ap.parse_args()
    src = Path(args.package)
    work = Path(args.work or f"{src}-forms")
    forms = {"canonical CSV": work / "canonical", "declared Indonesian CSV": work / "indonesian",
             "XLSX": work / "xlsx"}
    if not forms["canonical CSV"].exists():
        canonical(src, forms["canonical CSV"])
    if not forms["declared Indonesian CSV"].exists():
        build_demo_id.main(forms["canonical CSV"], forms["declared Indonesian CSV"])
    if not forms["XLSX"].exists():
        t = time.perf_counter()
        write_xlsx(forms["canonical CSV"], forms["XLSX"])
        print(f"(workbook written in {time.perf_counter() - t:.0f} s)", file=sys.stderr)
    for name, folder in forms.items():
        if args.only and folder.name != args.only:
            continue
        db = work / f"{folder.name}.db"
        db.unlink(missing_ok=True)
        engine = get_engine(f"sqlite:///{db}")
        cpu = time.process_time()
        r = load_package(folder, engine)
        cpu = time.process_time() - cpu
        n = sum(r.rows.values())
        print(f"{name:<24} {n:>8,} rows ({r.rows.get('payroll', 0):,} payroll) in {r.seconds:5.1f} s"
              f" {n / r.seconds:>7,.0f} rows/s; CPU {cpu:5.1f} s {n / cpu:>7,.0f} rows/CPU-s")
        engine.dispose()
        if folder.name == "xlsx":
            from openpyxl import load_workbook

            cpu, t = time.process_time(), time.perf_counter()
            wb = load_workbook(folder / "paket.xlsx", read_only=True, data_only=True)
            k = sum(1 for ws in wb.worksheets for _ in ws.iter_rows(values_only=True))
            wb.close()
            cpu, t = time.process_time() - cpu, time.perf_counter() - t
            print(f"{'  openpyxl reading alone':<24} {k:>8,} rows in {t:5.1f} s {k / t:>7,.0f} rows/s;"
                  f" CPU {cpu:5.1f} s {k / cpu:>7,.0f} rows/CPU-s")


if __name__ == "__main__":
    main()
