"""The fast row parser (audits/importer/fast.py) either gives exactly the tuple the pydantic path
gives for a row, or leaves the row to the pydantic path: it never accepts a row the pydantic path
would report, and never stores a different value.

Checked row by row, on both dialects' bind processors, for every row of every table of every
fixture in fixtures/invalid/, of the demo and mini packages, and of randomised mutations of their
good rows (cells padded, emptied, cut, replaced by tricky values, characters edited, rows cut
short or extended)."""
from __future__ import annotations

import csv
import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from patuh.audits.importer import fast as fast_mod
from patuh.audits.importer.load import _Errors, _Loader, _Table
from patuh.audits.importer.models import SPECS
from patuh.audits.importer.reader import Source
from patuh.audits.store.schema import to_sen

from test_import_fast_store import messy_copy

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini"
DEMO = ROOT / "fixtures" / "kalbar-demo"
INVALID = ROOT / "fixtures" / "invalid"
PACKAGES = [MINI, DEMO] + sorted(p for p in INVALID.iterdir() if (p / "EXPECTED").is_file())
DIALECTS = {"sqlite": sqlite.pysqlite.dialect(), "postgresql": postgresql.psycopg.dialect()}


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def employer_ids(pkg: Path) -> dict[str, int] | None:
    p = pkg / "employers.csv"
    if not p.exists():
        return None
    rows = read_csv(p)
    i = rows[0].index("employer_id")
    return {r[i].strip(): n for n, r in enumerate(rows[1:], start=2) if len(r) > i and r[i].strip()}


def table_for(table: str, header: list[str], emp: dict | None, dialect) -> tuple[_Table, _Errors]:
    """A _Table as the loader builds it for a CSV with ``header``, without a database."""
    errors = _Errors(limit=10**9)
    loader = _Loader(SimpleNamespace(dialect=dialect), 1, errors, [])
    loader.employer_ids = emp
    positions = {}
    for i, h in enumerate(header):
        h = h.strip()
        if h in SPECS[table].columns and h not in positions:
            positions[h] = i
    src = Source(table, f"{table}.csv", Path(f"{table}.csv"))
    return _Table(loader, SPECS[table], src, positions), errors


def check_rows(table: str, header: list[str], rows: list[tuple[int, list[str]]], emp, dialect) -> tuple[int, int]:
    """Assert fast == slow (or fast defers) for every row; (rows taken by the fast path, rows)."""
    ctx, errors = table_for(table, header, emp, dialect)
    assert ctx.fast is not None
    taken = 0
    for rownum, cells in rows:
        got = ctx.fast(rownum, list(cells))
        before = errors.total
        want = ctx.slow_row(rownum, list(cells))
        if got is None:
            continue
        taken += 1
        assert errors.total == before, (table, rownum, cells, errors.shown[before:])
        assert want is not None and got == want, (table, rownum, cells, got, want)
        assert [type(x) for x in got] == [type(x) for x in want], (table, rownum, cells, got, want)
    return taken, len(rows)


TRICKY = [
    "", " ", "\t", "\u00a0", "\u3000", "0", "00", "007", "-5", "+5", "5.", ".5", "5.0", "5.00", "5.000", "5.001",
    "1e5", "1E5", "NaN", "inf", "0x10", "1_000", "3.054.552", "3,054,552", "Rp 3054552", "3054552,-", "١٢٣",
    "²", "５", "9" * 16, "9" * 17, "9" * 16 + ".99", "9" * 17 + ".5", "9" * 30, "2025-01", "2025-13", "2025-1",
    "2025-01-01", "2025-02-30", "2025-2-3", "01/02/2025", "٢٠٢٥-01", "٢٠٢٥-٠١-٠١", "2025-01-01T00:00",
    "pkwtt", "PKWTT", "pkwt", "harian", "borongan", "tetap", "E000001", "E001", "E999", "e001",
    "6171010101900001", "6171.010101-900001", "6171 0101 0190 0001", "617101010190000", "61710101019000011",
    "6101013505950004", "10000000037", "1000000003", "x", "None", "null", "\x00",
]
EDIT_CHARS = "0123456789.,- \t\u00a0aZ/١５"


