"""The evaluator's fast paths agree with the slow ones they stand in for (engine/evaluator.py):

* `_engine_fact` (a plan per shape of fact: its names and value types, checked once) against
  `_engine_fact_checked` (every check, field by field): same engine fact or the same error;
* one durable-rules call per batch against a call per fact, and `_LeanRuleset`'s loop over the
  actions against durable-rules' own: the same actions, so the same hits, messages and traces.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from patuh.engine import evaluator as evmod
from patuh.engine.evaluator import Evaluator
from patuh.engine.ruleset import Ruleset

RULE = """\
id: {id}
category: T
subject: thing
title: {{id: t, en: t}}
message: {{id: "m {{n}} {{t}}", en: "m {{d}} {{b}}"}}
legal_basis: [{{instrument: X, article: "1"}}]
severity: low
when: {when}
"""

# one field of every kind the compiler knows: number, date, number-or-date, text, bool, list
WHEN = {
    "R-NUM": "{field: n, gt: 2}",
    "R-DATE": "{field: d, lt: 2025-03-01}",
    "R-ORD": "{field: o1, lt: {field: o2}}",
    "R-TEXT": "{field: t, in: [a, b]}",
    "R-BOOL": "{all: [{field: b, eq: true}, {not: {field: n, lte: 0}}]}",
    "R-LIST": "{field: l, contains: x}",
    "R-EX": "{field: e, exists: true}",
}
READ = ["n", "d", "o1", "o2", "t", "b", "l", "e"]


@pytest.fixture(scope="module")
def ruleset(tmp_path_factory) -> Ruleset:
    d = tmp_path_factory.mktemp("fast") / "rules" / "t"
    d.mkdir(parents=True)
    for rid, when in WHEN.items():
        (d / f"{rid}.yaml").write_text(RULE.format(id=rid, when=when))
    return Ruleset.load(d.parent)


@pytest.fixture(scope="module")
def ev(ruleset) -> Evaluator:
    return Evaluator(ruleset)


class DecimalSub(Decimal):
    pass


class DateTimeSub(dt.datetime):
    pass


any_value = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.integers(),
    st.decimals(allow_nan=True, allow_infinity=True), st.decimals(-5, 5, places=2),
    st.floats(), st.floats(-5, 5),
    st.text(max_size=3), st.sampled_from(["a", "b", "x", "2025-01-01", "2025-13-01", ""]),
    st.dates(), st.datetimes(), st.builds(DateTimeSub, st.integers(2000, 2030), st.integers(1, 12), st.integers(1, 28)),
    st.builds(DecimalSub, st.integers(-5, 5)),
    st.lists(st.one_of(st.sampled_from(["x", "y"]), st.integers(), st.decimals(-2, 2, places=1)), max_size=3),
    st.tuples(st.sampled_from(["x", "y"])), st.just([]), st.just(()),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
names = st.sampled_from(READ + ["extra", "other", "sid", "$s", "__p0", "__pX", "batch"])


def outcome(fn, fact):
    try:
        return fn(fact, "s0", {})
    except Exception as exc:  # noqa: BLE001 - the error is the outcome compared
        return (type(exc).__name__, str(exc))


@settings(max_examples=1500, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fields=st.dictionaries(names, any_value, max_size=8))
def test_engine_fact_fast_path_agrees_with_the_checked_path(ev, fields):
    fact = {"id": "f1", "type": "thing", **fields}
    fast = outcome(ev._engine_fact, fact)
    checked = outcome(ev._engine_fact_checked, fact)
    assert fast == checked
    if isinstance(fast, tuple) and isinstance(fast[0], dict):  # the same order too: it is the JSON the engine reads
        assert list(fast[0]) == list(checked[0])
        # and the same JSON: 5 and 5.0 are equal in Python, not in the text durable-rules parses
        assert json.dumps(fast[0], default=str) == json.dumps(checked[0], default=str)
        # which _engine_json (orjson) writes as durable's json.dumps would, but for the spaces
        assert evmod._engine_json([fast[0]]) == json.dumps([fast[0]], ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=2000)
@given(st.lists(st.one_of(
    st.floats(min_value=1e-4, max_value=1e16, exclude_max=True), st.floats(min_value=-1e16, max_value=-1e-4, exclude_min=True),
    st.just(0.0), st.just(-0.0), st.integers(-(2**63), 2**63 - 1), st.text(), st.booleans(), st.none()), max_size=6))
def test_engine_json_is_durables_json_text_for_every_value_the_fence_lets_through(values):
    fact = {"id": "f", "sid": "s", **{f"v{i}": v for i, v in enumerate(values)}, "l": values}
    assert evmod._engine_json([fact]) == json.dumps([fact], ensure_ascii=False, separators=(",", ":"))


def test_engine_fact_fast_path_on_a_fresh_evaluator_sees_a_datetime_first(ruleset):
    e = Evaluator(ruleset)
    fact = {"id": "f", "type": "thing", "n": Decimal(3), "when": dt.datetime(2025, 1, 1)}
    with pytest.raises(Exception, match="a datetime is not allowed"):
        e._engine_fact(fact, "s", {})
    ok = {"id": "g", "type": "thing", "n": Decimal("3.5"), "d": dt.date(2025, 1, 1), "b": True, "t": "a"}
    assert e._engine_fact(ok, "s", {}) == e._engine_fact_checked(ok, "s", {})


valid = st.fixed_dictionaries({}, optional={
    "n": st.one_of(st.integers(-3, 6), st.decimals(-3, 6, places=1)),
    "d": st.dates(dt.date(2025, 1, 1), dt.date(2025, 6, 1)),
    "o1": st.one_of(st.integers(0, 5), st.dates(dt.date(2025, 1, 1), dt.date(2025, 1, 5))),
    "o2": st.one_of(st.integers(0, 5), st.dates(dt.date(2025, 1, 1), dt.date(2025, 1, 5))),
    "t": st.sampled_from(["a", "b", "c"]),
    "b": st.booleans(),
    "l": st.lists(st.sampled_from(["x", "y"]), max_size=2),
    "e": st.integers(-(2**63), 2**63 - 1),  # beyond 64 bits the engine refuses a number (test_engine_guards)
})


def digest(hits) -> list:
    return [(h.rule_id, h.fact["id"], h.message, json.dumps(h.trace.to_dict(), sort_keys=True)) for h in hits]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 3), valid), max_size=25))
def test_one_call_per_batch_and_the_lean_loop_give_the_old_paths_hits(ruleset, monkeypatch, rows):
    facts = [{"id": f"f{i}", "type": "thing", "batch": f"B{b}", **fields} for i, (b, fields) in enumerate(rows)]
    # o1 and o2 must be of one kind within a fact: a number against a date is a fact error
    facts = [f for f in facts if not ("o1" in f and "o2" in f and type(f["o1"]) is not type(f["o2"]))]
    fast = Evaluator(ruleset).evaluate(facts)
    with monkeypatch.context() as m:
        m.setattr(Evaluator, "lean_dispatch", False)  # durable-rules' own loop over actions
        m.setattr(Evaluator, "_assert_batch", lambda self, batch, prepared, state: None)  # a call per fact
        old = Evaluator(ruleset).evaluate(facts)
    assert digest(fast) == digest(old)


def test_a_failed_batch_call_is_asked_again_fact_by_fact(ev, monkeypatch):
    from durable.engine import MessageObservedException

    def observed(name, facts):
        raise MessageObservedException(facts)

    facts = [{"id": "a", "type": "thing", "batch": "x", "n": 5}, {"id": "b", "type": "thing", "batch": "x", "n": 1}]
    expected = digest(ev.evaluate(facts))
    monkeypatch.setattr(ev._host, "assert_facts", observed)
    assert digest(ev.evaluate(facts)) == expected
    assert ("R-NUM", "a") in {(h.rule_id, h.fact["id"]) for h in ev.evaluate(facts)}


def test_two_subjects_with_facts_of_one_shape_keep_their_own_plans(tmp_path):
    """Facts of two subjects with the same names and value types: each subject's rules read their
    own fields (a plan cached by names and types alone gave the second subject the first's)."""
    d = tmp_path / "rules" / "t"
    d.mkdir(parents=True)
    (d / "R-A.yaml").write_text(RULE.format(id="R-A", when="{field: n, gt: 2}"))
    (d / "R-B.yaml").write_text(RULE.format(id="R-B", when="{field: t, in: [a]}").replace("subject: thing", "subject: other"))
    e = Evaluator(Ruleset.load(d.parent))
    fields = {"n": Decimal(3), "t": "a", "d": dt.date(2025, 1, 1), "b": True}
    for subject in ("thing", "other", "thing"):
        fact = {"id": f"f-{subject}", "type": subject, **fields}
        assert e._engine_fact(fact, "s0", {}) == e._engine_fact_checked(fact, "s0", {})
    hits = e.evaluate([{"id": "1", "type": "thing", **fields}, {"id": "2", "type": "other", **fields}])
    assert sorted(h.rule.id for h in hits) == ["R-A", "R-B"]


def test_an_action_is_read_where_it_stands_whether_its_fact_was_written_with_spaces_or_without():
    for text in ('{"R-NUM":{"m":{"id":"f\\"1","n":3}}}', '{"R-NUM":{"m":{"id": "f\\"1", "n": 3}}}'):
        assert evmod._read_action(text) == ("R-NUM", 'f"1')


def test_the_facts_texts_durable_hands_back_are_read_without_parsing_them_whole(ruleset, monkeypatch):
    """_read_action's fast path must match the text _engine_json writes: when it did not (a space
    after a colon), every action was parsed in full — right, and 10 % of the rules' time lost."""
    facts = [{"id": f"f{i}", "type": "thing", "batch": "B", "n": i, "t": "a", "b": True, "l": ["x"]} for i in range(6)]
    e = Evaluator(ruleset)
    expected = digest(e.evaluate(facts))
    assert expected  # the facts fire rules: there are actions to read

    def whole(*_a, **_k):
        raise AssertionError("an action's text was parsed whole")

    monkeypatch.setattr(evmod.json, "loads", whole)
    assert digest(e.evaluate(facts)) == expected
