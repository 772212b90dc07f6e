"""Each fence around durable-rules has a test here (see engine/evaluator.py's docstring)."""
from __future__ import annotations

import datetime as dt
import json
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from patuh.engine import evaluator as evmod
from patuh.engine.evaluator import EvaluationError, Evaluator, FactError
from patuh.engine.parameters import ParameterStore
from patuh.engine.ruleset import Ruleset

DATA = Path(__file__).parent / "data"
BASIC = DATA / "rules_basic"
sys.path.insert(0, str(DATA))
from rules_basic_calcs import CALCULATORS  # noqa: E402


@pytest.fixture(scope="module")
def ev() -> Evaluator:
    rs = Ruleset.load(BASIC)
    return Evaluator(rs, ParameterStore.load(BASIC / "parameters"), CALCULATORS)


def month(fid, batch="e1", **kw):
    f = {"id": fid, "type": "month", "batch": batch, "registered": True, "paid": Decimal(100),
         "bill": Decimal("250.5"), "on": "2025-03-01"}
    f.update(kw)
    return f


def worker(fid, batch="e1", **kw):
    f = {"id": fid, "type": "worker", "batch": batch, "wage": Decimal(3100000), "region": "A",
         "status": "staff", "on": "2025-02-01"}
    f.update(kw)
    return f


# -- ids ---------------------------------------------------------------------------------------
def test_duplicate_ids_are_rejected(ev):
    with pytest.raises(FactError, match="duplicate fact id 'x'"):
        ev.evaluate([month("x"), month("x", paid=Decimal(0))])


def test_duplicate_ids_across_batches_and_after_str_are_rejected(ev):
    with pytest.raises(FactError, match="duplicate fact id '7'"):
        ev.evaluate([month(7, batch="a"), month("7", batch="b")])


def test_missing_id_is_rejected(ev):
    f = month("x")
    del f["id"]
    with pytest.raises(FactError, match="without an 'id'"):
        ev.evaluate([f])


def test_identical_content_with_different_ids_gives_one_hit_each(ev):
    hits = ev.evaluate([month("a"), month("b")])
    assert [h.fact["id"] for h in hits] == ["a", "b"]


# -- types ---------------------------------------------------------------------------------------
def test_text_where_a_number_is_compared_is_rejected(ev):
    # durable-rules itself would happily match "100" < 250.5
    with pytest.raises(FactError, match="field 'paid'.*number"):
        ev.evaluate([month("x", paid="100")])


def test_bool_where_a_number_is_compared_is_rejected(ev):
    with pytest.raises(FactError, match="field 'paid'"):
        ev.evaluate([month("x", paid=True)])


def test_number_where_a_bool_is_compared_is_rejected(ev):
    with pytest.raises(FactError, match="field 'registered'.*bool"):
        ev.evaluate([month("x", registered=1)])


def test_datetime_is_rejected(ev):
    with pytest.raises(FactError, match="datetime"):
        ev.evaluate([month("x", on=dt.datetime(2025, 3, 1, 12, 0))])


# durable-rules reads a number's JSON text in C: "1e-05" (json.dumps' 0.00001) crashed the whole
# process with a segmentation fault, and an integer beyond 64 bits saturated silently. Each value
# here did one or the other before the fence; now each is refused by name, and the process lives.
@pytest.mark.parametrize("paid", [
    0.00001, Decimal("0.00001"), 1e-07, -5e-05, 1e16, 1.5e300, Decimal("10000000000000000.5"),
    Decimal("9999999999999999.99"), Decimal("1E-400"), 2**63, -(2**63) - 1, Decimal(2**64), float("nan"),
    Decimal("-Infinity"),
])
def test_numbers_the_engine_cannot_read_back_are_refused_by_name(ev, paid):
    with pytest.raises(FactError, match="fact x field 'paid': .*(outside the numbers|64-bit|not a finite)"):
        ev.evaluate([month("x", paid=paid)])


@pytest.mark.parametrize("paid, hit", [
    (0.0001, True), (Decimal("0.0001"), True), (0.0, True), (Decimal("-0.00"), True),
    (9999999999999998.0, False), (Decimal("250.49"), True), (Decimal("250.50"), False),
    (2**63 - 1, False), (-(2**63), True), (Decimal("1E+5"), False),
])
def test_numbers_at_the_edges_of_what_the_engine_reads_are_judged_as_python_would(ev, paid, hit):
    assert [h.rule_id for h in ev.evaluate([month("x", paid=paid)])] == (["ARR-01"] if hit else [])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paid=st.one_of(st.integers(-(2**53), 2**53), st.decimals(-(10**13), 10**13, places=2),
                      st.decimals(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False),
                      st.integers()),
       bill=st.decimals(-(10**13), 10**13, places=2))
