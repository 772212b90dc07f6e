"""docs/intake.md read statement by statement where the other tests leave a gap.

`patuh ocds SOURCE… --out PKG_DIR` "adds suppliers missing from the package's employers.csv": when
--out is a package that has an employers.csv, its employers are matched by NPWP and kept — never
replaced by the supplier rows alone."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

from click.testing import CliRunner

from patuh.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "ocds-kalbar"
DEMO = ROOT / "fixtures" / "kalbar-demo"


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_ocds_into_a_package_keeps_its_employers_and_matches_them(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for p in DEMO.glob("*.csv"):
        if p.stem not in ("contracts", "contract_amendments", "project_registrations"):
            shutil.copy(p, pkg / p.name)
    before = rows(pkg / "employers.csv")
    res = CliRunner().invoke(main, ["ocds", str(FIX), "--out", str(pkg)])  # no --employers
    assert res.exit_code == 0, res.output
    after = rows(pkg / "employers.csv")
    assert after[:len(before)] == before  # the package's 20 employers are still there, unchanged
    # only the supplier that is not in the demo (PT Sambas Karya Utama) is added
    assert [r["employer_id"] for r in after[len(before):]] == ["024567893701000"]
    contractors = {r["contract_id"]: r["contractor_id"] for r in rows(pkg / "contracts.csv")}
    assert contractors["602.1/117/SPK-BM/PUPR-KB/2025"] == "E14"  # matched by NPWP to the demo's E14
