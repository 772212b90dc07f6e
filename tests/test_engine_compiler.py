"""Compiler: every operator, positive and under `not`, through the real durable-rules engine."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from patuh.engine.compiler import CATCH_ALL_PREFIX, CompileError, compile_ruleset
from patuh.engine.evaluator import Evaluator
from patuh.engine.ruleset import Ruleset

RULE = """\
id: {id}
category: T
subject: thing
title: {{id: t, en: t}}
message: {{id: m, en: m}}
legal_basis: [{{instrument: X, article: "1"}}]
severity: low
when: {when}
"""


def ruleset_of(tmp_path: Path, rules: dict[str, str]) -> Ruleset:
    d = tmp_path / "rules" / "t"
    d.mkdir(parents=True, exist_ok=True)
    for rid, when in rules.items():
        (d / f"{rid}.yaml").write_text(RULE.format(id=rid, when=when))
    return Ruleset.load(tmp_path / "rules")


def fires(ev: Evaluator, **fields) -> bool:
    hits = ev.evaluate([{"id": "f", "type": "thing", "batch": "b", **fields}])
    return bool(hits)


# (condition, fact fields, expected) — each case also checked negated: `not` of it must give the opposite
CASES = [
    ("{field: a, eq: 3}", {"a": 3}, True),
    ("{field: a, eq: 3}", {"a": Decimal("3.0")}, True),
    ("{field: a, eq: 3}", {"a": 4}, False),
    ("{field: a, eq: 3}", {}, False),
    ("{field: a, neq: 3}", {"a": 4}, True),
    ("{field: a, neq: 3}", {"a": 3}, False),
    ("{field: a, neq: 3}", {}, False),
    ("{field: a, lt: 5}", {"a": 4}, True),
    ("{field: a, lt: 5}", {"a": 5}, False),
    ("{field: a, lt: 5}", {}, False),
    ("{field: a, lte: 5}", {"a": 5}, True),
    ("{field: a, gt: 5}", {"a": Decimal("5.01")}, True),
    ("{field: a, gt: 5}", {"a": 5}, False),
    ("{field: a, gte: 5.5}", {"a": Decimal("5.5")}, True),
    ("{field: a, gte: 5.5}", {"a": Decimal("5.49")}, False),
    ("{field: a, lt: {field: b}}", {"a": 1, "b": 2}, True),
    ("{field: a, lt: {field: b}}", {"a": 2, "b": 2}, False),
    ("{field: a, lt: {field: b}}", {"a": 1}, False),  # durable-rules alone would match this one
    ("{field: a, lt: {field: b}}", {"b": 1}, False),
    ("{field: a, eq: {field: b}}", {"a": 1}, False),  # ... and this one
    ("{field: a, eq: {field: b}}", {"a": 1, "b": 1}, True),
    ("{field: s, in: [x, y]}", {"s": "y"}, True),
    ("{field: s, in: [x, y]}", {"s": "z"}, False),
    ("{field: s, in: [x, y]}", {}, False),
    ("{field: tags, contains: x}", {"tags": ["y", "x"]}, True),
    ("{field: tags, contains: x}", {"tags": ["y"]}, False),
    ("{field: tags, contains: x}", {"tags": []}, False),  # durable-rules' $iall is false on []
    ("{field: tags, contains: x}", {}, False),
    ("{field: a, exists: true}", {"a": 0}, True),
    ("{field: a, exists: true}", {"a": None}, False),
    ("{field: a, exists: false}", {}, True),
    ("{field: d, lt: 2025-03-01}", {"d": dt.date(2025, 2, 28)}, True),
    ("{field: d, lt: 2025-03-01}", {"d": "2025-03-01"}, False),
    ("{field: ok, eq: true}", {"ok": True}, True),
    ("{field: ok, eq: true}", {"ok": False}, False),
    ("{all: [{field: a, gt: 1}, {field: b, gt: 1}]}", {"a": 2, "b": 2}, True),
    ("{all: [{field: a, gt: 1}, {field: b, gt: 1}]}", {"a": 2, "b": 1}, False),
    ("{any: [{field: a, gt: 1}, {field: b, gt: 1}]}", {"a": 0, "b": 2}, True),
    ("{any: [{field: a, gt: 1}, {field: b, gt: 1}]}", {"a": 0, "b": 0}, False),
    ("{any: [{field: a, gt: 1}, {all: [{field: b, gt: 1}, {not: {field: c, eq: x}}]}]}", {"a": 0, "b": 2, "c": "y"}, True),
    ("{any: [{field: a, gt: 1}, {all: [{field: b, gt: 1}, {not: {field: c, eq: x}}]}]}", {"a": 0, "b": 2, "c": "x"}, False),
    ("{not: {not: {field: a, gt: 1}}}", {"a": 2}, True),
]


@pytest.fixture(scope="module")
def evaluators(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ops")
    conds = sorted({c for c, _f, _e in CASES})
    rules = {}
    for i, c in enumerate(conds):
        rules[f"P{i:02d}"] = c
        rules[f"N{i:02d}"] = "{not: " + c + "}"
    rs = ruleset_of(tmp, rules)
    out = {}
    for i, c in enumerate(conds):
        out[c] = (Evaluator(rs.subset([f"P{i:02d}"])), Evaluator(rs.subset([f"N{i:02d}"])))
    return out


@pytest.mark.parametrize("cond, fields, expected", CASES, ids=[f"{c} {f}" for c, f, _ in CASES])
def test_operator(evaluators, cond, fields, expected):
    pos, neg = evaluators[cond]
    assert fires(pos, **fields) is expected
    assert fires(neg, **fields) is (not expected), "`not` must be exactly the opposite, absent fields included"


def test_compiled_json_holds_no_metadata_and_has_catch_all(tmp_path):
    rs = ruleset_of(tmp_path, {"R1": "{field: a, gt: 1}", "R2": "{not: {field: a, in: [1, 2]}}"})
    compiled = compile_ruleset(rs)
    text = json.dumps(compiled.definition)
    for word in ("legal_basis", "title", "instrument", "examples", "message"):
        assert word not in text
    assert compiled.definition["R1"] == {
        "all": [{"m": {"$and": [{"type": "thing"}, {"$gt": {"a": 1}}]}}], "run": "R1"}
    # not pushed down (De Morgan), absent field included; no `$not` named match
    assert compiled.definition["R2"]["all"][0]["m"]["$and"][1] == {
        "$or": [{"$and": [{"$neq": {"a": 1}}, {"$neq": {"a": 2}}]}, {"$nex": {"a": 1}}]}
    assert "$not" not in text
    assert compiled.definition[CATCH_ALL_PREFIX + "thing"] == {"all": [{"m": {"type": "thing"}}], "run": CATCH_ALL_PREFIX + "thing"}


def test_parameter_reference_compiles_to_injected_slot(tmp_path):
    rs = ruleset_of(tmp_path, {"R1": "{field: wage, lt: {param: min_wage, key: {field: region}}}"})
    compiled = compile_ruleset(rs)
    cond = compiled.definition["R1"]["all"][0]["m"]["$and"][1]
    assert cond == {"$and": [{"$ex": {"__p0": 1}}, {"$lt": {"wage": {"$m": "__p0"}}}]}
    slot = compiled.slots["thing"][0]
    assert (slot.name, slot.param, slot.key.field) == ("__p0", "min_wage", "region")


def test_conflicting_kinds_are_a_compile_error(tmp_path):
    rs = ruleset_of(tmp_path, {"R1": "{field: code, eq: 6171}", "R2": "{field: code, eq: '6171'}"})
    with pytest.raises(CompileError, match="field 'code' is compared as text"):
        compile_ruleset(rs)
