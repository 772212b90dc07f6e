"""Rule files: pydantic models, loading with file:line errors, and the ruleset revision hash.

One rule per YAML file under ``rules/<domain>/<ID>.yaml`` (``rules/parameters/`` holds parameters,
not rules). Loading never stops at the first broken file: every error is collected, each as
``<file> line <n>: <message>``, so ``rules lint`` can show them all at once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from patuh.engine import declaration as declaration_of, yaml_load
from patuh.engine.declaration import Declaration

PARAMETERS_DIR = "parameters"
# Folders of a rulebook that hold no rules: dated parameters, the map of the law (rules/law/) and
# the impact snapshots CI compares against (rules/impact/, not law: left out of the revision).
NOT_RULES = {PARAMETERS_DIR, "law", "impact"}
NOT_IN_REVISION = {"impact"}
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
COMPARISON_OPS = ("eq", "neq", "lt", "lte", "gt", "gte", "in", "contains", "exists")
ORDERING_OPS = ("lt", "lte", "gt", "gte")
Scalar = Union[bool, int, Decimal, str, dt.date]


# ---------------------------------------------------------------------------------------------
# YAML with line numbers; floats as Decimal from their text
# ---------------------------------------------------------------------------------------------
class LineDict(dict):
    """A mapping that remembers the line of the mapping and of each of its keys (1-based)."""

    line: int = 0
    lines: dict

    def line_of(self, key: Any) -> int:
        return getattr(self, "lines", {}).get(key, self.line)


class LineList(list):
    line: int = 0
    lines: list

    def line_of(self, index: int) -> int:
        lines = getattr(self, "lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false. YAML 1.1 reads `on:` (the fact's date
    field), `no`, `yes`, `off` as booleans, which would silently break facts and examples."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_map(loader: _Loader, node: yaml.MappingNode):
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in data:
            raise yaml.MarkedYAMLError(
                "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: _Loader, node: yaml.SequenceNode):
    data = LineList()
    data.line = node.start_mark.line + 1
    data.lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


def _construct_decimal(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(loader.construct_scalar(node).replace("_", ""))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def load_yaml(text: str) -> Any:
    """Parse YAML keeping line numbers (LineDict/LineList) and reading floats as Decimal."""
    return yaml_load.load(text, _Loader)


def plain(value: Any) -> Any:
    """LineDict/LineList -> plain dict/list (recursively)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Conditions (parsed by hand so that every error carries its own line)
