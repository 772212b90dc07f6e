"""The store's JSON texts (audits/store/runs.py as_json, written by orjson) hold what json's own
encoder wrote before them, value for value, and read back (audits/model.py) as before — including
texts a store recorded with json's encoder, NaN and all."""
import datetime as dt
import json
import math
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from patuh.audits.model import _from_json
from patuh.audits.store.runs import as_json, finding_json, read_json

# what json.dumps wrote before orjson (audits/store/runs.py, until 2026-12-01)
_OLD = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode

_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.dates(), st.datetimes(), st.times(),
)
_values = st.recursive(_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(_values)
def test_the_same_values_as_json_wrote(value):
    text = as_json(value)
    assert json.loads(text) == json.loads(_OLD(value))
    assert read_json(text) == json.loads(text)


def test_dates_and_money_are_written_through_str_as_before():
    value = {"due": dt.date(2025, 2, 17), "at": dt.datetime(2025, 2, 17, 9, 30), "bill": Decimal("3054552.50"),
             "b": [1, "dua"], "a": None}
    assert json.loads(as_json(value)) == {"due": "2025-02-17", "at": "2025-02-17 09:30:00", "bill": "3054552.50",
                                          "b": [1, "dua"], "a": None}
    assert list(json.loads(as_json(value))) == ["a", "at", "b", "bill", "due"]  # keys sorted, as before
    assert "Rp. é" in as_json({"x": "Rp. é"})  # not escaped to ASCII


def test_what_orjson_refuses_is_written_by_json():
    big = {"n": 2**70}
    assert as_json(big) == _OLD(big)


def test_a_text_from_a_store_written_by_json_reads_back():
    old_trace, old_evidence = _OLD({"fields": {"x": float("nan")}, "message_en": "m"}), _OLD({"workers": []})
    trace, evidence = _from_json(old_trace, old_evidence)
    assert math.isnan(trace["fields"]["x"]) and evidence == {"workers": []}
    spaced = _OLD({"fields": {"bill": "10.00"}, "message_en": "m"})
    assert _from_json(spaced, "{}") == ({"fields": {"bill": "10.00"}}, {})


def test_finding_json_carries_the_message():
    trace, evidence = finding_json({"rule_id": "R1"}, {"workers": [{"wage": "1.00"}]}, "message")
    assert json.loads(trace) == {"rule_id": "R1", "message_en": "message"}
    assert json.loads(evidence) == {"workers": [{"wage": "1.00"}]}
