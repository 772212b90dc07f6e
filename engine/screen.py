"""Which engine facts no rule can fire for, told before they are asserted.

durable-rules decides every hit; this only spares it the facts for which it would fire nothing but
the catch-all. At 350,000 payroll rows five employer-months in six match no rule, and asserting
them (the JSON text, the C core's matching, the catch-all's action in Python, the state's upkeep)
was a sixth of the rules stage: 0.87 -> 0.74 CPU-s without them.

Each rule's condition gives a *necessary* test, made of the tests durable-rules' own alpha network
makes on one fact: a positive comparison (eq, neq, lt, lte, gt, gte) of a field with a literal,
another field or a parameter's slot. `all` keeps every such test of its items, `any` needs one of
its items' tests, and whatever else (`not`, `exists`, `in`, `contains`, a text literal) is no test
at all: it is left to durable-rules. A fact is asserted when, for some rule of its subject, every
kept test holds; a subject with a rule that keeps no test is never screened.

A test holds unless it is false as durable-rules' C core computes it (events.c,
`reduceProperties`): two numbers (a boolean counts as 0 or 1, as in C), compared as 64-bit
integers when neither is a float, else as doubles. A value that is absent, text or a list leaves
the test holding: durable-rules judges it. The screen runs on the engine's copy of the fact (values
normalised, parameters injected), after every check of `Evaluator._engine_fact`, so a fact that no
rule fires for still gets every error it got before.

A subject's tests are one generated function (its field names are checked names, its literals
numbers passed as constants, never written into the code): as closures, one call per comparison,
the screen cost about what it saved. tests/test_engine_screen.py holds the hits to those of the
unscreened evaluator, and the generated tests to `holds`, the same comparison written out."""
from __future__ import annotations

import operator
from typing import Any, Callable, Mapping, Union

from patuh.engine.compiler import CompiledRuleset, normalise_value
from patuh.engine.ruleset import FIELD_NAME, AllOf, AnyOf, Comparison, Condition, FieldRef, ParamRef, Ruleset

_OPS = {"eq": "==", "neq": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_COMPARE = {"eq": operator.eq, "neq": operator.ne, "lt": operator.lt, "lte": operator.le, "gt": operator.gt,
            "gte": operator.ge}
NUMBERS = frozenset({int, float, bool})  # what the C core compares as numbers

# a necessary test: ("cmp", field, op, ("lit", number) | ("field", name)), ("all" | "any", [tests])
Test = Union[tuple, None]


def holds(op: str, a: Any, b: Any) -> bool:
    """One comparison as the screen makes it: False only when durable-rules' C core finds it false."""
    if type(a) not in NUMBERS or type(b) not in NUMBERS:
        return True
    if type(a) is float or type(b) is float:
        a, b = float(a), float(b)
    return _COMPARE[op](a, b)


def _comparison(c: Comparison, slot_of: Callable[[ParamRef], str | None]) -> Test:
    if c.op not in _OPS:  # exists, in, contains
        return None
    value = c.value
    if isinstance(value, (FieldRef, ParamRef)):
        other = value.field if isinstance(value, FieldRef) else slot_of(value)
        return None if other is None else ("cmp", c.field, c.op, ("field", other))
    try:
        literal = normalise_value(value)  # as the compiler hands it to durable-rules (a date: its day number)
    except TypeError:
        return None
    return ("cmp", c.field, c.op, ("lit", literal)) if type(literal) in NUMBERS else None


def necessary(cond: Condition, slot_of: Callable[[ParamRef], str | None]) -> Test:
    """A test that holds for every fact the condition can match; None: no test (any fact may)."""
    if isinstance(cond, Comparison):
        return _comparison(cond, slot_of)
    if isinstance(cond, AllOf):
        kept = [t for t in (necessary(item, slot_of) for item in cond.items) if t is not None]
        return None if not kept else kept[0] if len(kept) == 1 else ("all", kept)
    if isinstance(cond, AnyOf):
        each = [necessary(item, slot_of) for item in cond.items]
        return None if any(t is None for t in each) else ("any", each)
    return None  # not: left to durable-rules


def evaluate(test: Test, fact: Mapping) -> bool:
    """A necessary test on an engine fact, one comparison at a time (the generated code's reference)."""
    if test is None:
        return True
    if test[0] == "cmp":
        _, name, op, (kind, right) = test
        return holds(op, fact.get(name), fact.get(right) if kind == "field" else right)
    parts = (evaluate(t, fact) for t in test[1])
    return all(parts) if test[0] == "all" else any(parts)


class _Code:
    """The Python source of one subject's test: each field read once, each literal a constant."""

    def __init__(self) -> None:
        self.fields: dict[str, int] = {}
        self.constants: list = []

    def var(self, name: str) -> int:
        if not FIELD_NAME.match(name):  # rule fields and slot names only; never code
            raise ValueError(f"not a field name: {name!r}")
        return self.fields.setdefault(name, len(self.fields))

    def const(self, value: Any) -> str:
        self.constants.append(value)
        return f"C[{len(self.constants) - 1}]"

    def expr(self, test: tuple) -> str:
        if test[0] in ("all", "any"):
            return "(" + f" {'and' if test[0] == 'all' else 'or'} ".join(self.expr(t) for t in test[1]) + ")"
        _, name, op, (kind, right) = test
        sym, i = _OPS[op], self.var(name)
        v, t = f"v{i}", f"t{i}"
        if kind == "field":
            j = self.var(right)
            w, u = f"v{j}", f"t{j}"
            return (f"({t} not in N or {u} not in N or ({v} {sym} {w} if {t} is not float and {u} is not float"
                    f" else float({v}) {sym} float({w})))")
        if type(right) is float:
            return f"({t} not in N or float({v}) {sym} {self.const(right)})"
        return f"({t} not in N or ({v} {sym} {self.const(right)} if {t} is not float else {v} {sym} {self.const(float(right))}))"

    def function(self, test: tuple) -> Callable[[Mapping], bool]:
        body = self.expr(test)
        reads = "".join(f"    v{i} = get({name!r}); t{i} = v{i}.__class__\n" for name, i in self.fields.items())
        source = f"def could_fire(f):\n    get = f.get\n{reads}    return {body}\n"
        namespace: dict = {"N": NUMBERS, "C": tuple(self.constants)}
        exec(compile(source, "<engine screen>", "exec"), namespace)  # noqa: S102 - built above from checked names
        fn = namespace["could_fire"]
        fn.source = source
        return fn


def tests_of(ruleset: Ruleset, compiled: CompiledRuleset) -> dict[str, Test]:
    """Per subject whose every rule keeps a test: the test some rule of it needs to fire."""
    by_subject: dict[str, list[Test]] = {}
    for rule in ruleset:
        slots = {(s.param, s.key): s.name for s in compiled.slots.get(rule.subject, ())}
        by_subject.setdefault(rule.subject, []).append(
            necessary(rule.when, lambda ref: slots.get((ref.param, ref.key))))
    return {subject: tests[0] if len(tests) == 1 else ("any", tests)
            for subject, tests in by_subject.items() if all(t is not None for t in tests)}


def screens(ruleset: Ruleset, compiled: CompiledRuleset) -> dict[str, Callable[[Mapping], bool]]:
    """Per screened subject: whether some rule of it may fire for an engine fact."""
    return {subject: _Code().function(test) for subject, test in tests_of(ruleset, compiled).items()}
