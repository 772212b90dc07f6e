"""The fast row parser's memo of parsed cells is shared by every column of one load read with the
same parser (fast._memo_fill): a NIK in participants, declarations and payroll is checked once. Sharing must
never carry over what differs between columns: an empty cell, and the employer reference check."""
from patuh.audits.importer import fast
from patuh.audits.importer.load import _norm


def test_columns_with_one_parser_share_values_but_not_empty_cells_or_references():
    calls, memo = [], {}

    def parser(raw):
        calls.append(raw)
        if raw == "bad":
            raise ValueError("not valid")
        return raw.upper()

    def required(raw):
        if raw is None:
            raise ValueError("empty")
        return parser(raw)

    def optional(raw):
        return "default" if raw is None else parser(raw)

    required.parser = optional.parser = parser
    a = fast._memo_fill(required, _norm, None, memo)
    b = fast._memo_fill(optional, _norm, {"X"}, memo)  # an employer reference: only "X" is known
    assert a(" x ") == "X" and b("x") == "X" and calls == ["x"]  # the second column reuses the first's
    assert a("bad") is fast.REJECT and b("bad") is fast.REJECT and calls == ["x", "bad"]
    c = fast._memo_fill(optional, _norm, None, memo)
    assert a("  ") is fast.REJECT and c("  ") == "default"  # empty: each column's own answer
    assert c("x") == "X" and calls == ["x", "bad"]
    assert a("y") == "Y" and b("y") is fast.REJECT  # known value, unknown employer: still refused in b


def test_the_memo_belongs_to_one_load(tmp_path):
    """Nothing of a load's memo outlives it: the audit's worker processes, forked after the load,
    would carry (and count) it."""
    from pathlib import Path

    from patuh.audits.importer import load_package
    from patuh.audits.importer.load import _Loader
    from patuh.audits.store.db import get_engine

    made = []
    init = _Loader.__init__

    def spy(self, *a, **k):
        init(self, *a, **k)
        made.append(self.parsed)

    import pytest
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_Loader, "__init__", spy)
        load_package(Path(__file__).resolve().parent.parent / "fixtures" / "kalbar-demo",
                     get_engine(f"sqlite:///{tmp_path / 'p.db'}"))
    assert len(made) == 1 and made[0]  # the demo's NIKs were remembered in that load's own memo
    assert not hasattr(fast, "_BY_PARSER")