def mutate_cell(rnd: random.Random, v: str) -> str:
    k = rnd.randrange(9)
    if k == 0:
        return ""
    if k == 1:
        return rnd.choice([" ", "\t", "\u00a0", "\u3000"]) + v + rnd.choice(["", " ", "\n"])
    if k == 2:
        return rnd.choice(TRICKY)
    if k == 3 and v:
        i = rnd.randrange(len(v))
        return v[:i] + v[i + 1:]
    if k == 4:
        i = rnd.randrange(len(v) + 1)
        return v[:i] + rnd.choice(EDIT_CHARS) + v[i:]
    if k == 5 and v:
        i = rnd.randrange(len(v))
        return v[:i] + rnd.choice(EDIT_CHARS) + v[i + 1:]
    if k == 6:
        return v + rnd.choice([".5", ".05", ".005", ".", ",00", "0"])
    if k == 7:
        return v.upper() if rnd.random() < 0.5 else v.swapcase()
    return v


def mutations(rows: list[list[str]], n: int, seed: int) -> list[tuple[int, list[str]]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        cells = list(rnd.choice(rows))
        for _ in range(rnd.choice([1, 1, 1, 2, 3])):
            if not cells:
                break
            j = rnd.randrange(len(cells))
            cells[j] = mutate_cell(rnd, cells[j])
        r = rnd.random()
        if r < 0.03:
            cells = cells[: rnd.randrange(len(cells) + 1)]
        elif r < 0.05:
            cells = cells + ["extra"]
        out.append((i + 2, cells))
    return out


# ------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("pkg", PACKAGES, ids=lambda p: p.name)
def test_fast_path_equals_pydantic_on_fixture_rows(pkg, dialect):
    emp = employer_ids(pkg)
    for table in fast_mod.FAST_TABLES:
        p = pkg / f"{table}.csv"
        if not p.exists():
            continue
        rows = read_csv(p)
        if not all(c in rows[0] for c in SPECS[table].required_columns):
            continue  # the loader stops at the header (missing-column)
        check_rows(table, rows[0], list(enumerate(rows[1:], start=2)), emp, DIALECTS[dialect])


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("table", fast_mod.FAST_TABLES)
def test_fast_path_equals_pydantic_on_mutated_rows(table, dialect):
    emp = employer_ids(DEMO)
    rows = read_csv(DEMO / f"{table}.csv") + read_csv(MINI / f"{table}.csv")[1:]
    header, good = rows[0], rows[1:]
    taken, n = check_rows(table, header, list(enumerate(good, start=2)), emp | employer_ids(MINI), DIALECTS[dialect])
    assert taken == n  # every row of the demo and mini packages takes the fast path
    taken, n = check_rows(table, header, mutations(good, 6000, seed=len(table)), emp, DIALECTS[dialect])
    assert 0.2 * n < taken < 0.9 * n  # the mutations really exercise both paths


@pytest.mark.parametrize("table", fast_mod.FAST_TABLES)
def test_fast_path_with_reordered_and_missing_optional_columns(table):
    emp = employer_ids(DEMO)
    rows = read_csv(DEMO / f"{table}.csv")
    spec = SPECS[table]
    rnd = random.Random(7)
    for drop_optional in (False, True):
        keep = [i for i, h in enumerate(rows[0]) if not (drop_optional and h not in spec.required_columns)]
        rnd.shuffle(keep)
        header = [rows[0][i] for i in keep] + ["unknown"]
        body = [[r[i] for i in keep] + ["u"] for r in rows[1:]]
        for dialect in DIALECTS.values():
            taken, n = check_rows(table, header, list(enumerate(body, start=2)), emp, dialect)
            assert taken == n
            check_rows(table, header, mutations(body, 1500, seed=11), emp, dialect)


def test_unknown_employer_and_end_before_start_go_to_pydantic():
    header = ["employer_id", "nik", "kpj", "name", "start_date", "end_date"]
    ctx, errors = table_for("participants", header, {"E001": 2}, DIALECTS["sqlite"])
    good = ["E001", "6171010101900001", "", "Budi", "2024-01-01", "2024-12-31"]
    assert ctx.fast(2, good) == (1, "participants.csv", None, 2, "E001", "6171010101900001", None, "Budi",
                                 "2024-01-01", "2024-12-31")
    assert ctx.fast(3, ["E002"] + good[1:]) is None
    assert ctx.fast(4, good[:4] + ["2024-01-01", "2023-12-31"]) is None
    assert ctx.fast(5, good[:4] + ["2024-01-01", "2024-01-01"]) is not None
    assert errors.total == 0


def test_sen_is_the_money_parser_for_plain_text():
    from patuh.audits.importer.fields import FieldError, money

    rnd = random.Random(3)
    samples = TRICKY + [str(rnd.randrange(10**rnd.randrange(1, 18))) + rnd.choice(["", ".", ".5", ".05", ".50", ".123"])
                        for _ in range(5000)]
    for raw in samples:
        got = fast_mod.sen(raw, fast_mod.REJECT)
        if got is fast_mod.REJECT:
            continue
        norm = raw.strip() or None
        assert norm is not None
        try:
            want = to_sen(money(norm))
        except FieldError:
            pytest.fail(f"fast path accepted {raw!r}, pydantic path rejects it")
        assert got == want and type(got) is int, raw
    assert fast_mod.sen("  ", 0) == 0 and fast_mod.sen("12.3", 0) == 1230
    assert to_sen(Decimal("12.3")) == 1230


TYPED_TRICKY = [
    None, True, False, 0, 1, -5, 5.0, 5.5, 5.05, 5.005, 0.1 + 0.2, 1e16, 1e20, float("nan"), float("inf"),
    3054552, 3054552.5, 6171010101900001, 6171010101900001.0, 202501, 45658, 45658.5,
    dt.date(2025, 1, 1), dt.date(2025, 1, 15), dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 1, 8, 30),
    dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc), dt.time(8, 30), Decimal("5.5"),
]


