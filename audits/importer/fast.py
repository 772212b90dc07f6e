"""The fast path for the big tables: a plain row parser compiled once per file from its header.

For ``payroll``, ``declarations``, ``participants`` and ``payments`` read from CSV, each row first
goes through a parser that accepts only what it can accept for certain and returns the row's
database-ready tuple (the same tuple ``load._Table.slow_row`` builds from the pydantic model); for
any other row it returns None and the loader gives the row to the pydantic model as before. Errors
and their wording therefore only ever come from the pydantic path: the fast path never reports
anything, it only skips work on rows that have nothing to report.

How each column is read depends on the parser its model field uses (``validate.parser`` in
``models.py``):

- ``fields.text`` (names, references): the stripped cell, when it is printable (``str.isprintable``,
  one C call: no control character, no undecodable byte) and not longer than ``fields.MAX_TEXT``;
  an empty required cell is left to pydantic, an empty optional one is the model's default.
- ``fields.money``: plain ASCII ``[0-9]+(\\.[0-9]{1,2})?`` (at most 13 digits before the point, the
  bound of ``fields.money``) straight
  to integer sen; anything else (empty required cell, separators, signs, 3 decimals …) is left to
  pydantic. An empty optional cell is the model's default in sen.
- everything else (ids, NIK, periods, dates, enums, KPJ): the field's own pydantic validator —
  the very function pydantic runs — applied to the cell once per distinct cell text and
  remembered (``_Memo``); a value it rejects, and for an employer reference an employer_id that
  is not in employers, sends the row to pydantic.

Then the table's row check (``end_date`` before ``start_date``) runs on the parsed values, again
sending a row it objects to to pydantic. Values pass through the column's SQLAlchemy bind processor
exactly as in the slow path (dates become ``YYYY-MM-DD`` text on SQLite).

XLSX sheets keep the pydantic path for every row: their cells arrive typed (numbers, dates, bools,
None), where ``1 == 1.0 == True`` would make a memo keyed on the cell value unsafe.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError, PydanticUndefined

from patuh.audits.store import schema as s

from . import fields as f
from .models import TableSpec, _check_dates

FAST_TABLES = ("participants", "declarations", "payments", "payroll")
MEMO_LIMIT = 200_000  # distinct cell texts remembered per column (NIKs are the most numerous)
MAX_WHOLE_DIGITS = len(str(f.MAX_RUPIAH)) - 1  # below 10**13 Rupiah (fields.money); longer amounts go to pydantic


class _Reject:
    __slots__ = ()

    def __repr__(self) -> str:
        return "REJECT"


REJECT = _Reject()

RowParser = Callable[[int, list], "tuple | None"]


def sen(raw: str, default):
    """Plain Rupiah text -> int sen; ``default`` for an empty cell; REJECT for anything else."""
    s_ = raw.strip()
    if not s_:
        return default
    if not s_.isascii():
        return REJECT
    whole, dot, frac = s_.partition(".")
    if not whole.isdigit() or len(whole) > MAX_WHOLE_DIGITS:
        return REJECT
    if not dot:
        return int(whole) * 100
    if not frac.isdigit() or len(frac) > 2:
        return REJECT
    return int(whole) * 100 + int(frac) * (10 if len(frac) == 1 else 1)


class _Memo(dict):
    """cell text -> the validator's value (or REJECT), computed on first sight."""

    __slots__ = ("fill",)

    def __init__(self, fill: Callable[[str], Any]):
        super().__init__()
        self.fill = fill

    def __missing__(self, raw: str):
        value = self.fill(raw)
        if len(self) < MEMO_LIMIT:
            self[raw] = value
        return value


def _validator(spec: TableSpec, name: str):
    fi = spec.model.model_fields[name]
    found = [m.func for m in fi.metadata if isinstance(m, BeforeValidator)]
    if len(found) != 1 or not hasattr(found[0], "parser"):
        return None
    return found[0]


def _memo_fill(validator, norm, refs: dict | None, by_parser: dict) -> Callable[[str], Any]:
    """``by_parser``: parser (fields.*) -> normalised cell text -> the parser's value or REJECT,
    shared by every column and table of one load read with that parser: an employee's NIK is in
    participants, declarations and payroll, and is checked once, not three times. A parser is a
    function of the text alone; an empty cell (None) is not shared, since required and optional
    columns answer it differently."""
    shared = by_parser.setdefault(getattr(validator, "parser", validator), {})

    def fill(raw: str):
        text = norm(raw)
        value = shared.get(text, _MISSING) if text is not None else _MISSING
        if value is _MISSING:
            try:
                value = validator(text)
            except (PydanticCustomError, ValueError, AssertionError):
                value = REJECT  # pydantic will report it
            if text is not None and len(shared) < MEMO_LIMIT:
                shared[text] = value
        if value is REJECT:
            return REJECT
        if refs is not None and value is not None and value not in refs:
            return REJECT  # pydantic path reports the unknown employer
        return value

    return fill


_MISSING = object()


@dataclass(frozen=True)
class Column:
    """How one column of the table is read from its cell (see the module docstring).

    kind: ``default`` (not in the file: ``value``), ``money`` (``value`` is the empty optional
    cell's sen, REJECT when required), ``text`` (``value`` True when required) or ``memo``
    (``value`` the column's _Memo, ``proc`` its bind processor or None)."""

    kind: str
    pos: int | None
    value: Any = None
    proc: Callable | None = None


