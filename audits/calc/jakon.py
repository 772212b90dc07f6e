"""Construction (jasa konstruksi) JKK + JKM contribution on a contract value: marginal bands.
Applying one band's rate to the whole value is a known, published mistake; never do it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from patuh.engine.parameters import ParameterStore

from .money import ZERO


@dataclass(frozen=True)
class BandSlice:
    lower: Decimal
    upper: Decimal | None
    slice_value: Decimal
    jkk_rate: Decimal
    jkm_rate: Decimal

    @property
    def jkk(self) -> Decimal:
        return self.slice_value * self.jkk_rate

    @property
    def jkm(self) -> Decimal:
        return self.slice_value * self.jkm_rate


@dataclass(frozen=True)
class JakonResult:
    value: Decimal
    jkk: Decimal  # unrounded
    jkm: Decimal
    slices: tuple[BandSlice, ...]

    @property
    def total(self) -> Decimal:
        return self.jkk + self.jkm


def construction_contribution(
    value: Decimal, on: dt.date, params: ParameterStore, trace: list | None = None
) -> JakonResult:
    use = params.lookup("jakon_bands", on)
    if trace is not None:
        trace.append(use)
    lower = ZERO
    slices = []
    for band in use.value:
        upper = band["up_to"]
        top = value if upper is None else min(value, upper)
        if top > lower:
            slices.append(BandSlice(lower, upper, top - lower, band["jkk"], band["jkm"]))
        if upper is None or value <= upper:
            break
        lower = upper
    jkk = sum((s.jkk for s in slices), ZERO)
    jkm = sum((s.jkm for s in slices), ZERO)
    return JakonResult(value, jkk, jkm, tuple(slices))