# ---------------------------------------------------------------------------------------------
class ConditionError(Exception):
    """Raised while parsing a condition; not a ValueError so pydantic lets it through with its line."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class FieldRef:
    field: str


@dataclass(frozen=True)
class ParamRef:
    param: str
    key: Any = None  # None, a literal, or a FieldRef
    line: int = 0


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    value: Any  # literal, tuple of literals (in), FieldRef, ParamRef, or bool (exists)
    line: int = 0


@dataclass(frozen=True)
class AllOf:
    items: tuple


@dataclass(frozen=True)
class AnyOf:
    items: tuple


@dataclass(frozen=True)
class NotOf:
    item: Any


Condition = Union[Comparison, AllOf, AnyOf, NotOf]


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (bool, int, Decimal, str, dt.date)) and not isinstance(v, dt.datetime)


def _parse_operand(raw: Any, line: int, op: str) -> Any:
    if isinstance(raw, dict):
        keys = set(raw)
        if keys == {"field"}:
            name = raw["field"]
            if not isinstance(name, str) or not FIELD_NAME.match(name):
                raise ConditionError(line, f"'{op}': field name {name!r} is not a valid name")
            return FieldRef(name)
        if "param" in keys and keys <= {"param", "key"}:
            pid = raw["param"]
            if not isinstance(pid, str) or not pid:
                raise ConditionError(line, f"'{op}': param must be a parameter id")
            key = raw.get("key")
            if isinstance(key, dict):
                if set(key) != {"field"} or not isinstance(key["field"], str) or not FIELD_NAME.match(key["field"]):
                    raise ConditionError(line, f"'{op}': param key must be a literal or {{field: name}}")
                key = FieldRef(key["field"])
            elif key is not None and not _is_scalar(key):
                raise ConditionError(line, f"'{op}': param key must be a literal or {{field: name}}")
            return ParamRef(pid, key, line)
        unknown = ", ".join(repr(k) for k in sorted(map(str, keys)))
        raise ConditionError(line, f"'{op}': expected a literal, {{field: …}} or {{param: …}}, got keys {unknown}")
    if _is_scalar(raw):
        return raw
    raise ConditionError(line, f"'{op}': value {raw!r} is not a literal (number, text, true/false, date)")


def parse_condition(raw: Any, line: int = 0) -> Condition:
    """YAML `when` (LineDict) -> Condition tree. Raises ConditionError with the line."""
    if isinstance(raw, LineDict):
        line = raw.line
    if not isinstance(raw, dict) or not raw:
        raise ConditionError(line, "a condition must be a mapping: {all: […]}, {any: […]}, {not: …} or {field: …, <op>: …}")
    keys = set(raw)
    for combinator in ("all", "any"):
        if combinator in keys:
            if keys != {combinator}:
                extra = sorted(map(str, keys - {combinator}))
                raise ConditionError(raw.line_of(extra[0]) if isinstance(raw, LineDict) else line,
                                     f"unknown field '{extra[0]}' next to '{combinator}'")
            items = raw[combinator]
            if not isinstance(items, list) or not items:
                raise ConditionError(line, f"'{combinator}' needs a non-empty list of conditions")
            parsed = tuple(
                parse_condition(item, items.line_of(i) if isinstance(items, LineList) else line)
                for i, item in enumerate(items)
            )
            return AllOf(parsed) if combinator == "all" else AnyOf(parsed)
    if "not" in keys:
        if keys != {"not"}:
            extra = sorted(map(str, keys - {"not"}))
            raise ConditionError(line, f"unknown field '{extra[0]}' next to 'not'")
        return NotOf(parse_condition(raw["not"], raw.line_of("not") if isinstance(raw, LineDict) else line))
    if "field" not in keys:
        first = sorted(map(str, keys))[0]
        raise ConditionError(raw.line_of(first) if isinstance(raw, LineDict) else line,
                             f"unknown field '{first}' in a condition (expected all, any, not or field)")
    name = raw["field"]
    if not isinstance(name, str) or not FIELD_NAME.match(name):
        raise ConditionError(line, f"field name {name!r} is not a valid name (letters, digits, _)")
    ops = keys - {"field"}
    unknown = sorted(str(k) for k in ops if k not in COMPARISON_OPS)
    if unknown:
        raise ConditionError(raw.line_of(unknown[0]) if isinstance(raw, LineDict) else line,
                             f"unknown operator '{unknown[0]}' (use one of {', '.join(COMPARISON_OPS)})")
    if len(ops) != 1:
        raise ConditionError(line, f"a comparison needs exactly one operator, got {len(ops)}")
    op = ops.pop()
    value = raw[op]
    if op == "exists":
        if not isinstance(value, bool):
            raise ConditionError(line, "'exists' takes true or false")
        return Comparison(name, op, value, line)
    if op == "in":
        if not isinstance(value, list) or not value or not all(_is_scalar(v) for v in value):
            raise ConditionError(line, "'in' takes a non-empty list of literals")
        return Comparison(name, op, tuple(value), line)
    operand = _parse_operand(value, line, op)
    if op == "contains" and not _is_scalar(operand):
        raise ConditionError(line, "'contains' takes a literal (the value the list field must contain)")
    if op in ORDERING_OPS and isinstance(operand, (bool, str)):
        raise ConditionError(line, f"'{op}' compares numbers or dates, not {operand!r}")
    return Comparison(name, op, operand, line)


def walk(cond: Condition):
    """Every Comparison in a condition tree, depth first."""
    if isinstance(cond, Comparison):
        yield cond
    elif isinstance(cond, (AllOf, AnyOf)):
        for item in cond.items:
            yield from walk(item)
    elif isinstance(cond, NotOf):
        yield from walk(cond.item)


# ---------------------------------------------------------------------------------------------
# The rule file model
# ---------------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


class Text(BaseModel):
    """A text in each language of the rulebook (rulebook.yaml `languages`), read as `title.<lang>`."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, str] = Field(init=False)

    def get(self, lang: str, default: str | None = None) -> str | None:
        return (self.__pydantic_extra__ or {}).get(lang, default)

    @property
    def languages(self) -> list[str]:
        return list(self.__pydantic_extra__ or {})


class LegalBasis(_Strict):
    instrument: str
    article: str | None = None
    quote: str | None = None


class CalculatorRef(_Strict):
    calculator: str


class _NamedAmounts:
    """`rule.late_fee`, `example.late_fee`: the named amounts the rulebook declares (rulebook.yaml
    `amounts`), read like fields; None where a rule or example gives none."""

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)  # type: ignore[misc]
        except AttributeError:
            private = self.__pydantic_private__ or {}
            if name in private.get("_declared", ()):
                return self.__dict__[self._NAMED].get(name)
            raise


