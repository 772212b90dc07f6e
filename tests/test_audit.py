"""The audit end to end on small packages: the SQL + rules path against the plain-Python oracle,
determinism, the run record, and the inspector commands."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from patuh.audits.audit import run_audit
from patuh.audits.importer import load_package
from patuh.audits.oracle import audit_package
from patuh.audits.outputs import write_results
from patuh.audits.store import schema as s
from patuh.audits.store.db import get_engine
from patuh.cli import main
from patuh.engine.parameters import ParameterStore

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini"


@pytest.fixture(scope="module")
def params():
    return ParameterStore.load(ROOT / "rules" / "parameters")


def key(findings):
    return {(f.category, f.subject_id): (int(f.amount), None if f.late_fee is None else int(f.late_fee))
            for f in findings}


def audit(db_url, package=MINI, **kw):
    engine = get_engine(db_url)
    loaded = load_package(package, engine)
    return engine, run_audit(engine, loaded.import_id, **kw)


def test_mini_matches_oracle(db_url, params):
    _, result = audit(db_url)
    expected = audit_package(MINI, params)
    assert key(result.findings) == key(expected.findings)
    assert {c.employer_id: (c.next_steps, c.wait_until) for c in result.cases} == \
           {c.employer_id: (c.next_steps, c.wait_until) for c in expected.cases}
    assert len(result.findings) > 3  # the mini package plants several categories


def test_as_of_and_range_change_the_findings(db_url, params):
    engine, early = audit(db_url, as_of=__import__("datetime").date(2025, 2, 1))
    # nothing is due before 17 Feb 2025: no payment findings at all
    assert not {f.category for f in early.findings} & {"TUNGGAKAN", "TELAT-BAYAR", "IURAN-PEKERJA-TIDAK-DISETOR"}
    expected = audit_package(MINI, params, as_of=early.as_of)
    assert key(early.findings) == key(expected.findings)
    one = run_audit(engine, early.import_id, period_from="2025-02", period_to="2025-02")
    assert all(f.period in (None, "2025-02") for f in one.findings)


def test_same_inputs_same_bytes(db_url, tmp_path):
    engine, r1 = audit(db_url)
    write_results(tmp_path / "a", r1)
    r2 = run_audit(engine, r1.import_id)
    write_results(tmp_path / "b", r2)
    assert r1.run_id == r2.run_id
    for name in ("findings.csv", "findings.json", "cases.csv", "cases.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    with engine.connect() as conn:  # re-running replaced the run's rows instead of adding to them
        assert conn.execute(select(func.count()).select_from(s.runs)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(s.findings)).scalar() == len(r1.findings)


def test_run_record_and_trace(db_url):
    engine, r = audit(db_url)
    with engine.connect() as conn:
        run = conn.execute(select(s.runs)).mappings().one()
        assert run["ruleset_revision"] == r.revision and run["as_of"] == r.as_of
        used = json.loads(run["parameters_json"])
        assert any(p["id"] == "jp_wage_cap" for p in used)
        counts = json.loads(run["counts_json"])
        assert counts["findings"] == len(r.findings)
        row = conn.execute(select(s.findings).where(s.findings.c.category == "TUNGGAKAN")).mappings().first()
    trace = json.loads(row["trace_json"])
    assert trace["rule_id"] == "TUNGGAKAN-01" and trace["revision"] == r.revision
    assert {"registered", "due_date", "as_of", "paid", "bill"} <= set(trace["fields"])
    params = {p["id"]: p for p in trace["parameters"]}
    assert {"late_fee_rate", "late_fee_rate_jp", "jkk_rate"} <= set(params)
    # the JP late fee as enacted: 2 % a month, PP 45/2015 Pasal 31 ayat (1), read in the gazetted text
    assert (params["late_fee_rate_jp"]["status"], params["late_fee_rate_jp"]["value"]) == ("P", "0.02")
    ev = json.loads(row["evidence_json"])
    assert ev["computation"] and all("source" in p for p in ev["payments"])


def test_evidence_names_source_rows(db_url):
    _, r = audit(db_url)
    tk = next(f for f in r.findings if f.category == "PDS-TK")
    assert tk.evidence["workers"]
    for w in tk.evidence["workers"]:
        assert w["source"].startswith("payroll.csv row ") and len(w["nik"]) == 16


def test_deductions_evidence_lists_the_workers_whose_wages_were_cut(db_url):
    _, r = audit(db_url)
    f = next(f for f in r.findings if f.category == "IURAN-PEKERJA-TIDAK-DISETOR")
    workers = f.evidence["workers"]
    assert workers and all(float(w["bpjs_deduction"]) > 0 for w in workers)
    assert all(w["source"].startswith("payroll.csv row ") for w in workers)
    assert sum(float(w["bpjs_deduction"]) for w in workers) >= float(f.amount)


def test_minimum_wage_findings_trace_the_umk_applied(db_url):
    _, r = audit(db_url)
    f = next(f for f in r.findings if f.category == "UPAH-DI-BAWAH-UMK")
    used = [p for p in f.trace["parameters"] if p["id"] in ("umk", "ump")]
    assert len(used) == 1 and used[0]["value"] == str(f.trace["evidence_fields"]["minimum_wage"])


def test_commands_findings_explain_cases(db_url, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["audit", str(MINI), "--out", str(tmp_path / "out"), "--db", db_url, "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert "TOTAL" in res.output
    rows = list((tmp_path / "out" / "findings.csv").read_text().splitlines())
    assert rows[0] == ("finding_id,rule_id,category,subject_type,subject_id,employer_id,period,amount,"
                       "late_fee,severity,legal_basis,message,review")  # review: docs/lifecycle.md
    res = runner.invoke(main, ["findings", "--db", db_url, "--category", "tunggakan"])
    assert res.exit_code == 0 and "TUNGGAKAN" in res.output
    fid = next(line.split()[0] for line in res.output.splitlines() if line.startswith("F-"))
    res = runner.invoke(main, ["explain", fid, "--db", db_url])
    assert res.exit_code == 0, res.output
    assert "Pasal 19 ayat (2)" in res.output and "late_fee_rate" in res.output and "status S2" in res.output
    res = runner.invoke(main, ["cases", "--db", db_url])
    assert res.exit_code == 0 and "kasus / cases" in res.output


def test_audit_bad_arguments_are_clear(db_url, tmp_path):
    res = CliRunner().invoke(main, ["audit", str(MINI), "--out", str(tmp_path), "--db", db_url, "--from", "2025-13"])
    assert res.exit_code == 2 and "not a month" in res.output
    res = CliRunner().invoke(main, ["audit", str(ROOT / "fixtures" / "invalid" / "bad-money"), "--out",
                                    str(tmp_path), "--db", db_url])
    assert res.exit_code == 1 and "nothing was imported" in res.output and "Traceback" not in res.output
    assert "is not a plain number" in res.output


def _variant(tmp_path, **appends) -> Path:
    """A copy of the mini package with rows appended to some of its CSV files."""
    import shutil

    pkg = tmp_path / "variant"
    shutil.copytree(MINI, pkg)
    for table, lines in appends.items():
        with (pkg / f"{table}.csv").open("a", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))
    return pkg


def test_edge_readings_match_the_oracle(db_url, params, tmp_path):
    """Readings documented in docs/interpretations.md, checked against the oracle."""
    pkg = _variant(
        tmp_path,
        # a registered small firm without JHT and without payroll in the audited months: PDS-PROGRAM, amount 0
        employers=["E003,CV Tanpa Gaji,,,NPP0003,2021-05-01,kecil,jasa,1,JKK;JKM,6172,"],
        # a letter dated after as_of did not exist yet: E002 keeps waiting on its teguran-1 … not escalate
        enforcement_actions=["E002,teguran-2,2025-12-01,B/999/2025"],
    )
    _, result = audit(db_url, pkg)
    expected = audit_package(pkg, params)
    assert key(result.findings) == key(expected.findings)
    program = [f for f in result.findings if f.category == "PDS-PROGRAM" and f.employer_id == "E003"]
    assert len(program) == 1 and program[0].amount == 0
    cases = {c.employer_id: c for c in result.cases}
    assert cases["E002"].next_steps == [s for s in expected_steps(expected, "E002")]
    assert "teguran-2" in cases["E002"].next_steps  # the December letter is ignored at as_of 2025-06-30


def expected_steps(expected, employer_id):
    return next(c.next_steps for c in expected.cases if c.employer_id == employer_id)


def test_registration_after_as_of_is_not_evidence(db_url, tmp_path):
    """A project registered after as_of is unregistered at as_of — in the finding and its evidence."""
    pkg = _variant(tmp_path, contracts=[
        "SPK-LATE/2025,Jalan desa,E001,Dinas PUPR Kota Pontianak,apbd-kabupaten,Budi,80000000,2025-03-03,"
        "2025-03-10,2025-05-30,6171,"], project_registrations=["SPK-LATE/2025,PRJ-LATE,2025-07-01,80000000,192000,2025-07-01"])
    _, r = audit(db_url, pkg)
    f = next(f for f in r.findings if f.subject_id == "SPK-LATE/2025")
    assert f.category == "JAKON-BELUM-DAFTAR" and f.amount == 192000
    contract = f.evidence["contracts"][0]
    assert contract["registered_on"] == "" and contract["registration_no"] == "" and contract["contribution_paid"] == "0.00"


def test_what_cannot_be_assessed_is_said(db_url, params, tmp_path):
    """No minimum wage in force, an unknown regency, an SPK before the 14-day rule existed: the
    audit says so instead of staying silent, and agrees with the oracle on what it does find."""
    pkg = _variant(
        tmp_path,
        employers=["E009,CV Luar Kalbar,,,,,mikro,jasa,,,9999,"],
        payroll=["E009,2025-01,6171010101900009,Andi,pkwtt,1000000,0",
                 "E002,2021-06,6101010505950004,Rina Wati,pkwtt,1000000,0"],
        contracts=["SPK-2015/OLD,Gedung lama,E001,Dinas PUPR Kota Pontianak,apbd-kabupaten,Budi,80000000,2015-03-03,"
                   "2015-03-10,2015-05-30,6171,"],
        project_registrations=["SPK-2015/OLD,PRJ-OLD,2015-04-30,80000000,192000,2015-04-30"],
    )
    _, r = audit(db_url, pkg)
    text = "\n".join(r.warnings)
    assert "regency 9999 has no UMK" in text
    assert "regency 6101 in 2021-06" in text and "UPAH-DI-BAWAH-UMK not assessed" in text
    assert "contract SPK-2015/OLD" in text and "JAKON-TELAT-DAFTAR not assessed" in text
    assert not [f for f in r.findings if f.subject_id == "SPK-2015/OLD"]
    umk = [f for f in r.findings if f.subject_id == "E009:2025-01"]
    assert [f.category for f in umk] == ["UPAH-DI-BAWAH-UMK"] and umk[0].amount == 2878286 - 1000000  # the UMP
    assert key(r.findings) == key(audit_package(pkg, params).findings)


def test_employer_level_dues_take_each_months_rates(db_url, tmp_path):
    """PWBD over two months with a JKM rate that changes between them: each month at its own rate
    (as the oracle does), and the computation sheet adds up to the finding."""
    import shutil
    from decimal import Decimal

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    iuran = rules / "parameters" / "iuran.yaml"
    text = iuran.read_text(encoding="utf-8")
    marker = "      source: parapuan.co; nova.grid.id (values S2; article S1)\n      status: S2\n"
    assert marker in text
    iuran.write_text(text.replace(marker, marker + (
        "    - {valid_from: 2025-02-01, value: 0.0040, instrument: test, article: test, source: test, status: D}\n"), 1),
        encoding="utf-8")
    changed = ParameterStore.load(rules / "parameters")
    pkg = _variant(tmp_path, payroll=["E002,2025-02,6101010505950004,Rina Wati,pkwtt,2500000,0"])
    engine = get_engine(db_url)
    r = run_audit(engine, load_package(pkg, engine).import_id, rules_dir=rules)
    pwbd = next(f for f in r.findings if f.category == "PWBD")
    expected = audit_package(pkg, changed)
    assert key(r.findings) == key(expected.findings)
    single_rate = next(f for f in audit_package(pkg, ParameterStore.load(ROOT / "rules" / "parameters")).findings
                       if f.category == "PWBD")
    assert pwbd.amount != single_rate.amount  # the February JKM rate made a difference
    sheet = pwbd.evidence["computation"]
    assert {row["period"] for row in sheet} == {"2025-01", "2025-02"}
    from patuh.audits.calc.money import round_rupiah

    assert round_rupiah(sum(Decimal(row["due"]) for row in sheet)) == pwbd.amount


def test_batches_of_employers_change_nothing(db_url, tmp_path, monkeypatch):
    """The audit runs facts → rules → evidence a batch of employers at a time (for memory): batches
    of two employers give the same findings, evidence, cases, counts, warnings and outputs as one."""
    import patuh.audits.audit as audit_module

    demo = ROOT / "fixtures" / "kalbar-demo"
    engine, whole = audit(db_url, package=demo)
    monkeypatch.setattr(audit_module, "EMPLOYER_BATCH", 2)
    batched = run_audit(engine, whole.import_id)
    monkeypatch.undo()
    n_employers = len({f.employer_id for f in whole.findings})
    assert n_employers > 4  # so that batches of two are many batches, some with several findings
    write_results(tmp_path / "whole", whole)
    write_results(tmp_path / "batched", batched)
    for name in ("findings.csv", "findings.json", "cases.csv", "cases.json", "coverage.csv"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "batched" / name).read_bytes(), name
    assert [f.trace for f in whole.findings] == [f.trace for f in batched.findings]
    assert [f.evidence for f in whole.findings] == [f.evidence for f in batched.findings]
    assert whole.counts == batched.counts and whole.warnings == batched.warnings
    assert whole.run_id == batched.run_id


@pytest.mark.parametrize("package", ["demo", "warnings"])
def test_worker_processes_change_nothing(db_url, tmp_path, monkeypatch, package):
    """Batches judged in two forked worker processes give what one process gives, byte for byte,
    with the same parameters used and the same warnings in the same order (the `warnings` package
    has warnings said while the lookup tables are built and while facts are made)."""
    import patuh.audits.audit as audit_module

    if package == "demo":
        pkg = ROOT / "fixtures" / "kalbar-demo"
    else:
        pkg = _variant(tmp_path, employers=["E009,CV Luar Kalbar,,,,,mikro,jasa,,,9999,"],
                       payroll=["E009,2025-01,6171010101900009,Andi,pkwtt,1000000,0",
                                "E002,2021-06,6101010505950004,Rina Wati,pkwtt,1000000,0"])
    recorded = []  # the parameters used, as each run records them
    real_record = audit_module._record
    monkeypatch.setattr(audit_module, "_record", lambda engine, r, used, *a: (recorded.append(used), real_record(engine, r, used, *a)))
    monkeypatch.setenv("PATUH_AUDIT_WORKERS", "1")
    engine, alone = audit(db_url, package=pkg)
    assert alone.timings["workers"] == 1
    monkeypatch.setenv("PATUH_AUDIT_WORKERS", "2")
    monkeypatch.setattr(audit_module, "EMPLOYER_BATCH", 1 if package == "warnings" else 3)
    shared = run_audit(engine, alone.import_id)
    assert shared.timings["workers"] == 2
    write_results(tmp_path / "alone", alone)
    write_results(tmp_path / "shared", shared)
    for name in ("findings.csv", "findings.json", "cases.csv", "cases.json", "coverage.csv", "villages.csv"):
        assert (tmp_path / "alone" / name).read_bytes() == (tmp_path / "shared" / name).read_bytes(), name
    assert [f.evidence for f in alone.findings] == [f.evidence for f in shared.findings]
    assert alone.counts == shared.counts and alone.warnings == shared.warnings
    if package == "warnings":
        assert any("regency 9999 has no UMK" in w for w in shared.warnings)
        assert any("regency 6101 in 2021-06" in w for w in shared.warnings)
    assert alone.run_id == shared.run_id
    assert recorded[0] == recorded[1]
    assert {"jp_wage_cap", "umk"} <= {u["id"] for u in recorded[0]}


def test_audit_workers_setting_is_checked(db_url, monkeypatch):
    from patuh.audits.audit import AuditError

    engine, first = audit(db_url)
    monkeypatch.setenv("PATUH_AUDIT_WORKERS", "dua")
    with pytest.raises(AuditError, match="PATUH_AUDIT_WORKERS"):
        run_audit(engine, first.import_id)


def test_a_daemonic_process_judges_in_one_process(db_url, monkeypatch):
    """Inside a multiprocessing pool's worker (a daemonic process, which may not have children) the
    audit keeps its batches in this process instead of failing to start its workers."""
    import types

    import patuh.audits.forking as forking
    from patuh.audits.audit import _audit_workers

    engine, _ = audit(db_url)
    monkeypatch.setenv("PATUH_AUDIT_WORKERS", "2")
    assert _audit_workers(1000, engine) == (2 if forking.can_fork() else 1)
    monkeypatch.setattr(forking.multiprocessing, "current_process", lambda: types.SimpleNamespace(daemon=True))
    assert _audit_workers(1000, engine) == 1


def test_an_error_in_a_worker_comes_back_as_itself(db_url, monkeypatch):
    """A worker that cannot set itself up (here its lookup tables fail) makes the audit fail with
    that error, as one process would, not with a broken process pool."""
    import patuh.audits.audit as audit_module

    engine, first = audit(db_url, package=ROOT / "fixtures" / "kalbar-demo")

    def broken(_sc, **_how):
        raise ValueError("no jp_wage_cap in force on 2025-01-01")

    monkeypatch.setenv("PATUH_AUDIT_WORKERS", "2")
    monkeypatch.setattr(audit_module, "build_lookup_tables", broken)
    with pytest.raises(ValueError, match="no jp_wage_cap in force"):
        run_audit(engine, first.import_id)
