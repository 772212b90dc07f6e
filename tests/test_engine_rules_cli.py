"""Rule files (file:line errors, revision) and `patuh rules list|show|lint|test`, mutations included."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from patuh.engine import examples as engine_examples
from patuh.engine import lint as engine_lint
from patuh.engine.cli import lint_problems, rules
from patuh.engine.ruleset import Ruleset, RuleLoadError, load_collect, revision_of

DATA = Path(__file__).parent / "data"
BASIC = DATA / "rules_basic"


@pytest.fixture(autouse=True)
def engine_alone(monkeypatch):
    """The engine on its own test rulebook: without the checks patuh's domain adds to lint."""
    monkeypatch.setattr(engine_lint, "_CHECKS", [])
    monkeypatch.setattr(engine_examples, "_REGISTERED", [])


@pytest.fixture
def calcs(monkeypatch):
    """The test rulebook's calculators, handed to the engine as a domain hands its own."""
    monkeypatch.syspath_prepend(str(DATA))
    import rules_basic_calcs

    engine_examples.register_calculators(rules_basic_calcs.CALCULATORS)


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    dst = tmp_path / "rules"
    shutil.copytree(BASIC, dst)
    return dst


def run(*args):
    return CliRunner().invoke(rules, list(args), catch_exceptions=False)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


# -- loading --------------------------------------------------------------------------------------
def test_unknown_field_error_has_file_and_line(rules_copy):
    edit(rules_copy / "arrears/ARR-01.yaml", "amount: {calculator: shortfall}", "amout: {calculator: shortfall}")
    _rs, errors = load_collect(rules_copy)
    assert errors == ["rules/arrears/ARR-01.yaml line 15: unknown field 'amout'"]


def test_condition_errors_have_their_own_line(rules_copy):
    edit(rules_copy / "wages/WAGE-01.yaml", "in: [intern, volunteer]", "among: [intern, volunteer]")
    _rs, errors = load_collect(rules_copy)
    assert errors == ["rules/wages/WAGE-01.yaml line 14: when: unknown operator 'among' "
                      "(use one of eq, neq, lt, lte, gt, gte, in, contains, exists)"]


def test_nested_schema_error_line(rules_copy):
    edit(rules_copy / "arrears/ARR-01.yaml", "    fires: false", "    fires: maybe")
    _rs, errors = load_collect(rules_copy)
    assert len(errors) == 1 and errors[0].startswith("rules/arrears/ARR-01.yaml line 26: examples.1.fires")


def test_yaml_syntax_error_has_line(rules_copy):
    edit(rules_copy / "arrears/ARR-01.yaml", "severity: high", "severity: [high")
    _rs, errors = load_collect(rules_copy)
    assert errors[0].startswith("rules/arrears/ARR-01.yaml line ")


def test_id_must_match_file_name(rules_copy):
    edit(rules_copy / "arrears/ARR-01.yaml", "id: ARR-01", "id: ARR-02")
    with pytest.raises(RuleLoadError, match="line 1: id 'ARR-02' does not match the file name 'ARR-01.yaml'"):
        Ruleset.load(rules_copy)


def test_floats_are_decimal_and_on_is_a_key():
    rs = Ruleset.load(BASIC)
    ex = rs.get("ARR-01").examples[0]
    assert ex.fact["bill"] == Decimal("250.5") and isinstance(ex.fact["bill"], Decimal)
    assert ex.fact["on"] == dt.date(2025, 3, 1)  # YAML 1.1 would have made the key `on` a boolean


def test_revision_covers_rules_and_parameters(rules_copy):
    before = revision_of(rules_copy)
    assert before == Ruleset.load(BASIC).revision
    edit(rules_copy / "parameters/basic.yaml", "value: 0.02", "value: 0.03")
    assert revision_of(rules_copy) != before
    assert len(Ruleset.load(rules_copy).short_revision) == 12


# -- list / show -----------------------------------------------------------------------------------
def test_list_json():
    res = run("list", "--json", "--rules", str(BASIC))
    assert res.exit_code == 0
    data = json.loads(res.output)
    row = data["rules"][0]
    assert set(row) == {"id", "category", "title", "legal_basis", "examples_firing", "examples_silent"}
    assert row["id"] == "ARR-01" and row["examples_firing"] == 1 and row["examples_silent"] == 1
    assert row["legal_basis"][0]["article"] == "Art. 2"


def test_show_has_quote_condition_in_words_and_examples():
    res = run("show", "WAGE-01", "--rules", str(BASIC))
    assert res.exit_code == 0
    out = res.output
    assert "Wages are not below the minimum." in out
    assert "wage kurang dari parameter min_wage (kunci: kolom region)" in out
    assert "it is NOT the case that:" in out and "status is one of [intern, volunteer]" in out
    assert "[FIRES] below the 2025 minimum in A" in out


# -- lint ----------------------------------------------------------------------------------------------
def test_lint_passes_on_the_test_rules():
    assert lint_problems(BASIC, dt.date(2025, 6, 1)) == []


