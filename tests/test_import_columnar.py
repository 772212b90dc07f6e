"""Plain CSV files read column-wise (audits/importer/columnar.py) give what the row path gives:
the same rows stored, in the same order with the same source rows, and, for a broken package,
the same errors in the same order, with their rows and columns.

Each package is loaded twice into an empty database: as the loader loads it, and with every file
read row by row (``columnar.plain_csv`` answering False). The packages are the demo with cells of
its big tables replaced by valid and invalid values of every kind the fast path knows
(test_import_fast_parse.TRICKY and its edits), blank rows, rows of unknown employers, and files
that do not qualify (quotes, a cut last line, an empty line, CRLF, a BOM)."""
from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

import pytest

from fresh_db import empty
from test_import_fast_parse import mutate_cell
from test_import_fast_store import stored

from patuh.audits.importer import PackageError, columnar, load_package
from patuh.audits.store.db import get_engine

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"
BIG = ("payroll", "declarations", "payments")
UNSPLITTABLE = set('",\r\n\x00')  # a cell holding one of these makes the file not plain


def load(pkg: Path, url: str, pg: bool, row_by_row: bool, monkeypatch) -> tuple:
    if pg:
        empty(url)
    with monkeypatch.context() as m:
        if row_by_row:
            m.setattr(columnar, "plain_csv", lambda path, width: False)
        engine = get_engine(url)
        try:
            r = load_package(pkg, engine)
            outcome = ("loaded", r.rows, r.warnings)
        except PackageError as exc:
            outcome = ("refused", exc.errors, exc.total)
        got = stored(engine)
        engine.dispose()
    return outcome, got


def assert_same_as_row_by_row(pkg: Path, db_url: str, tmp_path: Path, monkeypatch) -> tuple:
    pg = db_url.startswith("postgresql")
    blocks = []
    real = columnar.row_blocks

    def spy(src, *args):
        blocks.append(src.table)
        yield from real(src, *args)

    monkeypatch.setattr(columnar, "row_blocks", spy)
    url = (lambda how: db_url) if pg else (lambda how: f"sqlite:///{tmp_path / f'{pkg.name}-{how}.db'}")
    by_columns = load(pkg, url("columns"), pg, False, monkeypatch)
    by_rows = load(pkg, url("rows"), pg, True, monkeypatch)
    assert by_columns[0] == by_rows[0], pkg.name
    assert by_columns[1] == by_rows[1], pkg.name
    return by_columns[0], blocks


