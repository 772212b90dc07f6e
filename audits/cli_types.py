"""Click parameter types the inspector's commands share: a contribution month and a date.

Years are limited to 2000–2100, as on import (``importer.fields``): a typo such as ``9999-12``
is refused here instead of failing deep inside the audit.
"""
from __future__ import annotations

import datetime as dt
import re

import click

MIN_YEAR, MAX_YEAR = 2000, 2100


def _year_ok(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


class Period(click.ParamType):
    name = "YYYY-MM"

    def convert(self, value, param, ctx):
        s = str(value)
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", s):  # ASCII digits only
            self.fail(f"{value!r} is not a month YYYY-MM", param, ctx)
        if not _year_ok(int(s[:4])):
            self.fail(f"{value!r} is outside the years {MIN_YEAR}–{MAX_YEAR}", param, ctx)
        return s


class Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            d = value
        else:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", str(value)):
                self.fail(f"{value!r} is not a date YYYY-MM-DD", param, ctx)
            try:
                d = dt.date.fromisoformat(str(value))
            except ValueError:
                self.fail(f"{value!r} is not a date YYYY-MM-DD", param, ctx)
        if not _year_ok(d.year):
            self.fail(f"{value!r} is outside the years {MIN_YEAR}–{MAX_YEAR}", param, ctx)
        return d


PERIOD = Period()
DATE = Date()
