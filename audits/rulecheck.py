"""`patuh audit` refuses a rulebook that does not lint or whose examples fail.

An audit made with a broken rulebook is silently wrong, which is worse than one that stops. An
inspector who must run anyway (`--force-rules`) gets the problems printed and recorded with the run
(its warnings in `counts_json`), so the run can never pass for one made with a sound rulebook."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select, update

from .audit import AuditError
from .rulebook import rules_dir as default_rules_dir

# The audit judges stale parameters by the dates it looks up (edge warnings), not by today's date:
# a rulebook that has no 2027 UMK yet must still audit 2025.
_NO_STALENESS = dt.date(1, 1, 1)
MAX_SHOWN = 20


def problems(rules_dir: Path | str | None = None) -> list[str]:
    """Lint problems and failing examples of the rulebook, each as one line."""
    from .domain import configure_engine
    from patuh.engine.lint import lint_problems
    from patuh.engine.compiler import CompileError
    from patuh.engine.examples import ExampleRunner, load_calculators, load_params
    from patuh.engine.ruleset import RuleLoadError, Ruleset

    configure_engine()  # the domain's lint checks (law, names, categories) and calculators
    rdir = Path(default_rules_dir(rules_dir))
    out = [f"rules lint: {p}" for p in lint_problems(rdir, _NO_STALENESS)]
    try:
        rs = Ruleset.load(rdir)
    except RuleLoadError:
        return out  # lint has said why
    params, perr = load_params(rs)
    try:
        from patuh.audits.calculators import CALCULATORS

        results = ExampleRunner(rs, params, load_calculators(CALCULATORS), perr).run_all()
    except CompileError as exc:
        return out + [f"rules test: {exc}"]
    for r in results:
        for p in r.problems:
            out.append(f"rules test: {r.rule_id} :: {r.name}: {p}")
    return out


def guard(rules_dir, force: bool) -> list[str]:
    """Raise AuditError for a broken rulebook; with force, the warnings to print and record instead."""
    found = problems(rules_dir)
    if not found:
        return []
    shown = found[:MAX_SHOWN] + ([f"… and {len(found) - MAX_SHOWN} more"] if len(found) > MAX_SHOWN else [])
    if not force:
        raise AuditError("the rulebook does not pass `patuh rules lint` / `patuh rules test` — nothing was audited:\n  "
                         + "\n  ".join(shown) + "\n(--force-rules audits anyway and records these problems with the run)")
    return [f"aturan dipaksakan / rulebook forced with --force-rules despite: {p}" for p in shown]


def record(engine, result, warnings: list[str]) -> None:
    """The override goes into the run's own record (counts_json) and its printed warnings."""
    if not warnings:
        return
    from .store import schema as s

    result.warnings[:0] = warnings
    with engine.begin() as conn:
        raw = conn.execute(select(s.runs.c.counts_json).where(s.runs.c.run_id == result.run_id)).scalar()
        counts = json.loads(raw or "{}")
        counts["warnings"] = result.warnings
        counts["rulebook_forced"] = warnings
        conn.execute(update(s.runs).where(s.runs.c.run_id == result.run_id)
                     .values(counts_json=json.dumps(counts, ensure_ascii=False, sort_keys=True)))
