"""Where the audit's time goes, by function, without a sampling profiler's overhead.

Wraps a fixed list of patuh's functions (found by name where they are called from) with
accumulating wall-clock timers, runs load + audit once on a fresh SQLite file, and prints each
function's inclusive time, its calls and its share of its stage. The wrappers cost about a
microsecond per call; the functions listed are called at most a few hundred thousand times.
Nothing of patuh is changed on disk: the wrapping lives in this process only.

    .venv/bin/python benchmarks/stage_breakdown.py [--package /tmp/patuh-bench/350000] [--json OUT]
"""
from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
# a profiler sees this process only: the audit's batches stay in it (no worker processes)
os.environ.setdefault("PATUH_AUDIT_WORKERS", "1")
sys.path.insert(0, str(HERE.parent))

# (stage, "module:attribute[.method]") — module is where the name is looked up at call time
TARGETS = [
    ("facts", "patuh.audits.facts.employer_month:build_lookup_tables"),
    ("facts", "patuh.audits.facts.employer_month:employer_rows"),
    ("facts", "patuh.audits.facts.employer_month:_payroll_aggregates"),
    ("facts", "patuh.audits.facts.employer_month:_declaration_aggregates"),
    ("facts", "patuh.audits.facts.employer_month:_payments"),
    ("facts", "patuh.audits.facts.employer_month:monthly_bill"),
    ("facts", "patuh.audits.facts.employer_month:late_fee"),
    ("facts", "patuh.audits.facts.employer_month:rupiah"),
    ("facts", "patuh.audits.audit:employer_month_facts"),
    ("facts", "patuh.audits.audit:employer_facts"),
    ("facts", "patuh.audits.audit:contract_facts"),
    ("rules", "patuh.engine.evaluator:Evaluator._engine_fact"),
    ("rules", "patuh.engine.evaluator:_Host.assert_fact"),
    ("rules", "patuh.engine.evaluator:_Host.delete_state"),
    ("rules", "patuh.engine.evaluator:Evaluator._check_fired"),
    ("rules", "patuh.engine.evaluator:Evaluator._hit"),
    ("rules", "patuh.engine.evaluator:Evaluator._calculate"),
    ("rules", "patuh.engine.evaluator:Evaluator.evaluate"),
    ("rules", "patuh.audits.audit:_finding"),
    ("rules", "patuh.audits.audit:message"),
    ("evidence", "patuh.audits.evidence:_worker_rows"),
    ("evidence", "patuh.audits.evidence:_payments"),
    ("evidence", "patuh.audits.evidence:_contracts"),
    ("evidence", "patuh.audits.evidence:_bill_sheet"),
    ("evidence", "patuh.audits.audit:evidence.collect"),
    ("cases", "patuh.audits.audit:case_facts"),
    ("cases", "patuh.audits.audit:build_cases"),
    ("store", "patuh.audits.audit:_record"),
]

ACC: dict[str, list] = defaultdict(lambda: [0.0, 0])
DEPTH: dict[str, int] = defaultdict(int)


def _wrap(label: str, fn):
    @functools.wraps(fn)
    def timed(*a, **k):
        if DEPTH[label]:  # recursion or nesting of the same function: count the outer call only
            return fn(*a, **k)
        DEPTH[label] += 1
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            ACC[label][0] += time.perf_counter() - t
            ACC[label][1] += 1
            DEPTH[label] -= 1

    return timed


def install() -> list[str]:
    missing = []
    for _stage, target in TARGETS:
        mod_name, path = target.split(":")
        try:
            obj = importlib.import_module(mod_name)
        except ImportError:
            missing.append(target)
            continue
        *owners, attr = path.split(".")
        for o in owners:
            obj = getattr(obj, o, None)
            if obj is None:
                break
        if obj is None or not hasattr(obj, attr):
            missing.append(target)
            continue
        setattr(obj, attr, _wrap(target, getattr(obj, attr)))
    return missing


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", type=Path, default=Path("/tmp/patuh-bench/350000"))
    ap.add_argument("--db", type=Path, default=Path("/tmp/patuh-stage-breakdown.db"))
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    missing = install()

    from patuh.audits.audit import run_audit
    from patuh.audits.importer import load_package
    from patuh.audits.store.db import get_engine

    if a.db.exists():
        a.db.unlink()
    engine = get_engine(f"sqlite:///{a.db}")
    loaded = load_package(a.package, engine)
    t = time.perf_counter()
    result = run_audit(engine, loaded.import_id)
    total = time.perf_counter() - t
    timings = dict(result.timings)
    print(f"{a.package}: {loaded.rows.get('payroll', 0):,} payroll rows, load {loaded.seconds:.2f} s, "
          f"audit {total:.2f} s (with timers)")
    print("audit timings: " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    out = {"load": loaded.seconds, "timings": timings, "functions": []}
    for stage, target in TARGETS:
        if target in missing:
            continue
        secs, calls = ACC[target]
        share = secs / timings[stage] if timings.get(stage) else 0.0
        print(f"  {stage:<9} {target:<55} {secs:7.2f} s {calls:>8,} calls  {share:6.1%} of {stage}")
        out["functions"].append({"stage": stage, "function": target, "seconds": secs, "calls": calls,
                                 "share_of_stage": share})
    if missing:
        print("not found (renamed or moved?): " + ", ".join(missing))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
