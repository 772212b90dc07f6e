"""The oracle reads `payments.kind` as docs/lifecycle.md says, like the audit: only `iuran` payments
count as paid and in the late fee; `denda` payments made by as_of are deducted from the fee a finding
reports, and TELAT-BAYAR goes once nothing of the fee is left."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

from click.testing import CliRunner

from patuh.audits import oracle
from patuh.audits.rulebook import parameters_dir
from patuh.engine.parameters import ParameterStore

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "kalbar-demo"


def _package(tmp: Path) -> Path:
    pkg = tmp / "pkg"
    shutil.copytree(DEMO, pkg)
    for sibling in DEMO.parent.glob("*.yaml"):
        shutil.copy(sibling, tmp / sibling.name)
    with (pkg / "payments.csv").open(encoding="utf-8", newline="") as fh:
        pays = list(csv.DictReader(fh))
    for r in pays:
        r["kind"] = ""  # blank: a contribution payment (the default)
    # E20's May fee is 22,464 (README: 2 % × 1,123,200), of which 1,000 is paid; E18's April fee,
    # 160,895, is paid in full; both by as_of (28 Nov 2025). As contributions both would be ignored
    # overpayments and move nothing.
    pays += [{"employer_id": "E20", "period": "2025-05", "amount": "1000", "paid_on": "2025-11-20",
              "reference": "DENDA-E20", "kind": "denda"},
             {"employer_id": "E18", "period": "2025-04", "amount": "160895", "paid_on": "2025-11-21",
              "reference": "DENDA-E18", "kind": "denda"}]
    with (pkg / "payments.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(pays[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(pays)
    return pkg


def test_oracle_deducts_late_fees_paid_like_the_audit(tmp_path):
    from patuh.cli import main

    pkg = _package(tmp_path)
    expected = oracle.audit_package(pkg, ParameterStore.load(parameters_dir(None)))
    got = {(f.category, f.subject_id): f.row() for f in expected.findings}
    assert got[("TELAT-BAYAR", "E20:2025-05")]["late_fee"] == "21464"  # 22,464 − 1,000
    assert ("TELAT-BAYAR", "E18:2025-04") not in got
    assert got[("TUNGGAKAN", "E19:2025-08")]["late_fee"] == "95846"  # nothing else moves

    res = CliRunner().invoke(main, ["audit", str(pkg), "--out", str(tmp_path / "out"), "--no-pdf",
                                    "--db", f"sqlite:///{tmp_path / 'p.db'}"])
    assert res.exit_code == 0, res.output
    with (tmp_path / "out" / "findings.csv").open(encoding="utf-8", newline="") as fh:
        audited = {(r["category"], r["subject_id"]): (r["amount"], r["late_fee"]) for r in csv.DictReader(fh)}
    assert audited == {k: (r["amount"], r["late_fee"]) for k, r in got.items()}