class Example(_NamedAmounts, _Strict):
    _NAMED = "expected"
    name: str
    fact: dict[str, Any]
    fires: bool
    amount: Decimal | None = None
    expected: dict[str, Decimal] = {}  # the named amounts it expects (rulebook.yaml `amounts`)

    _declared: tuple = PrivateAttr(default=())

    @field_validator("fact", mode="before")
    @classmethod
    def _plain_fact(cls, v: Any) -> Any:
        return plain(v) if isinstance(v, dict) else v


class Rule(_NamedAmounts, _Strict):
    _NAMED = "named_amounts"
    id: str = Field(pattern=RULE_ID.pattern)
    category: str
    subject: str = Field(pattern=FIELD_NAME.pattern)
    title: Text
    message: Text
    legal_basis: list[LegalBasis] = []
    severity: Literal["low", "medium", "high", "critical"]
    when: Any
    amount: CalculatorRef | None = None
    named_amounts: dict[str, CalculatorRef] = {}  # the other amounts it computes (rulebook.yaml `amounts`)
    evidence: list[str] = []
    examples: list[Example] = []

    _path: str = PrivateAttr(default="")
    _lines: dict = PrivateAttr(default_factory=dict)
    _declared: tuple = PrivateAttr(default=())

    def calculators(self) -> dict[str, CalculatorRef]:
        """Every amount the rule computes, `amount` first, by the name its hit and messages use."""
        out = {"amount": self.amount} if self.amount is not None else {}
        out.update(self.named_amounts)
        return out

    @field_validator("when", mode="before")
    @classmethod
    def _parse_when(cls, v: Any) -> Condition:
        return parse_condition(v)  # ConditionError passes through pydantic with its line

    @property
    def path(self) -> str:
        """The file the rule was read from, relative to the rules directory's parent."""
        return self._path

    def line_of(self, key: str) -> int:
        return self._lines.get(key, 1)

    def fields_used(self) -> list[str]:
        """Fact fields the condition reads (in order of appearance, without duplicates)."""
        seen: dict[str, None] = {}
        for c in walk(self.when):
            seen.setdefault(c.field, None)
            refs = [c.value] if not isinstance(c.value, tuple) else []
            for ref in refs:
                if isinstance(ref, FieldRef):
                    seen.setdefault(ref.field, None)
                elif isinstance(ref, ParamRef) and isinstance(ref.key, FieldRef):
                    seen.setdefault(ref.key.field, None)
        return list(seen)

    def params_used(self) -> list[ParamRef]:
        out: list[ParamRef] = []
        for c in walk(self.when):
            if isinstance(c.value, ParamRef) and c.value not in out:
                out.append(c.value)
        return out

    def examples_firing(self) -> int:
        return sum(1 for e in self.examples if e.fires)

    def examples_silent(self) -> int:
        return sum(1 for e in self.examples if not e.fires)


# ---------------------------------------------------------------------------------------------
# Loading a directory
# ---------------------------------------------------------------------------------------------
class RuleLoadError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _loc_line(data: Any, loc: tuple) -> tuple[int, str | None]:
    """Follow a pydantic error location through LineDict/LineList to the nearest line."""
    line = getattr(data, "line", 1) or 1
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.line_of(part)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.line_of(part)
            node = node[part]
        elif isinstance(node, LineDict):
            return line, None
        else:
            break
    return line, None


def _format_pydantic(err: dict) -> str:
    loc = err["loc"]
    where = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        return f"unknown field '{loc[-1]}'" + (f" in {'.'.join(str(p) for p in loc[:-1])}" if len(loc) > 1 else "")
    if err["type"] == "missing":
        return f"missing field '{where}'"
    return f"{where}: {err['msg']}"


def _move(data: LineDict, names, into: str) -> None:
    """Declared named amounts (`late_fee: …`) go into one mapping the model knows (`into`)."""
    moved = LineDict()
    moved.line, moved.lines = data.line, {}
    for name in names:
        if name in data:
            moved[name] = data.pop(name)
            moved.lines[name] = data.line_of(name)
    if moved:
        data[into] = moved
        data.lines[into] = min(moved.lines.values())