def typed(table: str, col: str, v: str):
    """A canonical CSV cell as a spreadsheet would type it."""
    from patuh.audits.importer import fields as f
    from patuh.audits.importer.forms import _parser_of

    p = _parser_of(SPECS[table], col)
    if not v:
        return None
    if p is f.money:
        d = Decimal(v)
        return int(d) if d == d.to_integral_value() else float(d)
    if p is f.iso_date:
        return dt.datetime.fromisoformat(v)
    if p is f.period:
        return dt.datetime(int(v[:4]), int(v[5:7]), 1)
    if p is f.integer:
        return int(v)
    return v


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("table", sorted(fast_mod.FAST_TABLES))
def test_xlsx_typed_cells_take_the_fast_path_only_where_it_agrees(table, dialect):
    """XLSX sheets use the fast path too (docs/intake.md): a typed cell becomes the text the CSV
    would hold only where that means exactly what the typed cell means to the pydantic path."""
    rows = read_csv(DEMO / f"{table}.csv")
    header, body = rows[0], rows[1:]
    emp = employer_ids(DEMO)
    errors = _Errors(limit=10**9)
    loader = _Loader(SimpleNamespace(dialect=DIALECTS[dialect]), 1, errors, [])
    loader.employer_ids = emp
    positions = {h: i for i, h in enumerate(header) if h in SPECS[table].columns}
    src = Source(table, "data.xlsx", Path("data.xlsx"), sheet=table)
    ctx = _Table(loader, SPECS[table], src, positions)
    assert ctx.fast is not None
    rnd = random.Random(7)
    base = [[typed(table, header[i], c) for i, c in enumerate(r)] for r in body[:400]]
    cases = base + [c[:-1] for c in base[:50] if c[-1] is None]  # trailing empty cell left out
    for _ in range(3000):
        cells = list(rnd.choice(base))
        j = rnd.randrange(len(cells))
        cells[j] = rnd.choice(TYPED_TRICKY + [str(x) for x in TYPED_TRICKY[:12]])
        if rnd.random() < 0.1:  # a sheet row ends at its last non-empty cell
            cells = cells[: rnd.randrange(len(cells) + 1)]
        cases.append(cells)
    taken = 0
    for n, cells in enumerate(cases, start=2):
        got = ctx.fast(n, tuple(cells))  # openpyxl gives tuples
        before = errors.total
        want = ctx.slow_row(n, list(cells))
        if got is None:
            continue
        taken += 1
        assert errors.total == before, (table, cells, errors.shown[before:])
        assert want is not None and got == want, (table, cells, got, want)
        assert [type(x) for x in got] == [type(x) for x in want], (table, cells, got, want)
    assert taken >= min(400, len(body))  # the demo's own rows, typed, all take it


def test_messy_package_loads_and_mostly_takes_the_fast_path(tmp_path, monkeypatch):
    """A messy but valid copy of the demo loads, most of its rows through the fast path and the
    unusual ones through pydantic."""
    from patuh.audits.importer import load as load_mod
    from patuh.audits.importer import load_package
    from patuh.audits.store.db import get_engine

    calls = {"slow": 0}
    orig = load_mod._Table.slow_row

    def counting(self, rownum, cells):
        calls["slow"] += 1
        return orig(self, rownum, cells)

    monkeypatch.setattr(load_mod._Table, "slow_row", counting)
    engine = get_engine(f"sqlite:///{tmp_path / 'x.db'}")
    r = load_package(messy_copy(DEMO, tmp_path / "m", seed=1), engine)
    engine.dispose()
    big = sum(r.rows[t] for t in fast_mod.FAST_TABLES)
    small = sum(r.rows.values()) - big
    assert big > 5000
    assert small < calls["slow"] < small + big // 2
