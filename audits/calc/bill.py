"""B(E,P): the monthly bill on declared wages, and how a fact's amounts split by programme."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from patuh.engine.parameters import ParameterStore

from .dues import Due, RateCard, apply_card, dues, total_due
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
    card: RateCard | None = None,
) -> Bill:
    """`card`: the month's rate card when the caller has it already (`rate_card` of the same
    month, risk group and programmes); its uses are traced as a lookup would trace them."""
    if not declared_wage or risk_group is None:
        return Bill({}, ZERO, ZERO, ZERO)
    if card is None:
        by_program = dues(declared_wage, declared_jp_base, on, risk_group, programs, params, trace)
    else:
        if trace is not None:
            trace.extend(card.uses)
        by_program = apply_card(card, declared_wage, declared_jp_base)
    unrounded = total_due(by_program)
    jp = by_program["JP"].total if "JP" in by_program else ZERO
    return Bill(by_program, unrounded, jp, round_rupiah(unrounded))
