"""Running the examples of rule files through the real engine (for `rules test` and pytest)."""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from patuh.engine.evaluator import EvaluationError, Evaluator, missing_placeholders
from patuh.engine.ruleset import Example, Rule, Ruleset

DEFAULT_CALCULATORS = "patuh.audits.calculators"


@dataclass
class Calculators:
    table: dict
    error: str | None = None  # why the table could not be loaded


def load_calculators(module_name: str | None = None) -> Calculators:
    """The domain's calculators table: module from $PATUH_CALCULATORS (default audits.calculators),
    its CALCULATORS dict."""
    name = module_name or os.environ.get("PATUH_CALCULATORS") or DEFAULT_CALCULATORS
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        return Calculators({}, f"calculators module {name!r} cannot be imported ({exc})")
    table = getattr(module, "CALCULATORS", None)
    if not isinstance(table, Mapping):
        return Calculators({}, f"module {name!r} has no CALCULATORS dict")
    return Calculators(dict(table))


def load_params(ruleset: Ruleset):
    """The ParameterStore of rules/parameters, or (None, reason)."""
    pdir = ruleset.params_dir()
    if pdir is None or not pdir.is_dir() or not any(pdir.glob("*.yaml")):
        return None, f"no parameter files in {pdir}"
    try:
        from patuh.engine.parameters import ParameterStore
    except ImportError as exc:  # pragma: no cover - parameters.py is part of the engine
        return None, f"patuh.engine.parameters unavailable ({exc})"
    try:
        return ParameterStore.load(pdir), None
    except Exception as exc:  # ParameterError
        return None, str(exc)


@dataclass
class ExampleResult:
    rule_id: str
    name: str
    expected_fires: bool
    fired: bool | None  # None: the example could not run
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # shown, not failing

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def test_id(self) -> str:
        return f"{self.rule_id}::{self.name}"

    def as_dict(self) -> dict:
        return {"rule": self.rule_id, "example": self.name, "ok": self.ok, "expected_fires": self.expected_fires,
                "fired": self.fired, "problems": self.problems,
                "warnings": self.warnings}


class ExampleRunner:
    """One single-rule evaluator per rule (built once), each example a fact of its own batch."""

    def __init__(self, ruleset: Ruleset, params: Any = None, calculators: Calculators | None = None,
                 params_error: str | None = None):
        self.ruleset = ruleset
        self.params = params
        self.params_error = params_error
        self.calculators = calculators or Calculators({}, "no calculators table given")
        self._evaluators: dict[str, Evaluator] = {}

    @classmethod
    def for_dir(cls, rules_dir: Path | str, calculators: Calculators | None = None) -> "ExampleRunner":
        ruleset = Ruleset.load(rules_dir)
        params, perr = load_params(ruleset)
        return cls(ruleset, params, calculators or load_calculators(), perr)

    def _evaluator(self, rule: Rule) -> Evaluator:
        ev = self._evaluators.get(rule.id)
        if ev is None:
            table = dict(self.calculators.table)
            for ref in (rule.amount, rule.late_fee):
                if ref is not None and ref.calculator not in table:
                    table[ref.calculator] = lambda fact, params, trace: None  # reported if an amount is asserted
            ev = Evaluator(self.ruleset.subset([rule.id]), self.params, table)
            self._evaluators[rule.id] = ev
        return ev

    def run(self, rule: Rule, index: int) -> ExampleResult:
        example: Example = rule.examples[index]
        result = ExampleResult(rule.id, example.name, example.fires, None)
        fact = dict(example.fact)
        fact.update(id=f"{rule.id}::{index}", type=rule.subject, batch=f"example:{rule.id}:{index}")
        try:
            hits = self._evaluator(rule).evaluate([fact])
        except EvaluationError as exc:
            extra = f" (parameters: {self.params_error})" if self.params is None and self.params_error else ""
            result.problems.append(f"could not evaluate: {exc}{extra}")
            return result
        hit = next((h for h in hits if h.rule.id == rule.id), None)
        result.fired = hit is not None
        if result.fired != example.fires:
            result.problems.append(
                f"expected {'fires' if example.fires else 'silent'}, got {'fires' if result.fired else 'silent'}"
            )
            return result
        if hit is None:
            return result
        for what in ("amount", "late_fee"):
            want = getattr(example, what)
            if want is None:
                continue
            ref = getattr(rule, what)
            got = getattr(hit, what)
            if ref is None:
                result.problems.append(f"{what}: example expects {want} but the rule has no {what} calculator")
            elif ref.calculator not in self.calculators.table:
                result.problems.append(
                    f"{what}: calculator {ref.calculator!r} not available: "
                    f"{self.calculators.error or 'not in the CALCULATORS table'}"
                )
            elif got is None or Decimal(got) != Decimal(want):
                result.problems.append(f"{what}: expected {want}, got {got}")
        missing = missing_placeholders(rule, fact, hit.amount, hit.late_fee)
        if missing:
            result.warnings.append(f"message placeholders not in the example fact: {', '.join(missing)}")
        return result

    def run_all(self) -> list[ExampleResult]:
        return [self.run(rule, i) for rule in self.ruleset for i in range(len(rule.examples))]


def coverage(ruleset: Ruleset, results: list[ExampleResult]) -> dict[str, bool]:
    """Rule id -> fired (as expected) in at least one example."""
    cov = {r.id: False for r in ruleset}
    for res in results:
        if res.fired and res.expected_fires:
            cov[res.rule_id] = True
    return cov
