"""Due dates, months late and working days, with Indonesia's national public holidays."""
from __future__ import annotations

import calendar as _cal
import datetime as dt
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Callable

import holidays

from patuh.engine.parameters import ParamUse, ParameterStore


@lru_cache(maxsize=1)
def indonesia() -> Callable[..., holidays.HolidayBase]:
    """holidays' calendar of Indonesia. `holidays.country_holidays` imports the package
    holidays.countries, which imports every one of the library's 250-odd countries first: 0.06 s at
    the start of every audit, before its workers could start. The library's own Indonesia module is
    read from its file instead (4 ms); should the library be laid out otherwise, country_holidays
    it is. tests/test_calc.py holds both to the same days, year by year."""
    try:
        path = Path(holidays.__file__).parent / "countries" / "indonesia.py"
        spec = importlib.util.spec_from_file_location("patuh_holidays_indonesia", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.Indonesia
    except Exception:  # noqa: BLE001 - any layout but the one known: the library's own entry point
        return lambda **kw: holidays.country_holidays("ID", **kw)


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[dt.date]:
    # Only the "public" category: cuti bersama (collective leave) is not a national holiday.
    return frozenset(indonesia()(years=[year]).keys())


def is_holiday(day: dt.date) -> bool:
    return day in _holidays_of(day.year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (start itself not counted)."""
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the end of a shorter month (31 Jan + 1 = 28 Feb)."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def period_start(period: str) -> dt.date:
    year, month = period.split("-")
    return dt.date(int(year), int(month), 1)


def months_between(first: str, last: str) -> list[str]:
    """The contribution months first..last inclusive, as YYYY-MM."""
    out, day = [], period_start(first)
    while day <= period_start(last):
        out.append(f"{day.year:04d}-{day.month:02d}")
        day = add_months(day, 1)
    return out


def period_end(period: str) -> dt.date:
    start = period_start(period)
    return dt.date(start.year, start.month, _cal.monthrange(start.year, start.month)[1])


def due_date(period: str, params: ParameterStore, trace: list | None = None) -> dt.date:
    """D(P): the deadline day of the month after P, moved off weekends and public holidays in the
    direction the instrument in force says (next working day normally; the preceding one under
    PP 49/2020)."""
    use: ParamUse = params.lookup("payment_deadline", period_start(period))
    if trace is not None:
        trace.append(use)
    rule = use.value
    first = add_months(period_start(period), int(rule["month_offset"]))
    last_day = _cal.monthrange(first.year, first.month)[1]
    day = dt.date(first.year, first.month, min(int(rule["day"]), last_day))
    step = dt.timedelta(days=1 if rule["if_non_working"] == "next" else -1)
    while not is_working_day(day):
        day += step
    return day


def months_late(due: dt.date, paid: dt.date) -> int:
    """Started months of delay: 1 when paid ≤ due + 1 month, 2 when ≤ due + 2 months, …"""
    if paid <= due:
        return 0
    k = 1
    while paid > add_months(due, k):
        k += 1
    return k
