"""Evaluator: facts in, hits out. durable-rules is fenced in here and nowhere else.

The fences (each has a test in tests/test_engine_guards.py):

* fact ids: explicit, made strings, unique within a call (durable-rules ignores a repeated id and
  identifies facts by 32-bit hashes) — duplicates are rejected before anything enters the engine;
* facts are normalised on a copy (Decimal -> int/float, date -> day number, None and empty lists
  dropped) and checked against the kinds the rules compare them as (durable-rules matches
  ``"3" < 5``); the original fact is kept in Python for calculators, messages and traces;
* numbers only as durable-rules' C reader reads them back (compiler.ENGINE_INT, ENGINE_FLOAT: 64-bit
  integers, floats of 1e-4 to 1e16 in size): "1e-05" crashed the process, atoll saturates; any
  other number is a FactError naming it;
* one engine state per batch (``fact["batch"]``), deleted after the batch: memory stays flat and
  the 1024-live-state limit is never reached;
* a catch-all rule per fact type, so an unmatched fact never raises; facts of a type no rule
  judges are rejected in Python. That is also what makes one ``assert_facts`` call per batch safe
  (durable-rules' quirk: an unmatched fact in a batch call leaves the other facts' actions unrun);
  a batch call that fails anyway (durable's "not handled"/"observed" errors, or a failed
  action) is repeated fact by fact, whose errors name the fact; other errors are raised as they are;
* after each batch, the actions that ran are checked: every fact ran its catch-all exactly once,
  and every action names a fact of the batch;
* actions never raise inside durable-rules (it would swallow the error into the state): errors are
  recorded and raised by ``evaluate``;
* our own ``Host`` per evaluator, its timer threads off, actions bound by name; creation and
  warm-up happen under a module-level lock, in one thread, before any parallel use; its actions
  are dispatched by a leaner loop of the same C calls (``_LeanRuleset``).

The fast paths (the engine fact, the batch call, the action loop) each have a test that they agree
with the slow path they stand in for: tests/test_engine_fast_path.py.
"""
from __future__ import annotations

import datetime as dt
import functools
import gc
import string
import itertools
import json
import threading
from json.decoder import scanstring
from operator import itemgetter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

import durable_rules_engine
import orjson
from durable.engine import Host, MessageNotHandledException, MessageObservedException, Ruleset as _DurableRuleset

from patuh.engine.compiler import (
    BOOL,
    CATCH_ALL_PREFIX,
    DATE,
    ENGINE_FLOAT,
    ENGINE_INT,
    LIST,
    NUMBER,
    ORDERED,
    PARAM_PREFIX,
    TEXT,
    CompiledRuleset,
    compile_ruleset,
    normalise_value,
)
from patuh.engine.ruleset import FieldRef, Rule, Ruleset
from patuh.engine.screen import screens
from patuh.engine.trace import Trace, copy_json

Calculator = Callable[[Mapping, Any, list], Decimal]
RESERVED = {"sid", "$s"}
MAX_FIELDS = 200  # the C core handles about 250 properties per fact

_ENGINE_LOCK = threading.Lock()
_WARM = False
_COUNTER = itertools.count()


class EvaluationError(Exception):
    """A fact, parameter, calculator or the engine itself failed; the message names which."""


class FactError(EvaluationError):
    pass


@dataclass
class Hit:
    rule: Rule
    fact: Mapping  # the original fact, as given
    amount: Decimal | None
    amounts: dict[str, Decimal | None]  # the rule's named amounts (rulebook.yaml `amounts`), e.g. late_fee
    message: dict[str, str]  # {language: text}, formatted over the fact fields and the amounts
    trace: Trace

    @property
    def rule_id(self) -> str:
        return self.rule.id

    def __getattr__(self, name: str) -> Any:  # hit.late_fee: a named amount the rulebook declares
        if name != "amounts" and name in self.rule.__pydantic_private__.get("_declared", ()):
            return self.amounts.get(name)
        raise AttributeError(name)


class _Fired:
    """What an action is handed: `c.m`, the id of the fact that fired it, as {"id": …} (in place
    of durable-rules' Closure, whose state, timers, leases and other fields our actions never use)."""

    __slots__ = ("m",)

    def __init__(self, m: dict) -> None:
        self.m = m


