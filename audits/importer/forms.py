"""Declared forms: how a package's files are written, when not in the canonical form.

``package.yaml`` may say once how the files are written (``format``: separators, date and period
formats, encoding) and, per table, which file or sheet holds it (``file`` / ``sheet``), how its
headers map to the package's columns (``columns``) and how its values map to canonical values
(``values``), with per-table ``format`` overrides (``docs/intake.md``).

A declared cell is turned into its canonical text here, strictly — a number that does not match the
declared form is an error, never a guess — and then goes through exactly the same parsers as a
canonical cell (the fast path and the pydantic models), so the same data loads to the same rows
whichever form it was written in. Messages name the column as written in the file and add the
canonical name: ``daftar_gaji.csv row 41, column "Gaji Pokok" (wage): ...``.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Callable

from . import fields as f
from .models import SPECS, TableSpec

CANONICAL_DATE = "%Y-%m-%d"
CANONICAL_PERIOD = "%Y-%m"
ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252",
             "windows-1252": "cp1252", "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1"}
DELIMITERS = (",", ";", "\t", "|")
DECIMALS = (".", ",")
THOUSANDS = (".", ",", " ", "\u00a0", "'")
FORMAT_KEYS = ("delimiter", "decimal_separator", "thousands_separator", "date_format", "period_format", "encoding")
TABLE_KEYS = ("file", "sheet", "columns", "values", "format")

# Month names as Indonesian spreadsheets write them, and the English ones Excel writes for %b/%B in
# an English locale. No name means a different month in the two languages, so accepting both is
# not a guess. Old spellings (Pebruari, Nopember) and the usual abbreviations are included.
MONTHS: dict[str, int] = {}
for _m, _names in enumerate(
    (
        ("januari", "jan", "january"),
        ("februari", "pebruari", "feb", "peb", "february"),
        ("maret", "mar", "march"),
        ("april", "apr"),
        ("mei", "may"),
        ("juni", "jun", "june"),
        ("juli", "jul", "july"),
        ("agustus", "agu", "agt", "ags", "aug", "august"),
        ("september", "sep", "sept"),
        ("oktober", "okt", "oct", "october"),
        ("november", "nopember", "nov", "nop"),
        ("desember", "des", "dec", "december"),
    ),
    start=1,
):
    for _n in _names:
        MONTHS[_n] = _m
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))


class FormError(ValueError):
    """A declaration in package.yaml that cannot be used."""


# ------------------------------------------------------------------------------ the declaration


@dataclass(frozen=True)
class Format:
    delimiter: str = ","
    decimal_separator: str = "."
    thousands_separator: str | None = None
    date_format: str = CANONICAL_DATE
    period_format: str = CANONICAL_PERIOD
    encoding: str = "utf-8"

    @property
    def codec(self) -> str:
        return ENCODINGS[self.encoding.lower()]

    @property
    def canonical_numbers(self) -> bool:
        return self.decimal_separator == "." and self.thousands_separator is None


CANONICAL = Format()


@dataclass
class TableForm:
    table: str
    format: Format = CANONICAL
    file: str | None = None
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # source header -> canonical column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical column -> {source: canonical}

    @property
    def translates(self) -> bool:
        """Whether cells need turning into canonical text (header mapping alone does not)."""
        fm = self.format
        return bool(self.values) or not fm.canonical_numbers or fm.date_format != CANONICAL_DATE or (
            fm.period_format != CANONICAL_PERIOD
        )


@dataclass
class Forms:
    default: Format = CANONICAL
    tables: dict[str, TableForm] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def table(self, name: str) -> TableForm:
        return self.tables.get(name) or TableForm(name, self.default)

    @property
    def files(self) -> dict[str, str]:
        return {t.file: n for n, t in self.tables.items() if t.file}

    @property
    def sheets(self) -> dict[str, str]:
        return {t.sheet: n for n, t in self.tables.items() if t.sheet}


def _format(raw: Any, base: Format, where: str) -> Format:
    if raw is None:
        return base
    if not isinstance(raw, dict):
        raise FormError(f"{where}: expected keys {', '.join(FORMAT_KEYS)}")
    kw = dict(base.__dict__)
    for key, value in raw.items():
        if key not in FORMAT_KEYS:
            raise FormError(f"{where}: unknown key {key!r} — expected {', '.join(FORMAT_KEYS)}")
        if value is None and key != "thousands_separator":
            raise FormError(f"{where}.{key}: empty — leave the key out for the canonical form")
        if value is not None and not isinstance(value, str):
            raise FormError(f"{where}.{key}: {value!r} — write it in quotes, e.g. {key}: \"{value}\"")
        kw[key] = value if value != "" or key != "thousands_separator" else None
    fm = Format(**kw)
    if fm.delimiter not in DELIMITERS:
        raise FormError(f"{where}.delimiter: {fm.delimiter!r} — one of {', '.join(map(repr, DELIMITERS))} expected")
    if fm.decimal_separator not in DECIMALS:
        raise FormError(f"{where}.decimal_separator: {fm.decimal_separator!r} — \".\" or \",\" expected")
    if fm.thousands_separator is not None and fm.thousands_separator not in THOUSANDS:
        raise FormError(f"{where}.thousands_separator: {fm.thousands_separator!r} — \".\", \",\", \" \" or \"'\" expected")
    if fm.thousands_separator == fm.decimal_separator:
        raise FormError(f"{where}: thousands_separator and decimal_separator are both {fm.decimal_separator!r}")
    if fm.encoding.lower() not in ENCODINGS:
        raise FormError(f"{where}.encoding: {fm.encoding!r} — utf-8, cp1252 or latin-1 expected")
    for key, kind in (("date_format", "date"), ("period_format", "period")):
        try:
            _compile(getattr(fm, key), kind)
        except FormError as exc:
            raise FormError(f"{where}.{key}: {exc}") from None
    return fm


def _str_key(key: Any, where: str) -> str:
    if isinstance(key, bool) or key is None:
        # YAML reads an unquoted Yes/No/On/Off/null as a truth value or nothing
        raise FormError(f"{where}: key {key!r} — write the value as it is in the file, in quotes")
    return str(key).strip()


def parse_forms(data: dict) -> Forms:
    """The declarations of an already parsed package.yaml (a mapping)."""
    forms = Forms()
    try:
        forms.default = _format(data.get("format"), CANONICAL, "package.yaml, format")
    except FormError as exc:
        forms.errors.append(str(exc))
    tables = data.get("tables")
    if tables is None:
        return forms
    if not isinstance(tables, dict):
        forms.errors.append("package.yaml, tables: expected one entry per table, e.g. payroll: {file: ...}")
        return forms
    seen_files: dict[str, str] = {}
    for name, decl in tables.items():
        where = f"package.yaml, tables.{name}"
        try:
            if name not in SPECS:
                raise FormError(f"{where}: not a data-package table (one of {', '.join(SPECS)})")
            forms.tables[name] = tf = _table(name, decl or {}, forms.default, where)
            for thing in (tf.file, tf.sheet):
                if thing is not None and thing in seen_files:
                    raise FormError(f"{where}: {thing!r} already holds table {seen_files[thing]}")
                if thing is not None:
                    seen_files[thing] = name
        except FormError as exc:
            forms.errors.append(str(exc))
    return forms


def _table(name: str, decl: Any, default: Format, where: str) -> TableForm:
    if not isinstance(decl, dict):
        raise FormError(f"{where}: expected keys {', '.join(TABLE_KEYS)}")
    spec = SPECS[name]
    unknown = [k for k in decl if k not in TABLE_KEYS]
    if unknown:
        raise FormError(f"{where}: unknown key {unknown[0]!r} — expected {', '.join(TABLE_KEYS)}")
    tf = TableForm(name, _format(decl.get("format"), default, f"{where}.format"))
    file, sheet = decl.get("file"), decl.get("sheet")
    if file is not None and sheet is not None:
        raise FormError(f"{where}: give file or sheet, not both")
    if file is not None:
        file = str(file)
        if "/" in file or "\\" in file or not file.lower().endswith(".csv"):
            raise FormError(f"{where}.file: {file!r} — the name of a .csv file in the package folder expected")
        tf.file = file
    if sheet is not None:
        tf.sheet = str(sheet)
    columns = decl.get("columns") or {}
    if not isinstance(columns, dict):
        raise FormError(f"{where}.columns: expected header: column pairs, e.g. {{Gaji Pokok: wage}}")
    targets: dict[str, str] = {}
    for src, col in columns.items():
        src = _str_key(src, f"{where}.columns")
        col = str(col).strip() if col is not None else ""
        if col not in spec.columns:
            hint = difflib.get_close_matches(col, spec.columns, n=1)
            more = f" — did you mean {hint[0]}?" if hint else f" — one of {', '.join(spec.columns)}"
            raise FormError(f"{where}.columns, {src!r}: {col!r} is not a column of {name}{more}")
        if col in targets:
            raise FormError(f"{where}.columns: {targets[col]!r} and {src!r} both map to {col}")
        targets[col] = src
        tf.columns[src] = col
    values = decl.get("values") or {}
    if not isinstance(values, dict):
        raise FormError(f"{where}.values: expected column: {{value in the file: canonical value}}")
    for col, mapping in values.items():
        col = str(col).strip()
        col = tf.columns.get(col, col)  # the header as written may name the column too
        if col not in spec.columns:
            raise FormError(f"{where}.values: {col!r} is not a column of {name}")
        if not isinstance(mapping, dict):
            raise FormError(f"{where}.values.{col}: expected {{value in the file: canonical value}}")
        tf.values[col] = {
            _str_key(k, f"{where}.values.{col}"): ("" if v is None else str(v).strip()) for k, v in mapping.items()
        }
    return tf


# ------------------------------------------------------------------------------ dates and periods

_TOKENS = {"%d": r"(?P<d>\d{1,2})", "%m": r"(?P<m>\d{1,2})", "%Y": r"(?P<Y>\d{4})", "%y": r"(?P<y>\d{2})",
           "%b": rf"(?P<b>{_MONTH_RE})\.?", "%B": rf"(?P<b>{_MONTH_RE})", "%%": "%"}


@dataclass(frozen=True)
class _DateForm:
    regex: re.Pattern
    example: str
    is_date: bool


def _compile(fmt: str, kind: str) -> _DateForm:
    """A strftime-like format (``%d %m %Y %y %b %B``) or ``indonesian`` as an anchored regex."""
    if fmt == "indonesian":
        fmt = "%d %B %Y" if kind == "date" else "%B %Y"
        example = "17 Februari 2025" if kind == "date" else "Januari 2025"
    else:
        example = None
    out, i = [], 0
    seen: list[str] = []
    while i < len(fmt):
        if fmt[i] == "%":
            tok = fmt[i:i + 2]
            if tok not in _TOKENS:
                raise FormError(f"{fmt!r}: {tok} is not supported — use %d %m %Y %y %b %B")
            out.append(_TOKENS[tok])
            if tok != "%%":
                seen.append({"%B": "b", "%b": "b", "%m": "b", "%y": "Y"}.get(tok, tok[1]))
            i += 2
        elif fmt[i] == " ":
            out.append(r"\s+")
            i += 1
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    parts = sorted(seen)
    if parts not in (["Y", "b", "d"], ["Y", "b"] if kind == "period" else None, ["Y", "b", "d"]):
        what = "day, month and year" if kind == "date" else "month and year"
        raise FormError(f"{fmt!r} does not give the {what} once each")
    if example is None:
        d = date(2025, 2, 17) if kind == "date" else date(2025, 1, 1)
        example = d.strftime(fmt)
    return _DateForm(re.compile("".join(out) + r"\Z", re.IGNORECASE), example, kind == "date")


def _ymd(m: re.Match) -> tuple[int, int, int]:
    g = m.groupdict()
    if g.get("Y"):
        year = int(g["Y"])
    else:
        yy = int(g["y"])
        year = 2000 + yy if yy < 69 else 1900 + yy  # Python's (POSIX) reading of %y
    month = int(g["m"]) if g.get("m") else MONTHS[g["b"].lower()]
    return year, month, int(g.get("d") or 1)


# ------------------------------------------------------------------------------ one column's cells


class Bad(str):
    """A cell the declared form does not accept; the text is the message."""


def _number(fm: Format, whole_only: bool) -> tuple[Callable[[str], str | Bad], str]:
    t, d = fm.thousands_separator, fm.decimal_separator
    grouped = rf"\d{{1,3}}(?:{re.escape(t)}\d{{3}})+|" if t else ""
    frac = "" if whole_only else rf"(?:{re.escape(d)}(?P<frac>\d{{1,2}})|{re.escape(d)}-)?"
    rx = re.compile(rf"(?P<neg>-)?(?P<whole>{grouped}\d+){frac}\Z")
    currency = re.compile(r"^(?:rp\.?|idr)\s*", re.IGNORECASE) if t else None
    tsep = t or ""
    example = ("3" + tsep + "054" + tsep + "552" if t else "3054552") + ("" if whole_only else d + "50")
    what = f"thousands separator {t!r}, " if t else "no thousands separator, "
    what = what.replace("'\\xa0'", "non-breaking space") + (
        "whole numbers" if whole_only else f"decimal separator {d!r}")
    expected = f"is not a number — written as declared ({what}), e.g. {example}"

    def conv(s: str):
        x = s.strip()
        if currency is not None:
            x = currency.sub("", x).strip()
        m = rx.match(x)
        if m is None:
            return Bad(f"{f.show(s)} {expected}")
        if m.group("neg"):
            return Bad(f"{f.show(s)} is negative — an amount of 0 or more expected")
        whole = m.group("whole").replace(tsep, "") if tsep else m.group("whole")
        fr = None if whole_only else m.group("frac")
        return whole + ("." + fr if fr else "")

    return conv, example


def _dater(df: _DateForm, fmt: str) -> Callable[[str], str | Bad]:
    kind = "date" if df.is_date else "period"

    def conv(s: str):
        m = df.regex.match(s.strip())
        if m is None:
            return Bad(f"{f.show(s)} is not a {kind} in the declared form {fmt!r} — e.g. {df.example}")
        y, mo, d = _ymd(m)
        try:
            when = date(y, mo, d)
        except ValueError:
            return Bad(f"{f.show(s)} is not a {kind} that exists")
        if not df.is_date:
            if d != 1:
                return Bad(f"{f.show(s)} is not a period — the day must be the 1st")
            return f"{when.year:04d}-{when.month:02d}"
        return when.isoformat()

    return conv


def _parser_of(spec: TableSpec, name: str):
    from .fast import _validator

    v = _validator(spec, name)
    return getattr(v, "parser", None)


def column_converter(spec: TableSpec, name: str, tf: TableForm) -> Callable[[str], str | Bad] | None:
    """str cell -> canonical text, or Bad; None when the column needs nothing."""
    fm = tf.format
    parser = _parser_of(spec, name)
    steps: list[Callable[[str], str | Bad]] = []
    mapping = tf.values.get(name)
    if mapping:
        steps.append(lambda s, m=mapping: m.get(s.strip(), s))
    if parser is f.money and not fm.canonical_numbers:
        steps.append(_number(fm, whole_only=False)[0])
    elif parser is f.integer and fm.thousands_separator is not None:
        steps.append(_number(fm, whole_only=True)[0])
    elif parser is f.iso_date and fm.date_format != CANONICAL_DATE:
        steps.append(_dater(_compile(fm.date_format, "date"), fm.date_format))
    elif parser is f.period and fm.period_format != CANONICAL_PERIOD:
        steps.append(_dater(_compile(fm.period_format, "period"), fm.period_format))
    if not steps:
        return None
    if len(steps) == 1:
        one = steps[0]
    else:
        def one(s: str):
            for step in steps:
                s = step(s)
                if isinstance(s, Bad):
                    return s
            return s
    memo: dict[str, str] = {}

    def conv(s: str):
        v = memo.get(s)
        if v is None:
            v = "" if not s.strip() else one(s)
            if len(memo) < 100_000:
                memo[s] = v
        return v

    return conv


# ------------------------------------------------------------------------------ headers


@dataclass
class Header:
    positions: dict[str, int]  # canonical column -> cell index
    labels: dict[str, str]  # canonical column -> how messages name it
    errors: list[str]
    warnings: list[str]


def col_label(written: str, canonical: str) -> str:
    return canonical if written == canonical else f'"{written}" ({canonical})'


def read_header(header: list, spec: TableSpec, tf: TableForm, label: str, *, is_csv: bool) -> Header:
    h = Header({}, {}, [], [])
    written: list[str] = []
    for i, raw in enumerate(header):
        name = raw.strip() if isinstance(raw, str) else ("" if raw is None else str(raw))
        if not name:
            continue
        written.append(name)
        col = tf.columns.get(name, name)
        if col in h.positions:
            h.errors.append(f"{label} row 1, column {col_label(name, col)}: column given twice")
            continue
        if col not in spec.columns:
            h.warnings.append(f"{label}: column {name!r} is not part of the data package, ignored")
            continue
        h.positions[col] = i
        h.labels[col] = col_label(name, col)
    if is_csv and len(written) == 1:
        for other in DELIMITERS:
            if other != tf.format.delimiter and len(written[0].split(other)) > 1:
                shown = "\\t" if other == "\t" else other
                h.errors.append(
                    f"{label} row 1: the header is one column {f.show(written[0][:60])} but splits on {shown!r}"
                    f" — the file is separated by {shown!r}; declare it in package.yaml:"
                    f" format: {{delimiter: \"{shown}\"}}"
                )
                return h
    by_target = {v: k for k, v in tf.columns.items()}
    for c in spec.required_columns:
        if c in h.positions:
            continue
        want = by_target.get(c)
        name = f'"{want}" ({c})' if want else c
        found = ", ".join(written) if written else "none"
        msg = f"{label}: required column {name} is missing — the header has: {found}"
        close = _closest(want or c, written)
        if close is not None:
            msg += f"; closest: {close!r}"
            if not want:
                msg += f" (declare it in package.yaml: tables: {{{spec.name}: {{columns: {{{close}: {c}}}}}}})"
        h.errors.append(msg)
    return h


def _closest(want: str, written: list[str]) -> str | None:
    norm = {re.sub(r"[\s_\-]+", "_", w.lower()): w for w in written}
    hit = difflib.get_close_matches(re.sub(r"[\s_\-]+", "_", want.lower()), list(norm), n=1, cutoff=0.6)
    return norm[hit[0]] if hit else None


# ------------------------------------------------------------------------------ rows


def row_translator(
    spec: TableSpec,
    tf: TableForm,
    header: Header,
    label: str,
    err: Callable[[str], None],
    on_bad_row: Callable[[list], None] | None = None,
) -> Callable[[int, list], list | None] | None:
    """A function (rownum, cells) -> canonical cells, or None after reporting the row's errors.
    None when the table's form needs no translation."""
    if not tf.translates:
        return None
    convs = []
    for col, pos in header.positions.items():
        conv = column_converter(spec, col, tf)
        if conv is not None:
            convs.append((pos, conv, header.labels[col], tf.values.get(col)))
    if not convs:
        return None

    def translate(rownum: int, cells: list):
        out = None
        bad = False
        n = len(cells)
        for pos, conv, lbl, mapped in convs:
            if pos >= n:
                continue
            raw = cells[pos]
            if type(raw) is not str:
                # typed XLSX cells are taken as they are — unless `values` maps them (a status coded 1/2)
                if not mapped or type(raw) not in (int, float):
                    continue
                key = str(int(raw)) if type(raw) is float and raw.is_integer() else str(raw)
                if key not in mapped:
                    continue
                raw = key
            v = conv(raw)
            if v is raw:
                continue
            if isinstance(v, Bad):
                err(f"{label} row {rownum}, column {lbl}: {v}")
                bad = True
                continue
            if out is None:
                out = list(cells)
            out[pos] = v
        if bad:
            if on_bad_row is not None:
                on_bad_row(cells)
            return None
        return cells if out is None else out

    return translate


