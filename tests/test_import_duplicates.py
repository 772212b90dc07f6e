"""Repeated keys in payroll, declarations and participants: the loader counts the distinct hashes
of the keys it writes and runs the duplicates query only when they are fewer than the rows
(load.py, ``key_hash``). Skipping the query must never hide a duplicate: the errors (and what is
stored) are the same as when every key hashes alike, which makes the query run every time."""
from __future__ import annotations

import csv
import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patuh.audits.importer import PackageError, load, load_package
from patuh.audits.store.db import get_engine

from fresh_db import fresh_db_url

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini"
DUPLICATE_PAYROLL = ROOT / "fixtures" / "invalid" / "duplicate-payroll"

EMPLOYERS = ["E001", "E002"]
PERIODS = ["2025-01", "2025-02", "2025-03"]
NIKS = ["6171010101900001", "6171014202850002", "6171.0101.0390.0003", "6171010103900003"]
STARTS = ["2020-01-15", "2021-03-01"]

_count = itertools.count()


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    eng = get_engine(fresh_db_url(tmp_path_factory.mktemp("dups")))
    yield eng
    eng.dispose()


def outcome(folder: Path, engine) -> tuple[list[str], dict | None]:
    try:
        res = load_package(folder, engine)
    except PackageError as exc:
        return exc.errors, None
    return [], res.rows


def both_ways(folder: Path, engine, monkeypatch) -> tuple:
    """(errors, rows) as loaded, and with every key hash colliding (the query always runs); the
    two loads differ only in package.yaml's name, so they are two imports in one store."""
    def named(mode: str) -> None:
        text = (folder / "package.yaml").read_text(encoding="utf-8").splitlines()
        text[0] = f"name: {mode} {next(_count)}"
        (folder / "package.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")

    named("hash")
    fast = outcome(folder, engine)
    named("query")
    with monkeypatch.context() as m:
        m.setattr(load, "key_hash", lambda key: 0)
        slow = outcome(folder, engine)
    return fast, slow


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_duplicate_fixture_same_either_way(tmp_path, engine, monkeypatch):
    folder = tmp_path / "pkg"
    shutil.copytree(DUPLICATE_PAYROLL, folder)
    if not (folder / "package.yaml").exists():
        (folder / "package.yaml").write_text("name: x\n", encoding="utf-8")
    fast, slow = both_ways(folder, engine, monkeypatch)
    assert fast == slow
    expected = (DUPLICATE_PAYROLL / "EXPECTED").read_text(encoding="utf-8").strip().splitlines()
    assert fast[0] == expected


keys = st.tuples(st.sampled_from(EMPLOYERS), st.sampled_from(PERIODS), st.sampled_from(NIKS))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    payroll=st.lists(keys, min_size=1, max_size=10),
    declarations=st.lists(keys, min_size=0, max_size=6),
    participants=st.lists(st.tuples(st.sampled_from(EMPLOYERS), st.sampled_from(NIKS), st.sampled_from(STARTS)),
                          min_size=0, max_size=5),
)
def test_hash_check_never_hides_a_duplicate(tmp_path, engine, monkeypatch, payroll, declarations, participants):
    folder = tmp_path / f"pkg{next(_count)}"
    shutil.copytree(MINI, folder)
    write(folder / "payroll.csv", ["employer_id", "period", "nik", "name", "employment", "wage", "bpjs_deduction"],
          [[e, p, n, "Budi", "pkwtt", "3054552", "0"] for e, p, n in payroll])
    write(folder / "declarations.csv", ["employer_id", "period", "nik", "reported_wage"],
          [[e, p, n, "3054552"] for e, p, n in declarations])
    write(folder / "participants.csv", ["employer_id", "nik", "kpj", "name", "start_date", "end_date"],
          [[e, n, "", "Budi", d, ""] for e, n, d in participants])
    fast, slow = both_ways(folder, engine, monkeypatch)
    assert fast == slow
    rows_with_dups = len(payroll) - len({(e, p, n.replace(".", "")) for e, p, n in payroll})
    assert sum("one row per (employer_id, period, nik)" in e and e.startswith("payroll.csv") for e in fast[0]) == rows_with_dups
