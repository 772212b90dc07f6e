"""docs/rule-changes.md read statement by statement where the other tests leave a gap.

`patuh rules impact --check --rules DIR` with a copy of the rulebook kept outside the repository
(a rule author's scratch copy): the reference packages are still the demo and those of
`impact/packages.yaml`, "paths from the repository root" — not paths beside the copy."""
from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

import patuh.cli
from patuh.audits.impact import reference_packages
from patuh.audits.rulebook import RULES_DIR

ROOT = Path(__file__).resolve().parent.parent


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "scratch" / "rules"
    shutil.copytree(RULES_DIR, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def test_reference_packages_of_a_copy_outside_the_repository_are_the_projects(tmp_path):
    rules = _copy(tmp_path)
    pkgs = reference_packages(rules)
    assert [p.name for p in pkgs][0] == "kalbar-demo"
    assert pkgs[0].path == ROOT / "fixtures" / "kalbar-demo"
    assert {p.name for p in pkgs} == {p.name for p in reference_packages(RULES_DIR)}
    assert all(p.path.is_dir() for p in pkgs)


def test_check_of_a_changed_copy_without_package_lists_the_moved_findings(tmp_path):
    rules = _copy(tmp_path)
    # the JKK/JKM/JHT late-fee rate from 2021: 2 % -> 2.5 %; the demo's late fees grow by a quarter
    path = rules / "parameters" / "pembayaran.yaml"
    text = path.read_text(encoding="utf-8")
    old = '{valid_from: 2021-02-01, value: 0.02, instrument: "PP 44/2015'
    assert text.count(old) == 1
    path.write_text(text.replace(old, old.replace("0.02", "0.025")), encoding="utf-8")
    r = CliRunner().invoke(patuh.cli.main, ["rules", "impact", "--check", "--rules", str(rules)])
    assert r.exit_code == 1, r.output
    assert "is not a folder" not in r.output
    # F-25C7BD9E99 (E18, April 2025) has a late fee of Rp 160.895 at 2 %: at 2.5 % it is 160895 × 1.25
    assert "~ F-25C7BD9E99" in r.output and "Rp 160.895 → Rp 201.119" in r.output
    assert "kalbar-demo" in r.output and "jp-cap-2025h1" in r.output
    assert CliRunner().invoke(patuh.cli.main, ["rules", "impact", "--update", "--rules", str(rules)]).exit_code == 0
    assert (rules / "impact" / "kalbar-demo.csv").read_text() != (RULES_DIR / "impact" / "kalbar-demo.csv").read_text()
    assert CliRunner().invoke(patuh.cli.main, ["rules", "impact", "--check", "--rules", str(rules)]).exit_code == 0


SPEC_INSTRUMENTS = ["UU 24/2011", "UU 40/2004", "UU 16/2004", "PP 44/2015", "PP 45/2015", "PP 46/2015",
                    "PP 86/2013", "PP 49/2020", "PP 36/2021", "PP 51/2023", "Perpres 109/2013",
                    "Permenaker 44/2015", "Permenaker 5/2021", "Permenaker 4/2018", "Inpres 2/2021"]


def test_coverage_names_every_instrument_with_the_three_states_and_the_examples_as_documented():
    import json

    r = CliRunner().invoke(patuh.cli.main, ["rules", "coverage", "--json"])
    assert r.exit_code == 0, r.output
    cov = json.loads(r.output)
    assert set(SPEC_INSTRUMENTS) <= {a["instrument"] for a in cov["articles"]}
    assert {a["state"] for a in cov["articles"]} <= {"diuji", "dikutip", "belum"}
    t = cov["totals"]
    assert t["diuji"] + t["dikutip"] + t["belum"] == t["articles"] == len(cov["articles"])
    assert t["verified"] + t["not_verified"] == t["articles"]
    text = CliRunner().invoke(patuh.cli.main, ["rules", "coverage"]).output
    # docs/rule-changes.md: examples shown as `+firing/−silent` (a minus sign, as the impact lists use)
    tun = next(a for a in cov["articles"] if a["instrument"] == "UU 40/2004" and a["article"] == "Pasal 17")
    x = next(x for x in tun["rules"] if x["rule"] == "TUNGGAKAN-01")
    assert f"TUNGGAKAN-01 (+{x['examples_firing']}/−{x['examples_silent']})" in text


def test_base_revision_against_a_copy_outside_the_repository_lists_exactly_the_changed_findings(tmp_path):
    """`--base HEAD --rules COPY`: BASE is a revision of the repository the copy came from."""
    import json

    rules = _copy(tmp_path)
    path = rules / "parameters" / "pembayaran.yaml"
    old = '{valid_from: 2021-02-01, value: 0.02, instrument: "PP 44/2015'
    path.write_text(path.read_text(encoding="utf-8").replace(old, old.replace("0.02", "0.025")), encoding="utf-8")
    base = tmp_path / "base"  # HEAD's rulebook as a folder, for the same comparison without git
    shutil.copytree(RULES_DIR, base, ignore=shutil.ignore_patterns("__pycache__"))
    got = {}
    for b in ("HEAD", str(base)):
        r = CliRunner().invoke(patuh.cli.main, ["rules", "impact", "--base", b, "--rules", str(rules),
                                                "--package", str(ROOT / "fixtures" / "kalbar-demo"), "--json"])
        assert r.exit_code == 0, r.output
        rep = json.loads(r.output)
        assert [(p["id"], p["valid_from"]) for p in rep["parameters"]] == [("late_fee_rate", "2021-02-01")]
        pkg = rep["packages"][0]
        assert not pkg["added"] and not pkg["removed"]
        got[b] = sorted((c["finding_id"], c["late_fee_before"], c["late_fee"]) for c in pkg["changed"])
    assert got["HEAD"] == got[str(base)]
    assert ("F-25C7BD9E99", "160895.00", "201119.00") in got["HEAD"]


def _law_copy(tmp_path: Path, old: str, new: str) -> Path:
    rules = _copy(tmp_path)
    path = rules / "law" / "uu-40-2004.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return rules


def test_a_summary_without_its_mark_and_an_unverified_quotation_are_refused_once(tmp_path):
    from patuh.engine.lint import lint_problems

    unmarked = _copy(tmp_path / "a")
    p = unmarked / "law" / "pp-49-2020.yaml"
    text = p.read_text(encoding="utf-8")
    assert text.count("(Ringkasan) Untuk iuran Agustus") == 1
    p.write_text(text.replace("(Ringkasan) Untuk iuran Agustus", "Untuk iuran Agustus"), encoding="utf-8")
    problems = lint_problems(unmarked)
    assert any('Pasal 4: a summary (kind ringkasan) starts its text with "(Ringkasan)"' in x for x in problems), problems

    unverified = _law_copy(tmp_path / "b", '''    verified: true
    read_in: &uu40 "mblonyox/data-peraturan uu/2004/40.md (salinan resmi), dibaca November 2026"''',
                           '''    verified: false
    confidence: S2
    sources: a secondary source
    read_in: &uu40 "x"''')
    problems = lint_problems(unverified)
    hits = [x for x in problems if "only a verified article may give enacted words" in x]
    assert len(hits) == 1, problems  # the corpus is read by two checks; the problem is said once


def test_audit_refuses_a_broken_rulebook_before_anything_is_written(tmp_path):
    rules = _copy(tmp_path)
    rule = rules / "iuran" / "IURAN-PEKERJA-01.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace("calculator: unremitted_deductions",
                                                             "calculator: no_such_calculator"), encoding="utf-8")
    out, db = tmp_path / "out", tmp_path / "p.db"
    r = CliRunner().invoke(patuh.cli.main, ["audit", str(ROOT / "fixtures" / "kalbar-demo"), "--rules", str(rules),
                                            "--out", str(out), "--db", f"sqlite:///{db}", "--no-pdf"])
    assert r.exit_code == 1, r.output
    assert "no_such_calculator" in r.output
    assert not out.exists() and not db.exists()  # no output folder, no database


def test_sensitivity_says_when_its_rulebook_is_not_the_one_the_run_used(tmp_path):
    from patuh.audits.audit import run_audit
    from patuh.audits.importer.load import load_package
    from patuh.audits.sensitivity import sensitivity
    from patuh.audits.store.db import get_engine

    engine = get_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        run = run_audit(engine, load_package(ROOT / "fixtures" / "kalbar-demo", engine).import_id)
        same = sensitivity(engine, run.run_id)
        assert "warnings" not in same and same["parameters"]
        rules = _copy(tmp_path)
        path = rules / "parameters" / "pembayaran.yaml"
        old = '{valid_from: 2021-02-01, value: 0.02, instrument: "PP 44/2015'
        path.write_text(path.read_text(encoding="utf-8").replace(old, old.replace("0.02", "0.025")), encoding="utf-8")
        other = sensitivity(engine, run.run_id, rules)
        assert len(other["warnings"]) == 1 and run.revision[:12] in other["warnings"][0]
    finally:
        engine.dispose()
