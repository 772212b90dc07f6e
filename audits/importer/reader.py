"""Finding the tables of a package folder and streaming their rows.

A table is ``<table>.csv`` or a sheet ``<table>`` in the folder's one ``.xlsx`` workbook. Rows are
streamed (``csv.reader`` / openpyxl ``read_only``) so memory does not grow with the file.

Hostile or careless files: only regular files are read (a FIFO or a link to ``/dev/zero`` would
never end), each under a size cap; table file and sheet names match whatever their case
(``PAYROLL.CSV``), and two files for one table are an error, never a silent choice. CSV is read
strictly: a quote that is never closed would otherwise swallow the rest of the file into one
value. Bytes that do not decode are kept as lone surrogates (``errors="surrogateescape"``) so that
the cell holding them is reported with its row and column (``fields.not_utf8``).
"""
from __future__ import annotations

import csv
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .models import SPECS

PACKAGE_YAML = "package.yaml"
MAX_CSV_BYTES = 4 * 1024**3  # a whole province's year of payroll is about 1 GB
MAX_XLSX_BYTES = 512 * 1024**2
MAX_YAML_BYTES = 64 * 1024


@dataclass
class Source:
    table: str
    file: str  # file name inside the package folder
    path: Path
    sheet: str | None = None  # sheet name for XLSX, None for CSV
    book: object = None  # the open read-only workbook, shared by all sheets of one package
    delimiter: str = ","  # CSV only; a declared form (forms.py) may change them
    encoding: str = "utf-8-sig"

    @property
    def label(self) -> str:
        return f"{self.file} sheet {self.sheet}" if self.sheet else self.file


@dataclass
class Discovery:
    sources: dict[str, Source] = field(default_factory=dict)
    doubled: set[str] = field(default_factory=set)
    data_files: list[Path] = field(default_factory=list)  # files that make up the package hash
    workbook: Path | None = None
    book: object = None  # open read-only workbook; close() when done

    def close(self) -> None:
        if self.book is not None:
            self.book.close()
            self.book = None
    yaml: Path | None = None
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")


DOCUMENT_SUFFIXES = (".md",)  # a package's README; any other unknown file is named in a warning


def _regular(p: Path, cap: int, d: "Discovery") -> bool:
    """True for a regular file (a link to one is fine) under ``cap`` bytes; else an error."""
    try:
        st = p.stat()
    except OSError as exc:
        d.errors.append(f"{p.name}: cannot be read ({exc.strerror or type(exc).__name__})")
        return False
    if not stat.S_ISREG(st.st_mode):
        d.errors.append(f"{p.name}: not a regular file (a device, pipe or socket) — give a plain file")
        return False
    if st.st_size > cap:
        d.errors.append(f"{p.name}: {st.st_size:,} bytes — larger than the {cap:,} bytes a package file may have")
        return False
    return True


def discover(folder: Path, files: dict[str, str] | None = None, sheets: dict[str, str] | None = None) -> Discovery:
    """``files`` / ``sheets``: file and sheet names package.yaml declares for a table (forms.py)."""
    d = Discovery()
    files, sheets = files or {}, sheets or {}
    found_files: set[str] = set()
    csvs: dict[str, Path] = {}
    workbooks: list[Path] = []
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if _ignored(p.name):
            continue
        if p.is_dir():
            d.warnings.append(f"{p.name}/: a folder inside the package, ignored")
            continue
        low = p.name.lower()
        if low == PACKAGE_YAML:
            if d.yaml is not None:
                d.errors.append(f"{PACKAGE_YAML}: given twice, as {d.yaml.name} and as {p.name} — keep one of them")
            elif _regular(p, MAX_YAML_BYTES, d):
                d.yaml = p
                d.data_files.append(p)
        elif low.endswith(".csv") and (p.name in files or low[:-4] in SPECS):
            table = files.get(p.name) or low[:-4]
            found_files.add(p.name)
            if not _regular(p, MAX_CSV_BYTES, d):
                d.doubled.add(table)  # named but unreadable: reported, and not also "missing"
                continue
            if table in d.doubled:
                d.errors.append(f"{table}: table given twice, as {table}.csv and as {p.name} — keep one of them")
                continue
            if table in csvs:
                d.doubled.add(table)
                d.errors.append(f"{table}: table given twice, as {csvs[table].name} and as {p.name} — keep one of them")
            csvs[table] = p
            d.data_files.append(p)
        elif low.endswith(".xlsx"):
            if not _regular(p, MAX_XLSX_BYTES, d):
                continue
            workbooks.append(p)
            d.data_files.append(p)
        elif low.endswith(DOCUMENT_SUFFIXES):
            continue  # the README that travels with a package: not data, no warning
        else:
            d.warnings.append(f"{p.name}: not a data-package file, ignored")
    for name, table in files.items():
        if name not in found_files:
            d.errors.append(f"package.yaml, tables.{table}.file: {name} is not in the package folder")
    for table, p in csvs.items():
        d.sources[table] = Source(table, p.name, p)
    if len(workbooks) > 1:
        d.errors.append(
            "package: more than one workbook ("
            + ", ".join(w.name for w in workbooks)
            + ") — put all sheets in one .xlsx file"
        )
    elif workbooks:
        wb_path = workbooks[0]
        d.workbook = wb_path
        try:
            # opened once: read-only openpyxl scans a whole sheet when it has no <dimension>
            d.book = open_workbook(wb_path)
            names = list(d.book.sheetnames)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            d.errors.append(f"{wb_path.name}: cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc})")
            names = []
        for sheet in names:
            table = sheets.get(sheet) or (sheet.lower() if sheet.lower() in SPECS else None)
            if table is None:
                d.warnings.append(f"{wb_path.name} sheet {sheet}: not a data-package table, ignored")
                continue
            if table in d.sources or table in d.doubled:
                given = d.sources[table].label if table in d.sources else f"{table}.csv"
                d.doubled.add(table)
                d.errors.append(
                    f"{table}: table given twice, as {given} and as {wb_path.name} sheet {sheet}"
                    " — keep one of them"
                )
                continue
            d.sources[table] = Source(table, wb_path.name, wb_path, sheet, d.book)
        for sheet, table in sheets.items():
            if sheet not in names and d.book is not None:
                d.errors.append(f"package.yaml, tables.{table}.sheet: {wb_path.name} has no sheet {sheet!r}")
    elif sheets:
        d.errors.append("package.yaml declares sheets (" + ", ".join(sheets) + ") but the package has no .xlsx workbook")
    for t in d.doubled:
        d.sources.pop(t, None)
    return d


