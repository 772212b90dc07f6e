"""One audit run: facts from the store → rules → findings → cases, recorded in the store.

Writing files (CSV, JSON, dossiers) is `audits.outputs`' job; this module only decides."""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from patuh.engine.evaluator import Evaluator
from patuh.engine.parameters import ParameterStore
from patuh.engine.ruleset import Ruleset
from patuh.engine.trace import jsonable

from . import coverage, evidence, text
from .calculators import CALCULATORS
from .cases import build_cases, case_facts, enforcement_history
from .facts import Scope, contract_facts, employer_facts, employer_month_facts
from .facts.scope import drop_lookup_tables
from .rulebook import rules_dir as default_rules_dir
from .model import CATEGORIES, Case, Finding, finding_id, run_id
from .store import schema as s

LADDER_SUBJECT = "case"


class AuditError(Exception):
    """Bad arguments or a store without what the audit needs; the message says what."""


@dataclass
class AuditResult:
    run_id: str
    import_id: int
    package_hash: str
    revision: str
    as_of: dt.date
    period_from: str
    period_to: str
    findings: list[Finding]
    cases: list[Case]
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what could not be assessed
    coverage: coverage.Coverage | None = None  # docs/coverage.md, for the year of period_to


def _period_range(conn, import_id: int) -> tuple[str, str]:
    p = s.payroll
    lo, hi = conn.execute(select(func.min(p.c.period), func.max(p.c.period)).where(p.c.import_id == import_id)).one()
    if lo is None:
        raise AuditError("the package has no payroll rows: nothing to audit")
    return lo, hi


def _legal_basis(rule) -> str:
    return "; ".join(f"{lb.instrument} {lb.article}".strip() for lb in rule.legal_basis)


