"""The trace of a hit: what an inspector shows when asked "why"."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from collections.abc import Mapping
from typing import Any


_PLAIN = frozenset((str, int, bool, float, type(None)))


def jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # most values: no isinstance against the Mapping ABC (slow for them)
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):  # a dict, or a mapping computed on read (it is read here, once)
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def copy_json(value: Any) -> Any:
    """A copy of JSON-shaped data (dicts, lists, scalars: what `jsonable` gives), nested containers
    copied, scalars shared: copy.deepcopy with its memo of every object was most of a trace's
    parameter cost."""
    if type(value) is dict:
        return {k: copy_json(v) for k, v in value.items()}
    if type(value) is list:
        return [copy_json(v) for v in value]
    return value


def param_entry(use: Any) -> dict:
    """A ParamUse (engine.parameters) or a ready dict -> the trace's parameter entry."""
    if isinstance(use, dict):
        return {k: jsonable(v) for k, v in use.items()}
    if hasattr(use, "as_dict"):
        return use.as_dict()
    return {
        "id": getattr(use, "param_id", None),
        "key": jsonable(getattr(use, "key", None)),
        "value": jsonable(getattr(use, "value", None)),
        "valid_from": jsonable(getattr(use, "valid_from", None)),
        "instrument": getattr(use, "instrument", None),
        "article": getattr(use, "article", None),
        "source": getattr(use, "source", None),
        "status": getattr(use, "status", None),
    }


@dataclass
class Trace:
    rule_id: str
    revision: str
    fields: dict[str, Any]  # the fact fields the condition read, with their (original) values
    parameters: list[dict] = field(default_factory=list)  # every parameter used, condition then calculators

    def add_parameter(self, use: Any) -> None:
        entry = param_entry(use)
        if entry not in self.parameters:
            self.parameters.append(entry)

    def to_dict(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "revision": self.revision,
            "fields": {k: jsonable(v) for k, v in self.fields.items()},
            "parameters": list(self.parameters),
        }
