"""Click parameter types the inspector's commands share: a contribution month and a date."""
from __future__ import annotations

import datetime as dt
import re

import click


class Period(click.ParamType):
    name = "YYYY-MM"

    def convert(self, value, param, ctx):
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(value)):
            self.fail(f"{value!r} is not a month YYYY-MM", param, ctx)
        return str(value)


class Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date YYYY-MM-DD", param, ctx)


PERIOD = Period()
DATE = Date()
