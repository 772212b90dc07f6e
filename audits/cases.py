"""Enforcement cases: one per employer with findings. The ladder itself is declarative rules
(rules/penegakan/) judged by durable-rules over one `case` fact per employer; this module derives
those facts from the findings and the enforcement history, and turns the steps the rules propose
into a case (steps already issued are dropped; nothing new → `pantau`). A case whose next step is
`denda` gets its administrative fine here, once, on the run's letter date (`add_fines`)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from patuh.engine.evaluator import Evaluator
from patuh.engine.parameters import ParameterStore

from .calc.admin_fine import FineError, admin_fine
from .calc.calendar import add_working_days
from .categories import Categories
from .model import Case, Finding, case_total
from .store import schema as s

ZERO = Decimal(0)


def enforcement_history(conn: Connection, import_id: int) -> dict[str, list[dict]]:
    ea = s.enforcement_actions
    rows = conn.execute(
        select(ea).where(ea.c.import_id == import_id).order_by(ea.c.employer_id, ea.c.issued_on, ea.c.row_id)
    ).mappings()
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        out[r["employer_id"]].append(dict(r))
    return out


def case_facts(findings: list[Finding], history: dict[str, list[dict]], as_of: dt.date,
               params: ParameterStore, names: dict[str, str], categories: Categories) -> list[dict]:
    by_employer: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_employer[f.employer_id].append(f)
    facts = []
    for emp_id in sorted(by_employer):
        fs = by_employer[emp_id]
        # a letter dated after as_of did not exist at as_of
        actions = [a for a in history.get(emp_id, []) if a["issued_on"] <= as_of]
        issued = sorted({a["action"] for a in actions})
        uses = []

        def last(action):
            dates = [a["issued_on"] for a in actions if a["action"] == action]
            return max(dates) if dates else None  # a re-issued warning restarts its period

        def period_end(issued_on):
            if issued_on is None:
                return None
            use = params.lookup("warning_period_working_days", issued_on)  # the law when it was issued
            uses.append(use)
            return add_working_days(issued_on, int(use.value))

        t1, t2 = last("teguran-1"), last("teguran-2")
        t1_until, t2_until = period_end(t1), period_end(t2)
        fact = {
            "id": f"case:{emp_id}",
            "type": "case",
            "batch": emp_id,
            "on": as_of,
            "employer_id": emp_id,
            "name": names.get(emp_id, emp_id),
            "categories": sorted({f.category for f in fs}, key=categories.rank),
            "issued": issued,
            # a second warning implies the first was given and its period has passed
            "warning_issued": bool(t1 or t2),
            "teguran1_over": bool(t2) or bool(t1_until and as_of > t1_until),
            "teguran1_until": t1_until,
            "teguran2_issued": bool(t2),
            "teguran2_over": bool(t2_until and as_of > t2_until),
            "teguran2_until": t2_until,
            # the flags the ladder rules read, each true when a finding of its category is there
            **{c.case_flag: False for c in categories if c.case_flag},
            "total_amount": case_total(fs, categories),
            "total_late_fee": sum((f.late_fee or ZERO for f in fs), ZERO),
            "_parameters": uses,
        }
        for f in fs:
            category = categories.get(f.category)
            if category is not None and category.case_flag:
                fact[category.case_flag] = True
        facts.append(fact)
    return facts


def build_cases(facts: list[dict], evaluator: Evaluator, categories: Categories) -> list[Case]:
    engine_facts = [{k: v for k, v in f.items() if not k.startswith("_")} for f in facts]
    proposed: dict[str, list] = defaultdict(list)
    for hit in evaluator.evaluate(engine_facts):
        proposed[hit.fact["employer_id"]].append(hit)
    flags = {c.case_flag for c in categories if c.case_flag}
    cases = []
    for fact in facts:
        hits = proposed.get(fact["employer_id"], [])
        steps = {h.rule.category for h in hits} - set(fact["issued"])
        wait_until = None
        if "tunggu" in steps:
            wait_until = fact["teguran2_until"] if fact["teguran2_issued"] else fact["teguran1_until"]
        if not steps:
            steps = {"pantau"}
        ordered = sorted(steps, key=categories.step_rank)
        cases.append(Case(
            employer_id=fact["employer_id"],
            name=fact["name"],
            categories=fact["categories"],
            total_amount=fact["total_amount"],
            total_late_fee=fact["total_late_fee"],
            next_steps=ordered,
            wait_until=wait_until,
            trace={
                "rules": [h.rule.id for h in hits],
                "issued": fact["issued"],
                "fields": {k: (v.isoformat() if isinstance(v, dt.date) else v)
                           for k, v in fact.items() if k in (
                               "warning_issued", "teguran1_over", "teguran1_until", "teguran2_issued",
                               "teguran2_over", "teguran2_until") or k in flags},
                "parameters": [u.as_dict() for u in fact["_parameters"]],
            },
        ))
    return cases


def add_fines(cases: list[Case], findings: list[Finding], letter_date: dt.date, params: ParameterStore,
              categories: Categories) -> None:
    """The reply-by date of a warning letter (teguran-1/2: the warning period from the letter date) and
    the administrative fine of PP 86/2013 for every case whose next step is `denda`, on the date
    its letter will bear (`patuh audit --letter-date`, default as_of): the letters render it and
    never compute it. A fine that cannot be computed is recorded with the reason, which the denda
    letter then reports (the audit itself stands without letters)."""
    by_employer: dict[str, list[dict]] = defaultdict(list)
    for f in findings:  # the counted findings, as the letters list them
        by_employer[f.employer_id].append({"finding_id": f.finding_id, "category": f.category,
                                           "period": f.period, "amount": f.amount})
    for case in cases:
        warnings = [st for st in ("teguran-1", "teguran-2") if st in case.next_steps]
        if warnings:
            # the reply-by date a warning letter states: its own period, as the ladder counts it
            use = params.lookup("warning_period_working_days", letter_date)
            case.trace["letter"] = {"date": letter_date.isoformat(),
                                    "reply_by": add_working_days(letter_date, int(use.value)).isoformat(),
                                    "parameter": use.as_dict()}
        if "denda" not in case.next_steps:
            continue
        until = case.trace.get("fields", {}).get("teguran2_until")
        try:
            case.fine = admin_fine(by_employer[case.employer_id], dt.date.fromisoformat(until) if until else None,
                                   letter_date, params, categories.fine_base).as_dict()
        except FineError as exc:
            case.fine = {"error": str(exc)}
