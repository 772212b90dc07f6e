"""The big tables' plain CSV files read column by column: Arrow splits the file, each distinct cell
text of a column is read once, and only rows with a cell the fast path refuses take the row path.

A file qualifies only when Arrow's reading of it is certainly ``csv.reader``'s (reader.py), checked
on its bytes first (:func:`plain_csv`, a few passes in C): canonical UTF-8 with ``,``; no double
quote, so no value spans lines or holds a delimiter; no NUL, no carriage return but in ``\\r\\n``,
no byte-order mark but the file's first (Arrow drops one at the start of each block it reads);
no empty line, so Arrow's record i is the reader's row i + 2; every line with exactly the header's
number of cells and none longer than csv.reader's field limit; a final line break. Any other file
is read row by row as before, so every message a broken file gets still comes from the row path,
with its row and column.

For each block of rows, each column is dictionary-encoded; the column's cell reader (fast.py's,
the one the compiled row parser inlines) runs once per distinct text; the values are spread back
to the rows in numpy and the rows zipped into the loader's tuples. A row with any refused cell,
and a row whose cells are all blank (the reader skips those), goes to the row path with its cells
as the reader would give them — so the rows written, their order, and every error are the row
path's. What this saves is the per-row Python work on the rows that have nothing to report.
"""
from __future__ import annotations

import csv
from itertools import repeat
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .fast import REJECT, Column, cell_reader
from .reader import ReadError, Source

BLOCK = 1024 * 1024  # bytes of CSV per Arrow table (about 17,000 payroll rows)
NEWLINE, COMMA, CARRIAGE_RETURN = 10, 44, 13
BOM = b"\xef\xbb\xbf"


def qualifies(src: Source) -> bool:
    return src.sheet is None and src.delimiter == "," and src.encoding == "utf-8-sig"


def plain_csv(path: Path, width: int) -> bool:
    """Whether the file at ``path`` can be split by Arrow exactly as ``csv.reader`` reads it
    (module docstring), for a header of ``width`` cells."""
    with open(path, "rb") as fh:
        header = fh.readline().removeprefix(BOM)  # utf-8-sig: the one BOM the reader drops
    if not header.endswith(b"\n") or not _plain_lines(header, header.count(b",") + 1):
        return False
    for data in _lines(path):
        if not data.endswith(b"\n"):
            return False  # no line break at the end: the row path warns or reports the cut row
        if not _plain_lines(data, width):
            return False
    return True


def _plain_lines(data: bytes, width: int) -> bool:
    """``data``: whole lines, each ending in ``\\n``, after a line break.

    Each block is read by this twice (plain_csv, then before it is split): what searches for
    several bytes at once (a BOM, an empty line) runs only where it can find something, and empty
    lines are found from the line ends numpy finds anyway — 3.5 ms a megabyte before, 1.1 now."""
    if b'"' in data or b"\x00" in data:  # one byte: memchr
        return False
    if not data.isascii():  # a BOM, or a cell that is not UTF-8, needs a byte beyond ASCII
        if BOM in data:
            # a BOM after the first: csv.reader keeps it in the cell, Arrow drops it at a block's start
            return False
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == NEWLINE)
    lengths = np.diff(ends, prepend=-1)  # each line's bytes, its line break included
    # an empty line: a line break right after a line break (the one before data included)
    if (lengths == 1).any():
        return False
    if b"\r" in data:
        if data.count(b"\r") != data.count(b"\r\n"):
            return False
        if ((lengths == 2) & (arr[ends - 1] == CARRIAGE_RETURN)).any():  # "\r\n" alone
            return False
    commas = np.flatnonzero(arr == COMMA)
    per_line = np.diff(np.searchsorted(commas, ends), prepend=0)
    if not (per_line == width - 1).all():
        return False
    # a line longer than csv.reader's field limit might hold a cell it refuses, file and all
    return int(lengths.max()) <= csv.field_size_limit()


Rows = Callable[[int, list], "tuple | None"]


def row_blocks(
    src: Source,
    width: int,
    plan: list[Column],
    base: tuple,
    row_path: Rows,
) -> Iterator[list[tuple]]:
    """The database-ready tuples of the file's rows after the header, block by block, in file
    order. ``plan``: fast.column_plan for the file's columns; ``row_path(rownum, cells)``: the
    loader's own handling of one row (the tuple, or None after reporting its errors)."""
    readers = [(col, cell_reader(col) if col.kind != "default" else None) for col in plan]
    split = splitter(width)
    try:
        yield from _row_blocks(src, width, readers, base, row_path, split)
    finally:
        split.release()


