"""Contributions due by programme on a wage base (PP 44/2015, PP 45/2015, PP 46/2015)."""
from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from patuh.engine.parameters import ParameterStore

from .money import ZERO

PROGRAMS = ("JKK", "JKM", "JHT", "JP")


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True)
class RateCard:
    """The rates of one month, risk group and registration, in programme order: for each programme
    the base it applies to ("wage" or "jp"), the employer's rate and the worker's (None: nothing),
    with the parameter uses they came from, in lookup order."""

    lines: tuple[tuple[str, str, Decimal, Decimal | None], ...]
    uses: tuple


# ParameterStore -> {(on, risk group, programmes): RateCard}: the same few cards serve every
# employer-month of a month (one lookup per rate instead of one per fact and programme)
_CARDS: "weakref.WeakKeyDictionary[ParameterStore, dict]" = weakref.WeakKeyDictionary()
_last: tuple = (None, {})  # the store asked last and its cards: a weak lookup per call costs more than the card


def rate_card(on: dt.date, risk_group: int, programs, params: ParameterStore, trace: list | None = None) -> RateCard:
    """The programmes' rates in force on `on`; appends their uses to `trace` in lookup order. A
    lookup that fails raises after the uses before it were traced, as a lookup one by one does."""
    progs = canonical_programs(programs)
    # the risk group only matters to JKK (and need not be a number without it)
    key = (on, int(risk_group) if "JKK" in progs else None, progs)
    global _last
    if _last[0] is params:
        cards = _last[1]
    else:
        cards = _CARDS.get(params)
        if cards is None:
            cards = _CARDS[params] = {}
        _last = (params, cards)
    card = cards.get(key)
    if card is None:
        uses: list = []

        def use(pid, k=None):
            u = params.lookup(pid, on, k)
            uses.append(u)
            if trace is not None:
                trace.append(u)
            return u.value

        lines = []
        for prog in progs:
            if prog == "JKK":
                lines.append((prog, "wage", use("jkk_rate", int(risk_group)), None))
            elif prog == "JKM":
                lines.append((prog, "wage", use("jkm_rate"), None))
            elif prog == "JHT":
                lines.append((prog, "wage", use("jht_rate_employer"), use("jht_rate_worker")))
            elif prog == "JP":
                lines.append((prog, "jp", use("jp_rate_employer"), use("jp_rate_worker")))
        card = cards[key] = RateCard(tuple(lines), tuple(uses))
    elif trace is not None:
        trace.extend(card.uses)
    return card


def apply_card(card: RateCard, wage: Decimal, jp_base: Decimal) -> dict[str, Due]:
    """Unrounded dues per programme: the base times each rate (JP on `jp_base`, the rest on `wage`)."""
    out: dict[str, Due] = {}
    for prog, base_kind, employer, worker in card.lines:
        base = jp_base if base_kind == "jp" else wage
        out[prog] = Due(base * employer, ZERO if worker is None else base * worker)
    return out


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
    return apply_card(rate_card(on, risk_group, programs, params, trace), wage, jp_base)


def total_due(by_program: dict[str, Due]) -> Decimal:
    return sum((d.total for d in by_program.values()), ZERO)


def jp_cap(on: dt.date, params: ParameterStore, trace: list | None = None) -> Decimal:
    u = params.lookup("jp_wage_cap", on)
    if trace is not None:
        trace.append(u)
    return u.value
