"""Rule conditions -> durable-rules declarative JSON.

What is handed to durable-rules holds only conditions and action names; titles, citations and
examples stay in our YAML (durable-rules rejects unknown keys, error 105).

Semantics (documented for authors in docs/rules.md):

* a comparison on a field that is absent (or None, or an empty list) is false;
* ``not`` is pushed down to the comparisons (De Morgan) and a negated comparison is also true when
  a field it reads is absent, so ``not: X`` is exactly "X is false". durable-rules' own ``$not``
  (a match named ``m$not``) means "no *other* fact in the state matches", which is not per-fact
  negation, so it is not used;
* parameters are not looked up by durable-rules: the evaluator resolves each ``{param: …}`` per
  fact and injects the value into the engine's copy of the fact under a slot name (``__p0``, …),
  so the engine compares field to field with ``$m``.

Values are normalised identically for literals here and for facts in the evaluator: numbers stay
numbers (Decimal -> int or float), dates become day numbers (``date.toordinal()``), text stays text.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from patuh.engine.ruleset import (
    ORDERING_OPS,
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    FieldRef,
    NotOf,
    ParamRef,
    Rule,
    Ruleset,
    walk,
)

PARAM_PREFIX = "__p"
CATCH_ALL_PREFIX = "__all__:"
_NEGATE = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt", "eq": "neq", "neq": "eq"}
_DR_OP = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte", "neq": "$neq"}

# kinds of values, used to reject e.g. text "3" where a number is compared (durable-rules matches "3" < 5)
NUMBER, DATE, TEXT, BOOL, LIST, ORDERED = "number", "date", "text", "bool", "list", "number-or-date"


class CompileError(Exception):
    pass


# durable-rules' C core reads a number from its JSON text itself: an integer with atoll (beyond 64
# bits it saturates, silently: 2**64 and 2**63 would compare equal) and an exponent only after a
# fraction (json.dumps writes 0.00001 as "1e-05", which crashed the process with a segmentation
# fault). json.dumps writes a float without an exponent exactly when 1e-4 <= |x| < 1e16, and strtod
# reads that text back as the same double. So the engine sees integers of 64 bits and floats in
# that range, or zero; any other number is refused with an error naming it (an amount kept to the
# cent is never below 0.01, and 10^16 is beyond any sum this engine is meant to judge).
ENGINE_INT = (-(2**63), 2**63 - 1)
ENGINE_FLOAT = (1e-4, 1e16)
_OUTSIDE = ("is outside the numbers the rules engine reads exactly (0, or 0.0001 to 10^16 in size, "
            "or a whole number of up to 64 bits)")


def engine_int(value: int) -> int:
    if not ENGINE_INT[0] <= value <= ENGINE_INT[1]:
        raise TypeError(f"{value} is beyond the rules engine's 64-bit integers")
    return value


def engine_float(value: float) -> float:
    """`value` if durable-rules reads it back as itself, else TypeError."""
    if not (ENGINE_FLOAT[0] <= abs(value) < ENGINE_FLOAT[1]) and value != 0:
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError(f"{value} is not a finite number")
        raise TypeError(f"{value!r} {_OUTSIDE}")
    return value


def normalise_value(value: Any) -> Any:
    """A Python value -> what durable-rules may see. Raises TypeError for what it must not see."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return engine_int(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"{value} is not a finite number")
        if value == value.to_integral_value():
            return engine_int(int(value))
        as_float = float(value)  # not zero: a tiny fraction that becomes 0.0 is refused too
        if not ENGINE_FLOAT[0] <= abs(as_float) < ENGINE_FLOAT[1]:
            raise TypeError(f"{value} {_OUTSIDE}")
        return as_float
    if isinstance(value, float):
        return engine_float(value)
    if isinstance(value, dt.datetime):
        raise TypeError(f"{value!r}: a datetime is not allowed, give a date")
    if isinstance(value, dt.date):
        return value.toordinal()
    if isinstance(value, (list, tuple)):
        return [normalise_value(v) for v in value]
    raise TypeError(f"{value!r} ({type(value).__name__}) cannot be given to the rules engine")


