"""The screen (engine/screen.py) spares durable-rules the facts no rule can fire for, and no other:

* every hit, message and trace of a screened evaluation is that of an unscreened one (the real
  durable-rules engine on both sides), over conditions of every kind and values at the edges
  where 64-bit integers and doubles part;
* each subject's generated test agrees with `evaluate`, the same test written out comparison by
  comparison, and with `holds` on every pair of values;
* it does screen: the facts of the shipped rulebook with nothing wrong are not asserted.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from patuh.engine import screen
from patuh.engine.evaluator import Evaluator
from patuh.engine.parameters import ParameterStore
from patuh.engine.ruleset import Ruleset
from patuh.audits.rulebook import rules_dir

RULE = """\
id: {id}
category: T
subject: {subject}
title: {{id: t, en: t}}
message: {{id: "m {{a}}", en: "m {{b}}"}}
legal_basis: [{{instrument: X, article: "1"}}]
severity: low
when: {when}
"""

BIG = 2**53  # beyond it not every integer is a double: where C's int-to-double comparison differs
# subject "thing": every rule keeps a test, so it is screened; "other": one rule keeps none
WHEN = {
    "thing": {
        "R-INT": "{field: a, gt: 2}",
        "R-FLOAT": "{all: [{field: b, lte: 2.5}, {field: ok, eq: true}]}",
        "R-FIELDS": "{all: [{field: a, lt: {field: b}}, {not: {field: t, eq: x}}]}",
        "R-EQ": "{field: b, eq: {field: a}}",
        "R-ANY": "{any: [{field: d, lt: 2025-03-01}, {all: [{field: ok, neq: true}, {field: b, gt: 0}]}]}",
        "R-PARAM": "{all: [{field: a, gt: {param: jp_wage_cap}}, {field: tags, contains: x}]}",
        "R-TEXT": "{all: [{field: t, eq: y}, {field: a, neq: 0}]}",
    },
    # alone in their subjects, so that no other rule lets the fact through: as a double, 2**53 + 1 is 2**53
    "edge": {
        "E-EQ": "{field: b, eq: {field: a}}",
        "E-LTE": "{field: a, lte: {field: b}}",
    },
    "edge2": {"E-BIG": f"{{field: a, gte: {BIG + 1}}}"},
    "other": {
        "O-NUM": "{field: a, gt: 0}",
        "O-NOT": "{not: {field: a, gt: 5}}",
    },
}


@pytest.fixture(scope="module")
def ruleset(tmp_path_factory) -> Ruleset:
    d = tmp_path_factory.mktemp("screen") / "rules" / "t"
    d.mkdir(parents=True)
    for subject, rules in WHEN.items():
        for rid, when in rules.items():
            (d / f"{rid}.yaml").write_text(RULE.format(id=rid, subject=subject, when=when))
    return Ruleset.load(d.parent)


@pytest.fixture(scope="module")
def params() -> ParameterStore:
    return ParameterStore.load(rules_dir() / "parameters")


number = st.one_of(
    st.integers(-3, 6), st.decimals(-3, 6, places=1), st.sampled_from([Decimal("2.5"), Decimal("2.50001"), 2, 3]),
    st.integers(BIG - 3, BIG + 3), st.floats(BIG - 4, BIG + 4), st.integers(-(2**63), 2**63 - 1),
    st.floats(min_value=1e-4, max_value=1e16, exclude_max=True),
)
value = st.fixed_dictionaries({}, optional={
    "a": number, "b": number,
    "ok": st.booleans(),
    "t": st.sampled_from(["x", "y", "z"]),
    "d": st.dates(dt.date(2025, 1, 1), dt.date(2025, 6, 1)),
    "tags": st.lists(st.sampled_from(["x", "y"]), max_size=2),
})


def digest(hits) -> list:
    return [(h.rule_id, h.fact["id"], h.message, json.dumps(h.trace.to_dict(), sort_keys=True)) for h in hits]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["thing", "edge", "edge2", "other"]), value), max_size=30))
# where exact and double comparisons part: C fires E-EQ and E-LTE on the first two, E-BIG on the third
@example(rows=[(0, "edge", {"a": BIG + 1, "b": float(BIG)}), (1, "edge", {"a": float(BIG), "b": BIG + 1}),
               (2, "edge2", {"a": float(BIG)})])
def test_screened_hits_are_the_unscreened_hits(ruleset, params, monkeypatch, rows):
    facts = [{"id": f"f{i}", "type": subject, "batch": f"B{b}", "on": dt.date(2025, 5, 1), **fields}
             for i, (b, subject, fields) in enumerate(rows)]
    screened = Evaluator(ruleset, params).evaluate(facts)
    with monkeypatch.context() as m:
        m.setattr(Evaluator, "screen_facts", False)
        every = Evaluator(ruleset, params).evaluate(facts)
    assert digest(screened) == digest(every)


engine_value = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 6), st.floats(-3, 6), st.integers(BIG - 3, BIG + 3),
    st.floats(BIG - 4, BIG + 4), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False),
    st.text(max_size=2), st.lists(st.integers(), max_size=2),
)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(["a", "b", "ok", "t", "d", "tags", "__p0"]), engine_value))
def test_the_generated_test_is_the_test_written_out(ruleset, fields):
    ev = Evaluator(ruleset)
    tests = screen.tests_of(ruleset, ev.compiled)
    for subject, fn in ev._screens.items():
        assert fn(fields) == screen.evaluate(tests[subject], fields), fn.source


@settings(max_examples=2000)
@given(op=st.sampled_from(["eq", "neq", "lt", "lte", "gt", "gte"]), a=engine_value, b=engine_value)
def test_a_comparison_holds_unless_c_finds_it_false(op, a, b):
    compare = {"eq": lambda x, y: x == y, "neq": lambda x, y: x != y, "lt": lambda x, y: x < y,
               "lte": lambda x, y: x <= y, "gt": lambda x, y: x > y, "gte": lambda x, y: x >= y}[op]
    numbers = (int, float, bool)
    if type(a) not in numbers or type(b) not in numbers:
        assert screen.holds(op, a, b)  # absent, text, a list: left to durable-rules
    elif float in (type(a), type(b)):
        assert screen.holds(op, a, b) == compare(float(a), float(b))  # C: both as doubles
    else:
        assert screen.holds(op, a, b) == compare(int(a), int(b))  # C: 64-bit integers, a bool as 0 or 1


def test_a_subject_with_a_rule_that_keeps_no_test_is_not_screened(ruleset):
    ev = Evaluator(ruleset)
    assert set(ev._screens) == {"thing", "edge", "edge2"}


def test_field_names_are_never_written_into_code_unchecked():
    with pytest.raises(ValueError, match="not a field name"):
        screen._Code().function(("cmp", "a) or (1", "gt", ("lit", 0)))


def test_the_shipped_rulebooks_quiet_months_are_not_asserted(monkeypatch):
    from patuh.audits.calculators import CALCULATORS

    rules = Ruleset.load(rules_dir())
    ev = Evaluator(rules.subset([r.id for r in rules if r.subject == "employer_month"]),
                   ParameterStore.load(rules_dir() / "parameters"), CALCULATORS)
    base = {"type": "employer_month", "batch": "E1", "on": dt.date(2025, 1, 1), "registered": True,
            "deductions": Decimal(0), "due_date": dt.date(2025, 2, 15), "as_of": dt.date(2025, 11, 28),
            "paid": Decimal("60740.00"), "bill": Decimal("60740.00"), "unregistered_workers": 0,
            "underreported_workers": 0, "completed_on": dt.date(2025, 2, 10), "late_fee_open": False,
            "minimum_wage": Decimal(3024820), "under_minimum_workers": 0, "risk_group": 1,
            "programs": ["JKK", "JKM", "JHT", "JP"], "period": "2025-01"}
    quiet = [dict(base, id=f"q{i}") for i in range(5)]
    unregistered = dict(base, id="u", unregistered_workers=2, unregistered_wage=Decimal(6000000),
                        unregistered_jp_base=Decimal(6000000))
    asserted: list = []
    original = Evaluator._assert_batch

    def spy(self, batch, prepared, state):
        asserted.extend(fact["id"] for fact, _e, _u in prepared)
        return original(self, batch, prepared, state)

    monkeypatch.setattr(Evaluator, "_assert_batch", spy)
    hits = ev.evaluate(quiet + [unregistered])
    assert asserted == ["u"]
    assert [h.rule_id for h in hits] == ["PDS-TK-01"]
