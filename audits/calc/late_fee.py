"""Late fees (denda keterlambatan) on a monthly bill, payments applied in date order."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from patuh.engine.parameters import ParameterStore

from .calendar import months_late, period_start
from .money import ZERO


@dataclass(frozen=True)
class FeeLine:
    """One slice of a bill that was settled (or is still open) late: a computation-sheet row."""

    settled_on: dt.date
    amount: Decimal  # the part of the bill this slice covers
    months_late: int
    fee_non_jp: Decimal
    fee_jp: Decimal
    open: bool  # True: still unpaid at as_of

    @property
    def fee(self) -> Decimal:
        return self.fee_non_jp + self.fee_jp


@dataclass(frozen=True)
class FeeResult:
    fee: Decimal  # unrounded
    paid: Decimal  # payments on or before as_of (capped at nothing: overpayment included)
    outstanding: Decimal  # bill − paid, never below 0
    completed_on: dt.date | None  # day the bill was paid in full, if it was
    lines: tuple[FeeLine, ...]


def late_slice(x: Decimal, x_jp: Decimal, due: dt.date, settled_on: dt.date, rate: Decimal, rate_jp: Decimal,
               still_open: bool = False) -> FeeLine:
    """The fee on x of which x_jp is JP, settled on `settled_on`: started months after `due`, each
    programme's rate (the JP fee goes to the JP fund, the rest with the next month's contribution)."""
    k = months_late(due, settled_on)
    return FeeLine(settled_on, x, k, k * rate * (x - x_jp), k * rate_jp * x_jp, still_open)


def late_fee(
    period: str,
    bill: Decimal,
    jp_bill: Decimal,
    unrounded_total: Decimal,
    payments: list[tuple[dt.date, Decimal]],
    due: dt.date,
    as_of: dt.date,
    params: ParameterStore,
    trace: list | None = None,
) -> FeeResult:
    """`bill` is B(E,P) (rounded); `jp_bill`/`unrounded_total` give the JP share of it, so a late
    sum x is split as x·jp_bill/unrounded_total (JP) and the rest (JKK+JKM+JHT)."""
    on = period_start(period)
    rate_u = params.lookup("late_fee_rate", on)
    rate_jp_u = params.lookup("late_fee_rate_jp", on)
    if trace is not None:
        trace.extend([rate_u, rate_jp_u])
    jp_share = (jp_bill / unrounded_total) if unrounded_total else ZERO

    def line(x: Decimal, d: dt.date, still_open: bool) -> FeeLine:
        return late_slice(x, x * jp_share, due, d, rate_u.value, rate_jp_u.value, still_open)

    remaining = bill
    paid = ZERO
    completed_on = None
    lines: list[FeeLine] = []
    for paid_on, amount in sorted(payments, key=lambda p: (p[0], p[1])):
        if paid_on > as_of:
            continue
        paid += amount
        if remaining <= 0:
            continue  # overpayment is ignored
        applied = min(amount, remaining)
        remaining -= applied
        if paid_on > due:
            lines.append(line(applied, paid_on, False))
        if remaining <= 0:
            completed_on = paid_on
    if remaining > 0 and as_of > due:
        lines.append(line(remaining, as_of, True))
    fee = sum((ln.fee for ln in lines), ZERO)
    return FeeResult(fee, paid, max(bill - paid, ZERO), completed_on, tuple(lines))
