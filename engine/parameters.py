"""Dated parameters: every rate, cap, threshold and table the rules use, keyed by the date from
which it applies, with the instrument, source and confidence it rests on.

A lookup always takes the date being assessed (never today), so an audit of March 2021 uses
March 2021's law.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import yaml

from patuh.engine.trace import copy_json, jsonable

from patuh.engine import declaration as declaration_of, yaml_load
from patuh.engine.declaration import Declaration


class ParameterError(Exception):
    """A parameter file is malformed, or no value is in force for a lookup."""


class _DecimalLoader(yaml.SafeLoader):
    """Reads YAML floats as Decimal from their text: 0.0024 must stay 0.0024, not a binary float."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    return Decimal(loader.construct_scalar(node).replace("_", ""))


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
# YAML 1.1 reads `on`, `off`, `yes`, `no` as booleans; in a parameter file they are text.
_DecimalLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_DecimalLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    return yaml_load.load(text, _DecimalLoader)


def _to_number(value: Any) -> Any:
    """Integers and decimals become Decimal; nested maps and lists are converted through."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, dict):
        return {k: _to_number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_number(v) for v in value]
    return value


@dataclass(frozen=True)
class ParamUse:
    """One parameter value as used for one lookup: what a trace and a dossier print."""

    param_id: str
    key: Any
    value: Any
    valid_from: dt.date
    valid_until: dt.date | None
    instrument: str
    article: str
    source: str
    status: str

    def as_dict(self) -> dict:
        """A new dict each time (a trace may change its own); made once per use, then copied: a
        lookup is memoised, so one use is in thousands of traces."""
        made = self.__dict__.get("_as_dict")  # frozen: set below through __dict__, not an attribute
        if made is None:
            made = self.__dict__["_as_dict"] = self._make_dict()
        return copy_json(made) if isinstance(made["value"], (dict, list)) else dict(made)

    def _make_dict(self) -> dict:
        return {
            "id": self.param_id,
            "key": None if self.key is None else str(self.key),
            "value": jsonable(self.value),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "instrument": self.instrument,
            "article": self.article,
            "source": self.source,
            "status": self.status,
        }


@dataclass(frozen=True)
class ParamValue:
    valid_from: dt.date
    valid_until: dt.date | None
    value: Any
    instrument: str
    article: str
    source: str
    status: str
    note: str = ""
    # other values the law may turn out to have (UNCONFIRMED or D only): `rules sensitivity` re-runs with each
    alternatives: tuple = ()


@dataclass
class Parameter:
    param_id: str
    title: dict
    unit: str
    key: str | None
    values: list[ParamValue]
    file: str
    changes: str | None = None  # "yearly", "march": how often a new value is expected
    extra: dict = field(default_factory=dict)

    def in_force(self, on: dt.date) -> ParamValue | None:
        current = None
        for v in self.values:  # sorted by valid_from
            if v.valid_from <= on:
                current = v
            else:
                break
        if current is None:
            return None
        if current.valid_until is not None and on > current.valid_until:
            return None
        return current


_VALUE_FIELDS = {"valid_from", "valid_until", "value", "instrument", "article", "source", "status", "note",
                 "alternatives"}
ALTERNATIVES_FOR = ("UNCONFIRMED", "D")
_PARAM_FIELDS = {"id", "title", "unit", "key", "values", "changes", "description"}


def _as_date(raw: Any, where: str) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise ParameterError(f"{where}: {raw!r} is not a date YYYY-MM-DD") from None


class ParameterStore:
    def __init__(self, parameters: Iterable[Parameter]):
        self._params: dict[str, Parameter] = {}
        # lookups repeat for every fact of a month; ParamUse is immutable, so memoise them
        self._memo: dict[tuple, ParamUse] = {}
        # (param, valid_from of its last value) -> latest date it was used for past the expected next value
        self._edges: dict[tuple[str, dt.date], dt.date] = {}
        for p in parameters:
            if p.param_id in self._params:
                raise ParameterError(
                    f"{p.file}: parameter {p.param_id!r} is already defined in {self._params[p.param_id].file}"
                )
            self._params[p.param_id] = p

    # -- loading -----------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path | str, declaration: Declaration | None = None) -> "ParameterStore":
        """The parameters of `directory` (a rulebook's parameters/), with the units and statuses
        its rulebook declares (`declaration`, default: the rulebook.yaml beside the folder)."""
        directory = Path(directory)
        files = sorted(directory.glob("*.yaml"))
        if not files:
            raise ParameterError(f"{directory}: no parameter files (*.yaml)")
        if declaration is None:
            try:
                declaration = declaration_of.load(directory.parent)
            except declaration_of.DeclarationError as exc:
                raise ParameterError(str(exc)) from None
        params: list[Parameter] = []
        for path in files:
            params.extend(parse_parameter_file(path.read_text(encoding="utf-8"), str(path), declaration))
        return cls(params)

    # -- lookups -----------------------------------------------------------------------------
    def __contains__(self, param_id: str) -> bool:
        return param_id in self._params

    def ids(self) -> list[str]:
        return sorted(self._params)

    def get(self, param_id: str) -> Parameter:
        try:
            return self._params[param_id]
        except KeyError:
            raise ParameterError(f"unknown parameter {param_id!r}") from None

    def lookup(self, param_id: str, on: dt.date, key: Any = None) -> ParamUse:
        if isinstance(on, str):
            on = dt.date.fromisoformat(on)
        memo_key = (param_id, on, key if key is None or isinstance(key, (str, int)) else str(key))
        found = self._memo.get(memo_key)
        if found is None:
            found = self._memo[memo_key] = self._lookup(param_id, on, key)
        return found

    def _lookup(self, param_id: str, on: dt.date, key: Any) -> ParamUse:
        param = self.get(param_id)
        v = param.in_force(on)
        if v is None:
            raise ParameterError(f"parameter {param_id!r} has no value in force on {on.isoformat()}")
        value = v.value
        if param.key is not None:
            if key is None:
                raise ParameterError(f"parameter {param_id!r} needs a {param.key} key")
            if not isinstance(value, dict):
                raise ParameterError(f"parameter {param_id!r}: keyed value is not a map")
            found = _keyed(value, key)
            if found is _MISSING:
                raise ParameterError(
                    f"parameter {param_id!r} has no value for {param.key}={key} on {on.isoformat()}"
                )
            value = found
        self._note_edge(param, v, on)
        return ParamUse(param_id, key, value, v.valid_from, v.valid_until, v.instrument, v.article, v.source, v.status)

    # -- parameters at their edges -----------------------------------------------------------
    def _note_edge(self, param: "Parameter", v: "ParamValue", on: dt.date) -> None:
        """A lookup past the date a newer value was due (a JP cap changes every March): the last
        published value is used, but the audit must say so rather than silently extend it."""
        if param.changes not in ("yearly", "march") or v is not param.values[-1] or v.valid_until is not None:
            return
        due = next_change(v.valid_from, param.changes)
        if on >= due:
            key = (param.param_id, v.valid_from)
            if on > self._edges.get(key, dt.date.min):
                self._edges[key] = on

    def edge_warnings(self) -> list[str]:
        out = []
        for (pid, since), latest in sorted(self._edges.items()):
            due = next_change(since, self.get(pid).changes)
            out.append(f"parameter {pid}: nilai terakhir (berlaku sejak {since.isoformat()}) dipakai sampai "
                       f"{latest.isoformat()}, padahal nilai baru diharapkan sejak {due.isoformat()} — periksa apakah "
                       f"sudah terbit / the last published value was used past the date a new one was due")
        return out

    def value(self, param_id: str, on: dt.date, key: Any = None) -> Any:
        return self.lookup(param_id, on, key).value

    def find(self, param_id: str, on: dt.date, key: Any = None) -> ParamUse | None:
        """Like lookup, but None when nothing is in force (for optional parameters such as UMK)."""
        try:
            return self.lookup(param_id, on, key)
        except ParameterError:
            return None

    # -- checks for `rules lint` -------------------------------------------------------------
    def problems(self, today: dt.date) -> list[str]:
        out: list[str] = []
        for p in self._params.values():
            for a, b in zip(p.values, p.values[1:]):
                if a.valid_from == b.valid_from:
                    out.append(f"{p.file}: parameter {p.param_id!r} has two values from {a.valid_from}")
                if a.valid_until is not None and a.valid_until >= b.valid_from:
                    out.append(
                        f"{p.file}: parameter {p.param_id!r}: value from {a.valid_from} runs to "
                        f"{a.valid_until}, overlapping the value from {b.valid_from}"
                    )
            if p.changes in ("yearly", "march") and p.values:
                last = p.values[-1].valid_from
                if last.year < today.year and not (p.changes == "march" and today.month < 3 and last.year == today.year - 1):
                    out.append(
                        f"{p.file}: parameter {p.param_id!r} changes {p.changes} but its last value is from "
                        f"{last.isoformat()} — stale for {today.year}"
                    )
        return out


_MISSING = object()


def next_change(since: dt.date, changes: str | None) -> dt.date:
    """When the value after one valid from `since` is expected: the next 1 March or 1 January."""
    if changes == "march":
        return dt.date(since.year + (1 if since >= dt.date(since.year, 3, 1) else 0), 3, 1)
    return dt.date(since.year + 1, 1, 1)


def _keyed(table: dict, key: Any) -> Any:
    if key in table:
        return table[key]
    for k, v in table.items():
        if str(k) == str(key):
            return v
    return _MISSING


def parse_parameter_file(text: str, file: str, declaration: Declaration | None = None) -> list[Parameter]:
    declaration = declaration or Declaration()
    units, statuses = declaration.units, declaration.statuses
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ParameterError(f"{file}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, list):
        raise ParameterError(f"{file}: expected a list of parameters")
    out = []
    for i, raw in enumerate(data):
        where = f"{file}: parameter #{i + 1}"
        if not isinstance(raw, dict) or "id" not in raw:
            raise ParameterError(f"{where}: needs an 'id'")
        where = f"{file}: parameter {raw['id']!r}"
        unknown = set(raw) - _PARAM_FIELDS
        if unknown:
            raise ParameterError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        unit = raw.get("unit")
        if not isinstance(unit, str) or not unit:
            raise ParameterError(f"{where}: needs a 'unit'")
        if units is not None and unit not in units:
            raise ParameterError(f"{where}: unit {unit!r} is not one of {', '.join(units)}")
        values = []
        for j, rv in enumerate(raw.get("values") or []):
            vwhere = f"{where} value #{j + 1}"
            unknown = set(rv) - _VALUE_FIELDS
            if unknown:
                raise ParameterError(f"{vwhere}: unknown field(s) {', '.join(sorted(unknown))}")
            for required in ("valid_from", "value", "instrument", "source", "status"):
                if rv.get(required) in (None, ""):
                    raise ParameterError(f"{vwhere}: '{required}' is required")
            if statuses is not None and rv["status"] not in statuses:
                raise ParameterError(f"{vwhere}: status {rv['status']!r} is not one of {', '.join(statuses)}")
            alternatives = rv.get("alternatives") or []
            if not isinstance(alternatives, list):
                raise ParameterError(f"{vwhere}: 'alternatives' must be a list of values")
            if alternatives and rv["status"] not in ALTERNATIVES_FOR:
                raise ParameterError(f"{vwhere}: only an UNCONFIRMED or D value lists alternatives (status is {rv['status']})")
            values.append(
                ParamValue(
                    valid_from=_as_date(rv["valid_from"], vwhere),
                    valid_until=_as_date(rv["valid_until"], vwhere) if rv.get("valid_until") else None,
                    value=_to_number(rv["value"]),
                    instrument=str(rv["instrument"]),
                    article=str(rv.get("article") or ""),
                    source=str(rv["source"]),
                    status=rv["status"],
                    note=str(rv.get("note") or ""),
                    alternatives=tuple(_to_number(a) for a in alternatives),
                )
            )
        if not values:
            raise ParameterError(f"{where}: has no values")
        values.sort(key=lambda v: v.valid_from)
        out.append(
            Parameter(
                param_id=str(raw["id"]),
                title=raw.get("title") or {},
                unit=unit,
                key=raw.get("key"),
                values=values,
                file=file,
                changes=raw.get("changes"),
            )
        )
    return out