# the fact's text is ours (_engine_json: no spaces); durable's own json.dumps puts one after a colon
_ACTION_FACTS = (':{"m":{"id":"', ':{"m":{"id": "')


def _read_action(message: str) -> tuple[str, str]:
    """(rule, fact id) of an action durable-rules hands out: the text {"RULE":{"m":FACT}}, FACT
    being the JSON text of the fact as asserted. Engine facts put their id first, so both strings
    are read where they stand (json's own string scanner) instead of parsing the whole fact, which
    was the largest single cost of an action; any other text is parsed in full and checked."""
    if message.startswith('{"'):
        rule, end = scanstring(message, 2)
        for front in _ACTION_FACTS:
            if message.startswith(front, end):
                return rule, scanstring(message, end + len(front))[0]
    parsed = json.loads(message)
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise EvaluationError(f"durable-rules handed an action we cannot read: {parsed!r}")
    (rule, fired), = parsed.items()
    if not isinstance(fired, dict) or list(fired) != ["m"] or not isinstance(fired["m"], dict):
        raise EvaluationError(f"durable-rules handed rule {rule!r} something else than one fact: {fired!r}")
    return rule, fired["m"]["id"]


def _engine_json(value: Any) -> str:
    """The JSON text of engine facts as durable's json.dumps(ensure_ascii=False) writes it, without
    its spaces: orjson writes the same text for every value the fence lets through (strings, 64-bit
    integers, floats of 1e-4 to 1e16 in size: tests/test_engine_fast_path.py) in a fifth of the time.
    What orjson refuses (a lone surrogate in a text) goes to json.dumps, and on to durable as before."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False)


class _LeanRuleset(_DurableRuleset):
    """durable-rules' Ruleset with a leaner loop over the actions a call made due.

    The C core still matches every fact and hands out every action; only the Python glue around
    each action is cut: durable's own loop builds a Closure (two clock readings), wraps the action
    in a Promise, and writes the state back through json.dumps of the state it has just parsed —
    about as much time per fact as the matching. Here each action gets its fact's id, the state is
    written back as the very JSON the core gave, and the next action is asked for, exactly in
    durable's order of C calls (start_action_for_state, then update_state and
    complete_and_start_action per action). Our rules fire one fact each (no count, cap or joins),
    so a message is always {rule: {"m": fact}}; anything else is an error, not a guess.
    tests/test_engine_fast_path.py checks that the same actions run as with durable's own loop."""

    def __init__(self, name: str, host: "_Host", definition: dict):
        self._direct = {rule: host.get_action(spec["run"]) for rule, spec in definition.items()}
        super().__init__(name, host, definition)

    # durable's own assert_fact(s) with the facts' JSON text made by _engine_json
    def assert_fact(self, fact):
        return self._handle_result(durable_rules_engine.assert_fact(self._handle, _engine_json(fact)), fact)

    def assert_facts(self, facts):
        return self._handle_result(durable_rules_engine.assert_facts(self._handle, _engine_json(facts)), facts)

    def do_actions(self, state_handle, complete) -> None:
        started = False
        try:
            result = durable_rules_engine.start_action_for_state(self._handle, state_handle)
            if not result:
                complete(None, None)
                return
            started = True
            state, message = result
            while True:
                rule, fid = _read_action(message)
                self._direct[rule](_Fired({"id": fid}))  # our actions never raise (Evaluator._action)
                durable_rules_engine.update_state(self._handle, state)
                message = durable_rules_engine.complete_and_start_action(self._handle, state_handle)
                if not message:
                    started = False
                    break
            complete(None, None)
        except BaseException as error:  # noqa: BLE001 - durable's contract: errors go to complete
            if started:  # as durable's own loop does: release the action it handed out
                try:
                    durable_rules_engine.abandon_action(self._handle, state_handle)
                except BaseException:  # noqa: BLE001 - the first error is the one to report
                    pass
            complete(error, None)


