"""Runs, findings and cases in the store: the one module that writes and reads them.

A run is recorded once per distinct set of inputs (its id is derived from them, so the same
inputs overwrite); ``seq`` orders runs by when they were recorded, which is what "the latest run"
and "the previous run" mean (docs/lifecycle.md) — never the latest ``as_of``.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import orjson
from sqlalchemy import delete, func, inspect, insert, select
from sqlalchemy.engine import Connection, Engine, make_url

from . import schema as s
from .db import ensure_schema, get_engine, resolve_url


# The JSON texts the store keeps (traces, evidence): orjson, about five times faster than json's own
# encoder on the 16 MB of a 350k-row audit's findings (0.31 -> 0.06 CPU-s). Every reader parses
# them (json.loads), so the compact separators are no change to anyone; the values are json.dumps'
# (sort_keys, ensure_ascii=False, default=str): dates, datetimes, dataclasses and Decimals through
# str as before, not orjson's own forms of them. What orjson refuses (an integer beyond 64
# bits) is written by json's encoder instead; what it writes otherwise (NaN as null, not json's
# invalid NaN) only a finding that is already wrong would hold. tests/test_store_json.py.
_json_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode
_ORJSON_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
                   | orjson.OPT_PASSTHROUGH_DATACLASS)


def as_json(value) -> str:
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode()
    except (TypeError, orjson.JSONEncodeError):  # an integer beyond 64 bits: json's own rules
        return _json_encode(value)


def read_json(text: str):
    """A JSON text of the store as values: orjson's parser (a third of json's time on a finding's
    texts, the same values); what it refuses (json's NaN in a store written before orjson, an
    integer beyond 64 bits) json's parser reads."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def finding_json(trace: dict, evidence: dict, message_en: str) -> tuple[str, str]:
    """A finding's trace (with its English message) and evidence as the store keeps them
    (findings.trace_json, findings.evidence_json)."""
    return as_json(dict(trace, message_en=message_en)), as_json(evidence)


class StoreError(Exception):
    """No usable store, or no such run; the message says where patuh looked."""


def where(url: str) -> str:
    """The database as a user recognises it: the file of a SQLite URL, else the URL without password."""
    u = make_url(url)
    if u.drivername.startswith("sqlite"):
        return str(Path(u.database or ":memory:").resolve()) if u.database else ":memory:"
    return u.render_as_string(hide_password=True)


def open_store(db: str | None = None) -> tuple[Engine, str]:
    """An engine for a store that already exists (reading commands): never creates an empty
    database. Brings an existing store's schema up to date."""
    url = resolve_url(db)
    u = make_url(url)
    source = "--db" if db else ("PATUH_DB" if url != "sqlite:///patuh.db" else "default sqlite:///patuh.db")
    if u.drivername.startswith("sqlite") and u.database and not Path(u.database).exists():
        raise StoreError(f"no database at {where(url)} ({source}); run `patuh audit PACKAGE --out DIR` "
                         "first, or give --db URL / PATUH_DB")
    engine = get_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    except Exception as exc:  # unreachable server, bad credentials
        raise StoreError(f"cannot open the database {where(url)}: {exc}") from None
    if "runs" not in tables:
        raise StoreError(f"the database {where(url)} holds no patuh store (no runs table)")
    ensure_schema(engine)
    return engine, where(url)


# ---------------------------------------------------------------------------------------------
# Writing


def record_run(conn: Connection, r, used: list[dict], rulebook: dict, by: str) -> int:
    """Replace this run's rows (same inputs, same id) and give it the next recording number."""
    for table in (s.findings, s.cases):
        conn.execute(delete(table).where(table.c.run_id == r.run_id))
    conn.execute(delete(s.runs).where(s.runs.c.run_id == r.run_id))
    seq = (conn.execute(select(func.max(s.runs.c.seq))).scalar() or 0) + 1
    conn.execute(insert(s.runs).values(
        run_id=r.run_id, import_id=r.import_id, package_hash=r.package_hash, ruleset_revision=r.revision,
        as_of=r.as_of, period_from=r.period_from, period_to=r.period_to,
        parameters_json=json.dumps(used, ensure_ascii=False, sort_keys=True),
        counts_json=json.dumps(r.counts, ensure_ascii=False, sort_keys=True),
        seq=seq, recorded_at=dt.datetime.now().replace(microsecond=0), recorded_by=by,
        state_hash=r.state_hash or None,
        rulebook_json=json.dumps(rulebook, ensure_ascii=False, sort_keys=True),
    ))
    def row(f) -> tuple:
        # the JSON texts were made by the process that judged the finding (Finding.pack)
        return (r.run_id, f.finding_id, f.rule_id, f.category, f.subject_type, f.subject_id, f.employer_id,
                f.contract_id, f.period, f.amount, f.late_fee, f.severity, f.legal_basis, f.message,
                *f.stored_json(), f.review or None)

    # 5,000 rows at a time, made when written: the traces and evidence of a province's findings as
    # JSON texts all at once were some 400 MB at 3.5 M payroll rows
    for i in range(0, len(r.findings), 5000):
        _insert_rows(conn, s.findings, _FINDING_COLUMNS, [row(f) for f in r.findings[i:i + 5000]])
    _insert_rows(conn, s.cases, _CASE_COLUMNS, [(
        r.run_id, c.employer_id, c.name, ";".join(c.categories), c.total_amount, c.total_late_fee,
        json.dumps(c.next_steps), c.wait_until, as_json(c.trace),
        json.dumps(c.fine, ensure_ascii=False, sort_keys=True) if c.fine is not None else None,
    ) for c in r.cases])
    return seq


