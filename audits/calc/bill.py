"""B(E,P): the monthly bill on declared wages, and how a fact's amounts split by programme."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from patuh.engine.parameters import ParameterStore

from .dues import Due, dues, total_due
from .money import ZERO, round_rupiah


@dataclass(frozen=True)
class Bill:
    by_program: dict[str, Due]
    unrounded: Decimal
    jp: Decimal  # unrounded JP part, to split late sums between JP and the other programmes
    total: Decimal  # rounded half-up: it is a bill


def monthly_bill(
    declared_wage: Decimal,
    declared_jp_base: Decimal,
    on: dt.date,
    risk_group: int | None,
    programs,
    params: ParameterStore,
    trace: list | None = None,
) -> Bill:
    if not declared_wage or risk_group is None:
        return Bill({}, ZERO, ZERO, ZERO)
    by_program = dues(declared_wage, declared_jp_base, on, risk_group, programs, params, trace)
    unrounded = total_due(by_program)
    jp = by_program["JP"].total if "JP" in by_program else ZERO
    return Bill(by_program, unrounded, jp, round_rupiah(unrounded))