def rewrite(path: Path, fn) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows = fn(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def mutated(dst: Path, seed: int, rate: float, plain: bool = True) -> Path:
    """The demo with a share ``rate`` of the big tables' cells replaced (and, when ``plain``, no
    cell the column-wise reader cannot split), blank rows and rows of an unknown employer."""
    shutil.copytree(DEMO, dst)
    rnd = random.Random(seed)

    def cell(v: str) -> str:
        for _ in range(20):
            w = mutate_cell(rnd, v)
            if not plain or not UNSPLITTABLE & set(w):
                return w
        return v

    def edit(rows):
        width = len(rows[0])
        for r in rows[1:]:
            for i in range(len(r)):
                if rnd.random() < rate:
                    r[i] = cell(r[i])
        for _ in range(3):
            at = rnd.randrange(1, len(rows) + 1)
            rows.insert(at, rnd.choice([[""] * width, [" "] * width, ["\t", "\u00a0"] + [""] * (width - 2)]))
        r = list(rnd.choice(rows[1:]))
        r[rows[0].index("employer_id")] = "E999999"
        rows.insert(rnd.randrange(1, len(rows) + 1), r)
        return rows

    for name in BIG:
        rewrite(dst / f"{name}.csv", edit)
    return dst


def test_valid_package_is_read_column_wise_and_stored_alike(db_url, tmp_path, monkeypatch):
    pkg = shutil.copytree(DEMO, tmp_path / "demo")
    outcome, blocks = assert_same_as_row_by_row(pkg, db_url, tmp_path, monkeypatch)
    assert outcome[0] == "loaded"
    assert sorted(set(blocks)) == sorted(BIG)  # participants keep the row path (their date check)


@pytest.mark.parametrize("seed", range(4))
def test_broken_cells_get_the_row_paths_errors_in_its_order(db_url, tmp_path, monkeypatch, seed):
    pkg = mutated(tmp_path / f"m{seed}", seed, rate=0.004)
    outcome, blocks = assert_same_as_row_by_row(pkg, db_url, tmp_path, monkeypatch)
    assert outcome[0] == "refused" and outcome[2] > 3
    assert sorted(set(blocks)) == sorted(BIG)


def test_valid_unusual_cells_are_stored_alike(db_url, tmp_path, monkeypatch):
    """Padded, zero-padded, one-decimal cells and blank rows: valid, left to the row path cell by cell."""
    pkg = shutil.copytree(DEMO, tmp_path / "odd")
    rnd = random.Random(7)

    def edit(rows):
        h = rows[0]
        for r in rows[1:]:
            for i, name in enumerate(h):
                v = r[i]
                if rnd.random() < 0.05:
                    if name in ("wage", "reported_wage", "amount") and v.isdigit():
                        r[i] = rnd.choice(["00" + v, v + ".5", v + ".05", f" {v}\t"])
                    elif name in ("period", "employer_id", "nik", "name"):
                        r[i] = rnd.choice([" ", "\t", "\u00a0"]) + v
        rows.insert(5, [""] * len(h))
        rows.insert(9, ["  "] * len(h))
        return rows

    for name in BIG:
        rewrite(pkg / f"{name}.csv", edit)
    outcome, blocks = assert_same_as_row_by_row(pkg, db_url, tmp_path, monkeypatch)
    assert outcome[0] == "loaded"
    assert sorted(set(blocks)) == sorted(BIG)


def test_files_that_are_not_plain_take_the_row_path(db_url, tmp_path, monkeypatch):
    pkg = mutated(tmp_path / "q", seed=11, rate=0.01, plain=False)
    outcome, blocks = assert_same_as_row_by_row(pkg, db_url, tmp_path, monkeypatch)
    assert outcome[0] == "refused"
    assert len(set(blocks)) < len(BIG)  # some file holds a quoted cell or a line break


def _file(tmp_path: Path, data: bytes) -> Path:
    p = tmp_path / "payroll.csv"
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    "data, plain",
    [
        (b"a,b,c\n1,2,3\n4,5,6\n", True),
        (b"\xef\xbb\xbfa,b,c\n1,2,3\n", True),  # a BOM: only the header holds it
        (b"a,b,c\r\n1,2,3\r\n", True),
        (b"a,b,c\n1,2,\xc3\xa9\n", True),  # UTF-8
        (b"a,b,c\n,,\n , ,\t\n", True),  # blank rows are rows: the reader counts and skips them
        (b"a,b,c\n1,2,3\n4,5,6", False),  # no final line break: the reader warns or reports it
        (b"a,b,c\n1,2,3\n\n4,5,6\n", False),  # an empty line: csv.reader counts it, Arrow does not
        (b"a,b,c\n\n1,2,3\n", False),
        (b"a,b,c\r\n\r\n1,2,3\r\n", False),
        (b"a,b,c\n1,2\n", False),  # a short row
        (b"a,b,c\n1,2,3,\n", False),  # an extra (blank) cell
        (b'a,b,c\n1,"2",3\n', False),  # quotes
        (b'"a",b,c\n1,2,3\n', False),
        (b"a,b,c\n1,2\r3\n", False),  # a lone carriage return ends a row for csv.reader
        (b"a,b,c\n1,\x00,3\n", False),
        (b"a,b,c\n1,\xff,3\n", False),  # not UTF-8: the row path reports the cell
        (b"a,b,c\n", True),
        (b"a,b,c\n1,2," + b"x" * 131_072 + b"\n", False),  # longer than csv.reader's field limit
        (b"a,b,c\n1,2," + b"x" * 100_000 + b"\n", True),
        (b"a,b,c\n\xef\xbb\xbf1,2,3\n", False),  # a second BOM: csv.reader keeps it in the cell
        (b"\xef\xbb\xbfa,b,c\n\xef\xbb\xbfa,b,c\n1,2,3\n", False),  # two exports joined
    ],
)
def test_plain_csv(tmp_path, data, plain):
    assert columnar.plain_csv(_file(tmp_path, data), 3) is plain


def test_plain_csv_checks_every_block(tmp_path, monkeypatch):
    monkeypatch.setattr(columnar, "BLOCK", 16)
    good = b"a,b,c\n" + b"1,2,3\n" * 50
    assert columnar.plain_csv(_file(tmp_path, good), 3)
    assert not columnar.plain_csv(_file(tmp_path, good + b"1,2,3\n" * 20 + b'4,"5",6\n'), 3)
    assert not columnar.plain_csv(_file(tmp_path, good + b"\n" + b"1,2,3\n"), 3)  # empty line at a block's start


def test_small_blocks_give_the_same_rows(db_url, tmp_path, monkeypatch):
    """Blocks end at line breaks whatever their size: rows across block ends are read whole."""
    monkeypatch.setattr(columnar, "BLOCK", 1000)
    pkg = mutated(tmp_path / "s", seed=5, rate=0.002)
    outcome, blocks = assert_same_as_row_by_row(pkg, db_url, tmp_path, monkeypatch)
    assert len(blocks) == len(BIG)


def test_a_bom_inside_the_file_is_the_row_paths_to_report(db_url, tmp_path, monkeypatch):
    """Two exports joined: the second header, BOM first, is a bad row; Arrow would have dropped
    the BOM at a block's start and read a different cell."""
    pkg = shutil.copytree(DEMO, tmp_path / "bom")
    p = pkg / "payroll.csv"
    lines = p.read_bytes().splitlines(keepends=True)
    p.write_bytes(b"".join(lines[:40] + [b"\xef\xbb\xbf" + lines[1]] + lines[40:]))
    monkeypatch.setattr(columnar, "BLOCK", sum(map(len, lines[1:40])))  # a block starts at that row
    outcome, blocks = assert_same_as_row_by_row(pkg, db_url, tmp_path, monkeypatch)
    assert outcome[0] == "refused" and "payroll" not in blocks
    assert any("payroll.csv row 41" in e for e in outcome[1])