_FINDING_COLUMNS = ("run_id", "finding_id", "rule_id", "category", "subject_type", "subject_id", "employer_id",
                    "contract_id", "period", "amount", "late_fee", "severity", "legal_basis", "message",
                    "trace_json", "evidence_json", "review")
_CASE_COLUMNS = ("run_id", "employer_id", "name", "categories", "total_amount", "total_late_fee", "next_steps",
                 "wait_until", "trace_json", "fine_json")


def _insert_rows(conn: Connection, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """One executemany of plain tuples: each value goes through its column's own bind processor
    (Money -> sen, a date as SQLite's text), which is what SQLAlchemy would send, without its
    per-row work of building and processing a parameter dict for every row. A driver whose
    placeholders are neither ? nor %s gets SQLAlchemy's insert of dicts."""
    if not rows:
        return
    dialect = conn.dialect
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    if mark is None:
        conn.execute(insert(table), [dict(zip(columns, row)) for row in rows])
        return
    processors = [(i, p) for i, p in enumerate(table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
                                               for c in columns) if p is not None]
    if processors:
        rows = [list(row) for row in rows]
        for row in rows:
            for i, p in processors:
                row[i] = p(row[i])
    prep = dialect.identifier_preparer
    conn.exec_driver_sql(f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)}) "
                         f"VALUES ({', '.join([mark] * len(columns))})", [tuple(row) for row in rows])


# ---------------------------------------------------------------------------------------------
# Reading


def _order(row) -> tuple:
    # runs recorded before migration 0003 have no seq: they come first, by as_of
    return (row["seq"] or 0, row["as_of"], row["run_id"])


def list_runs(conn: Connection) -> list[dict]:
    """Every recorded run, oldest recording first, with its package name."""
    q = select(s.runs, s.imports.c.name.label("package"), s.imports.c.source) \
        .join(s.imports, s.imports.c.import_id == s.runs.c.import_id)
    rows = [dict(r) for r in conn.execute(q).mappings()]
    for r in rows:
        r["counts"] = json.loads(r.pop("counts_json") or "{}")
    return sorted(rows, key=_order)


def get_run(conn: Connection, run_id: str | None = None) -> dict:
    """The run named, or the latest recorded one; StoreError when there is none."""
    runs = list_runs(conn)
    if not runs:
        raise StoreError("no audit run is recorded in this database — run `patuh audit` first")
    if run_id is None:
        return runs[-1]
    for r in runs:
        if r["run_id"] == run_id.upper():
            return r
    raise StoreError(f"run {run_id} is not recorded here; recorded runs: "
                     + ", ".join(r["run_id"] for r in runs[-10:]))


def previous_run(conn: Connection, run_id: str) -> dict | None:
    """The run recorded most recently before `run_id` (None when it is the first)."""
    runs = list_runs(conn)
    ids = [r["run_id"] for r in runs]
    if run_id not in ids:
        return runs[-1] if runs else None
    i = ids.index(run_id)
    return runs[i - 1] if i else None


def latest_other_run(conn: Connection, run_id: str) -> dict | None:
    """The latest recorded run other than `run_id` (the run an audit about to re-record
    `run_id` compares with when asked for `previous`)."""
    runs = [r for r in list_runs(conn) if r["run_id"] != run_id]
    return runs[-1] if runs else None


def run_findings(conn: Connection, run_id: str, *, category: str | None = None,
                 employer: str | None = None) -> list[dict]:
    f = s.findings
    q = select(f).where(f.c.run_id == run_id)
    if category:
        q = q.where(f.c.category == category)
    if employer:
        q = q.where(f.c.employer_id == employer)
    return [dict(r) for r in conn.execute(q.order_by(f.c.employer_id, f.c.category, f.c.period,
                                                     f.c.subject_id)).mappings()]


def finding_in_runs(conn: Connection, finding_id: str, run_id: str | None = None) -> list[dict]:
    """The rows of this finding id (in one run, or in every run that has it), latest recording last."""
    f = s.findings
    q = select(f, s.runs.c.as_of, s.runs.c.ruleset_revision, s.runs.c.seq, s.runs.c.rulebook_json) \
        .join(s.runs, s.runs.c.run_id == f.c.run_id).where(f.c.finding_id == finding_id.upper())
    if run_id:
        q = q.where(f.c.run_id == run_id.upper())
    return sorted((dict(r) for r in conn.execute(q).mappings()), key=_order)


def run_cases(conn: Connection, run_id: str) -> list[dict]:
    c = s.cases
    out = []
    for r in conn.execute(select(c).where(c.c.run_id == run_id).order_by(c.c.employer_id)).mappings():
        d = dict(r)
        d["next_steps"] = json.loads(d["next_steps"] or "[]")
        out.append(d)
    return out


def values_in_run(conn: Connection, run_id: str, column: str) -> list[str]:
    """The distinct values of a findings column in a run (to list what exists)."""
    col = s.findings.c[column]
    return sorted(v for v in conn.execute(select(col).where(s.findings.c.run_id == run_id).distinct()).scalars()
                  if v is not None)


def package_scope(conn: Connection, import_id: int) -> tuple[set[str], set[str]]:
    """The employer ids and contract ids of an import (what a run of it can assess)."""
    emps = set(conn.execute(select(s.employers.c.employer_id).where(s.employers.c.import_id == import_id)).scalars())
    cons = set(conn.execute(select(s.contracts.c.contract_id).where(s.contracts.c.import_id == import_id)).scalars())
    return emps, cons


def known_employers(conn: Connection) -> set[str]:
    """Employer ids of every loaded package."""
    return set(conn.execute(select(s.employers.c.employer_id).distinct()).scalars())
