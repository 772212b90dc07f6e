"""One audit run: facts from the store → rules → findings → cases, recorded in the store.

Writing files (CSV, JSON, dossiers) is `audits.outputs`' job; this module only decides."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import multiprocessing
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

from patuh.engine.evaluator import Evaluator
from patuh.engine.parameters import ParameterStore
from patuh.engine.ruleset import Ruleset
from patuh.engine.trace import jsonable

from . import categories as categories_of, coverage, evidence, text
from .calc.calendar import due_date
from .calculators import CALCULATORS
from .cases import add_fines, build_cases, case_facts, enforcement_history
from .facts import Scope, contract_facts, employer_facts, employer_month_facts
from .forking import can_fork, frozen, processes_asked
from .facts.scope import build_lookup_tables, drop_lookup_tables, employer_batches, fill_batch_tables, gc_paused
from .rulebook import rules_dir as default_rules_dir
from .categories import Categories
from .lifecycle import actions as recorded_actions
from .lifecycle import log as audit_log
from .lifecycle import review as reviews
from .model import Case, Finding, finding_id, run_id
from .store import runs as store
from .store import schema as s
from .store.db import write_transaction

LADDER_SUBJECT = "case"
# Facts, rules and evidence run for this many employers at a time, so that memory holds one
# batch's facts and payroll rows, not the province's: flat from 35k to 3.5M payroll rows (issue 16).
# An employer is never split: every fact, rule and piece of evidence is about one employer.
EMPLOYER_BATCH = 1000
# From this many employers on, the batches are judged in worker processes, one per CPU (at most 4;
# PATUH_AUDIT_WORKERS sets the number, 1 keeps everything in this process). Below it a worker costs
# more than it saves. Batches are merged in their order, so the result is the same either way.
PARALLEL_FROM_EMPLOYERS = 200


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
    state_hash: str = ""  # the recorded actions and reviews this run used (part of its id)
    coverage: coverage.Coverage | None = None  # docs/coverage.md, for the year of period_to
    categories: Categories | None = None  # the rulebook's categories.yaml the run used


def _period_range(conn, import_id: int) -> tuple[str, str]:
    """The first and last month of the import's payroll. Every payroll row names one of the
    import's employers (the loader refuses any other), so this is the range of each employer's
    first and last month: a seek in the payroll index per employer, where a MIN/MAX over the
    import read every entry of it (0.03 s against 0.005 at 350,000 rows)."""
    p, e = s.payroll, s.employers
    own = and_(p.c.import_id == e.c.import_id, p.c.employer_id == e.c.employer_id)
    first = select(func.min(p.c.period)).where(own).scalar_subquery()
    last = select(func.max(p.c.period)).where(own).scalar_subquery()
    per_employer = select(first.label("lo"), last.label("hi")).where(e.c.import_id == import_id).subquery()
    lo, hi = conn.execute(select(func.min(per_employer.c.lo), func.max(per_employer.c.hi))).one()
    if lo is None:
        raise AuditError("the package has no payroll rows: nothing to audit")
    return lo, hi


def _legal_basis(rule) -> str:
    return "; ".join(f"{lb.instrument} {lb.article}".strip() for lb in rule.legal_basis)


def message_value(value, lang: str, spec: str = "") -> str:
    """Fact values as a reader expects them in a message: 1.234.567,50 and 15 April 2025;
    `{x:percent}` writes a fraction as a percentage, 0.99 as `99 %` (0.995 as `99,5 %`)."""
    if spec == "percent":
        return f"{text.number(Decimal(value) * 100, lang)} %"
    if spec:
        raise ValueError(f"unknown format {spec!r} in a message (known: percent)")
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
        late_fee=hit.amounts.get("late_fee"),  # a named amount of rules/rulebook.yaml
        severity=rule.severity,
        legal_basis=_legal_basis(rule),
        message=hit.message["id"],
        message_en=hit.message["en"],
        trace=trace,
    )


class _Cases:
    """The run's enforcement cases, built batch by batch from each batch's findings (an employer is
    never split between batches): reviews in force set aside what they reject, the enforcement
    history (the package's and what `patuh action` recorded) places each employer on the ladder."""

    def __init__(self, conn, import_id: int, as_of: dt.date, params, cats: Categories, ladder_rules,
                 letter_date: dt.date):
        self.names = dict(conn.execute(select(s.employers.c.employer_id, s.employers.c.name)
                                       .where(s.employers.c.import_id == import_id)).all())
        # reviews in force: a rejected finding stays listed but counts in no case (docs/lifecycle.md)
        self.decided = reviews.decisions(conn)
        # actions recorded with `patuh action` are read like the package's enforcement_actions
        history = enforcement_history(conn, import_id)
        self.stored = recorded_actions.history(conn, set(self.names))
        for emp, acts in self.stored.items():
            history[emp] = sorted(history.get(emp, []) + acts, key=lambda a: a["issued_on"])
        self.history = history
        self.as_of, self.params, self.cats, self.letter_date = as_of, params, cats, letter_date
        self.ladder_rules = ladder_rules
        self.ladder: Evaluator | None = None  # made on first use: after the workers have forked
        self.cases: list[Case] = []

    @gc_paused()
    def add(self, found: list[Finding]) -> None:
        """One batch's findings, in the run's order of findings."""
        for f in found:
            f.review = reviews.status(self.decided.get(f.finding_id), f.amount, f.late_fee)
        counted = [f for f in found if f.review != "tolak"]
        cfacts = case_facts(counted, self.history, self.as_of, self.params, self.names, self.cats)
        if not cfacts:
            return
        if self.ladder is None:
            self.ladder = Evaluator(self.ladder_rules, self.params, {})
        cases = build_cases(cfacts, self.ladder, self.cats)
        add_fines(cases, counted, self.letter_date, self.params, self.cats)
        self.cases.extend(cases)

    def done(self) -> list[Case]:
        """Every case, by employer id (as case_facts orders one batch's)."""
        return sorted(self.cases, key=lambda c: c.employer_id)


class _Judge:
    """Facts → rules → evidence for one batch of employers (a narrowed Scope)."""

    def __init__(self, finding_rules, params, cats: Categories):
        self.evaluator = Evaluator(finding_rules, params, CALCULATORS, formatter=message_value)
        self.judged = {r.subject for r in finding_rules}
        self.cats = cats

    # The cycle collector would walk the batch's facts, hits and findings again and again and find
    # nothing (rules −25 %, evidence −12 % at 350k with it paused): paused for the batch, as for the
    # facts; what the batch leaves is collected as usual after it.
    @gc_paused()
    def __call__(self, b: Scope, say=lambda _msg: None, of: str = "") -> tuple[list[Finding], int, dict[str, float]]:
        spent = {}
        say(f"fakta / facts{of}")
        t = time.perf_counter()
        months = employer_month_facts(b)
        facts = employer_facts(b, months) + months + contract_facts(b)
        spent["facts"] = time.perf_counter() - t

        say(f"aturan / rules{of} ({len(facts)} fakta)")
        t = time.perf_counter()
        found = [_finding(h) for h in self.evaluator.evaluate([f for f in facts if f["type"] in self.judged])]
        spent["rules"] = time.perf_counter() - t

        say(f"bukti / evidence{of} ({len(found)} temuan)")
        t = time.perf_counter()
        evidence.collect(b, found, {f["id"]: f for f in facts}, self.cats)
        for f in found:  # kept until the run is recorded: compactly (Finding.pack)
            f.pack()
        spent["evidence"] = time.perf_counter() - t
        return found, len(facts), spent


def _employer_count(conn, import_id: int) -> int:
    e = s.employers
    return conn.execute(select(func.count()).select_from(e).where(e.c.import_id == import_id)).scalar() or 0


def _audit_workers(n_employers: int, engine: Engine) -> int:
    """How many processes judge the batches: PATUH_AUDIT_WORKERS if set, else one per CPU (at
    most 4) from PARALLEL_FROM_EMPLOYERS employers on. Workers are forked (Linux) and open the
    database again, so an in-memory SQLite database, a system without fork, or a daemonic process (a
    pool's worker, which may not have children) keeps one."""
    try:
        wanted = processes_asked("PATUH_AUDIT_WORKERS", "no worker processes")
    except ValueError as exc:
        raise AuditError(str(exc)) from None
    if wanted is None:
        wanted = min(os.cpu_count() or 1, 4) if n_employers >= PARALLEL_FROM_EMPLOYERS else 1
    db = engine.url.database or ""
    in_memory = engine.dialect.name == "sqlite" and (db in ("", ":memory:") or "memory" in str(engine.url.query.get("mode", ""))
                                                     or db.startswith("file::memory:"))
    if wanted == 1 or in_memory or not can_fork():
        return 1
    return min(wanted, max(1, n_employers))


_WORKER: dict = {}


def _start_worker(url: str, scope: dict, finding_rules, params, cats: Categories) -> None:
    """In each forked worker: what it needs to set itself up on its first batch. The rules and
    parameters come with the fork, already loaded. The set-up itself waits for the first batch:
    an error there (a parameter not in force, no connection left) then comes back to the audit as
    itself, where an error in a pool's initializer would only break the pool."""
    _WORKER.clear()
    _WORKER.update(setup=(url, scope, finding_rules, params, cats))


def _worker_scope() -> Scope:
    """The worker's own connection, scope and lookup tables, made once and used for all its batches;
    the connection is closed when the worker ends (PostgreSQL logs no broken session)."""
    if "sc" not in _WORKER:
        from multiprocessing.util import Finalize

        from .store.db import get_engine

        url, scope, finding_rules, params, cats = _WORKER["setup"]
        engine = get_engine(url)
        conn = engine.connect()
        Finalize(None, _close_worker, args=(conn, engine), exitpriority=10)
        sc = Scope(conn, params=params, **scope)
        build_lookup_tables(sc, active=False)  # the active participation batch by batch (_judge_one)
        _WORKER.update(sc=sc, judge=_Judge(finding_rules, params, cats))
    return _WORKER["sc"]


def _close_worker(conn, engine) -> None:
    try:
        conn.close()
        engine.dispose()
    except Exception:  # noqa: BLE001 - the worker is ending; its results are already sent
        pass


def _judge_one(bounds: tuple[str, str]):
    sc = _worker_scope()
    b = sc.batch(*bounds)
    t = time.perf_counter()
    # the batch's own participants' spans and employer-months (each worker spanned all the import's)
    fill_batch_tables(b)
    spanned = time.perf_counter() - t
    found, n, spent = _WORKER["judge"](b)
    spent["facts"] += spanned
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    return found, n, spent, dict(sc.used), dict(sc.shared.get("warn_at", {})), peak


def _judge_in_workers(engine: Engine, sc: Scope, finding_rules, params, cats, batches, n_workers: int):
    """The batches' (findings, facts, time spent, parameters used, warnings, worker peak RSS), in
    batch order, judged by `n_workers` forked processes."""
    scope = {"import_id": sc.import_id, "period_from": sc.period_from, "period_to": sc.period_to, "as_of": sc.as_of}
    url = engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker,
                             initargs=(url, scope, finding_rules, params, cats)) as pool:
        with frozen():  # the workers fork at the first submission
            results = pool.map(_judge_one, batches)
        try:
            yield from results
        except BaseException:  # a failed batch: the audit stops now, not after the batches still queued
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _merge_warnings(sc: Scope, warn_at: dict) -> None:
    """A worker's warnings into the run's, each at its place (Scope.warn): a warning said without a
    place goes after the run's own, in the order said, as one process would say them."""
    for message, at in sorted(warn_at.items(), key=lambda kv: kv[1]):
        if at[0] == 0:
            sc.warn(message)
        else:
            sc.warn(message, at=at[1:])