def kind_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, Decimal, float)):
        return NUMBER
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return DATE
    if isinstance(value, str):
        return TEXT
    if isinstance(value, (list, tuple)):
        return LIST
    return None


def _unify(a: str | None, b: str | None) -> str | None:
    """Combine two kind expectations; raises ValueError if they conflict."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if ORDERED in (a, b):
        other = b if a == ORDERED else a
        if other in (NUMBER, DATE):
            return other
    raise ValueError(f"{a} vs {b}")


@dataclass(frozen=True)
class ParamSlot:
    """A parameter reference resolved per fact and injected under `name`."""

    name: str
    param: str
    key: Any  # None, literal, or FieldRef


@dataclass
class CompiledRuleset:
    """What the evaluator needs: the durable-rules definition plus how to prepare facts."""

    definition: dict  # {rule name: {"all": [...], "run": name}} — one durable-rules ruleset
    subjects: list[str]
    slots: dict[str, list[ParamSlot]] = field(default_factory=dict)  # subject -> slots to inject
    rule_slots: dict[str, list[ParamSlot]] = field(default_factory=dict)  # rule id -> slots it reads
    kinds: dict[str, dict[str, str]] = field(default_factory=dict)  # subject -> field -> kind
    rule_fields: dict[str, list[str]] = field(default_factory=dict)  # rule id -> fact fields it reads
    rule_ids: list[str] = field(default_factory=list)

    @staticmethod
    def catch_all_name(subject: str) -> str:
        return CATCH_ALL_PREFIX + subject


class _Ctx:
    def __init__(self, slots: dict[ParamRef, ParamSlot], kinds: dict[str, str], rule: Rule):
        self.slots = slots
        self.kinds = kinds
        self.rule = rule
        self.used_slots: list[ParamSlot] = []

    def slot(self, ref: ParamRef) -> ParamSlot:
        key = (ref.param, ref.key)
        for r, s in self.slots.items():
            if (r.param, r.key) == key:
                break
        else:
            s = ParamSlot(f"{PARAM_PREFIX}{len(self.slots)}", ref.param, ref.key)
            self.slots[ref] = s
        if s not in self.used_slots:
            self.used_slots.append(s)
        return s

    def expect(self, name: str, kind: str | None, line: int) -> None:
        try:
            self.kinds[name] = _unify(self.kinds.get(name), kind)
        except ValueError as exc:
            raise CompileError(
                f"{self.rule.path} line {line}: field '{name}' is compared as {kind} here but as "
                f"{self.kinds[name]} elsewhere for subject '{self.rule.subject}' ({exc})"
            ) from None


def _nex(name: str) -> dict:
    return {"$nex": {name: 1}}


def _literal(value: Any, c: Comparison, ctx: "_Ctx") -> Any:
    try:
        return normalise_value(value)
    except TypeError as exc:
        raise CompileError(f"{ctx.rule.path} line {c.line}: {exc}") from None


def _compile_comparison(c: Comparison, negate: bool, ctx: _Ctx) -> dict:
    op, name, value = c.op, c.field, c.value
    if op == "exists":
        present = value != negate
        return {"$ex": {name: 1}} if present else _nex(name)

    if op == "in":
        kinds = {kind_of(v) for v in value}
        if len(kinds) != 1:
            raise CompileError(f"{ctx.rule.path} line {c.line}: 'in' mixes kinds of values {sorted(kinds)}")
        ctx.expect(name, kinds.pop(), c.line)
        lits = [_literal(v, c, ctx) for v in value]
        if not negate:
            return {"$or": [{name: v} for v in lits]} if len(lits) > 1 else {name: lits[0]}
        return {"$or": [{"$and": [{"$neq": {name: v}} for v in lits]}, _nex(name)]}

    if op == "contains":
        ctx.expect(name, LIST, c.line)
        lit = _literal(value, c, ctx)
        if not negate:
            return {"$iany": {name: {"$i": lit}}}
        # empty lists never reach the engine (the evaluator drops them), so absent covers "empty"
        return {"$or": [{"$iall": {name: {"$neq": {"$i": lit}}}}, _nex(name)]}

    # eq neq lt lte gt gte: right side literal, field or parameter
    absent = [name]
    if isinstance(value, FieldRef):
        right: Any = {"$m": value.field}
        absent.append(value.field)
        if op in ORDERING_OPS:
            ctx.expect(name, ORDERED, c.line)
            ctx.expect(value.field, ORDERED, c.line)
        # field-to-field: share what is known of either side
        k = ctx.kinds.get(name) or ctx.kinds.get(value.field)
        if k:
            ctx.expect(name, k, c.line)
            ctx.expect(value.field, k, c.line)
    elif isinstance(value, ParamRef):
        right = {"$m": ctx.slot(value).name}
        absent.append(right["$m"])  # a slot is absent when its key field is
        if isinstance(value.key, FieldRef):
            ctx.expect(value.key.field, None, c.line)
        if op in ORDERING_OPS:
            ctx.expect(name, ORDERED, c.line)
    else:
        right = _literal(value, c, ctx)
        ctx.expect(name, kind_of(value), c.line)

    effective = _NEGATE[op] if negate else op
    test = {name: right} if effective == "eq" else {_DR_OP[effective]: {name: right}}
    if not negate:
        if len(absent) > 1:
            # durable-rules quirk: against an absent `$m` field EVERY comparison matches (eq and neq
            # alike), so the right side's presence is tested explicitly
            ref = right["$m"]
            return {"$and": [{"$ex": {ref: 1}}, test]}
        return test
    # "not (a < b)" is also true when a or b is absent
    return {"$or": [test] + [_nex(n) for n in absent]}


def compile_condition(cond: Condition, ctx: _Ctx, negate: bool = False) -> dict:
    if isinstance(cond, Comparison):
        return _compile_comparison(cond, negate, ctx)
    if isinstance(cond, NotOf):
        return compile_condition(cond.item, ctx, not negate)
    if isinstance(cond, (AllOf, AnyOf)):
        parts = [compile_condition(item, ctx, negate) for item in cond.items]
        if len(parts) == 1:
            return parts[0]
        conj = isinstance(cond, AllOf) != negate  # De Morgan
        return {"$and": parts} if conj else {"$or": parts}
    raise CompileError(f"unknown condition node {cond!r}")


def compile_ruleset(ruleset: Ruleset) -> CompiledRuleset:
    """Compile every rule; one durable-rules ruleset, one catch-all rule per subject."""
    definition: dict = {}
    subjects: list[str] = []
    slots_by_subject: dict[str, dict[ParamRef, ParamSlot]] = {}
    kinds: dict[str, dict[str, str]] = {}
    out = CompiledRuleset(definition, subjects)
    errors: list[str] = []
    for rule in ruleset:
        if rule.subject not in subjects:
            subjects.append(rule.subject)
        ctx = _Ctx(slots_by_subject.setdefault(rule.subject, {}), kinds.setdefault(rule.subject, {}), rule)
        try:
            cond = compile_condition(rule.when, ctx)
        except CompileError as exc:
            errors.append(str(exc))
            continue
        definition[rule.id] = {"all": [{"m": {"$and": [{"type": rule.subject}, cond]}}], "run": rule.id}
        out.rule_slots[rule.id] = list(ctx.used_slots)
        out.rule_fields[rule.id] = rule.fields_used()
        out.rule_ids.append(rule.id)
    if errors:
        raise CompileError("\n".join(errors))
    for subject in subjects:
        name = CompiledRuleset.catch_all_name(subject)
        definition[name] = {"all": [{"m": {"type": subject}}], "run": name}
    out.slots = {s: list(v.values()) for s, v in slots_by_subject.items()}
    out.kinds = kinds
    return out


def used_fields(cond: Condition) -> set[str]:
    names: set[str] = set()
    for c in walk(cond):
        names.add(c.field)
        if isinstance(c.value, FieldRef):
            names.add(c.value.field)
    return names
