"""Every example of every rule in rules/ is its own test item, run through the real durable-rules
engine (ids like ``PDS-TK-01::two workers not registered``)."""
from __future__ import annotations

from pathlib import Path

import pytest

from patuh.audits.calculators import CALCULATORS
from patuh.engine.examples import ExampleRunner, load_calculators, load_params
from patuh.engine.ruleset import Ruleset

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
RULESET = Ruleset.load(RULES_DIR)
CASES = [
    pytest.param(rule.id, i, id=f"{rule.id}::{ex.name}")
    for rule in RULESET
    for i, ex in enumerate(rule.examples)
]


@pytest.fixture(scope="module")
def runner() -> ExampleRunner:
    params, perr = load_params(RULESET)
    return ExampleRunner(RULESET, params, load_calculators(CALCULATORS), perr)


@pytest.mark.parametrize("rule_id, index", CASES)
def test_rule_example(runner: ExampleRunner, rule_id: str, index: int) -> None:
    result = runner.run(RULESET.get(rule_id), index)
    assert result.ok, f"{result.test_id}: " + "; ".join(result.problems)


def test_every_rule_has_examples_that_ran() -> None:
    assert CASES, "no rule examples found in rules/"
    for rule in RULESET:
        assert rule.examples_firing() and rule.examples_silent(), f"{rule.id}: needs a firing and a silent example"
