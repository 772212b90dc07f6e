"""The fast row parser's memo of parsed cells is shared by every column read with the same parser
(fast._BY_PARSER): a NIK in participants, declarations and payroll is checked once. Sharing must
never carry over what differs between columns: an empty cell, and the employer reference check."""
from patuh.audits.importer import fast
from patuh.audits.importer.load import _norm


def test_columns_with_one_parser_share_values_but_not_empty_cells_or_references(monkeypatch):
    monkeypatch.setattr(fast, "_BY_PARSER", {})
    calls = []

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
    a = fast._memo_fill(required, _norm, None)
    b = fast._memo_fill(optional, _norm, {"X"})  # an employer reference: only "X" is known
    assert a(" x ") == "X" and b("x") == "X" and calls == ["x"]  # the second column reuses the first's
    assert a("bad") is fast.REJECT and b("bad") is fast.REJECT and calls == ["x", "bad"]
    c = fast._memo_fill(optional, _norm, None)
    assert a("  ") is fast.REJECT and c("  ") == "default"  # empty: each column's own answer
    assert c("x") == "X" and calls == ["x", "bad"]
    assert a("y") == "Y" and b("y") is fast.REJECT  # known value, unknown employer: still refused in b