def test_lint_finds_each_kind_of_problem(rules_copy):
    edit(rules_copy / "wages/WAGE-01.yaml", "param: min_wage", "param: min_wages")
    edit(rules_copy / "arrears/ARR-01.yaml", "    article: Art. 2\n", "")
    arr = rules_copy / "arrears/ARR-01.yaml"
    arr.write_text(arr.read_text().split("  - name: paid in full")[0])
    edit(rules_copy / "parameters/basic.yaml", "    - valid_from: 2024-01-01\n",
         "    - valid_from: 2024-01-01\n      valid_until: 2025-06-30\n")
    problems = lint_problems(rules_copy, dt.date(2025, 6, 1))
    text = "\n".join(problems)
    assert "rules/wages/WAGE-01.yaml line 13: unknown parameter 'min_wages'" in text
    assert "rules/arrears/ARR-01.yaml line 6: needs a legal basis with an article" in text
    assert "rules/arrears/ARR-01.yaml line 17: needs at least one firing and one silent example (has 1 firing, 0 silent)" in text
    assert "overlapping" in text


def test_lint_reports_stale_yearly_parameter(rules_copy):
    edit(rules_copy / "parameters/basic.yaml", "  unit: rupiah\n", "  unit: rupiah\n  changes: yearly\n")
    assert lint_problems(rules_copy, dt.date(2025, 6, 1)) == []
    assert any("stale for 2026" in p for p in lint_problems(rules_copy, dt.date(2026, 6, 1)))


def test_lint_cli_exit_codes(rules_copy):
    assert run("lint", "--rules", str(rules_copy), "--today", "2025-06-01").exit_code == 0
    edit(rules_copy / "arrears/ARR-01.yaml", "severity: high", "severity: hgih")
    res = run("lint", "--rules", str(rules_copy), "--today", "2025-06-01")
    assert res.exit_code == 1 and "rules/arrears/ARR-01.yaml line 10: severity" in res.output


# -- test ----------------------------------------------------------------------------------------------
def test_rules_test_passes(calcs):
    res = run("test", "--json", "--rules", str(BASIC))
    data = json.loads(res.output)
    assert res.exit_code == 0, res.output
    assert data["ok"] and data["examples"] == 5 and data["coverage"]["per_rule"] == {"ARR-01": True, "WAGE-01": True}


def test_mutated_threshold_in_a_rule_fails(calcs, rules_copy):
    edit(rules_copy / "wages/WAGE-01.yaml", "in: [intern, volunteer]", "in: [volunteer]")
    res = run("test", "--rules", str(rules_copy))
    assert res.exit_code == 1
    assert "FAIL WAGE-01 :: interns are not judged" in res.output
    assert "expected silent, got fires" in res.output


def test_mutated_parameter_value_fails(calcs, rules_copy):
    edit(rules_copy / "parameters/basic.yaml", "{A: 3200000, B: 2600000}", "{A: 3000000, B: 2600000}")
    res = run("test", "--rules", str(rules_copy))
    assert res.exit_code == 1 and "FAIL WAGE-01 :: below the 2025 minimum in A" in res.output


def test_mutated_rate_fails_the_amount(calcs, rules_copy):
    edit(rules_copy / "parameters/basic.yaml", "value: 0.02", "value: 0.025")
    res = run("test", "--rules", str(rules_copy))
    assert res.exit_code == 1 and "late_fee: expected 3, got 4" in res.output


def test_missing_calculators_fail_only_amount_examples_with_a_reason(monkeypatch):
    def broken():  # the domain's calculators module does not import
        raise ImportError("No module named 'no_such_module_here'")

    engine_examples.register_calculators(broken)
    res = run("test", "--rules", str(BASIC))
    assert res.exit_code == 1
    assert ("calculator 'shortfall' not available: the calculators table cannot be loaded "
            "(ImportError: No module named 'no_such_module_here')") in res.output
    assert "WAGE-01" not in res.output.split("examples,")[0].replace("UNCOVERED", "")


def test_no_examples_is_a_failure(tmp_path):
    d = tmp_path / "rules" / "x"
    d.mkdir(parents=True)
    src = (BASIC / "wages/WAGE-01.yaml").read_text().split("examples:")[0]
    (d / "WAGE-01.yaml").write_text(src.replace("{param: min_wage, key: {field: region}}", "1000"))
    res = run("test", "--rules", str(tmp_path / "rules"))
    assert res.exit_code == 1 and "no example ran" in res.output


def test_mutated_real_parameter_fails_real_rules(tmp_path):
    """The same on the real rulebook: bump every JKM rate; some example amount must change."""
    real = Path(__file__).resolve().parents[1] / "rules"
    dst = tmp_path / "rules"
    shutil.copytree(real, dst)
    target = None
    for f in sorted((dst / "parameters").glob("*.yaml")):
        if "id: jkm_rate" in f.read_text():
            target = f
    if target is None:
        pytest.skip("no jkm_rate parameter in rules/")
    text = target.read_text()
    head, _, tail = text.partition("id: jkm_rate")
    tail = tail.replace("value: 0.0030", "value: 0.0031", 1)
    target.write_text(head + "id: jkm_rate" + tail)
    if target.read_text() == text:
        pytest.skip("jkm_rate value not in the expected form")
    res = run("test", "--rules", str(dst))
    assert res.exit_code == 1 and "FAIL" in res.output
