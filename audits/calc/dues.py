"""Contributions due by programme on a wage base (PP 44/2015, PP 45/2015, PP 46/2015)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from patuh.engine.parameters import ParameterStore

from .money import ZERO

PROGRAMS = ("JKK", "JKM", "JHT", "JP")


@dataclass(frozen=True)
class Due:
    employer: Decimal
    worker: Decimal

    @property
    def total(self) -> Decimal:
        return self.employer + self.worker


def canonical_programs(programs) -> tuple[str, ...]:
    # called for every employer-month with the same few registrations ("JKK;JKM;JHT;JP"): each
    # distinct one is parsed once
    if isinstance(programs, str):
        return _canonical(tuple(p for p in programs.split(";") if p))
    return _canonical(tuple(programs))


@lru_cache(maxsize=1024)
def _canonical(programs: tuple[str, ...]) -> tuple[str, ...]:
    wanted = {p.strip().upper() for p in programs}
    return tuple(p for p in PROGRAMS if p in wanted)


def dues(
    wage: Decimal,
    jp_base: Decimal,
    on: dt.date,
    risk_group: int,
    programs,
    params: ParameterStore,
    trace: list | None = None,
) -> dict[str, Due]:
    """Unrounded dues per programme for a wage total `wage` and its JP base `jp_base`
    (the sum of min(wage, cap) per worker-month, which the caller computes month by month).
    Rounding is the caller's: once per bill or finding."""

    def use(pid, key=None):
        u = params.lookup(pid, on, key)
        if trace is not None:
            trace.append(u)
        return u.value

    out: dict[str, Due] = {}
    for prog in canonical_programs(programs):
        if prog == "JKK":
            out[prog] = Due(wage * use("jkk_rate", int(risk_group)), ZERO)
        elif prog == "JKM":
            out[prog] = Due(wage * use("jkm_rate"), ZERO)
        elif prog == "JHT":
            out[prog] = Due(wage * use("jht_rate_employer"), wage * use("jht_rate_worker"))
        elif prog == "JP":
            out[prog] = Due(jp_base * use("jp_rate_employer"), jp_base * use("jp_rate_worker"))
    return out


def total_due(by_program: dict[str, Due]) -> Decimal:
    return sum((d.total for d in by_program.values()), ZERO)


def jp_cap(on: dt.date, params: ParameterStore, trace: list | None = None) -> Decimal:
    u = params.lookup("jp_wage_cap", on)
    if trace is not None:
        trace.append(u)
    return u.value
