"""Facts and evidence computed batch by batch of employers (Scope.batch) are those of the whole run:
the employer and employer-month facts are the concatenation of the batches', the contracts the same
set, the evidence of every finding the same, and what is per run (the parameters used, the warnings
and their order) comes out the same."""
import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from fresh_db import fresh_db_url
from sqlalchemy import func, select

from patuh.audits import categories as categories_of, evidence
from patuh.audits.audit import _finding, message_value
from patuh.audits.calculators import CALCULATORS
from patuh.audits.facts import Scope, contract_facts, employer_facts, employer_month_facts
from patuh.audits.facts.scope import build_lookup_tables, drop_lookup_tables, employer_batches
from patuh.audits.importer import load_package
from patuh.audits.rulebook import RULES_DIR
from patuh.audits.store import schema as s
from patuh.audits.store.db import get_engine
from patuh.engine.evaluator import Evaluator
from patuh.engine.parameters import ParameterStore
from patuh.engine.ruleset import Ruleset

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"
PARAMS = ParameterStore.load(RULES_DIR / "parameters")


def _without_2025_minimums_and_deadlines() -> ParameterStore:
    """The rulebook's parameters with no minimum wage for 2025 and no JAKON registration deadline:
    the facts then warn per regency-month and per contract, so the warnings' order is tested."""
    out = []
    for pid in PARAMS.ids():
        p = PARAMS.get(pid)
        if pid in ("ump", "umk"):
            p = replace(p, values=[v for v in p.values if v.valid_from.year != 2025])
        elif pid == "jakon_registration_working_days":
            p = replace(p, values=[])
        out.append(p)
    return ParameterStore(out)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    # SQLite, or PostgreSQL when PATUH_TEST_DB says so (the range conditions compare in the database)
    engine = get_engine(fresh_db_url(tmp_path_factory.mktemp("batches")))
    return engine, load_package(DEMO, engine).import_id


def _judge(facts, params):
    rules = Ruleset.load(RULES_DIR)
    rules = rules.subset([r.id for r in rules if r.subject != "case"])
    judged = {r.subject for r in rules}
    hits = Evaluator(rules, params, CALCULATORS, formatter=message_value).evaluate(
        [f for f in facts if f["type"] in judged])
    return [_finding(h) for h in hits]


def _run(engine, import_id, params, size: int | None):
    """(employer facts, employer-month facts, contract facts, evidence by finding, used, warnings)."""
    cats = categories_of.load(RULES_DIR)
    with engine.connect() as conn:
        lo, hi = conn.execute(select(func.min(s.payroll.c.period), func.max(s.payroll.c.period))).one()
        as_of = conn.execute(select(s.imports.c.as_of)).scalar()
        sc = Scope(conn, import_id, lo, hi, as_of, params)
        sc.warn("the run's own warning, said before the facts")
        if size is None:
            batches = [sc]
        else:
            build_lookup_tables(sc)
            bounds = employer_batches(sc, size)
            assert len(bounds) == 3
            batches = [sc.batch(lo, hi) for lo, hi in bounds]
        emps, months, contracts, found = [], [], [], {}
        for b in batches:
            m = employer_month_facts(b)
            e, c = employer_facts(b, m), contract_facts(b)
            facts = e + m + c
            findings = _judge(facts, params)
            evidence.collect(b, findings, {f["id"]: f for f in facts}, cats)
            emps += e
            months += m
            contracts += c
            found.update({f.finding_id: (f.amount, f.late_fee, f.evidence) for f in findings})
        drop_lookup_tables(conn)
        return emps, months, sorted(contracts, key=lambda f: f["id"]), found, dict(sc.used), list(sc.warnings)


@pytest.mark.parametrize("params", [PARAMS, _without_2025_minimums_and_deadlines()], ids=["rulebook", "warnings"])
def test_facts_and_evidence_by_batches_of_employers_are_those_of_the_whole_run(store, params):
    engine, import_id = store
    whole = _run(engine, import_id, params, None)
    batched = _run(engine, import_id, params, 8)
    emps, months, contracts, found, used, warnings = whole
    assert len(emps) > 16 and len(months) > 100 and contracts and found
    assert batched[0] == emps
    assert batched[1] == months
    assert batched[2] == contracts
    assert batched[3] == found
    assert batched[4] == used
    assert batched[5] == warnings
    if params is not PARAMS:
        assert sum("no minimum wage" in w for w in warnings) > 3
        assert sum("no registration deadline" in w for w in warnings) > 1
        assert warnings[0] == "the run's own warning, said before the facts"


def test_a_batch_sees_only_its_employers(store):
    engine, import_id = store
    with engine.connect() as conn:
        sc = Scope(conn, import_id, "2025-01", "2025-09", dt.date(2025, 11, 28), PARAMS)
        build_lookup_tables(sc)
        b = sc.batch("E03", "E05")
        months = employer_month_facts(b)
        assert {f["employer_id"] for f in employer_facts(b, months)} == {"E03", "E04", "E05"}
        assert {f["employer_id"] for f in months} <= {"E03", "E04", "E05"}
        assert {f["employer_id"] for f in contract_facts(b)} <= {"E03", "E04", "E05"}
        drop_lookup_tables(conn)
