"""What one audit run looks at: the import, the months, the reference date, the parameters —
and the small lookup tables (JP cap per month, minimum wage per regency-month) handed to SQL."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import BigInteger, Column, Date, MetaData, String, Table, insert, or_, select, type_coerce
from sqlalchemy.engine import Connection

from patuh.audits.calc.calendar import months_between, period_end, period_start
from patuh.audits.calc.minimum import minimum_wage
from patuh.audits.store import schema as s
from patuh.engine.parameters import ParamUse, ParameterStore


def sen(expr):
    """Read a Money column as its raw BIGINT sen, so SQL arithmetic stays in exact integers."""
    return type_coerce(expr, BigInteger)


def rupiah(value) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


@dataclass
class Scope:
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

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

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
TT_ACTIVE = Table("tt_active_participants", _TEMP, Column("employer_id", String, primary_key=True),
                  Column("nik", String(16), primary_key=True), Column("period", String(7), primary_key=True),
                  prefixes=["TEMPORARY"])


def build_lookup_tables(sc: "Scope") -> None:
    """(Re)create the temporary tables of this connection for the scope's months."""
    conn = sc.conn
    for t in (TT_ACTIVE, TT_MINIMUM, TT_PERIODS):
        t.drop(conn, checkfirst=True)
    for t in (TT_PERIODS, TT_MINIMUM, TT_ACTIVE):
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
        sc.warn(f"regency {r} has no UMK in the parameters: the provincial UMP is applied to its employers")
    minimums = []
    for r in sorted(regencies):
        for p in sc.periods:
            minimum = sc.minimum_wage(r, p)
            if minimum is not None:
                minimums.append({"regency_code": r, "period": p, "min_wage": int(minimum * 100)})
    if minimums:
        conn.execute(insert(TT_MINIMUM), minimums)
    pa, per = s.participants, TT_PERIODS
    conn.execute(insert(TT_ACTIVE).from_select(
        ["employer_id", "nik", "period"],
        select(pa.c.employer_id, pa.c.nik, per.c.period).distinct()
        .select_from(pa.join(per, pa.c.start_date <= per.c.p_end))
        .where(pa.c.import_id == sc.import_id, or_(pa.c.end_date.is_(None), pa.c.end_date >= per.c.p_start)),
    ))


def drop_lookup_tables(conn) -> None:
    for t in (TT_ACTIVE, TT_MINIMUM, TT_PERIODS):
        t.drop(conn, checkfirst=True)


def employer_rows(conn: Connection, import_id: int) -> dict[str, dict]:
    e = s.employers
    rows = conn.execute(select(e).where(e.c.import_id == import_id)).mappings().all()
    return {r["employer_id"]: dict(r) for r in rows}