class _Host(Host):
    """A durable-rules Host with no timer threads, resolving actions by name from its evaluator.
    `lean`: actions dispatched by _LeanRuleset (False: by durable-rules' own loop, the reference)."""

    def __init__(self, resolve: Callable[[str], Callable], lean: bool = True):
        self._resolve = resolve
        self._lean = lean
        super().__init__()

    def _run(self) -> None:  # no dispatch/timer threads: every action runs inside our own call
        self._d_timer = self._t_timer = None

    def get_action(self, action_name: str) -> Callable:
        return self._resolve(action_name)

    def load_ruleset(self, ruleset_name: str):  # never load anything we did not register
        raise EvaluationError(f"durable-rules asked for unknown ruleset {ruleset_name!r}")

    def register_rulesets(self, ruleset_definitions: dict) -> list:
        if not self._lean:
            return super().register_rulesets(ruleset_definitions)
        for name, definition in ruleset_definitions.items():
            if name in self._ruleset_directory or "$state" in name or "$flow" in name:
                raise EvaluationError(f"ruleset {name!r}: already registered, or a chart we do not use")
            ruleset = _LeanRuleset(name, self, definition)
            self._ruleset_directory[name] = ruleset
            self._ruleset_list.append(ruleset)
        return list(ruleset_definitions)


def warm_up() -> None:
    """Build and exercise a tiny engine once, under the lock, in the calling thread."""
    global _WARM
    with _ENGINE_LOCK:
        if _WARM:
            return
        ran: list = []
        host = _Host(lambda name: (lambda c: ran.append(name)))
        host.register_rulesets({"__warm_up__": {"r": {"all": [{"m": {"$gt": {"x": 0}}}], "run": "r"},
                                                "z": {"all": [{"m": {"$lte": {"x": 0}}}], "run": "z"}}})
        host.assert_fact("__warm_up__", {"id": "1", "sid": "w", "x": 1})
        host.delete_state("__warm_up__", "w")
        if ran != ["r"]:
            raise EvaluationError(f"durable-rules warm-up failed: actions {ran}")
        _WARM = True


def _to_date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise FactError(f"{what}: a datetime is not allowed, give a date")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise FactError(f"{what}: {value!r} is not a date (YYYY-MM-DD)")


# _engine_fact's fast path: (exact type of a value, kind the rules compare it as) -> how it is
# copied, exactly as normalise_value and the checks of _engine_fact_checked would (None: an absent
# value, left out); any pair not here (a subclass, text where a date is compared, a list, a wrong
# kind) takes the checked path, and so does a copy that raises _Unfit (a NaN, an infinity).
class _Unfit(Exception):
    pass


def _same(value: Any) -> Any:
    return value


def _int(value: int) -> int:
    if _INT_LOW <= value <= _INT_HIGH:
        return value
    raise _Unfit


def _decimal(value: Decimal) -> int | float:
    # one C call for the common whole amount (is_finite, to_integral_value and a comparison were
    # three): a NaN raises ValueError, an infinity OverflowError
    try:
        numerator, denominator = value.as_integer_ratio()
    except (ValueError, OverflowError):
        raise _Unfit from None
    if denominator == 1:
        if _INT_LOW <= numerator <= _INT_HIGH:
            return numerator
        raise _Unfit
    as_float = float(value)
    if _FLOAT_LOW <= abs(as_float) < _FLOAT_HIGH:  # never 0: the fraction is not
        return as_float
    raise _Unfit


def _float(value: float) -> float:
    if _FLOAT_LOW <= abs(value) < _FLOAT_HIGH or value == 0:  # false for NaN and the infinities
        return value
    raise _Unfit


# the numbers durable-rules reads back as themselves (compiler.ENGINE_INT, ENGINE_FLOAT): any other
# takes the checked path, whose normalise_value refuses it with its message
(_INT_LOW, _INT_HIGH), (_FLOAT_LOW, _FLOAT_HIGH) = ENGINE_INT, ENGINE_FLOAT
_KINDS = (None, NUMBER, DATE, TEXT, BOOL, LIST, ORDERED)
_FAST: dict[tuple[type, str | None], Callable | None] = {
    **{(type(None), k): None for k in _KINDS},
    **{(bool, k): _same for k in (None, BOOL)},
    **{(int, k): _int for k in (None, NUMBER, ORDERED)},
    **{(str, k): _same for k in (None, TEXT)},
    **{(Decimal, k): _decimal for k in (None, NUMBER, ORDERED)},
    **{(float, k): _float for k in (None, NUMBER, ORDERED)},
    **{(dt.date, k): dt.date.toordinal for k in (None, DATE, ORDERED)},
}
_CHECKED = object()  # in a plan: this signature takes the checked path


