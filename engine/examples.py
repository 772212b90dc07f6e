"""Running the examples of rule files through the real engine (for `rules test` and pytest)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from patuh.engine.evaluator import EvaluationError, Evaluator, missing_placeholders
from patuh.engine.ruleset import Example, Rule, Ruleset

@dataclass
class Calculators:
    table: dict
    error: str | None = None  # why there is no table


_REGISTERED: list = []  # what the domain registered with `register_calculators`


def register_calculators(source) -> None:
    """The domain hands the engine its calculators table once (`patuh.cli` does): a mapping of
    name -> fn(fact, params, trace), or a function returning one."""
    _REGISTERED[:] = [source]


def load_calculators(source=None) -> Calculators:
    """The calculators table given, else the one the domain registered: a mapping, or a function
    that returns one (called here, so that the domain's modules load only when examples run)."""
    if source is None and _REGISTERED:
        source = _REGISTERED[0]
    if source is None:
        return Calculators({}, "no calculators table was given to the engine")
    try:
        table = source() if callable(source) else source
    except Exception as exc:  # noqa: BLE001 - the domain's import failed: say so, do not crash
        return Calculators({}, f"the calculators table cannot be loaded ({type(exc).__name__}: {exc})")
    if not isinstance(table, Mapping):
        return Calculators({}, "the calculators table is not a mapping of name -> function")
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
            for ref in rule.calculators().values():
                if ref.calculator not in table:
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
        wanted = {"amount": example.amount, **example.expected}
        refs = rule.calculators()
        for what, want in wanted.items():
            if want is None:
                continue
            ref = refs.get(what)
            got = hit.amount if what == "amount" else hit.amounts.get(what)
            if ref is None:
                result.problems.append(f"{what}: example expects {want} but the rule has no {what} calculator")
            elif ref.calculator not in self.calculators.table:
                result.problems.append(
                    f"{what}: calculator {ref.calculator!r} not available: "
                    f"{self.calculators.error or 'not in the CALCULATORS table'}"
                )
            elif got is None or Decimal(got) != Decimal(want):
                result.problems.append(f"{what}: expected {want}, got {got}")
        missing = missing_placeholders(rule, fact, {"amount": hit.amount, **hit.amounts})
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
