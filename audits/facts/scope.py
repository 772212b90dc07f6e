"""What one audit run looks at: the import, the months, the reference date, the parameters —
and the small lookup tables (JP cap per month, minimum wage per regency-month) handed to SQL."""
from __future__ import annotations

import bisect
import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from itertools import islice
from operator import itemgetter

from sqlalchemy import (BigInteger, Column, Date, MetaData, String, Table, and_, insert, or_, select, text, true,
                        type_coerce)
from sqlalchemy.engine import Connection

from patuh.audits.calc.calendar import months_between, period_end, period_start
from patuh.audits.calc.minimum import minimum_wage
from patuh.audits.store import schema as s
from patuh.audits.store.bulk import row_writer
from patuh.engine.parameters import ParamUse, ParameterStore


def sen(expr):
    """Read a Money column as its raw BIGINT sen, so SQL arithmetic stays in exact integers."""
    return type_coerce(expr, BigInteger)


_NO_SEN = Decimal(0).scaleb(-2)  # Decimal('0.00'): immutable, so one for every empty sum


def rupiah(value) -> Decimal:
    return Decimal(int(value)).scaleb(-2) if value else _NO_SEN


@dataclass
class Scope:
    """What one audit run looks at. `employers=(lo, hi)` narrows it to the employer ids lo..hi
    (inclusive, compared by the database: take the bounds from `employer_batches`), for computing
    the facts, rules and evidence of a batch of employers at a time: `sc.batch(lo, hi)` is such a
    scope; it shares the run's `used`, `warnings` and lookup tables with `sc`, so what is per run
    comes out the same whether the facts were computed at once or batch by batch.

        sc = Scope(conn, import_id, period_from, period_to, as_of, params)
        build_lookup_tables(sc)                        # once per audit, before any batch
        for lo, hi in employer_batches(sc, 500):
            b = sc.batch(lo, hi)
            months = employer_month_facts(b)
            facts = employer_facts(b, months) + months + contract_facts(b)
            ... rules on facts, then evidence.collect(b, findings_of_the_batch, facts_by_id, cats)
        drop_lookup_tables(conn)
    """

    conn: Connection
    import_id: int
    period_from: str
    period_to: str
    as_of: dt.date
    params: ParameterStore
    # parameters used while deriving facts (JP caps, minimum wages, tolerances), for the run record
    used: dict = field(default_factory=dict)
    # what could not be assessed, said once each: printed by `patuh audit` and kept with the run
    warnings: list[str] = field(default_factory=list)
    # (lo, hi): only the employers lo <= employer_id <= hi; None: all of the import's
    employers: tuple[str, str] | None = None
    # per run, shared by the batches' scopes: where each warning belongs, whether the tables exist
    shared: dict = field(default_factory=dict, repr=False, compare=False)

    def warn(self, message: str, at: tuple | None = None) -> None:
        """`at` places the warning among the others (kept sorted by it): batches of employers then
        say theirs in the order one whole run does. Without it, a warning goes before those with a
        place, in the order said (the run's own, about its months and reference date)."""
        places = self.shared.setdefault("warn_at", {})
        key = (0, len(places)) if at is None else (1, *at)
        if message in places:
            if key >= places[message]:
                return
            self.warnings.remove(message)
        places[message] = key
        # into its place, after any of an equal place (as a stable sort would put it): one
        # warning per contract or employer-month can come in thousands, and sorting at each was slow
        bisect.insort_right(self.warnings, message, key=places.__getitem__)

    def batch(self, lo: str, hi: str) -> "Scope":
        """This run narrowed to the employers lo..hi (inclusive)."""
        return replace(self, employers=(lo, hi))

    def of_employers(self, column) -> list:
        """SQL conditions narrowing `column` (an employer id) to the scope's employers."""
        if self.employers is None:
            return []
        lo, hi = self.employers
        return [column >= lo, column <= hi]

    @property
    def periods(self) -> list[str]:
        return months_between(self.period_from, self.period_to)

    def note(self, use: ParamUse) -> ParamUse:
        self.used[(use.param_id, str(use.key), use.valid_from.isoformat())] = use
        return use

    def lookup(self, pid: str, on: dt.date, key=None) -> ParamUse:
        return self.note(self.params.lookup(pid, on, key))

    def fraction(self, pid: str, on: dt.date) -> Fraction:
        return Fraction(self.lookup(pid, on).value)

    def minimum_wage(self, regency: str, period: str) -> Decimal | None:
        use = minimum_wage(regency, period_start(period), self.params)
        return None if use is None else self.note(use).value