def _value_kind_ok(value: Any, kind: str) -> bool:
    if kind == NUMBER:
        return isinstance(value, (int, Decimal, float)) and not isinstance(value, bool)
    if kind == TEXT:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == LIST:
        return isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, Decimal)) for v in value)
    return True


class Evaluator:
    """Judge facts against a ruleset. Small interface: ``evaluate(facts) -> list[Hit]``."""

    lean_dispatch = True  # actions through _LeanRuleset; False: durable-rules' own loop (tests compare)
    screen_facts = True  # facts no rule can fire for are not asserted (screen.py); False: all (tests compare)

    def __init__(self, ruleset: Ruleset, params: Any = None, calculators: Mapping[str, Calculator] | None = None,
                 formatter: Callable[[Any, str], str] | None = None):
        """`formatter(value, lang[, spec])` writes a value into a message (the domain's numbers and
        dates; `spec` is what a placeholder asks after its colon, `{x:percent}`); without one, values
        are written as str.format writes them."""
        self.ruleset = ruleset
        self.formatter = formatter
        self.params = params
        self.calculators = dict(calculators or {})
        self.compiled: CompiledRuleset = compile_ruleset(ruleset)
        self._screens = screens(ruleset, self.compiled)
        read: dict[str, dict[str, None]] = {}
        for rule in ruleset:
            fields = read.setdefault(rule.subject, {"type": None})
            for name in rule.fields_used():
                fields[name] = None
        self._read = {subject: tuple(names) for subject, names in read.items()}
        # _engine_fact's fast path: the fields to copy with their kinds; beyond the engine's
        # limit, no plan, so the checked path raises
        self._plans = {subject: (names, tuple(self.compiled.kinds.get(subject, {}).get(name) for name in names))
                       for subject, names in self._read.items() if len(names) <= MAX_FIELDS}
        self._hit_plans: dict[str, tuple] = {}  # rule id -> _hit_plan
        self._shapes: dict[tuple, tuple | object] = {}  # a fact's names and value types -> _shape_plan
        self._fired: list[tuple[str, str]] = []
        self._action_errors: list[str] = []
        self._lock = threading.Lock()
        self._name = f"patuh{next(_COUNTER)}"
        warm_up()
        with _ENGINE_LOCK:
            self._host = _Host(self._action, lean=self.lean_dispatch)
            # register_rulesets strips "run" keys from what it is given: hand it a copy
            self._host.register_rulesets({self._name: copy_json(self.compiled.definition)})

    # -- actions (run inside durable-rules; must never raise there) ------------------------------
    def _action(self, name: str) -> Callable:
        def action(c) -> None:
            try:
                self._on_fire(name, c)
            except BaseException as exc:  # noqa: BLE001 - surfaced by evaluate()
                self._action_errors.append(f"action {name!r}: {type(exc).__name__}: {exc}")

        return action

    def _on_fire(self, name: str, c) -> None:
        self._fired.append((name, c.m["id"]))

    # -- preparing facts -------------------------------------------------------------------------
    def _engine_fact(self, fact: Mapping, batch: str, cache: dict) -> tuple[dict, dict]:
        """The normalised copy for durable-rules, and the ParamUses injected (slot name -> use).

        The common case only: a fact of a shape (its field names and the types of its values) seen
        before, whose names are allowed, whose values hold no datetime, and whose read fields are of
        the (type, kind) pairs in _FAST: then the checks of the shape hold, and only the copies
        remain. Anything else goes through _engine_fact_checked, the full checks, which give every
        error its message; the two must agree on every fact (tests/test_engine_fast_path.py)."""
        # the subject is part of the shape: its rules read other fields, even under the same names
        shape = (fact.get("type"), tuple(fact), *map(type, fact.values()))
        plan = self._shapes.get(shape)
        if plan is None:
            plan = self._shapes[shape] = self._shape_plan(fact)
        if plan is _CHECKED:
            return self._engine_fact_checked(fact, batch, cache)
        names, pick, copies = plan
        fid = fact["id"]
        out = {"id": fid}  # first: _read_action reads it from the front of an action's text
        try:
            out.update({name: copy(value) for name, copy, value in zip(names, copies, pick(tuple(fact.values())))
                        if copy is not None})
        except _Unfit:
            return self._engine_fact_checked(fact, batch, cache)
        out["id"] = fid
        out["sid"] = batch
        return out, self._inject_parameters(fact, fid, out, cache)

    def _shape_plan(self, fact: Mapping) -> tuple | object:
        """For facts of this one shape (field names in order, type of each value): the read fields
        present, a picker of their values, and the copy of each (None: an absent value); _CHECKED
        when a name is reserved, a value is a datetime, or a read value is not in _FAST."""
        read = self._plans.get(fact["type"])
        if read is None or any(not isinstance(name, str) or name in RESERVED or name.startswith(PARAM_PREFIX)
                               for name in fact) or any(isinstance(v, dt.datetime) for v in fact.values()):
            return _CHECKED
        position = {name: i for i, name in enumerate(fact)}
        values = tuple(fact.values())
        names, positions, copies = [], [], []
        for name, kind in zip(*read):
            if name in position:
                copy = _FAST.get((type(values[position[name]]), kind), _CHECKED)
                if copy is _CHECKED:
                    return _CHECKED
                names.append(name)
                positions.append(position[name])
                copies.append(copy)
        if len(positions) > 1:
            pick = itemgetter(*positions)
        else:  # itemgetter of one position gives the value, not a tuple of it
            pick = (lambda values, i=positions[0]: (values[i],)) if positions else (lambda values: ())
        return tuple(names), pick, tuple(copies)

    def _engine_fact_checked(self, fact: Mapping, batch: str, cache: dict) -> tuple[dict, dict]:
        """_engine_fact with every check, field by field: the reference, and the errors' messages."""
        fid = fact["id"]
        subject = fact["type"]
        kinds = self.compiled.kinds.get(subject, {})
        out: dict[str, Any] = {"id": fid}  # first: _read_action reads it from the front of an action's text
        for name, value in fact.items():
            if name in RESERVED or name.startswith(PARAM_PREFIX):
                raise FactError(f"fact {fid}: field name {name!r} is reserved by the engine")
            if isinstance(value, dt.datetime):
                raise FactError(f"fact {fid} field {name!r}: a datetime is not allowed, give a date")
        # Only the fields some rule reads enter the engine: normalising and serialising the rest
        # (evidence, amounts for calculators) was half the evaluation time on real facts.
        read = self._read.get(subject, ())
        if len(read) > MAX_FIELDS:
            raise FactError(f"fact {fid}: rules read {len(read)} fields, more than the engine's limit of {MAX_FIELDS}")
        for name in read:
            value = fact.get(name)
            if value is None:
                continue
            kind = kinds.get(name)
            if kind in (DATE, ORDERED) and isinstance(value, str):
                try:
                    value = _to_date(value, f"fact {fid} field {name!r}")
                except FactError:
                    raise FactError(f"fact {fid} field {name!r}: rules compare it as a number or date, "
                                    f"got text {value!r}") from None
            if kind == DATE and not isinstance(value, dt.date):
                raise FactError(f"fact {fid} field {name!r}: expected a date, got {value!r}")
            if kind == ORDERED and not (isinstance(value, dt.date) or _value_kind_ok(value, NUMBER)):
                raise FactError(f"fact {fid} field {name!r}: expected a number or a date, got {value!r}")
            if kind and not _value_kind_ok(value, kind):
                raise FactError(f"fact {fid} field {name!r}: rules compare it as {kind}, got {value!r}")
            if isinstance(value, (list, tuple)) and not value:
                continue  # an empty list is "absent" (durable-rules' $iall is false on [])
            try:
                out[name] = normalise_value(value)
            except TypeError as exc:
                raise FactError(f"fact {fid} field {name!r}: {exc}") from None
        out["id"] = fid
        out["sid"] = batch
        return out, self._inject_parameters(fact, fid, out, cache)

    def _inject_parameters(self, fact: Mapping, fid: Any, out: dict, cache: dict) -> dict:
        """Each parameter slot's value into `out`; returns the ParamUses (slot name -> use)."""
        uses: dict[str, Any] = {}
        subject = fact["type"]
        slots = self.compiled.slots.get(subject, ())
        if slots:
            if self.params is None:
                raise EvaluationError(f"rules for '{subject}' use parameters but the evaluator has none")
            if fact.get("on") is None:
                raise FactError(f"fact {fid}: needs 'on' (the date assessed) for parameter lookups")
            on = _to_date(fact["on"], f"fact {fid} field 'on'")
            for slot in slots:
                key = slot.key
                if isinstance(key, FieldRef):
                    key = fact.get(key.field)
                    if key is None:
                        continue  # the comparisons reading this slot are false, as for any absent field
                ck = (slot.param, on, key)
                use = cache.get(ck)
                if use is None:
                    try:
                        use = self.params.lookup(slot.param, on, key)
                    except Exception as exc:  # ParameterError and friends
                        raise EvaluationError(f"fact {fid}: {exc}") from None
                    cache[ck] = use
                try:
                    value = normalise_value(use.value)
                except TypeError as exc:
                    raise EvaluationError(f"fact {fid}: parameter {slot.param!r}: {exc}") from None
                if isinstance(value, list) or isinstance(use.value, dict):
                    raise EvaluationError(f"fact {fid}: parameter {slot.param!r} gives a table, not a value: give a key")
                out[slot.name] = value
                uses[slot.name] = use
        return uses

    # -- evaluation -------------------------------------------------------------------------------
    def evaluate(self, facts: Iterable[Mapping]) -> list[Hit]:
        """Evaluate facts, batch by batch (fact["batch"]); return hits in fact order then rule order."""
        with self._lock:
            # The cycle collector would walk the caller's facts again and again while this makes
            # its many small, acyclic objects (engine facts, hits, traces); it finds nothing here.
            was = gc.isenabled()
            gc.disable()
            try:
                return self._evaluate(facts)
            finally:
                if was:
                    gc.enable()

    def _evaluate(self, facts: Iterable[Mapping]) -> list[Hit]:
        batches: dict[str, list[Mapping]] = {}
        seen: set[str] = set()
        subjects = set(self.compiled.subjects)
        for fact in facts:
            if type(fact) is not dict and not isinstance(fact, Mapping):  # typing's isinstance is slow
                raise FactError(f"a fact must be a mapping, got {type(fact).__name__}")
            if fact.get("id") is None:
                raise FactError(f"a fact without an 'id': {dict(fact)!r}")
            if fact.get("type") not in subjects:
                raise FactError(f"fact {fact['id']}: no rule judges facts of type {fact.get('type')!r}")
            fid = str(fact["id"])
            if fid in seen:
                raise FactError(f"duplicate fact id {fid!r}: every fact needs its own id")
            seen.add(fid)
            if not isinstance(fact["id"], str):
                fact = {**fact, "id": fid}
            batches.setdefault(str(fact.get("batch", "")), []).append(fact)

        cache: dict = {}
        hits: list[Hit] = []
        for number, (batch, batch_facts) in enumerate(batches.items()):
            hits.extend(self._evaluate_batch(batch, batch_facts, cache, f"b{number}"))
        return hits

    def _evaluate_batch(self, batch: str, facts: list[Mapping], cache: dict, state: str) -> list[Hit]:
        """One engine state per batch. The state gets a name of our own, not the batch key:
        durable-rules cannot delete a state whose name holds a quote or a backslash (error 309)."""
        prepared = [(fact, *self._engine_fact(fact, state, cache)) for fact in facts]
        asserted = self._screened(prepared) if self.screen_facts else prepared
        fired: list[tuple[str, str]] = []
        if asserted:
            fired = self._assert_batch(batch, asserted, state)
            if fired is None:  # the batch call failed: again fact by fact, for the error's own message
                fired = self._assert_one_by_one(batch, asserted, state + "r")
        self._check_fired(batch, asserted, fired)

        by_fact: dict[str, set[str]] = {}
        for name, fid in fired:
            if not name.startswith(CATCH_ALL_PREFIX):
                by_fact.setdefault(fid, set()).add(name)
        hits = []
        for fact, _engine_fact, uses in prepared:
            rules = by_fact.get(fact["id"])
            if rules:
                for rule_id in self.compiled.rule_ids:
                    if rule_id in rules:
                        hits.append(self._hit(self.ruleset.get(rule_id), fact, uses))
        return hits

    def _screened(self, prepared: list) -> list:
        """The prepared facts some rule may fire for (screen.py); every fact of an unscreened subject."""
        screens_of = self._screens
        if not screens_of:
            return prepared
        out = []
        for item in prepared:
            could_fire = screens_of.get(item[0]["type"])
            if could_fire is None or could_fire(item[1]):
                out.append(item)
        return out

    def _assert_batch(self, batch: str, prepared: list, state: str) -> list[tuple[str, str]] | None:
        """All facts of the batch in one durable-rules call (one JSON text, one pass of actions):
        a third of the time of a call per fact. Every fact matches its catch-all, so the call
        cannot fail on an unmatched fact (durable-rules' quirk: an unmatched fact in a batch call
        leaves the others' actions unrun); if it fails anyway with durable's "not handled" or
        "observed" errors, or an action failed, None: the caller asks again fact by fact, which
        names the fact. Any other error of durable-rules is raised as it is."""
        self._fired = []
        self._action_errors = []
        failed = True
        try:
            self._host.assert_facts(self._name, [engine_fact for _f, engine_fact, _u in prepared])
            failed = bool(self._action_errors)
        except (MessageNotHandledException, MessageObservedException):
            pass
        finally:
            try:
                self._host.delete_state(self._name, state)
            except Exception as exc:
                if not failed:
                    raise EvaluationError(f"batch {batch!r}: durable-rules could not delete its state: {exc}") from exc
        fired = self._fired
        self._fired = []
        return None if failed else fired

    def _assert_one_by_one(self, batch: str, prepared: list, state: str) -> list[tuple[str, str]]:
        """A call per fact, in a fresh state: an error names its fact."""
        prepared = [(fact, {**engine_fact, "sid": state}, uses) for fact, engine_fact, uses in prepared]
        self._fired = []
        self._action_errors = []
        asserted = 0
        try:
            for _fact, engine_fact, _uses in prepared:
                try:
                    self._host.assert_fact(self._name, engine_fact)
                except MessageNotHandledException:
                    raise EvaluationError(f"fact {engine_fact['id']}: no rule (not even the catch-all) matched it") from None
                except MessageObservedException:
                    raise EvaluationError(
                        f"fact {engine_fact['id']}: durable-rules took it for a fact it had already seen "
                        "(hash collision of ids?)"
                    ) from None
                asserted += 1
                if self._action_errors:
                    raise EvaluationError("; ".join(self._action_errors))
        except BaseException:
            if asserted:
                try:
                    self._host.delete_state(self._name, state)
                except Exception:  # noqa: BLE001 - the first error is the one to report
                    pass
            raise
        if asserted:
            try:
                self._host.delete_state(self._name, state)
            except Exception as exc:
                raise EvaluationError(f"batch {batch!r}: durable-rules could not delete its state: {exc}") from exc
        fired = self._fired
        self._fired = []
        return fired

    def _check_fired(self, batch: str, prepared: list, fired: list[tuple[str, str]]) -> None:
        ids = {f["id"]: f["type"] for f, _e, _u in prepared}
        catch = {}
        for name, fid in fired:
            if fid not in ids:
                raise EvaluationError(f"batch {batch!r}: action {name!r} ran for fact {fid!r}, which is not in this batch")
            if name.startswith(CATCH_ALL_PREFIX):
                catch[fid] = catch.get(fid, 0) + 1
            elif self.ruleset.get(name).subject != ids[fid]:
                raise EvaluationError(f"batch {batch!r}: rule {name!r} ran for fact {fid!r} of another type")
        wrong = [fid for fid in ids if catch.get(fid) != 1]
        if wrong:
            raise EvaluationError(
                f"batch {batch!r}: {len(wrong)} fact(s) did not run their catch-all exactly once "
                f"(e.g. {wrong[0]!r}: {catch.get(wrong[0], 0)} times); durable-rules lost or merged facts"
            )

    def _hit(self, rule: Rule, fact: Mapping, uses: dict) -> Hit:
        fields, slots, amounts, calculators, messages = self._hit_plan(rule)
        trace = Trace(rule_id=rule.id, revision=self.ruleset.revision, fields={name: fact.get(name) for name in fields})
        for slot in slots:
            if slot in uses:
                trace.add_parameter(uses[slot])
        extra = dict.fromkeys(amounts)
        for name, ref in calculators:
            extra[name] = self._calculate(rule, name, ref, fact, trace)
        message = {}
        formatter = self.formatter
        for lang, template, placeholders in messages:
            values = _FormatValues({})
            for name in placeholders:  # only what the template uses: a fact has dozens of fields
                if name in extra or name in fact:
                    value = extra[name] if name in extra else fact[name]
                    values[name] = value if value is None or formatter is None else _Formatted(value, lang, formatter)
            try:
                message[lang] = template.format_map(values)
            except (ValueError, TypeError, IndexError, AttributeError):  # `rules test` reports these
                message[lang] = template
        amount = extra.pop("amount")
        return Hit(rule, fact, amount, extra, message, trace)

    def _hit_plan(self, rule: Rule) -> tuple:
        """What every hit of the rule reads of it, worked out on its first hit: the fields its trace
        shows, its parameter slots, its amounts and calculators, and its messages' placeholders."""
        plan = self._hit_plans.get(rule.id)
        if plan is None:
            declaration = self.ruleset.declaration
            messages = []
            for lang in declaration.languages or rule.message.languages:
                template = rule.message.get(lang) or ""
                messages.append((lang, template, _placeholders(template)))
            plan = self._hit_plans[rule.id] = (
                tuple(self.compiled.rule_fields[rule.id]),
                tuple(slot.name for slot in self.compiled.rule_slots[rule.id]),
                ("amount", *declaration.amounts),
                tuple(rule.calculators().items()),
                tuple(messages),
            )
        return plan

    def _calculate(self, rule: Rule, what: str, ref, fact: Mapping, trace: Trace) -> Decimal | None:
        fn = self.calculators.get(ref.calculator)
        if fn is None:
            raise EvaluationError(
                f"rule {rule.id}: {what} calculator {ref.calculator!r} is not in the calculators table"
            )
        used: list = []
        try:
            value = fn(fact, self.params, used)
        except Exception as exc:
            raise EvaluationError(f"rule {rule.id}: {what} calculator {ref.calculator!r} failed on fact {fact['id']}: "
                                  f"{type(exc).__name__}: {exc}") from exc
        for use in used:
            trace.add_parameter(use)
        if value is None:
            return None
        return self.ruleset.declaration.round(value)  # once per hit, as the rulebook declares