def open_workbook(path: Path):
    from openpyxl import load_workbook

    return load_workbook(path, read_only=True, data_only=True)


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class ReadError(Exception):
    """The file cannot be read at all (encoding, broken workbook)."""


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def iter_rows(src: Source, warn=None) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cells) for every row; the header is row 1 and comes first.
    ``warn(message)`` receives what is doubtful but not wrong (a CSV without a final line break)."""
    # the reader's own generator, not one wrapped in another: one frame less per row
    return _iter_csv(src, warn) if src.sheet is None else _iter_xlsx(src)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) in (b"\n", b"\r")


def _csv_problem(label: str, rownum: int, exc: csv.Error) -> str:
    what = str(exc)
    if "unexpected end of data" in what:
        return (f'{label} row {rownum}: a quoted value that starts in this row is never closed — the rest of the'
                f' file would be read as one value; add the closing " (or remove the opening one)')
    if "expected after" in what:
        return (f'{label} row {rownum}: text after the closing quote of a value — put the whole value in double'
                f' quotes and write each quote inside it twice ("")')
    if "field larger than field limit" in what:
        return (f"{label} row {rownum}: a value longer than {csv.field_size_limit():,} characters"
                f" — not a data-package value; is a quote missing?")
    return f"{label} row {rownum}: not readable as CSV ({what})"


def _iter_csv(src: Source, warn=None) -> Iterator[tuple[int, list]]:
    rownum, width = 0, 0
    cells: list = []
    try:
        with open(src.path, encoding=src.encoding, errors="surrogateescape", newline="") as fh:
            for cells in csv.reader(fh, delimiter=src.delimiter, strict=True):
                rownum += 1
                if rownum == 1:
                    width = len(cells)
                # a blank row has only blank cells; a non-blank first cell (almost every row) says no
                # (isspace is False at the first other character, and builds no stripped copy)
                elif not (cells and cells[0] and not cells[0].isspace()) and all(_blank(c) for c in cells):
                    continue
                yield rownum, cells
    except csv.Error as exc:
        raise ReadError(_csv_problem(src.label, rownum + 1, exc)) from None
    except UnicodeDecodeError as exc:
        if src.encoding != "utf-8-sig":  # a declared encoding (forms.py)
            raise ReadError(f"{src.label}: not {src.encoding} text (byte {exc.start} of the file)") from None
        raise ReadError(
            f"{src.label}: not UTF-8 text (byte {exc.start} of the file) — save it as \"CSV UTF-8\""
            " or declare its encoding in package.yaml (format: {encoding: cp1252})"
        ) from None
    if rownum > 1 and not _ends_with_newline(src.path):
        if len(cells) < width:
            raise ReadError(
                f"{src.label} row {rownum}: the file ends inside this row ({len(cells)} of {width} cells and no"
                " line break at the end) — the file seems cut off; export it again"
            )
        if warn is not None:
            warn(f"{src.label}: the file does not end with a line break — check that its last row ({rownum})"
                 " is complete and the file was not cut off")


def _iter_xlsx(src: Source) -> Iterator[tuple[int, list]]:
    wb = src.book if src.book is not None else open_workbook(src.path)
    try:
        ws = wb[src.sheet]
        ws.reset_dimensions()  # do not trust a stale <dimension>; read what is there
        # read-only iter_rows fills gaps with empty rows, so counting from 1 gives sheet row numbers
        for rownum, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if rownum > 1 and all(_blank(v) for v in values):
                continue
            yield rownum, list(values)
    finally:
        if src.book is None:
            wb.close()
