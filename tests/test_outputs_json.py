"""findings.json and cases.json are written row by row (memory at province scale); the bytes must
stay those of one json.dumps of the whole list, which readers and the golden outputs rely on."""
import json

from hypothesis import given, settings, strategies as st

from patuh.audits.outputs import _write_json

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                      max_leaves=8)
rows = st.lists(st.dictionaries(st.text(max_size=8), values, max_size=5), max_size=5)


@settings(max_examples=200, deadline=None)
@given(rows)
def test_row_by_row_is_the_same_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("j") / "rows.json"
    _write_json(path, iter(data))
    assert path.read_bytes() == (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