def run_audit(
    engine: Engine,
    import_id: int,
    *,
    period_from: str | None = None,
    period_to: str | None = None,
    as_of: dt.date | None = None,
    rules_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    by: str | None = None,
    coverage_year: int | None = None,
    letter_date: dt.date | None = None,
) -> AuditResult:
    """`letter_date`: the date the run's letters will bear (default as_of); the administrative fine
    of a `denda` case depends on it and is computed here, once."""
    say = progress or (lambda _msg: None)
    rules_dir = Path(rules_dir or default_rules_dir())
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ruleset = Ruleset.load(rules_dir)
    params = ParameterStore.load(rules_dir / "parameters")
    try:
        cats = categories_of.load(rules_dir)
    except categories_of.CategoryError as exc:
        raise AuditError(str(exc)) from None
    unknown = categories_of.lint(rules_dir, ruleset)
    if unknown:  # a finding nobody can order, total or prove: stop before judging anything
        raise AuditError("the rulebook does not match its categories.yaml (see `patuh rules lint`):\n  "
                         + "\n  ".join(unknown))
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
        as_given = as_of
        as_of = as_of or imp["as_of"] or dt.date.today()
        sc = Scope(conn, import_id, period_from, period_to, as_of, params)
        _scope_warnings(conn, sc, imp, as_given)

        for stage in ("facts", "rules", "evidence"):
            timings[stage] = 0.0
        say("fakta / facts: tabel acuan / lookup tables")
        t = time.perf_counter()
        n_employers = _employer_count(conn, import_id)
        n_workers = _audit_workers(n_employers, engine)
        # several batches per worker, so that the last one to finish does not keep the others waiting
        size = EMPLOYER_BATCH if n_workers == 1 else max(1, min(EMPLOYER_BATCH, math.ceil(n_employers / (4 * n_workers))))
        batches = employer_batches(sc, size)
        timings["facts"] += time.perf_counter() - t
        t = time.perf_counter()
        cases_of = _Cases(conn, import_id, as_of, params, cats, ladder_rules, letter_date or as_of)
        timings["cases"] = time.perf_counter() - t
        t = time.perf_counter()
        if n_workers == 1:  # each worker builds its own: temporary tables belong to a connection
            build_lookup_tables(sc)
        else:  # no transaction left open (idle) while the workers run, and none handed to them
            conn.commit()
        timings["facts"] += time.perf_counter() - t
        findings: list[Finding] = []
        n_facts = 0

        def order(f: Finding) -> tuple:
            return (f.employer_id, cats.rank(f.category), f.period or "", f.subject_id, f.rule_id)

        def take(found: list[Finding]) -> None:
            # an employer's cases are built as soon as its batch is in, while the workers judge the
            # next ones (cases and fines 0.09 s of the run's serial end at 350k)
            t = time.perf_counter()
            found.sort(key=order)
            cases_of.add(found)
            findings.extend(found)
            timings["cases"] += time.perf_counter() - t

        if n_workers == 1:
            judge = _Judge(finding_rules, params, cats)
            for number, (lo, hi) in enumerate(batches, 1):
                found, n, spent = judge(sc.batch(lo, hi), say, f" {number}/{len(batches)}" if len(batches) > 1 else "")
                take(found)
                n_facts += n
                for stage, secs in spent.items():
                    timings[stage] += secs
        else:
            t = time.perf_counter()
            for number, (found, n, spent, used, warn_at, peak) in enumerate(
                    _judge_in_workers(engine, sc, finding_rules, params, cats, batches, n_workers), 1):
                say(f"fakta+aturan+bukti / facts+rules+evidence {number}/{len(batches)} ({n_workers} proses)")
                take(found)
                n_facts += n
                for stage, secs in spent.items():
                    timings[stage] += secs  # time spent in the workers, summed: more than the wall time
                sc.used.update(used)
                _merge_warnings(sc, warn_at)
                timings["worker_peak_rss_mb"] = max(timings.get("worker_peak_rss_mb", 0.0), peak)
            timings["batches_wall"] = time.perf_counter() - t
        timings["workers"] = n_workers
        t = time.perf_counter()
        findings.sort(key=order)  # whatever the database's order of employer ids
        drop_lookup_tables(conn)
        timings["evidence"] += time.perf_counter() - t

        with gc_paused():  # cases and coverage: the same (cases 0.26–0.29 → 0.16–0.17 s at 350k)
            say("kasus / cases")
            t = time.perf_counter()
            cases = cases_of.done()
            counted = [f for f in findings if f.review != "tolak"]
            stored = cases_of.stored
            timings["cases"] += time.perf_counter() - t
            try:
                # a rejected (tolak) finding counts nowhere but its annex: not in found_unregistered either
                cov = coverage.compute(sc, counted, coverage_year or int(period_to[:4]), cats)
            except coverage.CoverageError as exc:
                raise AuditError(str(exc)) from None
        used = sorted((u.as_dict() for u in sc.used.values()), key=lambda d: (d["id"], str(d["key"]), d["valid_from"]))

    state = _state_hash(findings, stored, as_of)
    # recorded actions or reviews change the outcome: a different run (docs/lifecycle.md)
    rid = run_id(imp["package_hash"], ruleset.revision, as_of, period_from, period_to, state)
    result = AuditResult(rid, import_id, imp["package_hash"], ruleset.revision, as_of, period_from, period_to,
                         findings, cases, timings, categories=cats)
    result.state_hash = state
    result.counts = _counts(counted, cases, n_facts, cats)
    result.counts["set_aside"] = len(findings) - len(counted)
    result.coverage = cov
    result.counts["coverage"] = cov.summary()
    result.warnings = list(sc.warnings) + cov.warnings() + params.edge_warnings()
    result.counts["warnings"] = result.warnings
    t = time.perf_counter()
    _record(engine, result, used, _rulebook_snapshot(ruleset), by, imp["name"])
    timings["store"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return result


def _counts(findings, cases, facts, cats: Categories) -> dict:
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
                        for k, v in sorted(by_cat.items(), key=lambda kv: cats.rank(kv[0]))},
    }


