"""The finding categories of a rulebook (`rules/categories.yaml`): their order, subject, title,
whether they add to totals or carry a late fee, what evidence they rest on and which dossier
focuses on them, and the enforcement steps. Read from the rulebook the audit runs on, so that a
new category is a line of data, not a change of code."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from patuh.engine.yaml_load import load as load_yaml

from .law_corpus import LawCorpus, LawError, citation_problems
from .rulebook import rules_dir as default_rules_dir

FILE = "categories.yaml"
WORKER_TESTS = ("unregistered", "underreported", "below_minimum", "deducted")


class CategoryError(Exception):
    """categories.yaml is missing or malformed; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Strict):
    workers: Literal[WORKER_TESTS] | None = None  # type: ignore[valid-type]
    payments: bool = False
    contracts: bool = False
    sheet: str | None = None


class Citation(_Strict):
    instrument: str
    article: str


class Category(_Strict):
    id: str
    subject: str
    title: dict[str, str]
    adds_to_total: bool
    late_fee: bool
    evidence: Evidence = Evidence()
    focus: tuple[str, ...] = ()
    case_flag: str | None = None
    fine_base: bool = False
    owed_to: Literal["bpjs", "workers"] = "bpjs"
    part_of: tuple[str, ...] = ()
    unregistered_workers: Literal["evidence", "payroll"] | None = None
    warning_basis: tuple[Citation, ...] = ()


class _File(_Strict):
    categories: list[Category]
    steps: list[str]


@dataclass(frozen=True)
class Categories:
    items: tuple[Category, ...]
    steps: tuple[str, ...]  # enforcement steps, strongest first

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.items})
        object.__setattr__(self, "_rank", {c.id: i for i, c in reversed(list(enumerate(self.items)))})

    def __iter__(self):
        return iter(self.items)

    def __contains__(self, category: str) -> bool:
        return category in self._by_id

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.items]

    def get(self, category: str) -> Category | None:
        return self._by_id.get(category)

    def rank(self, category: str) -> int:
        """Position in the rulebook's order; an unknown category goes last."""
        return self._rank.get(category, len(self.items))

    def adds_to_total(self, category: str) -> bool:
        c = self.get(category)
        return c is None or c.adds_to_total

    @property
    def not_added(self) -> frozenset[str]:
        return frozenset(c.id for c in self.items if not c.adds_to_total)

    @property
    def with_late_fee(self) -> frozenset[str]:
        return frozenset(c.id for c in self.items if c.late_fee)

    @property
    def owed_to_workers(self) -> frozenset[str]:
        """Wage shortfalls: owed to the workers, not to BPJS."""
        return frozenset(c.id for c in self.items if c.owed_to == "workers")

    @property
    def fine_base(self) -> tuple[str, ...]:
        """The categories whose amounts make the base of the administrative fine, in order."""
        return tuple(c.id for c in self.items if c.fine_base)

    def part_of(self, categories) -> tuple[str, ...]:
        """The categories whose principal holds the amounts of `categories`, in the rulebook's order."""
        held = {p for c in self.items if c.id in set(categories) for p in c.part_of}
        return tuple(c.id for c in self.items if c.id in held)

    def unregistered_from(self, source: str) -> frozenset[str]:
        """The categories whose findings put workers outside BPJS: those their evidence lists
        (`evidence`) or every worker on the employer's payroll (`payroll`)."""
        return frozenset(c.id for c in self.items if c.unregistered_workers == source)

    def focus_of(self, kind: str) -> tuple[str, ...]:
        return tuple(c.id for c in self.items if kind in c.focus)

    def step_rank(self, step: str) -> int:
        return self.steps.index(step) if step in self.steps else len(self.steps)


def parse(text: str, file: str) -> Categories:
    try:
        data = load_yaml(text, yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise CategoryError(f"{file}: not valid YAML ({exc})") from None
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = first["loc"]
        entry = ""
        if len(where) >= 2 and where[0] == "categories" and isinstance(where[1], int):
            items = (data or {}).get("categories") or []
            cid = items[where[1]].get("id") if where[1] < len(items) and isinstance(items[where[1]], dict) else None
            entry = f" category {cid or '#' + str(where[1] + 1)}"
        raise CategoryError(f"{file}:{entry} {'.'.join(map(str, where))}: {first['msg']}") from None
    seen: set[str] = set()
    for c in parsed.categories:
        if c.id in seen:
            raise CategoryError(f"{file}: category {c.id} is listed twice")
        seen.add(c.id)
    for c in parsed.categories:
        for other in c.part_of:
            if other not in seen or other == c.id:
                raise CategoryError(f"{file}: category {c.id} part_of: '{other}' is not another category of the file")
    return Categories(tuple(parsed.categories), tuple(parsed.steps))


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> Categories:
    return parse(path.read_text(encoding="utf-8"), str(path))


def load(rules_dir: Path | str | None = None) -> Categories:
    """The categories of the rulebook at `rules_dir` (default: the installed rulebook)."""
    path = Path(default_rules_dir(rules_dir)) / FILE
    if not path.is_file():
        raise CategoryError(f"{path}: missing (the rulebook's finding categories)")
    return _load(path.resolve(), path.stat().st_mtime_ns)


def lint(rules_dir: Path | str, ruleset, params=None) -> list[str]:
    """`rules lint`: every rule's category is in categories.yaml and judges the category's subject;
    a ladder rule (subject case) names an enforcement step."""
    try:
        cats = load(rules_dir)
    except CategoryError as exc:
        return [str(exc)]
    problems = _citation_problems(rules_dir, cats)
    for r in ruleset:
        where = f"{r.path} line {r.line_of('category')}"
        if r.subject == "case":
            if r.category not in cats.steps:
                problems.append(f"{where}: step '{r.category}' is not among the steps of {FILE}")
            continue
        c = cats.get(r.category)
        if c is None:
            problems.append(f"{where}: category '{r.category}' is not in {FILE}")
        elif c.subject != r.subject:
            problems.append(f"{where}: category '{r.category}' judges {c.subject} facts in {FILE}, "
                            f"the rule judges {r.subject}")
    return problems


def _citation_problems(rules_dir: Path | str, cats: Categories) -> list[str]:
    """Every article a category cites (warning_basis) is in the law corpus (rules/law/)."""
    cited = [(c, b) for c in cats for b in c.warning_basis]
    if not cited:
        return []
    try:
        corpus = LawCorpus.load(default_rules_dir(rules_dir))
    except LawError as exc:
        return [str(exc)]
    return [f"{Path(default_rules_dir(rules_dir)) / FILE}: category {c.id} warning_basis {b.instrument} {b.article}: {p}"
            for c, b in cited for p in citation_problems(corpus, b.instrument, b.article, None)]
