"""Everything a run's dossiers need, read from the store by run id, in a fixed order.

Only plain dicts and lists come out (JSON columns parsed), sorted so that iterating them is
deterministic: the same store content always gives the same documents.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Engine

from patuh.audits import categories as categories_of
from patuh.audits.categories import Categories
from patuh.audits.coverage import Coverage, load as load_coverage
from patuh.audits.store import schema as s


class DossierDataError(LookupError):
    """The run (or something it points to) is not in the store."""


def _json(text, default):
    if text is None or text == "":
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def parse_steps(value, categories: Categories | None = None) -> list[str]:
    """cases.next_steps: a JSON list (or, leniently, `;`-joined text) -> steps, strongest first
    (in the order of the rulebook's categories.yaml; default: the installed rulebook)."""
    if isinstance(value, list):
        steps = value
    else:
        steps = _json(value, None)
        if not isinstance(steps, list):
            steps = [p for p in str(value or "").split(";") if p]
    steps = [str(x).strip() for x in steps if str(x).strip()]
    rank = {k: i for i, k in enumerate((categories or categories_of.load()).steps)}
    return sorted(dict.fromkeys(steps), key=lambda k: (rank.get(k, len(rank)), k))


def finding_sort_key(f: dict, categories: Categories):
    return (categories.rank(f["category"]), f["category"], f.get("period") or "", f.get("subject_id") or "", f["finding_id"])


@dataclass
class RunData:
    run: dict
    imp: dict
    files: list[dict]
    employers: dict[str, dict]
    actions: dict[str, list[dict]]
    findings: list[dict]
    cases: list[dict]
    contracts: dict[str, dict] = field(default_factory=dict)
    registrations: dict[str, list[dict]] = field(default_factory=dict)
    run_parameters: list[dict] = field(default_factory=list)  # runs.parameters_json: used when deriving facts
    coverage: Coverage | None = None  # docs/coverage.md, as recorded with the run
    categories: Categories | None = None  # the categories.yaml of the run's rulebook

    @property
    def run_id(self) -> str:
        return self.run["run_id"]

    @property
    def as_of(self) -> dt.date:
        return self.run["as_of"]

    def findings_of(self, employer_id: str) -> list[dict]:
        return [f for f in self.findings if f.get("employer_id") == employer_id]

    def case_of(self, employer_id: str) -> dict | None:
        for c in self.cases:
            if c["employer_id"] == employer_id:
                return c
        return None


def load_run(engine: Engine, run_id: str, categories: Categories | None = None) -> RunData:
    """`categories`: those of the rulebook the run used (default: the installed rulebook's)."""
    categories = categories or categories_of.load()
    with engine.connect() as conn:
        run = conn.execute(select(s.runs).where(s.runs.c.run_id == run_id)).mappings().first()
        if run is None:
            raise DossierDataError(f"run {run_id} is not in the store")
        run = dict(run)
        imp_id = run["import_id"]
        imp = conn.execute(select(s.imports).where(s.imports.c.import_id == imp_id)).mappings().first()
        imp = dict(imp) if imp else {"import_id": imp_id}

        files = [dict(r) for r in conn.execute(
            select(s.import_files.c.file, s.import_files.c.sheet, s.import_files.c.sha256, s.import_files.c.rows)
            .where(s.import_files.c.import_id == imp_id)).mappings()]
        files.sort(key=lambda r: (r["file"], r["sheet"] or ""))

        employers = {}
        for r in conn.execute(select(s.employers).where(s.employers.c.import_id == imp_id)).mappings():
            employers[r["employer_id"]] = dict(r)

        actions: dict[str, list[dict]] = {}
        for r in conn.execute(select(s.enforcement_actions).where(s.enforcement_actions.c.import_id == imp_id)).mappings():
            actions.setdefault(r["employer_id"], []).append(dict(r))
        # actions recorded with `patuh action` count like the package's (docs/lifecycle.md)
        ra = s.recorded_actions
        for r in conn.execute(select(ra).where(ra.c.employer_id.in_(list(employers)))).mappings():
            actions.setdefault(r["employer_id"], []).append({
                "employer_id": r["employer_id"], "action": r["step"], "issued_on": r["issued_on"],
                "reference": r["reference"], "src_file": "recorded_actions", "src_sheet": None,
                "src_row": r["action_id"]})
        ladder = list(reversed(categories.steps))  # weakest first: on the same day teguran-1 before teguran-2
        for lst in actions.values():
            lst.sort(key=lambda a: (a["issued_on"] or dt.date.min, ladder.index(a["action"]) if a["action"] in ladder else -1,
                                    a["action"], a.get("reference") or "", a["src_row"]))

        findings = []
        for r in conn.execute(select(s.findings).where(s.findings.c.run_id == run_id)).mappings():
            f = dict(r)
            f["trace"] = _json(f.pop("trace_json"), {}) or {}
            f["evidence"] = _json(f.pop("evidence_json"), {}) or {}
            findings.append(f)
        findings.sort(key=lambda f: (f.get("employer_id") or "",) + finding_sort_key(f, categories))

        cases = []
        for r in conn.execute(select(s.cases).where(s.cases.c.run_id == run_id)).mappings():
            c = dict(r)
            c["steps"] = parse_steps(c.get("next_steps"), categories)
            c["category_list"] = sorted({x for x in (c.get("categories") or "").split(";") if x}, key=lambda k: (categories.rank(k), k))
            c["trace"] = _json(c.pop("trace_json", None), {}) or {}
            c["fine"] = _json(c.pop("fine_json", None), None)  # the audit's administrative fine (denda)
            cases.append(c)
        cases.sort(key=lambda c: c["employer_id"])

        contracts = {r["contract_id"]: dict(r) for r in conn.execute(select(s.contracts).where(s.contracts.c.import_id == imp_id)).mappings()}
        registrations: dict[str, list[dict]] = {}
        # a registration made after as_of did not exist at as_of (the findings say the same)
        pr = s.project_registrations
        for r in conn.execute(select(pr).where(pr.c.import_id == imp_id, pr.c.registered_on <= run["as_of"])).mappings():
            registrations.setdefault(r["contract_id"], []).append(dict(r))
        for lst in registrations.values():
            lst.sort(key=lambda x: (x["registered_on"], x["registration_no"], x["src_row"]))
        coverage = load_coverage(conn, run_id, _json(run.get("counts_json"), {}) or {})

    run_parameters = _json(run.get("parameters_json"), [])
    if not isinstance(run_parameters, list):
        run_parameters = []
    run_parameters = [p for p in run_parameters if isinstance(p, dict)]
    return RunData(run=run, imp=imp, files=files, employers=employers, actions=actions, findings=findings, cases=cases,
                   contracts=contracts, registrations=registrations, run_parameters=run_parameters,
                   coverage=coverage, categories=categories)


def dec(value) -> Decimal:
    """Store money (Decimal) or evidence money (str) -> Decimal; missing -> 0."""
    if value is None or value == "":
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))
