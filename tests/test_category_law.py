"""What the law says about a category is rulebook data (rules/categories.yaml), not Python: which
findings put workers outside BPJS (coverage), which principal already holds the deducted shares
(and so proves the unpaid contributions of UU 24/2011 Pasal 19 ayat (2) in the police dossier), and
which articles a written warning adds for a category — each cited article checked by `rules lint`
against the law corpus."""
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from patuh.audits import categories as categories_of
from patuh.audits.rulebook import RULES_DIR
from patuh.cli import main


def _copy(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return rules


def test_the_installed_categories_carry_what_the_code_used_to_hard_code():
    cats = categories_of.load()
    # coverage: PDS-TK lists its unregistered workers; a PWBD employer has no worker registered
    assert cats.unregistered_from("evidence") == {"PDS-TK"}
    assert cats.unregistered_from("payroll") == {"PWBD"}
    # the deducted shares are inside the arrears (registered) or the PWBD dues (unregistered)
    assert cats.focus_of("pidana") == ("IURAN-PEKERJA-TIDAK-DISETOR",)
    assert cats.part_of(cats.focus_of("pidana")) == ("PWBD", "TUNGGAKAN")
    assert cats.part_of(["TUNGGAKAN"]) == ()
    basis = {c.id: [(b.instrument, b.article) for b in c.warning_basis] for c in cats if c.warning_basis}
    assert basis == {"TUNGGAKAN": [("UU 24/2011", "Pasal 19 ayat (2)")],
                     "TELAT-BAYAR": [("UU 24/2011", "Pasal 19 ayat (2)")],
                     "IURAN-PEKERJA-TIDAK-DISETOR": [("UU 24/2011", "Pasal 19 ayat (1)"), ("UU 24/2011", "Pasal 55")]}


def test_lint_refuses_a_warning_basis_the_law_corpus_does_not_hold(tmp_path):
    rules = _copy(tmp_path)
    path = rules / "categories.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('article: "Pasal 55"', 'article: "Pasal 555"'),
                    encoding="utf-8")
    res = CliRunner().invoke(main, ["rules", "lint", "--rules", str(rules), "--today", "2025-06-01"])
    assert res.exit_code == 1, res.output
    assert "category IURAN-PEKERJA-TIDAK-DISETOR warning_basis UU 24/2011 Pasal 555" in res.output
    ok = CliRunner().invoke(main, ["rules", "lint", "--rules", str(_copy(tmp_path / "b")), "--today", "2025-06-01"])
    assert ok.exit_code == 0, ok.output


def test_part_of_must_name_another_category(tmp_path):
    rules = _copy(tmp_path)
    path = rules / "categories.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("part_of: [TUNGGAKAN, PWBD]", "part_of: [TUNGGAKAN, PWDB]"),
                    encoding="utf-8")
    with pytest.raises(categories_of.CategoryError, match="IURAN-PEKERJA-TIDAK-DISETOR part_of: 'PWDB'"):
        categories_of.load(rules)
