"""The generator: deterministic per seed, a package that follows data-package.md, and an answer key
that is exactly what the oracle finds on the whole package read back from disk (so writing it
employer by employer, as the generator streams, changes nothing)."""
from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from stdnum.id import nik as stdnik
from stdnum.id import npwp as stdnpwp

from patuh.audits import oracle
from patuh.audits.generate import COLUMNS, generate, generate_package
from patuh.audits.model import CASE_COLUMNS, FINDING_COLUMNS
from patuh.engine.parameters import ParameterStore

ROOT = Path(__file__).resolve().parents[1]
FILES = [f"{t}.csv" for t in COLUMNS] + ["expected_findings.csv", "expected_cases.csv", "package.yaml"]
MONEY = re.compile(r"\d+(\.\d{1,2})?\Z")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
KALBAR = {"6101", "6102", "6103", "6104", "6105", "6106", "6107", "6108", "6109", "6110", "6111", "6112", "6171", "6172"}


@pytest.fixture(scope="module")
def params():
    return ParameterStore.load(ROOT / "rules" / "parameters")


@pytest.fixture(scope="module")
def package(tmp_path_factory, params):
    out = tmp_path_factory.mktemp("gen") / "pkg"
    stats = generate_package(out, 400, "2025-01", "2025-12", seed=11, params=params)
    return out, stats


def rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path, params):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_package(a, 40, "2025-01", "2025-06", seed=3, params=params)
    generate_package(b, 40, "2025-01", "2025-06", seed=3, params=params)
    generate_package(c, 40, "2025-01", "2025-06", seed=4, params=params)
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "payroll.csv").read_bytes() != (c / "payroll.csv").read_bytes()


def test_package_follows_the_format(package):
    out, stats = package
    meta = yaml.safe_load((out / "package.yaml").read_text())
    assert meta["province"] == "61" and meta["as_of"] == dt.date(2026, 3, 1)  # 60 days after 2025-12-31
    tables = {}
    for t, cols in COLUMNS.items():
        header, data = rows(out / f"{t}.csv")
        assert header == cols
        assert len(data) == stats.rows[t]
        tables[t] = data
    employers = {e["employer_id"]: e for e in tables["employers"]}
    assert len(employers) == 400
    for e in employers.values():
        assert e["regency_code"] in KALBAR and e["scale"] in ("mikro", "kecil", "menengah", "besar")
        if e["npwp"]:
            assert len(e["npwp"]) == 15 and stdnpwp.is_valid(e["npwp"])
        if e["nib"]:
            assert re.fullmatch(r"\d{13}", e["nib"])
        if e["npp"]:
            assert DATE.match(e["registered_on"]) and e["jkk_risk_group"] in "12345" and e["programs"]
    assert len({e["npwp"] for e in employers.values() if e["npwp"]}) == sum(1 for e in employers.values() if e["npwp"])
    niks = set()
    seen = set()
    for r in tables["payroll"]:
        assert r["employer_id"] in employers
        assert MONEY.match(r["wage"]) and MONEY.match(r["bpjs_deduction"])
        assert r["employment"] in ("pkwtt", "pkwt", "harian", "borongan")
        key = (r["employer_id"], r["period"], r["nik"])
        assert key not in seen
        seen.add(key)
        niks.add((r["employer_id"], r["nik"]))
    all_niks = {n for _, n in niks}
    assert len(all_niks) == len(niks), "a NIK belongs to one worker of one employer"
    assert all(stdnik.is_valid(n) and n.startswith("61") for n in all_niks)
    for r in tables["participants"]:
        assert (r["employer_id"], r["nik"]) in niks and re.fullmatch(r"\d{11}", r["kpj"])
    for r in tables["declarations"] + tables["payments"]:
        assert employers[r["employer_id"]]["npp"]
    contracts = {c["contract_id"]: c for c in tables["contracts"]}
    assert {c["funding"] for c in contracts.values()} == {"apbn", "apbd-provinsi", "apbd-kabupaten", "apbdes", "swasta"}
    for c in contracts.values():
        assert employers[c["contractor_id"]]["sector"] == "konstruksi"
        assert not c["parent_contract_id"] or c["parent_contract_id"] in contracts
    for t in ("contract_amendments", "project_registrations"):
        assert all(r["contract_id"] in contracts for r in tables[t])
    assert any(c["parent_contract_id"] for c in contracts.values())
    for r in tables["enforcement_actions"]:
        assert r["action"] in ("teguran-1", "teguran-2", "denda", "tmp2t", "skk", "pidana")
        assert dt.date.fromisoformat(r["issued_on"]) <= meta["as_of"]
    # the package's payroll spans exactly the months asked for (the audit's default range)
    assert min(r["period"] for r in tables["payroll"]) == "2025-01"
    assert max(r["period"] for r in tables["payroll"]) == "2025-12"


def test_answer_key_is_the_oracle_on_the_whole_package(package, params):
    out, stats = package
    header, findings = rows(out / "expected_findings.csv")
    assert header == FINDING_COLUMNS
    assert rows(out / "expected_cases.csv")[0] == CASE_COLUMNS
    result = oracle.audit_package(out, params)
    assert [oracle.finding_csv_row(f) for f in result.findings] == [list(r.values()) for r in findings]
    _, cases = rows(out / "expected_cases.csv")
    assert [oracle.case_csv_row(c) for c in result.cases] == [list(r.values()) for r in cases]
    categories = {r["category"] for r in findings}
    assert len(categories) >= 9, categories
    # most employers are clean
    assert len(cases) < 0.45 * stats.rows["employers"]


def test_an_early_as_of_has_no_payments_after_it(tmp_path, params):
    out = tmp_path / "p"
    generate_package(out, 60, "2025-01", "2025-06", seed=2, as_of=dt.date(2025, 5, 20), params=params)
    _, pays = rows(out / "payments.csv")
    assert pays and all(p["paid_on"] <= "2025-05-20" for p in pays)
    _, findings = rows(out / "expected_findings.csv")
    # D(2025-04) = 2025-05-15 < as_of; D(2025-05) = 2025-06-16 is not
    periods = {f["period"] for f in findings if f["category"] in ("TUNGGAKAN", "TELAT-BAYAR")}
    assert periods and max(periods) <= "2025-04"


def test_command_line(tmp_path):
    res = CliRunner().invoke(generate, [str(tmp_path / "x"), "--employers", "5", "--months", "2025-02:2025-03",
                                        "--seed", "9", "--as-of", "2025-06-30"])
    assert res.exit_code == 0, res.output
    assert "payroll" in res.output and "rows" in res.output
    assert "as_of: 2025-06-30" in (tmp_path / "x" / "package.yaml").read_text()
    bad = CliRunner().invoke(generate, [str(tmp_path / "y"), "--employers", "5", "--months", "2025-13:2025-03"])
    assert bad.exit_code != 0 and "YYYY-MM:YYYY-MM" in bad.output
