"""Each legal sum is computed once, by the facts, with its breakdown: the finding, its message and
its evidence rest on the same numbers, also when a parameter changes inside the audited months."""
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from patuh.audits.audit import run_audit
from patuh.audits.importer import load_package
from patuh.audits.rulebook import RULES_DIR
from patuh.audits.store.db import get_engine

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"


def _with_tolerance_from_march(tmp_path: Path, value: str) -> Path:
    """The rulebook with a second pds_upah_tolerance value from 2025-03-01 (inside the demo's months)."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = rules / "parameters" / "iuran.yaml"
    text = path.read_text(encoding="utf-8")
    block = re.search(r"- id: pds_upah_tolerance\n(?:  .*\n|    .*\n)*", text).group(0)
    first = re.search(r"    - valid_from: 2015-07-01\n(?:      .*\n)*", block).group(0)
    second = first.replace("valid_from: 2015-07-01", "valid_from: 2025-03-01").replace("value: 0.99", f"value: {value}")
    path.write_text(text.replace(block, block.replace(first, first + second)), encoding="utf-8")
    return rules


@pytest.fixture(scope="module")
def audits(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sums")
    engine = get_engine(f"sqlite:///{tmp / 'p.db'}")
    imp = load_package(DEMO, engine).import_id
    return run_audit(engine, imp, rules_dir=RULES_DIR), run_audit(engine, imp, rules_dir=_with_tolerance_from_march(tmp, "0.995"))


def test_a_tolerance_changed_mid_range_is_used_per_month_by_finding_message_and_evidence(audits):
    base, changed = audits
    found = [f for f in changed.findings if f.category == "PDS-UPAH"]
    assert {f.period for f in found} >= {"2025-02", "2025-03"}
    for f in found:
        fields = f.trace["fields"]
        # the workers the evidence lists are exactly those the facts counted (one SQL test)
        assert len(f.evidence["workers"]) == int(fields["underreported_workers"]) > 0
        tol = Decimal("0.99") if f.period < "2025-03" else Decimal("0.995")
        for w in f.evidence["workers"]:
            assert Decimal(w["reported_wage"] or 0) < tol * Decimal(w["wage"])
        # the message says the tolerance of its own month
        assert ("di bawah 99 % upah" if f.period < "2025-03" else "di bawah 99,5 % upah") in f.message
        assert ("below 99 % of" if f.period < "2025-03" else "below 99.5 % of") in f.message_en
    # February is judged as before; a stricter tolerance from March finds at least as much
    before = {f.subject_id: f.amount for f in base.findings if f.category == "PDS-UPAH"}
    after = {f.subject_id: f.amount for f in found}
    assert {k: v for k, v in after.items() if k.endswith("2025-02")} == {k: v for k, v in before.items() if k.endswith("2025-02")}
    assert all(after[k] >= v for k, v in before.items())


def test_computation_sheets_add_up_to_the_findings(audits):
    base, _ = audits
    for f in base.findings:
        rows = f.evidence.get("computation") or []
        dues = [r for r in rows if r["program"] in ("JKK", "JKM", "JHT", "JP")]
        if f.category in ("PDS-TK", "PDS-UPAH", "PWBD", "PDS-PROGRAM"):
            assert sum(Decimal(r["due"]) for r in dues).quantize(Decimal(1), "ROUND_HALF_UP") == f.amount, f.finding_id
        if f.category in ("TUNGGAKAN", "TELAT-BAYAR"):
            bill = next(r for r in rows if r["program"] == "TAGIHAN")
            fees = sum((Decimal(r["fee"]) for r in rows if r["program"] == "DENDA"), Decimal(0))
            assert Decimal(bill["due"]) == Decimal(f.trace["fields"]["bill"])
            assert fees.quantize(Decimal(1), "ROUND_HALF_UP") >= (f.late_fee or 0)  # less the late fee already paid
        if f.category.startswith("JAKON-") and f.category != "JAKON-TELAT-DAFTAR":
            total = next(r for r in rows if r["program"] == "TOTAL")
            bands = sum(Decimal(r["due"]) for r in rows if r["program"] == "JKK+JKM")
            assert bands.quantize(Decimal(1), "ROUND_HALF_UP") == Decimal(total["due"])
