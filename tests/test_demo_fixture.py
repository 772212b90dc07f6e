"""fixtures/kalbar-demo: its README tables, its answer key (fixtures/kalbar-demo.expected/, beside the
package, not in it) and the oracle agree, the committed files are what fixtures/build_demo.py writes,
and the package has what the issue asks for.

Read with csv + Decimal only (no importer), so this holds whatever state the importer is in."""
from __future__ import annotations

import csv
import importlib.util
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum.id import nik as stdnik
from stdnum.id import npwp as stdnpwp

from patuh.audits import oracle
from patuh.audits import categories as categories_of

CATEGORIES = categories_of.load().ids
from patuh.engine.parameters import ParameterStore

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "kalbar-demo"
KEY = ROOT / "fixtures" / "kalbar-demo.expected"  # the answer key lives beside the package


@pytest.fixture(scope="module")
def params():
    return ParameterStore.load(ROOT / "rules" / "parameters")


@pytest.fixture(scope="module")
def result(params):
    return oracle.audit_package(DEMO, params)


def csv_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def markdown_table(text: str, heading: str) -> list[dict]:
    """The first pipe table after `## heading`, as dicts of stripped cells."""
    section = text.split(f"## {heading}\n", 1)[1]
    start = next(i for i, ln in enumerate(section.splitlines()) if ln.startswith("|"))
    lines = []
    for ln in section.splitlines()[start:]:
        if not ln.startswith("|"):
            break
        lines.append(ln)
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert set(lines[1].replace("|", "").replace("-", "").strip()) <= {""}, "second line is the separator"
    return [dict(zip(header, (c.strip() for c in ln.strip("|").split("|")))) for ln in lines[2:]]


def money(s: str) -> Decimal | None:
    return None if s == "" else Decimal(s)


def test_readme_findings_table_is_the_oracle(result):
    table = markdown_table((DEMO / "README.md").read_text(encoding="utf-8"), "Expected findings")
    assert list(table[0]) == ["category", "subject_id", "amount", "late_fee"]
    readme = [(r["category"], r["subject_id"], money(r["amount"]), money(r["late_fee"])) for r in table]
    expected = [(f.category, f.subject_id, f.amount, f.late_fee) for f in result.findings]
    assert readme == expected


def test_readme_cases_table_is_the_oracle(result):
    table = markdown_table((DEMO / "README.md").read_text(encoding="utf-8"), "Expected cases")
    assert list(table[0]) == ["employer_id", "categories", "total_amount", "total_late_fee", "next_steps", "wait_until"]
    expected = [{k: v for k, v in c.row().items() if k != "name"} for c in result.cases]
    assert table == expected


def test_expected_csv_files_are_the_oracle(result):
    findings = csv_rows(KEY / "expected_findings.csv")
    assert [(r["category"], r["subject_id"], money(r["amount"]), money(r["late_fee"])) for r in findings] == \
           [(f.category, f.subject_id, f.amount, f.late_fee) for f in result.findings]
    assert csv_rows(KEY / "expected_cases.csv") == [c.row() for c in result.cases]


def test_answer_key_is_beside_the_package_not_in_it():
    assert not list(DEMO.glob("expected_*"))
    assert sorted(p.name for p in KEY.iterdir()) == ["expected_cases.csv", "expected_findings.csv"]


def test_every_category_and_hand_checked_amounts(result):
    assert {f.category for f in result.findings} == set(CATEGORIES)
    got = {(f.category, f.subject_id): (f.amount, f.late_fee) for f in result.findings}
    # worked out in the README's prose
    assert got[("JAKON-KURANG-BAYAR", "602.1/088/SPK-SDA/PUPR-KB/2025")] == (550_000, None)
    assert got[("PDS-UPAH", "E13:2025-02")] == (375_769, None)
    assert got[("PDS-UPAH", "E13:2025-03")] == (395_966, None)
    assert got[("TELAT-BAYAR", "E20:2025-05")] == (0, 22_464)
    assert got[("TELAT-BAYAR", "E18:2025-04")] == (0, 160_895)
    assert got[("TUNGGAKAN", "E19:2025-08")] == (1_597_440, 95_846)
    steps = {c.employer_id: (";".join(c.next_steps), c.wait_until) for c in result.cases}
    assert steps["E12"][0] == "tunggu" and steps["E12"][1].isoformat() == "2025-12-08"
    assert steps["E18"] == ("pantau", None)
    assert steps["E19"] == ("pidana;skk;tmp2t;denda", None)


def test_every_finding_is_a_listed_situation(result):
    text = (DEMO / "README.md").read_text(encoding="utf-8")
    planted = markdown_table(text, "Planted situations")
    listed = " ".join(r["finding(s): amount / late fee"] for r in planted)
    for f in result.findings:
        assert f"{f.category} `{f.subject_id}`: {int(f.amount):,}" in listed


def test_committed_files_are_what_the_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("build_demo", ROOT / "fixtures" / "build_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_demo"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    module.main(tmp_path / DEMO.name)
    for built, committed in ((tmp_path / DEMO.name, DEMO), (tmp_path / KEY.name, KEY)):
        written = sorted(p.name for p in built.iterdir())
        assert written == sorted(p.name for p in committed.iterdir())
        for name in written:
            assert (built / name).read_bytes() == (committed / name).read_bytes(), f"{name}: run fixtures/build_demo.py"


def test_package_shape():
    employers = csv_rows(DEMO / "employers.csv")
    assert 15 <= len(employers) <= 25
    assert {e["scale"] for e in employers} == {"mikro", "kecil", "menengah", "besar"}
    assert sum(e["sector"] == "konstruksi" for e in employers) >= 3
    assert len({e["regency_code"] for e in employers}) >= 5
    assert all(stdnpwp.is_valid(e["npwp"]) for e in employers if e["npwp"])
    payroll = csv_rows(DEMO / "payroll.csv")
    niks = {r["nik"] for r in payroll}
    assert 200 <= len(niks) <= 600 and all(stdnik.is_valid(n) for n in niks)
    assert len({(r["employer_id"], r["period"], r["nik"]) for r in payroll}) == len(payroll)
    assert all(re.fullmatch(r"\d+(\.\d{1,2})?", r["wage"]) for r in payroll)
    periods = sorted({r["period"] for r in payroll})
    assert periods[0] == "2025-01" and len(periods) >= 6
    contracts = csv_rows(DEMO / "contracts.csv")
    assert len(contracts) >= 12
    assert {c["funding"] for c in contracts} == {"apbn", "apbd-provinsi", "apbd-kabupaten", "apbdes", "swasta"}
    assert any(c["parent_contract_id"] for c in contracts) and any(c["ppk"] for c in contracts)
    assert csv_rows(DEMO / "contract_amendments.csv")
    assert "as_of: 2025-11-28" in (DEMO / "package.yaml").read_text()
