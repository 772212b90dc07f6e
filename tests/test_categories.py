"""Finding categories are rulebook data (rules/categories.yaml): a new category and its rule need
no change of Python, and `rules lint` refuses a rule whose category is not listed."""
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from patuh.audits import categories as categories_of
from patuh.audits.audit import AuditError, run_audit
from patuh.audits.importer import load_package
from patuh.audits.rulebook import RULES_DIR
from patuh.audits.store.db import get_engine
from patuh.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"

# Same test as PDS-TK (unregistered workers of a registered employer), other category: its amount
# is shown but, like the deducted shares, it is part of another finding's principal.
NEW_RULE = """\
id: LAPOR-TK-01
category: LAPOR-TK
subject: employer_month
title: {id: Pekerja tidak dilaporkan, en: Workers not reported}
message:
  id: "{employer_id} {period}: {unregistered_workers} pekerja tidak dilaporkan; Rp {amount}."
  en: "{employer_id} {period}: {unregistered_workers} workers not reported; Rp {amount}."
legal_basis:
  - {instrument: UU 24/2011, article: Pasal 15 ayat (1)}
severity: medium
when:
  all:
    - {field: registered, eq: true}
    - {field: unregistered_workers, gt: 0}
amount: {calculator: dues_unregistered_workers}
examples:
  - name: one worker not reported
    fact: {registered: true, unregistered_workers: 1, unregistered_wage: 1000000, unregistered_jp_base: 1000000,
           risk_group: 1, programs: [JKK, JKM, JHT, JP], on: 2025-03-01}
    fires: true
    amount: 92400
  - name: all reported
    fact: {registered: true, unregistered_workers: 0, on: 2025-03-01}
    fires: false
"""
NEW_CATEGORY = {
    "id": "LAPOR-TK", "subject": "employer_month",
    "title": {"id": "Pekerja tidak dilaporkan", "en": "Workers not reported"},
    "adds_to_total": False, "late_fee": False,
    "evidence": {"workers": "unregistered", "sheet": "unregistered_dues"},
    "focus": ["pidana"],
}


def _rulebook_with_new_category(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (rules / "laporan").mkdir()
    (rules / "laporan" / "LAPOR-TK-01.yaml").write_text(NEW_RULE, encoding="utf-8")
    data = yaml.safe_load((rules / "categories.yaml").read_text(encoding="utf-8"))
    ids = [c["id"] for c in data["categories"]]
    data["categories"].insert(ids.index("PDS-TK") + 1, NEW_CATEGORY)  # listed right after PDS-TK
    (rules / "categories.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return rules


def test_a_new_category_is_audited_without_python(tmp_path, db_url):
    rules = _rulebook_with_new_category(tmp_path)
    res = CliRunner().invoke(main, ["rules", "lint", "--rules", str(rules), "--today", "2025-06-01"])
    assert "LAPOR-TK" not in res.output, res.output

    engine = get_engine(db_url)
    imp = load_package(DEMO, engine).import_id
    base = run_audit(engine, imp, rules_dir=RULES_DIR)
    new = run_audit(engine, imp, rules_dir=rules)

    pds_tk = {f.subject_id: f for f in base.findings if f.category == "PDS-TK"}
    lapor = {f.subject_id: f for f in new.findings if f.category == "LAPOR-TK"}
    assert pds_tk and set(lapor) == set(pds_tk)
    for sid, f in lapor.items():
        # the same dues, the same workers and the same computation sheet as PDS-TK
        assert f.amount == pds_tk[sid].amount
        assert f.evidence["workers"] == pds_tk[sid].evidence["workers"] and f.evidence["workers"]
        assert f.evidence["computation"] == pds_tk[sid].evidence["computation"]
    # ordered where categories.yaml lists it: right after PDS-TK within each employer
    for emp in {f.employer_id for f in lapor.values()}:
        cats = [f.category for f in new.findings if f.employer_id == emp]
        assert cats.index("LAPOR-TK") == max(i for i, c in enumerate(cats) if c == "PDS-TK") + 1
    # not added to case totals (adds_to_total: false), but listed among the case's categories
    base_cases = {c.employer_id: c for c in base.cases}
    for c in new.cases:
        assert c.total_amount == base_cases[c.employer_id].total_amount
        if c.employer_id in {f.employer_id for f in lapor.values()}:
            assert "LAPOR-TK" in c.categories
            assert c.categories.index("LAPOR-TK") == c.categories.index("PDS-TK") + 1
    assert new.counts["by_category"]["LAPOR-TK"]["findings"] == len(lapor)


def test_lint_and_audit_refuse_a_category_not_listed(tmp_path, db_url):
    rules = _rulebook_with_new_category(tmp_path)
    (rules / "categories.yaml").write_text(
        (RULES_DIR / "categories.yaml").read_text(encoding="utf-8"), encoding="utf-8")  # the entry is gone
    res = CliRunner().invoke(main, ["rules", "lint", "--rules", str(rules), "--today", "2025-06-01"])
    assert res.exit_code == 1
    assert "rules/laporan/LAPOR-TK-01.yaml line 2: category 'LAPOR-TK' is not in categories.yaml" in res.output

    engine = get_engine(db_url)
    imp = load_package(DEMO, engine).import_id
    with pytest.raises(AuditError, match="LAPOR-TK"):
        run_audit(engine, imp, rules_dir=rules)


def test_lint_checks_the_subject_and_the_ladder_steps(tmp_path):
    rules = _rulebook_with_new_category(tmp_path)
    path = rules / "laporan" / "LAPOR-TK-01.yaml"
    path.write_text(NEW_RULE.replace("subject: employer_month", "subject: employer"), encoding="utf-8")
    ladder = rules / "penegakan" / "LADDER-SKK.yaml"
    ladder.write_text(ladder.read_text(encoding="utf-8").replace("category: skk", "category: somasi"), encoding="utf-8")
    res = CliRunner().invoke(main, ["rules", "lint", "--rules", str(rules), "--today", "2025-06-01"])
    assert "category 'LAPOR-TK' judges employer_month facts in categories.yaml, the rule judges employer" in res.output
    assert "rules/penegakan/LADDER-SKK.yaml line 2: step 'somasi' is not among the steps of categories.yaml" in res.output


def test_the_installed_categories():
    cats = categories_of.load()
    assert cats.ids[0] == "PWBD" and cats.steps[0] == "pidana" and cats.steps[-1] == "pantau"
    assert cats.not_added == {"IURAN-PEKERJA-TIDAK-DISETOR"}
    assert cats.with_late_fee == {"TUNGGAKAN", "TELAT-BAYAR"}
    assert cats.focus_of("skk") == ("TUNGGAKAN", "TELAT-BAYAR")
    assert cats.owed_to_workers == {"UPAH-DI-BAWAH-UMK"}
    assert cats.fine_base == ("PWBD", "PDS-TK", "PDS-UPAH", "PDS-PROGRAM", "TUNGGAKAN", "JAKON-BELUM-DAFTAR",
                              "JAKON-KURANG-BAYAR")
    assert cats.rank("NOT-A-CATEGORY") == len(cats.ids)


def test_a_malformed_categories_file_names_the_entry(tmp_path):
    bad = tmp_path / "categories.yaml"
    bad.write_text("categories:\n  - {id: X, subject: employer, title: {id: x, en: x}, adds_to_total: maybe,"
                   " late_fee: false}\nsteps: [pantau]\n", encoding="utf-8")
    with pytest.raises(categories_of.CategoryError, match=r"categories.yaml: category X categories.0.adds_to_total"):
        categories_of.load(tmp_path)