def message_value(value, lang: str) -> str:
    """Fact values as a reader expects them in a message: 1.234.567,50 and 15 April 2025."""
    if isinstance(value, Decimal):
        return text.amount(value, lang)
    if isinstance(value, dt.date):
        return text.date_text(value, lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or text.DASH
    return str(value)


def _finding(hit) -> Finding:
    rule, fact = hit.rule, hit.fact
    subject_type = rule.subject
    trace = hit.trace.to_dict()
    trace["fact_id"] = fact["id"]
    # what the calculators and the evidence rest on, besides the fields the condition read
    trace["evidence_fields"] = {k: jsonable(fact.get(k)) for k in rule.evidence if k in fact}
    return Finding(
        finding_id=finding_id(rule.id, fact["subject_id"]),
        rule_id=rule.id,
        category=rule.category,
        subject_type=subject_type,
        subject_id=fact["subject_id"],
        employer_id=fact["employer_id"],
        period=fact.get("period") if subject_type == "employer_month" else None,
        contract_id=fact.get("contract_id"),
        amount=hit.amount if hit.amount is not None else Decimal(0),
        late_fee=hit.late_fee,
        severity=rule.severity,
        legal_basis=_legal_basis(rule),
        message=hit.message["id"],
        message_en=hit.message["en"],
        trace=trace,
    )


def run_audit(
    engine: Engine,
    import_id: int,
    *,
    period_from: str | None = None,
    period_to: str | None = None,
    as_of: dt.date | None = None,
    rules_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    coverage_year: int | None = None,
) -> AuditResult:
    say = progress or (lambda _msg: None)
    rules_dir = Path(rules_dir or default_rules_dir())
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ruleset = Ruleset.load(rules_dir)
    params = ParameterStore.load(rules_dir / "parameters")
    finding_rules = ruleset.subset([r.id for r in ruleset if r.subject != LADDER_SUBJECT])
    ladder_rules = ruleset.subset([r.id for r in ruleset if r.subject == LADDER_SUBJECT])

    with engine.connect() as conn:
        imp = conn.execute(select(s.imports).where(s.imports.c.import_id == import_id)).mappings().one_or_none()
        if imp is None:
            raise AuditError(f"import {import_id} is not in the database")
        lo, hi = _period_range(conn, import_id)
        period_from, period_to = period_from or lo, period_to or hi
        if period_from > period_to:
            raise AuditError(f"--from {period_from} is after --to {period_to}")
        as_of = as_of or imp["as_of"] or dt.date.today()
        sc = Scope(conn, import_id, period_from, period_to, as_of, params)

        say("fakta / facts")
        t = time.perf_counter()
        months = employer_month_facts(sc)
        facts = employer_facts(sc, months) + months + contract_facts(sc)
        timings["facts"] = time.perf_counter() - t

        say(f"aturan / rules ({len(facts)} fakta)")
        t = time.perf_counter()
        judged = {r.subject for r in finding_rules}
        hits = Evaluator(finding_rules, params, CALCULATORS, formatter=message_value).evaluate([f for f in facts if f["type"] in judged])
        findings = sorted((_finding(h) for h in hits),
                          key=lambda f: (f.employer_id, CATEGORIES.index(f.category) if f.category in CATEGORIES else 99,
                                         f.period or "", f.subject_id, f.rule_id))
        timings["rules"] = time.perf_counter() - t

        say(f"bukti / evidence ({len(findings)} temuan)")
        t = time.perf_counter()
        evidence.collect(sc, findings, {f["id"]: f for f in facts})
        drop_lookup_tables(conn)
        timings["evidence"] = time.perf_counter() - t

        say("kasus / cases")
        t = time.perf_counter()
        names = dict(conn.execute(select(s.employers.c.employer_id, s.employers.c.name)
                                  .where(s.employers.c.import_id == import_id)).all())
        cfacts = case_facts(findings, enforcement_history(conn, import_id), as_of, params, names)
        cases = build_cases(cfacts, Evaluator(ladder_rules, params, {})) if cfacts else []
        timings["cases"] = time.perf_counter() - t
        try:
            cov = coverage.compute(sc, findings, coverage_year or int(period_to[:4]))
        except coverage.CoverageError as exc:
            raise AuditError(str(exc)) from None
        used = sorted((u.as_dict() for u in sc.used.values()), key=lambda d: (d["id"], str(d["key"]), d["valid_from"]))

    rid = run_id(imp["package_hash"], ruleset.revision, as_of, period_from, period_to)
    result = AuditResult(rid, import_id, imp["package_hash"], ruleset.revision, as_of, period_from, period_to,
                         findings, cases, timings)
    result.counts = _counts(findings, cases, len(facts))
    result.coverage = cov
    result.counts["coverage"] = cov.summary()
    result.warnings = list(sc.warnings) + cov.warnings()
    result.counts["warnings"] = result.warnings
    t = time.perf_counter()
    _record(engine, result, used)
    timings["store"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return result


def _counts(findings, cases, facts) -> dict:
    by_cat: dict = {}
    for f in findings:
        c = by_cat.setdefault(f.category, {"findings": 0, "amount": Decimal(0), "late_fee": Decimal(0)})
        c["findings"] += 1
        c["amount"] += f.amount
        c["late_fee"] += f.late_fee or 0
    return {
        "facts": facts,
        "findings": len(findings),
        "cases": len(cases),
        "by_category": {k: {"findings": v["findings"], "amount": str(v["amount"]), "late_fee": str(v["late_fee"])}
                        for k, v in sorted(by_cat.items(), key=lambda kv: CATEGORIES.index(kv[0]))},
    }


def _record(engine: Engine, r: AuditResult, used: list[dict]) -> None:
    """Replace this run's rows: the same inputs give the same run id, so a re-run overwrites."""
    with engine.begin() as conn:
        for table in (s.findings, s.cases):
            conn.execute(delete(table).where(table.c.run_id == r.run_id))
        coverage.forget(conn, r.run_id)
        conn.execute(delete(s.runs).where(s.runs.c.run_id == r.run_id))
        conn.execute(insert(s.runs).values(
            run_id=r.run_id, import_id=r.import_id, package_hash=r.package_hash, ruleset_revision=r.revision,
            as_of=r.as_of, period_from=r.period_from, period_to=r.period_to,
            parameters_json=json.dumps(used, ensure_ascii=False, sort_keys=True),
            counts_json=json.dumps(r.counts, ensure_ascii=False, sort_keys=True),
        ))
        rows = [{
            "run_id": r.run_id, "finding_id": f.finding_id, "rule_id": f.rule_id, "category": f.category,
            "subject_type": f.subject_type, "subject_id": f.subject_id, "employer_id": f.employer_id,
            "contract_id": f.contract_id, "period": f.period, "amount": f.amount, "late_fee": f.late_fee,
            "severity": f.severity, "legal_basis": f.legal_basis, "message": f.message,
            "trace_json": json.dumps(dict(f.trace, message_en=f.message_en), ensure_ascii=False, sort_keys=True,
                                     default=str),
            "evidence_json": json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str),
        } for f in r.findings]
        for i in range(0, len(rows), 5000):
            conn.execute(insert(s.findings), rows[i:i + 5000])
        crow = [{
            "run_id": r.run_id, "employer_id": c.employer_id, "name": c.name, "categories": ";".join(c.categories),
            "total_amount": c.total_amount, "total_late_fee": c.total_late_fee,
            "next_steps": json.dumps(c.next_steps), "wait_until": c.wait_until,
            "trace_json": json.dumps(c.trace, ensure_ascii=False, sort_keys=True, default=str),
        } for c in r.cases]
        if crow:
            conn.execute(insert(s.cases), crow)
        coverage.record(conn, r.run_id, r.coverage)
