"""Scope.warn keeps the warnings in the order of their places (facts/scope.py): inserting each into
its place gives what appending and sorting after each warning gave, repeats and earlier places
included."""
from hypothesis import given, settings, strategies as st

from patuh.audits.facts.scope import Scope

places = st.one_of(st.none(), st.tuples(st.just(1), st.sampled_from("0123")),
                   st.tuples(st.just(2), st.sampled_from(["E1", "E2"]), st.sampled_from(["2025-01", "2025-02", "2025-10"])))
said = st.lists(st.tuples(st.sampled_from([f"w{i}" for i in range(12)]), places), max_size=40)


def appended_and_sorted(ops):
    at_of, out = {}, []
    for message, at in ops:
        key = (0, len(at_of)) if at is None else (1, *at)
        if message in at_of:
            if key >= at_of[message]:
                continue
            out.remove(message)
        at_of[message] = key
        out.append(message)
        out.sort(key=at_of.__getitem__)
    return out


@settings(max_examples=500, deadline=None)
@given(said)
def test_warnings_in_their_places(ops):
    sc = Scope(None, 1, "2025-01", "2025-12", None, None)
    for message, at in ops:
        sc.warn(message, at)
    assert sc.warnings == appended_and_sorted(ops)