@functools.lru_cache(maxsize=None)
def _placeholders(template: str) -> tuple[str, ...]:
    try:
        return tuple(dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(template) if name))
    except ValueError:  # a malformed template: format_map reports it, and `rules test` warns
        return ()


class _Formatted:
    """A value written by the domain's formatter: `{x}` as formatter(x, lang), `{x:percent}` as
    formatter(x, lang, "percent") — the spec is the domain's word, the engine passes it on."""

    __slots__ = ("value", "lang", "formatter")

    def __init__(self, value: Any, lang: str, formatter: Callable) -> None:
        self.value, self.lang, self.formatter = value, lang, formatter

    def __format__(self, spec: str) -> str:
        return self.formatter(self.value, self.lang, spec) if spec else self.formatter(self.value, self.lang)


class _FormatValues(dict):
    """str.format_map over fact fields; an unknown placeholder is left as written, not an error."""

    def __init__(self, fact: Mapping, **extra: Any):
        super().__init__(fact)
        self.update(extra)
        self.missing: list[str] = []

    def __missing__(self, key: str) -> str:
        self.missing.append(key)
        return "{" + key + "}"


def missing_placeholders(rule: Rule, fact: Mapping, amounts: Mapping[str, Any] | None = None) -> list[str]:
    """Placeholders of the rule's messages that neither the fact nor the amounts provide (`rules test`)."""
    # any value takes any format spec here: the spec is the domain formatter's to read
    values = _FormatValues({k: _Formatted(v, "", lambda x, _lang, _spec="": str(x)) for k, v in fact.items()},
                           **{k: _Formatted(v, "", lambda x, _lang, _spec="": str(x)) for k, v in (amounts or {}).items()})
    for lang in rule.message.languages:
        try:
            rule.message.get(lang).format_map(values)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
            values.missing.append(f"({lang}: {exc})")
    return sorted(set(values.missing))
