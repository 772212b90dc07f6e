"""`rules lint` as a library: every problem of a rulebook, each as `<file> line <n>: …` — the
engine's own checks (schema, conditions, parameters, examples, legal basis) and those the domain
registers for its own vocabulary."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from patuh.engine.compiler import CompileError, compile_ruleset
from patuh.engine.examples import load_params
from patuh.engine.ruleset import load_collect

_CHECKS: list = []


def register_lint(check) -> None:
    """The domain adds checks of its own vocabulary (subjects, fact fields, calculators, …):
    `check(rules_dir, ruleset, params) -> list[str]`, each problem as `<file> line <n>: …`."""
    if check not in _CHECKS:
        _CHECKS.append(check)


def lint_problems(rules_dir: Path, today: dt.date | None = None) -> list[str]:
    today = today or dt.date.today()
    ruleset, problems = load_collect(rules_dir)
    try:
        compile_ruleset(ruleset)
    except CompileError as exc:
        problems.extend(str(exc).splitlines())
    params, perr = load_params(ruleset)
    uses_params = any(r.params_used() for r in ruleset)
    if params is None and uses_params:
        problems.append(f"{ruleset.params_dir()}: parameters cannot be loaded: {perr}")
    if params is not None:
        problems.extend(params.problems(today))
    for r in ruleset:
        if params is not None:
            for ref in r.params_used():
                if ref.param not in params:
                    problems.append(f"{r.path} line {ref.line}: unknown parameter '{ref.param}'")
        if not r.examples_firing() or not r.examples_silent():
            problems.append(f"{r.path} line {r.line_of('examples')}: needs at least one firing and one silent "
                            f"example (has {r.examples_firing()} firing, {r.examples_silent()} silent)")
        if not any(lb.article for lb in r.legal_basis):
            problems.append(f"{r.path} line {r.line_of('legal_basis')}: needs a legal basis with an article")
        for name in r.evidence:
            if not name.replace("_", "").isalnum():
                problems.append(f"{r.path} line {r.line_of('evidence')}: evidence {name!r} is not a field name")
    for check in _CHECKS:
        problems.extend(check(rules_dir, ruleset, params))
    if not ruleset.rules and not problems:
        problems.append(f"{rules_dir}: no rule files")
    # two checks may meet the same broken file (the law corpus: citations and categories): say it once
    return list(dict.fromkeys(problems))