# ----------------------------------------------------------- the split itself, against csv.reader

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ODD = ['"', "\r", "\n", "\x00", "\ufeff", ","]  # each makes a file not plain (or a row too wide)
PIECES = ["a", "7", " ", "\t", "é", "\u00a0", "\u2028", "\x1c", "\x0b", "\x85", "E000001", "2025-01", "4145000"]
odd = st.lists(st.sampled_from(PIECES + ODD), max_size=3).map("".join)
plain = st.lists(st.sampled_from(PIECES), max_size=3).map("".join)
cell = st.one_of(*[plain] * 30, odd)
row = st.one_of(*[st.tuples(cell, cell, cell)] * 9, st.lists(cell, max_size=4)).map(",".join)
lines = st.lists(st.tuples(row, st.sampled_from(["\n", "\r\n"])), max_size=8)
raw_files = st.tuples(lines, st.sampled_from(["", "", "", "", "x"])).map(
    lambda t: ("".join(r + end for r, end in t[0]) + t[1]).encode())
raw_bytes = st.binary(max_size=40)


@settings(max_examples=300)
@given(body=st.one_of(raw_files, raw_files, raw_files, raw_bytes), bom=st.booleans(), block=st.integers(1, 64))
def test_a_plain_file_splits_as_csv_reader_reads_it(tmp_path_factory, body, bom, block):
    """Whenever plain_csv says yes, Arrow's cells are csv.reader's, row for row, whatever the
    block size; files of random pieces (quotes, line breaks, NUL, BOM, separators) and bytes."""
    path = tmp_path_factory.mktemp("split") / "payroll.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"h1,h2,h3\n" + body)
    if not columnar.plain_csv(path, 3):
        return
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        want = list(csv.reader(fh, strict=True))[1:]
    split = columnar.splitter(3)
    got = []
    old = columnar.BLOCK
    columnar.BLOCK = block
    try:
        for data in columnar._lines(path):
            cols = split(data)
            got += [[texts[idx[j]] for texts, idx in cols] for j in range(len(cols[0][1]))]
    finally:
        columnar.BLOCK = old
    assert got == want


def test_the_split_property_sees_plain_files():
    """The property above is not vacuous: its pieces make plain files with odd cells."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.csv"
        p.write_bytes(b"h1,h2,h3\n\xc3\xa9 ,\t,\x0b\n\xe2\x80\xa8,\x1c,a\r\n")
        assert columnar.plain_csv(p, 3)


def test_a_file_changed_after_the_check_stops_the_load(tmp_path, monkeypatch):
    """What is split is checked again: a file that plain_csv saw plain but that holds a quote when
    it is read (changed in between) is refused whole, never split without its quotes' meaning."""
    pkg = shutil.copytree(DEMO, tmp_path / "changed")
    p = pkg / "payroll.csv"
    lines = p.read_bytes().splitlines(keepends=True)
    first = lines[1].split(b",")
    first[3] = b'"Budi, S.Kom"'
    p.write_bytes(b"".join([lines[0], b",".join(first[:3] + [first[3]] + first[4:])] + lines[2:]))
    monkeypatch.setattr(columnar, "plain_csv", lambda path, width: True)
    engine = get_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with pytest.raises(PackageError) as exc:
        load_package(pkg, engine)
    engine.dispose()
    assert any("payroll.csv after row 1: not readable as CSV" in e and "changed while it was read" in e
               for e in exc.value.errors)


def _plain_lines_as_first_written(data: bytes, width: int) -> bool:
    """columnar._plain_lines before it was made faster: the reference it must agree with."""
    import numpy as np

    if b'"' in data or b"\x00" in data or columnar.BOM in data:
        return False
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    crs = data.count(b"\r")
    if crs and crs != data.count(b"\r\n"):
        return False
    if data[:1] == b"\n" or data[:2] == b"\r\n" or b"\n\n" in data or b"\n\r\n" in data:
        return False
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    commas = np.flatnonzero(arr == 44)
    per_line = np.diff(np.searchsorted(commas, ends), prepend=0)
    if not (per_line == width - 1).all():
        return False
    return int(np.diff(ends, prepend=-1).max()) <= csv.field_size_limit()


block_pieces = st.lists(st.sampled_from(["a", ",", "\r", "\n", "\r\n", "\x00", '"', "\ufeff", "é", " "]),
                        max_size=12).map("".join)


@settings(max_examples=1500)
@given(body=st.one_of(block_pieces.map(str.encode), st.binary(max_size=24)), width=st.integers(1, 3))
def test_plain_lines_agrees_with_its_first_reading(body, width):
    """The faster block check says what the first one said, for any block of whole lines (its
    precondition: it ends in a line break), single-column files included (there an empty line has
    the right number of commas, and only the empty-line test refuses it)."""
    data = body + b"\n"
    assert columnar._plain_lines(data, width) is _plain_lines_as_first_written(data, width)