def _state_hash(findings: list[Finding], stored: dict[str, list[dict]], as_of: dt.date) -> str:
    """What of the recorded lifecycle this run used: the reviews of its findings and the actions
    recorded for its employers up to as_of. Empty when none (then the id is as before 0003)."""
    parts = sorted(f"review|{f.finding_id}|{f.review}" for f in findings if f.review)
    parts += sorted(f"action|{a['employer_id']}|{a['action']}|{a['issued_on'].isoformat()}"
                    for acts in stored.values() for a in acts if a["issued_on"] <= as_of)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest() if parts else ""


def _rulebook_snapshot(ruleset) -> dict:
    """Titles and legal basis of every rule, kept with the run: `explain` shows the rule as the
    run applied it even after the rulebook has moved on."""
    return {"revision": ruleset.revision, "rules": {r.id: {
        "title": {"id": r.title.id, "en": r.title.en},
        "legal_basis": [{"instrument": lb.instrument, "article": lb.article, "quote": lb.quote}
                        for lb in r.legal_basis]} for r in ruleset}}


def _scope_warnings(conn, sc: Scope, imp, as_given: dt.date | None) -> None:
    """What an inspector must know about the range and the reference date before trusting it."""
    p = s.payroll
    any_payroll = select(p.c.row_id).where(p.c.import_id == sc.import_id, p.c.period >= sc.period_from,
                                           p.c.period <= sc.period_to).exists()
    if not conn.execute(select(any_payroll)).scalar():
        sc.warn(f"no payroll in {sc.period_from}..{sc.period_to}: months without payroll are not assessed "
                "for wages and participation")
    last_due = due_date(sc.period_to, sc.params)
    if sc.as_of < last_due:
        later = [p for p in sc.periods if p > sc.as_of.isoformat()[:7]]
        sc.warn(f"as_of {sc.as_of.isoformat()} is before the due date of the last audited month "
                f"({sc.period_to}, due {last_due.isoformat()}): payments of the months not yet due are not "
                "judged, but their wages and participation are"
                + (f" — including {later[0]}..{later[-1]}, after as_of itself" if later else ""))
    if as_given is not None and imp["as_of"] is not None and as_given != imp["as_of"]:
        sc.warn(f"--as-of {as_given.isoformat()} differs from the package's as_of {imp['as_of'].isoformat()}: "
                "data after the earlier date may be missing or already known")


@gc_paused()
def _record(engine: Engine, r: AuditResult, used: list[dict], rulebook: dict, by: str | None, package: str) -> None:
    """Record the run (store.runs; same inputs, same id: a re-run overwrites) and its log event.
    One recording at a time (write_transaction): the next seq and the log's hash chain are read and
    written in one step, and two audits of one package at once no longer collide on pk_runs."""
    with write_transaction(engine, "record") as conn:
        coverage.forget(conn, r.run_id)
        store.record_run(conn, r, used, rulebook, audit_log.actor(by))
        audit_log.append(conn, "audit", f"run {r.run_id} of import {r.import_id} ({package}), as_of "
                         f"{r.as_of.isoformat()}, {r.period_from}..{r.period_to}: {len(r.findings)} findings"
                         + (f" ({r.counts['set_aside']} set aside)" if r.counts.get("set_aside") else "") + ", "
                         f"{len(r.cases)} cases", {"run_id": r.run_id, "import_id": r.import_id}, by)
        coverage.record(conn, r.run_id, r.coverage)