def column_plan(
    spec: TableSpec,
    positions: dict[str, int],
    *,
    bind_procs: list,
    employer_ids: dict | None,
    norm: Callable[[Any], Any],
    memo: dict | None = None,
) -> list[Column] | None:
    """One Column per ``spec.columns``, or None when the table has no fast path. The compiled row
    parser and the column-wise reader (columnar.py) are both built from it, so they read a cell
    alike by construction."""
    if spec.name not in FAST_TABLES or spec.contract_refs or spec.row_check not in (None, _check_dates):
        return None
    table = s.DATA_TABLES[spec.name]
    memo = {} if memo is None else memo
    plan: list[Column] = []
    for name, proc in zip(spec.columns, bind_procs):
        fi = spec.model.model_fields[name]
        validator = _validator(spec, name)
        if validator is None:
            return None
        parser = validator.parser
        is_ref = name in spec.employer_refs and employer_ids is not None
        pos = positions.get(name)
        if pos is None:
            # not in the file: pydantic uses the field's default without running the validator
            if fi.default is PydanticUndefined:
                return None
            plan.append(Column("default", None, proc(fi.default) if proc is not None else fi.default))
        elif parser is f.money and isinstance(table.c[name].type, s.Money):
            # int sen, so the Money bind processor is not applied again
            plan.append(Column("money", pos, REJECT if fi.is_required() else proc(validator(None))))
        elif parser is f.text and not is_ref and proc is None:
            if not fi.is_required() and validator(None) is not None:
                return None
            plan.append(Column("text", pos, fi.is_required()))
        else:
            fill = _memo_fill(validator, norm, employer_ids if is_ref else None, memo)
            plan.append(Column("memo", pos, _Memo(fill), proc))
    return plan


def read_money(default) -> Callable[[str], Any]:
    def read(x: str):
        if x.isdigit() and x.isascii() and len(x) <= MAX_WHOLE_DIGITS:
            return int(x) * 100
        return sen(x, default)

    return read


def read_text(required: bool) -> Callable[[str], Any]:
    def read(x: str):
        v = x.strip()
        # control characters, undecodable bytes (and anything unusual) go to pydantic
        if len(v) > f.MAX_TEXT or not v.isprintable():
            return REJECT
        if not v:
            return REJECT if required else None
        return v

    return read


def read_memo(m: _Memo, proc) -> Callable[[str], Any]:
    if proc is None:
        return m.__getitem__

    def read(x: str):
        v = m[x]
        return v if v is REJECT else proc(v)

    return read


def cell_reader(col: Column) -> Callable[[str], Any]:
    """cell text -> the column's database-ready value, or REJECT (the row goes to pydantic);
    the same answer as the compiled row parser gives for that cell."""
    if col.kind == "money":
        return read_money(col.value)
    if col.kind == "text":
        return read_text(col.value)
    if col.kind == "memo":
        return read_memo(col.value, col.proc)
    raise ValueError(f"a {col.kind} column is not read from a cell")


def compile_plan(spec: TableSpec, plan: list[Column], base: tuple) -> RowParser:
    """The fast row parser of ``plan`` (column_plan) for ``spec``'s CSV: the row's tuple, or None to
    leave the row to pydantic. ``base`` are the leading values of every tuple (import_id, src_file,
    src_sheet)."""
    # the money and text readers written out inline: a function call per cell is what this saves
    ns: dict[str, Any] = {"REJECT": REJECT, "sen": sen, "int": int}
    body: list[str] = []
    values: list[str] = []
    for k, col in enumerate(plan):
        v, pos = f"v{k}", col.pos
        values.append(v)
        if col.kind == "default":
            ns[f"d{k}"] = col.value
            body.append(f"{v} = d{k}")
        elif col.kind == "money":
            ns[f"d{k}"] = col.value
            body += [
                f"x = c[{pos}]",
                f"if x.isdigit() and x.isascii() and len(x) <= {MAX_WHOLE_DIGITS}:",
                f"    {v} = int(x) * 100",
                "else:",
                f"    {v} = sen(x, d{k})",
                f"    if {v} is REJECT: return None",
            ]
        elif col.kind == "text":
            body.append(f"{v} = c[{pos}].strip()")
            body.append(f"if len({v}) > {f.MAX_TEXT} or not {v}.isprintable(): return None")
            body.append(f"if not {v}: " + ("return None" if col.value else f"{v} = None"))
        else:
            ns[f"m{k}"] = col.value
            body += [f"{v} = m{k}[c[{pos}]]", f"if {v} is REJECT: return None"]
            if col.proc is not None:
                ns[f"p{k}"] = col.proc
                values[-1] = f"p{k}({v})"
    if spec.row_check is not None:
        # the table's own row check on the parsed values (money columns, as sen, are not read by it)
        ns["row_check"] = spec.row_check
        fields_ = ", ".join(f"{n!r}: v{k}" for k, n in enumerate(spec.columns))
        body.append(f"if row_check({{{fields_}}}): return None")
    ns["BASE0"], ns["BASE1"], ns["BASE2"] = base
    src = "\n".join(
        ["def parse(rownum, c):", "    try:"]
        + [f"        {line}" for line in body]
        + ["    except IndexError:", "        return None  # a short row: pydantic fills the missing cells"]
        + [f"    return (BASE0, BASE1, BASE2, rownum, {', '.join(values)})"]
    )
    code = compile(src, f"<fast row parser for {spec.name}>", "exec")
    exec(code, ns)  # noqa: S102 - source built above from the table's own columns
    parse = ns["parse"]
    parse.source = src
    return parse