# ------------------------------------------------------------------------------ XLSX fast path

_MIDNIGHT = time()
MONEY, DATE, PERIOD, OTHER = range(4)


def xlsx_fast(fast, spec: TableSpec, positions: dict[str, int]):
    """The CSV fast parser for typed XLSX rows: every cell becomes the text the CSV would hold,
    where that text means exactly what the typed cell means to the pydantic path; a row with any
    other cell (TRUE/FALSE, a fraction in a text column, a date with a time, a date in a text
    column) returns None and goes to the pydantic path, which reports or accepts it as before."""
    if fast is None:
        return None
    kinds = []
    for col, pos in positions.items():
        p = _parser_of(spec, col)
        kinds.append((pos, MONEY if p is f.money else DATE if p is f.iso_date else PERIOD if p is f.period else OTHER))

    width = max(positions.values(), default=-1) + 1

    def parse(rownum: int, cells):
        c = list(cells)
        n = len(c)
        if n < width:
            # a sheet row ends at its last non-empty cell (read-only openpyxl without a trusted
            # <dimension>): the missing cells are empty, as the pydantic path reads them
            c += [""] * (width - n)
        for pos, kind in kinds:
            if pos >= n:
                continue
            v = c[pos]
            t = type(v)
            if t is str:
                continue
            if v is None:
                c[pos] = ""
            elif t is int:
                c[pos] = str(v)
            elif t is float:
                if v.is_integer():
                    c[pos] = str(int(v))
                elif kind == MONEY:
                    r = repr(v)
                    if "e" in r or "n" in r:
                        return None
                    c[pos] = r
                else:
                    return None
            elif t is datetime or t is date:
                if kind not in (DATE, PERIOD):
                    return None
                if t is datetime:
                    if v.time() != _MIDNIGHT or v.tzinfo is not None:
                        return None
                    v = v.date()
                if kind == DATE:
                    c[pos] = v.isoformat()
                elif v.day == 1:
                    c[pos] = f"{v.year:04d}-{v.month:02d}"
                else:
                    return None
            else:
                return None
        return fast(rownum, c)

    return parse