def _row_blocks(src: Source, width: int, readers: list, base: tuple, row_path: Rows, split) -> Iterator[list[tuple]]:
    rownum = 1  # the header's
    for data in _lines(src.path):
        # plain_csv read the file before; what is split is checked again, block by block, so a file
        # changed in between stops the load instead of being split in a way csv.reader would not
        plain = data.endswith(b"\n") and _plain_lines(data, width)
        try:
            if not plain:
                raise ValueError("no longer a plain CSV file")
            encoded = split(data)
        except ValueError as exc:
            raise ReadError(f"{src.label} after row {rownum}: not readable as CSV ({exc})"
                            " — was the file changed while it was read?") from None
        n = len(encoded[0][1])
        if not n:
            continue
        first = rownum + 1
        rownum += n
        refused = np.zeros(n, dtype=bool)
        anything = np.zeros(n, dtype=bool)  # a cell that is not blank: the row is not skipped
        values: list = []
        for texts, idx in encoded:
            blank = np.fromiter((not t.strip() for t in texts), dtype=bool, count=len(texts))
            anything |= ~blank[idx]
        for col, read in readers:
            if read is None:
                values.append(repeat(col.value, n))
                continue
            texts, idx = encoded[col.pos]
            read_all = [read(t) for t in texts]
            out = np.empty(len(read_all), dtype=object)
            out[:] = read_all
            bad = np.fromiter((v is REJECT for v in read_all), dtype=bool, count=len(read_all))
            if bad.any():
                refused |= bad[idx]
            values.append(out[idx].tolist())
        rows = list(zip(*[repeat(b, n) for b in base], range(first, first + n), *values))
        special = np.flatnonzero(refused | ~anything)
        if len(special):
            for j in special.tolist():
                if not anything[j]:
                    rows[j] = None  # a blank row: the reader skips it
                    continue
                cells = [texts[idx[j]] for texts, idx in encoded]
                rows[j] = row_path(first + j, cells)
            rows = [r for r in rows if r is not None]
        yield rows


def arrow():
    """pyarrow, imported when first needed (some 0.1 s): a load of XLSX or quoted files never
    needs it. The loader imports it before forking its children (ahead.py), so that each of them
    does not import it again."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    return pa, pc, pcsv


def splitter(width: int) -> Callable[[bytes], list[tuple[list[str], np.ndarray]]]:
    """``split(data)``: whole lines of a plain CSV file (no header) -> per column, its distinct
    texts and, per row, the index of its text among them. Raises ValueError for what Arrow
    cannot read."""
    pa, pc, pcsv = arrow()

    names = [f"c{i}" for i in range(width)]
    # malloc, not Arrow's own mimalloc: what a block used goes back with the block, and
    # release_unused() gives the rest back to the system after the file (at 3.5 M rows the
    # process kept some 90 MB more with mimalloc; forked audit workers inherit it)
    pool = pa.system_memory_pool()
    options = dict(
        memory_pool=pool,
        read_options=pcsv.ReadOptions(column_names=names, use_threads=False),
        parse_options=pcsv.ParseOptions(delimiter=",", quote_char=False),
        convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False),
    )

    def split(data: bytes) -> list[tuple[list[str], np.ndarray]]:
        try:
            # whole lines, BLOCK bytes or so at a time: Arrow's streaming reader reads ahead (some
            # 60 MB more at its peak); the table of one block is all Arrow holds at any time
            table = pcsv.read_csv(pa.py_buffer(data), **options).combine_chunks(memory_pool=pool)
        except pa.ArrowException as exc:
            raise ValueError(str(exc)) from None
        out = []
        for i in range(width):
            column = table.column(i)
            d = pc.dictionary_encode(column.chunk(0) if column.num_chunks else pa.array([], pa.string()),
                                     memory_pool=pool)
            out.append((d.dictionary.to_pylist(), d.indices.to_numpy(zero_copy_only=False)))
        return out

    split.release = pool.release_unused
    return split


def _lines(path: Path) -> Iterator[bytes]:
    """The file after its header line, in pieces of whole lines of about BLOCK bytes."""
    with open(path, "rb") as fh:
        fh.readline()
        rest = b""
        while True:
            block = fh.read(BLOCK)
            if not block:
                if rest:
                    yield rest
                return
            data = rest + block
            cut = data.rfind(b"\n") + 1
            if cut:
                data, rest = data[:cut], data[cut:]
                yield data
            else:
                rest = data