@contextmanager
def gc_paused():
    """The facts allocate a few million small objects and keep them all until the run ends: the
    cycle collector walked them again and again (1.5 of 5.5 CPU-seconds of facts at 350k rows)
    and found nothing, for a fact holds no cycle. Paused while they are built, as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_TEMP = MetaData()
# Indexed lookup tables for the one payroll pass: a join on a primary key instead of scanning a
# constant list (or running a correlated subquery) for every payroll row.
TT_PERIODS = Table("tt_audit_periods", _TEMP, Column("period", String(7), primary_key=True),
                   Column("p_start", Date), Column("p_end", Date), Column("cap", BigInteger),
                   Column("tol_num", BigInteger), Column("tol_den", BigInteger),
                   prefixes=["TEMPORARY"])
TT_MINIMUM = Table("tt_minimum_wages", _TEMP, Column("regency_code", String(4), primary_key=True),
                   Column("period", String(7), primary_key=True), Column("min_wage", BigInteger),
                   prefixes=["TEMPORARY"])
# Per employer-month of the scope's employers (a batch's, filled with its spans): the month's JP
# cap and wage tolerance and the employer's minimum wage, for the payroll pass to join once on
# (employer, month) instead of three times (month, employer, regency-month): 0.95 -> 0.82 CPU-s at
# 350k payroll rows on SQLite
TT_EMPLOYER_MONTHS = Table("tt_employer_months", _TEMP, Column("employer_id", String, primary_key=True),
                           Column("period", String(7), primary_key=True), Column("cap", BigInteger),
                           Column("tol_num", BigInteger), Column("tol_den", BigInteger),
                           Column("min_wage", BigInteger),
                           prefixes=["TEMPORARY"], sqlite_with_rowid=False)
# A worker's participation with an employer as months first..last: a participant is active in a
# month when a row spans it. Overlapping participations are merged, so a payroll row joins at most
# one row (one row per worker and month was 337,000 rows to write at 350k payroll rows; this, 30,000).
TT_ACTIVE = Table("tt_active_participants", _TEMP, Column("employer_id", String, primary_key=True),
                  Column("nik", String(16), primary_key=True), Column("first_period", String(7), primary_key=True),
                  Column("last_period", String(7)),
                  prefixes=["TEMPORARY"], sqlite_with_rowid=False)


LOOKUP_TABLES = (TT_PERIODS, TT_MINIMUM, TT_EMPLOYER_MONTHS, TT_ACTIVE)


def build_lookup_tables(sc: "Scope", active: bool = True) -> None:
    """(Re)create the temporary tables of this connection for the scope's months, for all the
    import's employers (a batch of employers reads the tables of its run). `active=False` leaves
    the active participation and the employer-months empty, for `fill_batch_tables` to fill batch
    by batch: an audit worker then spans only the participants of its own batches, where each
    worker spanned them all."""
    conn = sc.conn
    sc.shared["tables"] = True
    for t in LOOKUP_TABLES:
        t.drop(conn, checkfirst=True)
    for t in LOOKUP_TABLES:
        t.create(conn)
    periods = []
    for p in sc.periods:
        # each month's own JP cap and wage tolerance, on its first day
        cap = sc.lookup("jp_wage_cap", period_start(p)).value
        tol = sc.fraction("pds_upah_tolerance", period_start(p))
        periods.append({"period": p, "p_start": period_start(p), "p_end": period_end(p), "cap": int(cap * 100),
                        "tol_num": tol.numerator, "tol_den": tol.denominator})
    conn.execute(insert(TT_PERIODS), periods)
    regencies = conn.execute(
        select(s.employers.c.regency_code).where(s.employers.c.import_id == sc.import_id).distinct()
    ).scalars().all()
    known = {str(k) for v in sc.params.get("umk").values for k in v.value}
    for r in sorted(set(regencies) - known):
        sc.warn(f"regency {r} has no UMK in the parameters: the provincial UMP is applied to its employers", at=(1, r))
    minimums = []
    for r in sorted(regencies):
        for p in sc.periods:
            minimum = sc.minimum_wage(r, p)
            if minimum is not None:
                minimums.append({"regency_code": r, "period": p, "min_wage": int(minimum * 100)})
    if minimums:
        conn.execute(insert(TT_MINIMUM), minimums)
    if conn.dialect.name == "postgresql":  # autovacuum never analyses a temporary table (fill_batch_tables)
        conn.execute(text(f"ANALYZE {TT_PERIODS.name}"))
    if active:
        fill_batch_tables(sc)


def fill_batch_tables(sc: "Scope") -> None:
    """The active participation of the scope's employers (all the import's when `sc.employers` is
    None) in TT_ACTIVE, and their months in TT_EMPLOYER_MONTHS, in place of what they held."""
    conn = sc.conn
    for t in (TT_ACTIVE, TT_EMPLOYER_MONTHS):
        if conn.dialect.name == "postgresql":
            # a DELETE left the batches' rows behind as dead tuples (autovacuum never visits a temporary
            # table): over the 31 batches of a 3.5M-row audit the spans' index grew and the joins slowed
            conn.execute(text(f"TRUNCATE {t.name}"))
        else:
            conn.execute(t.delete())  # SQLite empties a table without a WHERE at once
    e, per, mins = s.employers, TT_PERIODS, TT_MINIMUM
    conn.execute(insert(TT_EMPLOYER_MONTHS).from_select(
        [c.name for c in TT_EMPLOYER_MONTHS.c],
        select(e.c.employer_id, per.c.period, per.c.cap, per.c.tol_num, per.c.tol_den, mins.c.min_wage)
        .select_from(e.join(per, true()).outerjoin(mins, and_(mins.c.regency_code == e.c.regency_code,
                                                              mins.c.period == per.c.period)))
        .where(e.c.import_id == sc.import_id, *sc.of_employers(e.c.employer_id))))
    spans = active_spans(conn, sc.import_id, sc.period_from, sc.period_to, sc.employers)
    # written as read, SPAN_CHUNK at a time: the participants are streamed (on PostgreSQL through a
    # server-side cursor) while their spans are inserted, so no worker holds them all. On PostgreSQL
    # row_writer COPYs (SQLAlchemy's executemany of INSERTs took 0.56-0.62 s for the 29,867 spans of
    # the 350k package in every worker, COPY 0.05-0.07 s): one COPY a chunk, none open while the
    # cursor reads
    columns = [c.name for c in TT_ACTIVE.c]
    as_row = itemgetter(*columns)
    while chunk := list(islice(spans, SPAN_CHUNK)):
        with row_writer(conn, TT_ACTIVE, columns) as write:
            write(list(map(as_row, chunk)))
    if conn.dialect.name == "postgresql":
        # autovacuum never analyses a temporary table: without statistics PostgreSQL read the
        # evidence's unregistered workers by a plan 5-8x slower (6 s against 0.8 s at 350k rows).
        # Not tt_minimum_wages: with its statistics the payroll pass took a plan twice as slow.
        conn.execute(text(f"ANALYZE {TT_ACTIVE.name}"))


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


SPAN_CHUNK = 10_000


def active_spans(conn: Connection, import_id: int, first: str, last: str,
                 employers: tuple[str, str] | None = None) -> Iterator[dict]:
    """The months first..last in which each worker was a participant of each employer, as merged
    spans, one at a time (a province's participants are read as they come, not held: each audit
    worker builds its own table). A participation from `start_date` to `end_date` (None: still
    running) makes the worker active in month P when start_date <= P's last day and end_date >= P's
    first day: exactly the months from start_date's to end_date's. `employers=(lo, hi)`: only
    those of the employers lo..hi (inclusive, as Scope.batch)."""
    pa = s.participants
    rows = conn.execute(  # options on this statement only (Connection.execution_options would keep them)
        select(pa.c.employer_id, pa.c.nik, pa.c.start_date, pa.c.end_date)
        .where(pa.c.import_id == import_id, pa.c.start_date <= period_end(last),
               or_(pa.c.end_date.is_(None), pa.c.end_date >= period_start(first)),
               *(() if employers is None else (pa.c.employer_id >= employers[0], pa.c.employer_id <= employers[1])))
        .order_by(pa.c.employer_id, pa.c.nik, pa.c.start_date),
        execution_options={"stream_results": True, "yield_per": SPAN_CHUNK},
    )
    span = None
    for emp, nik, start, end in rows:
        lo = max(_month(start), first)
        hi = last if end is None else min(_month(end), last)
        if lo > hi:
            continue  # ends before it starts: active in no month
        if span is not None and span["employer_id"] == emp and span["nik"] == nik and lo <= span["last_period"]:
            span["last_period"] = max(span["last_period"], hi)  # overlaps the span before: one span
            continue
        if span is not None:
            yield span
        span = {"employer_id": emp, "nik": nik, "first_period": lo, "last_period": hi}
    if span is not None:
        yield span


def drop_lookup_tables(conn) -> None:
    for t in LOOKUP_TABLES:
        t.drop(conn, checkfirst=True)


def employer_rows(conn: Connection, import_id: int, sc: "Scope | None" = None) -> dict[str, dict]:
    """The import's employers (those of the scope's batch when `sc` is given)."""
    e = s.employers
    rows = conn.execute(select(e).where(e.c.import_id == import_id, *(sc.of_employers(e.c.employer_id) if sc else ())))
    return {r["employer_id"]: dict(r) for r in rows.mappings()}


def employer_batches(sc: "Scope", size: int) -> list[tuple[str, str]]:
    """The import's employers in batches of at most `size`, as (lo, hi) bounds for `Scope.batch`,
    in the database's own order of employer ids (the order its range conditions compare by)."""
    e = s.employers
    ids = sc.conn.execute(select(e.c.employer_id).where(e.c.import_id == sc.import_id)
                          .order_by(e.c.employer_id)).scalars().all()
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
