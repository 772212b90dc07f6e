"""The engine knows no currency, fee or language of its own: a rulebook declares them in its
rulebook.yaml (engine/declaration.py), and the engine imports nothing of the domain."""
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from patuh.engine.evaluator import Evaluator
from patuh.engine.parameters import ParameterError, ParameterStore
from patuh.engine.ruleset import RuleLoadError, Ruleset

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
BASIC = DATA / "rules_basic"


@pytest.fixture
def rules(tmp_path) -> Path:
    dst = tmp_path / "rules"
    shutil.copytree(BASIC, dst)
    return dst


@pytest.fixture
def calcs(monkeypatch):
    monkeypatch.syspath_prepend(str(DATA))
    import rules_basic_calcs

    return rules_basic_calcs.CALCULATORS


def month(**kw):
    fact = {"id": "m1", "type": "month", "batch": "e1", "on": "2025-03-01", "registered": True,
            "bill": Decimal("250.5"), "paid": Decimal(100)}
    fact.update(kw)
    return fact


def evaluate(rules: Path, calcs, fact):
    rs = Ruleset.load(rules)
    return Evaluator(rs, ParameterStore.load(rules / "parameters"), calcs).evaluate([fact])


def test_the_declared_rounding_and_named_amount(rules, calcs):
    [hit] = evaluate(rules, calcs, month())
    assert hit.amount == Decimal(151)  # 150.5: whole units, half-up, as rules_basic declares
    assert hit.amounts == {"late_fee": Decimal(3)} and hit.late_fee == Decimal(3)


def test_without_a_declaration_amounts_stay_exact_and_late_fee_is_no_field(rules, calcs):
    (rules / "rulebook.yaml").unlink()
    with pytest.raises(RuleLoadError, match=r"ARR-01.yaml line \d+: unknown field 'late_fee'"):
        Ruleset.load(rules)
    arr = rules / "arrears" / "ARR-01.yaml"
    arr.write_text(re.sub(r"(?m)^\s*late_fee:.*\n", "", arr.read_text()))
    [hit] = evaluate(rules, calcs, month())
    assert hit.amount == Decimal("150.5") and hit.amounts == {}


def test_another_rounding_and_another_named_amount(rules, calcs):
    (rules / "rulebook.yaml").write_text(
        "languages: [id, en]\namounts: [surcharge]\nrounding: {quantum: 10, mode: down}\n"
        "parameters: {units: [fraction, rupiah]}\n")
    arr = rules / "arrears" / "ARR-01.yaml"
    arr.write_text(arr.read_text().replace("late_fee", "surcharge"))
    calcs = {"shortfall": calcs["shortfall"], "surcharge": calcs["late_fee"]}
    [hit] = evaluate(rules, calcs, month())
    assert hit.amount == Decimal(150) and hit.amounts == {"surcharge": Decimal(0)}  # 150.5 and 3.01, down to tens
    assert Ruleset.load(rules).get("ARR-01").examples[0].expected == {"surcharge": Decimal(3)}


def test_every_declared_language_is_required(rules):
    (rules / "rulebook.yaml").write_text("languages: [id, en, fr]\namounts: [late_fee]\n"
                                         "parameters: {units: [fraction, rupiah]}\n")
    with pytest.raises(RuleLoadError) as err:
        Ruleset.load(rules)
    assert re.search(r"rules/wages/WAGE-01.yaml line \d+: title has no text in 'fr'", str(err.value))


def test_parameter_units_and_statuses_are_declared(rules):
    (rules / "rulebook.yaml").write_text("amounts: [late_fee]\nparameters: {units: [fraction], statuses: [P]}\n")
    with pytest.raises(ParameterError, match="unit 'rupiah' is not one of fraction"):
        ParameterStore.load(rules / "parameters")
    (rules / "rulebook.yaml").write_text("amounts: [late_fee]\nparameters: {units: [fraction, rupiah], statuses: [P]}\n")
    with pytest.raises(ParameterError, match="status 'S2' is not one of P"):
        ParameterStore.load(rules / "parameters")


def test_a_bad_declaration_is_named():
    from patuh.engine.declaration import DeclarationError, parse

    with pytest.raises(DeclarationError, match="rulebook.yaml: amounts: amount is a field of every rule"):
        parse({"amounts": ["amount"]}, "rulebook.yaml")
    with pytest.raises(DeclarationError, match="rounding: mode 'nearest' is not one of"):
        parse({"rounding": {"quantum": 1, "mode": "nearest"}}, "rulebook.yaml")


def test_the_engine_imports_nothing_of_the_domain():
    for path in sorted((ROOT / "engine").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(patuh\.)?audits\b", text, re.M), path
        assert "importlib" not in text and "__import__" not in text, path
        assert not re.search(r"rupiah|\bBPJS\b", text, re.I), path


def test_a_quantum_is_a_power_of_ten():
    from patuh.engine.declaration import DeclarationError, parse

    assert parse({"rounding": {"quantum": 0.01}}, "r.yaml").round(Decimal("2.345")) == Decimal("2.35")
    with pytest.raises(DeclarationError, match="quantum 5 is not a power of ten"):
        parse({"rounding": {"quantum": 5}}, "r.yaml")
