"""The machine-readable results of a run: findings.csv/json and cases.csv/json, in the columns of
audit-semantics.md. Deterministic: same run, same bytes.

The CSV files are opened by people in spreadsheets, so a text cell that starts like a formula
(``=``, ``+``, ``-``, ``@``, tab, carriage return — OWASP "CSV injection") gets a leading ``'`` and is shown
as text; a cell that is a plain number (an amount) is left as it is. Rows end with CRLF (RFC 4180),
so that the csv module quotes any value holding a line break or a bare carriage return.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Iterable

from .model import CASE_COLUMNS, FINDING_COLUMNS


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def spreadsheet_safe(value):
    """A cell value that a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


# Rows are written as they are made, not gathered first: at 3.5 M payroll rows a run has some
# 80,000 findings, and their rows, the CSV text and the JSON text held at once cost about 200 MB.
def _write_csv(path: Path, columns: list[str], rows: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\r\n")
        w.writeheader()
        w.writerows({k: spreadsheet_safe(v) for k, v in r.items()} for r in rows)


def _write_json(path: Path, rows: Iterable[dict]) -> None:
    """The bytes of json.dumps(list(rows), ensure_ascii=False, indent=2) + newline, one row at a time."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        first = True
        for row in rows:
            fh.write("[\n" if first else ",\n")
            # split on "\n" only: json.dumps escapes it inside strings, but not U+0085 or U+2028,
            # which str.splitlines (and textwrap) would take for line ends too
            fh.write("\n".join("  " + line for line in json.dumps(row, ensure_ascii=False, indent=2).split("\n")))
            first = False
        fh.write("[]\n" if first else "\n]\n")


def _typed(row: dict, money: tuple[str, ...]) -> dict:
    """JSON carries whole Rupiah as integers and an empty late fee as null."""
    return {k: (int(v) if v != "" else None) if k in money else v for k, v in row.items()}


def write_results(out: Path, result) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    # findings.csv ends with the review column (docs/lifecycle.md); the package formats do not have it
    def findings():
        return (dict(f.row(), review=f.review) for f in result.findings)

    def cases():
        return (c.row() for c in result.cases)

    paths = [out / "findings.csv", out / "findings.json", out / "cases.csv", out / "cases.json"]
    _write_csv(paths[0], FINDING_COLUMNS + ["review"], findings())
    _write_json(paths[1], (_typed(r, ("amount", "late_fee")) for r in findings()))
    _write_csv(paths[2], CASE_COLUMNS, cases())
    _write_json(paths[3], (_typed(r, ("total_amount", "total_late_fee")) for r in cases()))
    # coverage.csv / villages.csv (docs/coverage.md) when the package had the tables; a stale copy
    # from an earlier run in the same folder would be read as this run's
    cov = getattr(result, "coverage", None)
    written = cov.files() if cov is not None else []
    for name in {"coverage.csv", "villages.csv"} - {w[0] for w in written}:
        (out / name).unlink(missing_ok=True)
    for name, columns, rows in written:
        paths.append(out / name)
        _write_csv(paths[-1], columns, rows)
    return paths