def test_a_number_is_judged_as_python_would_or_refused_by_name(ev, paid, bill):
    """Exact where both are whole numbers of 53 bits or amounts in sen below 10^13 Rupiah (floats of
    15 digits); any other number the engine may see only has to come back refused or judged."""
    try:
        hits = ev.evaluate([month("x", paid=paid, bill=bill)])
    except FactError as exc:
        assert "field 'paid'" in str(exc)
        assert not (isinstance(paid, int) and abs(paid) <= 2**53)
        return
    exact = isinstance(paid, int) and abs(paid) <= 2**53 or (
        isinstance(paid, Decimal) and abs(paid) < 10**13 and paid == paid.quantize(Decimal("0.01")))
    if exact:
        assert bool(hits) == (paid < bill)


def test_a_rule_literal_the_engine_cannot_read_back_is_a_compile_error(tmp_path):
    from patuh.engine.compiler import CompileError, compile_ruleset

    d = tmp_path / "t"
    d.mkdir()
    (d / "T-1.yaml").write_text(
        'id: T-1\ncategory: T\nsubject: m\ntitle: {id: "t", en: "t"}\nmessage: {id: "t", en: "t"}\n'
        'legal_basis: [{instrument: X, article: "1"}]\nseverity: low\nwhen: {field: x, lt: 0.00001}\n')
    with pytest.raises(CompileError, match=r"T-1.yaml line \d+: 0.00001 is outside the numbers"):
        compile_ruleset(Ruleset.load(tmp_path))


def test_reserved_field_names_are_rejected(ev):
    with pytest.raises(FactError, match="reserved"):
        ev.evaluate([month("x", sid="other")])


def test_calculators_get_the_original_fact(tmp_path):
    seen = []

    def spy(fact, params, trace):
        seen.append(fact)
        return Decimal("1.5")

    rs = Ruleset.load(BASIC)
    e = Evaluator(rs, ParameterStore.load(BASIC / "parameters"), {"shortfall": spy, "late_fee": spy})
    f = month("x")
    [hit] = e.evaluate([f])
    assert seen[0] is f and isinstance(seen[0]["bill"], Decimal)
    assert hit.fact is f
    assert hit.amount == Decimal(2)  # 1.5 rounded half-up to whole Rupiah


# -- states --------------------------------------------------------------------------------------
def test_state_is_deleted_after_each_batch(ev):
    ev.evaluate([month("x", batch="S1")])
    with pytest.raises(Exception, match="error code"):
        ev._host.get_facts(ev._name, "S1")


def test_more_batches_than_the_1024_live_state_limit(ev):
    facts = [month(f"m{i}", batch=f"b{i}") for i in range(1500)]
    hits = ev.evaluate(facts)
    assert len(hits) == 1500


def test_same_ids_may_be_evaluated_again_in_a_later_call(ev):
    assert len(ev.evaluate([month("again")])) == 1
    assert len(ev.evaluate([month("again")])) == 1


# -- catch-all and types ---------------------------------------------------------------------------
def test_unmatched_fact_does_not_raise(ev):
    assert ev.evaluate([month("x", paid=Decimal(999))]) == []


def test_fact_of_a_type_no_rule_judges_is_rejected(ev):
    with pytest.raises(FactError, match="no rule judges facts of type 'nothing'"):
        ev.evaluate([{"id": "x", "type": "nothing", "batch": "b"}])


# -- actions ------------------------------------------------------------------------------------
def test_action_exceptions_are_surfaced(ev, monkeypatch):
    def boom(name, c):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(ev, "_on_fire", boom)
    with pytest.raises(EvaluationError, match="kaboom"):
        ev.evaluate([month("x", batch="boom")])
    monkeypatch.undo()
    # the state of the failed batch was deleted: the engine is usable again
    assert len(ev.evaluate([month("x", batch="boom")])) == 1


def test_lost_actions_are_detected(ev, monkeypatch):
    real = ev._on_fire

    def lossy(name, c):
        if not name.startswith(evmod.CATCH_ALL_PREFIX):
            real(name, c)

    monkeypatch.setattr(ev, "_on_fire", lossy)
    with pytest.raises(EvaluationError, match="catch-all exactly once"):
        ev.evaluate([month("x")])


def test_calculator_errors_name_the_rule_and_fact(tmp_path):
    def bad(fact, params, trace):
        raise ZeroDivisionError("no")

    e = Evaluator(Ruleset.load(BASIC), ParameterStore.load(BASIC / "parameters"), {"shortfall": bad, "late_fee": bad})
    with pytest.raises(EvaluationError, match="rule ARR-01: amount calculator 'shortfall' failed on fact x"):
        e.evaluate([month("x")])


def test_missing_calculator_is_a_clear_error():
    e = Evaluator(Ruleset.load(BASIC), ParameterStore.load(BASIC / "parameters"), {})
    with pytest.raises(EvaluationError, match="calculator 'shortfall' is not in the calculators table"):
        e.evaluate([month("x")])


