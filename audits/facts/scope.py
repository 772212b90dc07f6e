"""What one audit run looks at: the import, the months, the reference date, the parameters —
and the small lookup tables (JP cap per month, minimum wage per regency-month) handed to SQL."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import BigInteger, Date, String, literal, select, type_coerce, union_all
from sqlalchemy.engine import Connection

from audits.calc.calendar import add_months, period_end, period_start
from audits.store import schema as s
from engine.parameters import ParamUse, ParameterStore


def sen(expr):
    """Read a Money column as its raw BIGINT sen, so SQL arithmetic stays in exact integers."""
    return type_coerce(expr, BigInteger)


def rupiah(value) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


def months_between(first: str, last: str) -> list[str]:
    out, day = [], period_start(first)
    while day <= period_start(last):
        out.append(f"{day.year:04d}-{day.month:02d}")
        day = add_months(day, 1)
    return out


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

    # -- lookup tables for SQL ---------------------------------------------------------------
    def period_table(self):
        """(period, p_start, p_end, cap_sen): the audited months with the JP cap of each."""
        rows = []
        for p in self.periods:
            cap = self.lookup("jp_wage_cap", period_start(p)).value
            rows.append((p, period_start(p), period_end(p), int(cap * 100)))
        return constant_table("audit_periods", [("period", String), ("p_start", Date), ("p_end", Date),
                                                ("cap", BigInteger)], rows)

    def minimum_wage(self, regency: str, period: str) -> tuple[Decimal | None, list[ParamUse]]:
        """UMK of the regency for P's year; the UMP where no UMK is set or the UMK is below it."""
        on = period_start(period)
        ump = self.params.find("ump", on)
        umk = self.params.find("umk", on, regency)
        uses = [u for u in (umk, ump) if u is not None]
        for u in uses:
            self.note(u)
        if umk is not None and (ump is None or umk.value >= ump.value):
            return umk.value, [umk]
        if ump is not None:
            return ump.value, [ump] + ([umk] if umk else [])
        return None, []

    def minimum_table(self):
        """(regency_code, period, min_sen) for the regencies of the import's employers."""
        regencies = self.conn.execute(
            select(s.employers.c.regency_code).where(s.employers.c.import_id == self.import_id).distinct()
        ).scalars().all()
        rows = []
        for r in sorted(regencies):
            for p in self.periods:
                minimum, _ = self.minimum_wage(r, p)
                if minimum is not None:
                    # sen, rounded up: a wage must reach the whole minimum (minimums carry at most 2 decimals)
                    rows.append((r, p, int(minimum * 100)))
        if not rows:
            rows.append(("", "", 0))  # VALUES may not be empty; matches nothing
        return constant_table("minimum_wages", [("regency_code", String), ("period", String),
                                                ("min_wage", BigInteger)], rows)


def constant_table(name: str, columns: list[tuple[str, type]], rows: list[tuple]):
    """A small table of constants as a CTE of UNION ALL selects: SQLite has no `(VALUES …) AS t(cols)`."""
    selects = [select(*(literal(v, t).label(c) for (c, t), v in zip(columns, row))) for row in rows]
    return (union_all(*selects) if len(selects) > 1 else selects[0]).cte(name)


def employer_rows(conn: Connection, import_id: int) -> dict[str, dict]:
    e = s.employers
    rows = conn.execute(select(e).where(e.c.import_id == import_id)).mappings().all()
    return {r["employer_id"]: dict(r) for r in rows}