def parse_rule_text(text: str, file: str, declaration: Declaration | None = None) -> tuple[Rule | None, list[str]]:
    """Parse one rule file's text; return the rule (or None) and a list of 'file line n: …' errors.
    `declaration`: what the rulebook declares (rulebook.yaml): named amounts, languages."""
    declaration = declaration or Declaration()
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return None, [f"{file} line {line}: not valid YAML ({getattr(exc, 'problem', None) or exc})"]
    if not isinstance(data, LineDict):
        return None, [f"{file} line 1: a rule file must be a mapping (id:, category:, …)"]
    lines = dict(data.lines)
    _move(data, declaration.amounts, "named_amounts")
    for example in data.get("examples") or []:
        if isinstance(example, LineDict):
            _move(example, declaration.amounts, "expected")
    try:
        rule = Rule.model_validate(data)
    except ConditionError as exc:
        return None, [f"{file} line {exc.line}: when: {exc.message}"]
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            line, _ = _loc_line(data, err["loc"])
            errors.append(f"{file} line {line}: {_format_pydantic(err)}")
        return None, errors
    rule._path = file
    rule._lines = lines
    rule._declared = declaration.amounts
    for example in rule.examples:
        example._declared = declaration.amounts
    missing = [f"{file} line {lines.get(what, 1)}: {what} has no text in {lang!r} (rulebook.yaml languages)"
               for what in ("title", "message") for lang in declaration.languages
               if not getattr(rule, what).get(lang)]
    if missing:
        return None, missing
    stem = Path(file).stem
    if stem != rule.id:
        return None, [f"{file} line {data.line_of('id')}: id '{rule.id}' does not match the file name '{stem}.yaml'"]
    return rule, []


def rule_files(rules_dir: Path) -> list[Path]:
    rules_dir = Path(rules_dir)
    out = []
    for path in sorted(rules_dir.rglob("*.yaml")) + sorted(rules_dir.rglob("*.yml")):
        rel = path.relative_to(rules_dir)
        if rel.parts[0] in NOT_RULES or len(rel.parts) == 1:
            continue  # rules live in rules/<domain>/; top-level files describe the rulebook
        out.append(path)
    return sorted(out)


def revision_of(rules_dir: Path) -> str:
    """SHA-256 over the sorted relative paths and bytes of every file under rules/ (parameters too)."""
    rules_dir = Path(rules_dir)
    h = hashlib.sha256()
    for path in sorted(p for p in rules_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(rules_dir).as_posix()
        if "__pycache__" in rel.split("/") or rel.split("/")[0] in NOT_IN_REVISION:
            continue
        data = path.read_bytes()
        h.update(rel.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()


@dataclass
class Ruleset:
    rules: list[Rule]
    revision: str = ""
    root: Path | None = None
    declaration: Declaration = field(default_factory=Declaration)  # the rulebook's rulebook.yaml
    _by_id: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {r.id: r for r in self.rules}

    @property
    def short_revision(self) -> str:
        return self.revision[:12]

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def __contains__(self, rule_id: str) -> bool:
        return rule_id in self._by_id

    def subset(self, rule_ids) -> "Ruleset":
        wanted = set(rule_ids)
        return Ruleset([r for r in self.rules if r.id in wanted], self.revision, self.root, self.declaration)

    def params_dir(self) -> Path | None:
        return self.root / PARAMETERS_DIR if self.root is not None else None

    @classmethod
    def load(cls, rules_dir: Path | str) -> "Ruleset":
        """Load every rule under rules_dir; raise RuleLoadError listing every problem."""
        ruleset, errors = load_collect(rules_dir)
        if errors:
            raise RuleLoadError(errors)
        return ruleset


def load_collect(rules_dir: Path | str) -> tuple[Ruleset, list[str]]:
    """Load what loads; return the ruleset of the good files and every error (file line n: …)."""
    rules_dir = Path(rules_dir)
    if not rules_dir.is_dir():
        return Ruleset([], "", rules_dir), [f"{rules_dir}: not a directory"]
    base = rules_dir.parent
    rules: list[Rule] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    try:
        declaration = declaration_of.load(rules_dir)
    except declaration_of.DeclarationError as exc:
        return Ruleset([], "", rules_dir), [str(exc)]
    for path in rule_files(rules_dir):
        file = path.relative_to(base).as_posix()
        rule, errs = parse_rule_text(path.read_text(encoding="utf-8"), file, declaration)
        errors.extend(errs)
        if rule is None:
            continue
        if rule.id in seen:
            errors.append(f"{file} line {rule.line_of('id')}: rule id '{rule.id}' already used by {seen[rule.id]}")
            continue
        seen[rule.id] = file
        rules.append(rule)
    rules.sort(key=lambda r: r.id)
    return Ruleset(rules, revision_of(rules_dir), rules_dir, declaration), errors
