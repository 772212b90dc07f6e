"""The administrative fine (denda administratif) of PP 86/2013 — not the 2 % late fee.

PP 86/2013 Pasal 10 ayat (4): "Denda ... dikenakan sebesar 0,1% setiap bulan dari iuran yang
seharusnya dibayar yang dihitung sejak teguran tertulis kedua berakhir"; Pasal 7 ayat (1): the fine
is imposed for at most 30 days from the end of the second warning. Read together (see
docs/interpretations.md, "Administrative fine"):

    fine = round_half_up( rate × months × base )

- base: the contributions that should have been paid and were not, i.e. the principal of the
  employer's contribution findings (the categories marked `fine_base` in rules/categories.yaml,
  which the caller passes in); wage shortfalls against the minimum
  wage are not contributions, TELAT-BAYAR has no principal, and IURAN-PEKERJA-TIDAK-DISETOR is a
  part of the TUNGGAKAN/PWBD principal already counted;
- months: the started months from the end of the second warning to the letter date, at most the
  months the 30-day window of Pasal 7 ayat (1) allows (one);
- rate, window: parameters `admin_fine_rate_monthly`, `admin_fine_max_days` in force on the day the
  second warning ended.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from patuh.engine.parameters import ParameterStore

from .calendar import months_late
from .money import ZERO, round_rupiah


class FineError(ValueError):
    """The fine cannot be computed (no second warning, or a letter dated before it ended)."""


@dataclass(frozen=True)
class FineLine:
    finding_id: str
    category: str
    period: str | None
    amount: Decimal


@dataclass(frozen=True)
class AdminFine:
    base: Decimal
    rate: Decimal
    months: int
    amount: Decimal  # rounded to whole Rupiah, once
    warning_ended: dt.date
    letter_date: dt.date
    lines: tuple[FineLine, ...]
    parameters: tuple[dict, ...]  # ParamUse.as_dict() of the rate and the window

    @property
    def exact(self) -> Decimal:
        return self.rate * self.months * self.base

    def as_dict(self) -> dict:
        """What the run records (cases.fine_json) and the letters render: money and rates as text,
        dates in ISO form, so that nothing is recomputed when it is read back."""
        return {"amount": str(self.amount), "base": str(self.base), "rate": str(self.rate), "months": self.months,
                "exact": str(self.exact), "warning_ended": self.warning_ended.isoformat(),
                "letter_date": self.letter_date.isoformat(),
                "lines": [{"finding_id": ln.finding_id, "category": ln.category, "period": ln.period,
                           "amount": str(ln.amount)} for ln in self.lines],
                "parameters": list(self.parameters)}


def admin_fine(findings, warning_ended: dt.date | None, letter_date: dt.date, params: ParameterStore,
               base_categories: tuple[str, ...]) -> AdminFine:
    """`findings`: the employer's findings as dicts (category, amount, finding_id, period);
    `warning_ended`: the last day of the second warning's period (the case's teguran2_until);
    `base_categories`: the categories whose amounts are the base, in order (categories.yaml `fine_base`)."""
    if warning_ended is None:
        raise FineError("no second written warning: the administrative fine is imposed only after it ends")
    if letter_date <= warning_ended:
        raise FineError(f"the letter date {letter_date.isoformat()} is not after the end of the second warning "
                        f"({warning_ended.isoformat()})")
    rate_use = params.lookup("admin_fine_rate_monthly", warning_ended)
    window_use = params.lookup("admin_fine_max_days", warning_ended)
    lines = tuple(
        FineLine(str(f["finding_id"]), f["category"], f.get("period") or None, Decimal(str(f["amount"])))
        for f in sorted(findings, key=lambda f: (base_categories.index(f["category"])
                                                 if f["category"] in base_categories else 99,
                                                 f.get("period") or "", str(f["finding_id"])))
        if f["category"] in base_categories and Decimal(str(f.get("amount") or 0)) > 0)
    base = sum((ln.amount for ln in lines), ZERO)
    cap = max(1, int(window_use.value) // 30)
    months = min(months_late(warning_ended, letter_date), cap)
    rate = Decimal(str(rate_use.value))
    return AdminFine(base=base, rate=rate, months=months, amount=round_rupiah(rate * months * base),
                     warning_ended=warning_ended, letter_date=letter_date, lines=lines,
                     parameters=(rate_use.as_dict(), window_use.as_dict()))
