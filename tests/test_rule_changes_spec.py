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