def test_register_does_not_strip_run_from_our_definition(ev):
    assert all("run" in rule for rule in ev.compiled.definition.values())


# -- threads -------------------------------------------------------------------------------------
def test_warm_up_then_parallel_evaluators_agree():
    evmod.warm_up()
    rs = Ruleset.load(BASIC)
    ps = ParameterStore.load(BASIC / "parameters")
    results, errors = {}, []

    def work(n):
        try:
            e = Evaluator(rs, ps, CALCULATORS)
            facts = [month(f"m{i}", batch=f"b{i % 7}") for i in range(200)] + [worker(f"w{i}") for i in range(50)]
            results[n] = [(h.rule.id, h.fact["id"], h.amount) for h in e.evaluate(facts)]
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({json.dumps(r, default=str) for r in results.values()}) == 1
    assert len(results[0]) == 250


# -- parameters and trace ----------------------------------------------------------------------------
def test_parameters_are_looked_up_at_the_facts_date(ev):
    hits = ev.evaluate([worker("w25", on="2025-02-01"), worker("w24", on=dt.date(2024, 2, 1))])
    assert [h.fact["id"] for h in hits] == ["w25"]  # 3.1M < 3.2M (2025) but not < 3.0M (2024)


def test_missing_key_field_means_the_comparison_is_false(ev):
    assert ev.evaluate([worker("w", region=None)]) == []


def test_trace_contents(ev):
    [hit] = ev.evaluate([worker("w1")])
    t = hit.trace.to_dict()
    assert t["rule_id"] == "WAGE-01"
    assert t["revision"] == Ruleset.load(BASIC).revision and len(t["revision"]) == 64
    assert t["fields"] == {"wage": "3100000", "region": "A", "status": "staff"}
    assert t["parameters"] == [{
        "id": "min_wage", "key": "A", "value": "3200000", "valid_from": "2025-01-01", "valid_until": None,
        "instrument": "Decree 1/2025", "article": "Art. 1", "source": "test data", "status": "S2"}]
    assert hit.message == {"id": "Upah 3100000 di bawah minimum", "en": "Wage 3100000 below the minimum"}


def test_trace_includes_parameters_used_by_calculators(ev):
    [hit] = ev.evaluate([month("x")])
    assert hit.amount == Decimal(151)  # 150.5 rounded half-up
    assert hit.late_fee == Decimal(3)  # 150.5 * 0.02 = 3.01
    assert [p["id"] for p in hit.trace.parameters] == ["late_rate"]
    assert hit.trace.fields == {"registered": True, "paid": Decimal(100), "bill": Decimal("250.5")}


def test_no_parameter_in_force_is_an_error_naming_the_fact(ev):
    with pytest.raises(EvaluationError, match="fact w: .*min_wage.*2020-01-01"):
        ev.evaluate([worker("w", on="2020-01-01")])


@pytest.mark.parametrize("batch", ['E"1', "E\\1", "E'1", "E 1/ü"])
def test_batch_keys_with_quotes_and_backslashes(ev, batch):
    """Batch keys are employer ids from the data: the engine state gets a name of our own."""
    f = month("x1", batch=batch)
    hits = ev.evaluate([f])
    again = ev.evaluate([month("x2", batch=batch)])
    assert [h.fact["id"] for h in hits] == ["x1"] and [h.fact["id"] for h in again] == ["x2"]


def test_messages_use_the_formatter_given(ev):
    plain = next(h for h in ev.evaluate([month("m1")]) if h.rule_id == "ARR-01")
    fancy = Evaluator(ev.ruleset, ev.params, CALCULATORS, formatter=lambda v, lang: f"<{lang}:{v}>")
    hit = next(h for h in fancy.evaluate([month("m2")]) if h.rule_id == "ARR-01")
    assert plain.message["id"] == f"Kurang bayar Rp {plain.amount}"
    assert hit.message == {"id": f"Kurang bayar Rp <id:{hit.amount}>", "en": f"Underpaid by Rp <en:{hit.amount}>"}


def test_a_parameter_entry_is_a_copy_down_to_its_nested_values():
    """A use's entry is made once and copied for each trace: a trace that changes a table in its
    entry must not change the next trace's (nor the use's)."""
    from patuh.engine.parameters import ParamUse

    use = ParamUse("bands", None, {"a": [1, {"b": "2"}], "c": "3"}, dt.date(2025, 1, 1), None, "I", "A", "S", "S2")
    first = use.as_dict()
    first["value"]["a"][1]["b"] = "changed"
    first["value"]["a"].append("more")
    first["value"]["c"] = "changed"
    assert use.as_dict()["value"] == {"a": [1, {"b": "2"}], "c": "3"}
    assert use.as_dict() == use.as_dict() and use.as_dict() is not use.as_dict()
