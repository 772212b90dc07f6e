"""Property test: on generated packages, the audit (SQL facts + durable-rules) finds exactly the
generator's answer key, which an independent plain-Python oracle computed while writing the data."""
import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from patuh.audits.audit import run_audit
from patuh.audits.importer import load_package
from patuh.audits.store.db import get_engine
from patuh.cli import main


def _rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("seed, employers, months", [
    (1, 80, "2025-01:2025-12"),
    (2, 60, "2024-11:2025-06"),   # crosses a year (new UMK) and the March JP cap change
    (5, 120, "2025-03:2025-09"),
])
def test_audit_finds_exactly_the_answer_key(tmp_path, db_url, seed, employers, months):
    pkg = tmp_path / "pkg"
    res = CliRunner().invoke(main, ["generate", str(pkg), "--employers", str(employers), "--months", months,
                                    "--seed", str(seed)])
    assert res.exit_code == 0, res.output
    engine = get_engine(db_url)
    result = run_audit(engine, load_package(pkg, engine).import_id)

    expected = {(r["category"], r["subject_id"]): (r["amount"], r["late_fee"])
                for r in _rows(pkg / "expected_findings.csv")}
    got = {(f.category, f.subject_id): (f.row()["amount"], f.row()["late_fee"]) for f in result.findings}
    assert len(expected) > 20, "the generator should plant violations"
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    wrong = sorted(k for k in set(got) & set(expected) if got[k] != expected[k])
    assert not missing and not extra and not wrong, (missing[:5], extra[:5], [(k, expected[k], got[k]) for k in wrong[:5]])

    exp_cases = {r["employer_id"]: (r["next_steps"], r["wait_until"], r["total_amount"], r["total_late_fee"])
                 for r in _rows(pkg / "expected_cases.csv")}
    got_cases = {c.employer_id: tuple(c.row()[k] for k in ("next_steps", "wait_until", "total_amount", "total_late_fee"))
                 for c in result.cases}
    assert got_cases == exp_cases
