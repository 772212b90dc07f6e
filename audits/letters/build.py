"""Which letters a run calls for, their numbers, and everything each one says.

- `teguran-1`, `teguran-2`, `denda`, `tmp2t`: for each case whose next steps include it;
- `cabut-tmp2t`: for an employer in the package with a `tmp2t` action issued on or before `as_of`
  and no finding in this run (it was audited and nothing is left to comply with).

Numbers: every document of an office in this run (letters and the skk/pidana dossiers) takes the
next number of that office's register, in a fixed order (document kind, then employer), so the
same audit with the same configuration numbers the same. The administrative fine is computed once,
by the audit (audits.cases.add_fines, on the run's letter date), recorded with the case, and only
read back and rendered here.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from patuh.audits.dossiers.data import RunData, dec
from patuh.audits.regions import regency_name

from .citations import Cite, cite
from .office import Office, OfficeConfig

HERE = Path(__file__).resolve().parent
LETTER_STEPS = ("teguran-1", "teguran-2", "denda", "tmp2t")
REVOKE = "cabut-tmp2t"
# Kinds in numbering order: the weakest step first, the dossiers last.
NUMBER_ORDER = ("teguran-1", "teguran-2", "denda", "tmp2t", REVOKE, "skk", "pidana")

# What each letter rests on: (instrument, article as cited).
BASIS = {
    "teguran-1": [("UU 24/2011", "Pasal 15 ayat (1)–(2)"), ("UU 24/2011", "Pasal 17 ayat (1)–(3)"),
                  ("PP 86/2013", "Pasal 6 ayat (1)"), ("PP 86/2013", "Pasal 10 ayat (1)")],
    "teguran-2": [("UU 24/2011", "Pasal 15 ayat (1)–(2)"), ("UU 24/2011", "Pasal 17 ayat (1)–(3)"),
                  ("PP 86/2013", "Pasal 6 ayat (1)"), ("PP 86/2013", "Pasal 10 ayat (2)")],
    "denda": [("UU 24/2011", "Pasal 17 ayat (2)–(3)"), ("PP 86/2013", "Pasal 7 ayat (1)–(3)"),
              ("PP 86/2013", "Pasal 10 ayat (3)–(6)")],
    "tmp2t": [("UU 24/2011", "Pasal 17 ayat (2) dan ayat (4)"), ("PP 86/2013", "Pasal 8 ayat (1)"),
              ("PP 86/2013", "Pasal 9 ayat (1) dan ayat (3)"), ("PP 86/2013", "Pasal 10 ayat (6)"),
              ("Permenaker 4/2018", "(pasal belum dibaca)")],
    REVOKE: [("PP 86/2013", "Pasal 10 ayat (7)–(8)"), ("UU 24/2011", "Pasal 17 ayat (4)")],
}
# What a warning adds for the categories of the employer's findings: rules/categories.yaml warning_basis.


class LetterError(ValueError):
    pass


@dataclass(frozen=True)
class FineLine:
    finding_id: str
    category: str
    period: str | None
    amount: Decimal


@dataclass(frozen=True)
class Fine:
    """The administrative fine as the audit recorded it (cases.fine_json): read, never recomputed."""
    amount: Decimal
    base: Decimal
    rate: Decimal
    months: int
    exact: Decimal
    warning_ended: dt.date
    letter_date: dt.date
    lines: tuple[FineLine, ...]
    parameters: tuple[dict, ...]

    @classmethod
    def stored(cls, d: dict) -> "Fine":
        return cls(amount=Decimal(d["amount"]), base=Decimal(d["base"]), rate=Decimal(d["rate"]),
                   months=int(d["months"]), exact=Decimal(d["exact"]),
                   warning_ended=dt.date.fromisoformat(d["warning_ended"]),
                   letter_date=dt.date.fromisoformat(d["letter_date"]),
                   lines=tuple(FineLine(ln["finding_id"], ln["category"], ln["period"], Decimal(ln["amount"]))
                               for ln in d["lines"]),
                   parameters=tuple(d["parameters"]))


def recorded_fine(case: dict | None, employer_id: str, letter_date: dt.date) -> Fine:
    """The fine the audit computed for this denda letter, on this letter date."""
    stored = (case or {}).get("fine")
    if not stored:
        raise LetterError(f"{employer_id}: the run recorded no administrative fine for its denda letter "
                          "(the fine is computed by the audit: run `patuh audit` again)")
    if "error" in stored:
        raise LetterError(stored["error"])
    fine = Fine.stored(stored)
    if fine.letter_date != letter_date:
        raise LetterError(f"{employer_id}: the administrative fine was computed for the letter date "
                          f"{fine.letter_date.isoformat()}, not {letter_date.isoformat()}: run `patuh audit "
                          f"--letter-date {letter_date.isoformat()}` to date the letters then")
    return fine


@lru_cache(maxsize=None)
def _labels() -> dict:
    with open(HERE / "labels.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    for key, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != {"id", "en"}:
            raise ValueError(f"letters/labels.yaml: {key} needs exactly id and en")
    return data


def label(key: str, lang: str) -> str:
    return _labels()[key][lang]


@dataclass
class Letter:
    kind: str
    employer_id: str
    number: str
    date: dt.date
    office: Office
    employer: dict
    case: dict | None
    findings: list[dict] = field(default_factory=list)
    fine: Fine | None = None
    actions: list[dict] = field(default_factory=list)

    @property
    def rel(self) -> str:
        from patuh.audits.dossiers.render import safe_segment
        return f"surat/{self.kind}/{safe_segment(self.employer_id)}/surat"


def _reply_by(letter) -> dt.date:
    """The warning's reply-by date, as the audit recorded it for this letter date (audits.cases)."""
    terms = ((letter.case or {}).get("trace") or {}).get("letter") or {}
    if terms.get("date") != letter.date.isoformat():
        raise LetterError(f"{letter.employer_id}: the audit recorded the {letter.kind} warning period for "
                          f"{terms.get('date') or 'no letter date'}, not for {letter.date.isoformat()}: audit again "
                          f"with --letter-date")
    return dt.date.fromisoformat(terms["reply_by"])


def counted_findings(data: RunData, employer_id: str) -> list[dict]:
    """The employer's findings that count (a finding set aside in review does not)."""
    return [f for f in data.findings_of(employer_id) if (f.get("review") or "") != "tolak"]


def _last_action(actions: list[dict], kind: str, as_of: dt.date) -> dict | None:
    got = [a for a in actions if a["action"] == kind and a["issued_on"] and a["issued_on"] <= as_of]
    return got[-1] if got else None


def numbering(data: RunData, office: OfficeConfig, letter_date: dt.date,
              dossier_kinds=("skk", "pidana")) -> tuple[list[tuple[str, str]], dict[tuple[str, str], str], dict[str, Office]]:
    """Every document of the run that takes a number, in numbering order, its number by
    (employer_id, kind), and the office of each employer."""
    wanted: list[tuple[str, str]] = []
    for case in data.cases:
        for st in case["steps"]:
            if st in LETTER_STEPS or st in dossier_kinds:
                wanted.append((st, case["employer_id"]))
    with_findings = {f.get("employer_id") for f in data.findings}
    for eid in sorted(data.actions):
        if eid in data.employers and eid not in with_findings and _last_action(data.actions[eid], "tmp2t", data.as_of):
            wanted.append((REVOKE, eid))
    wanted.sort(key=lambda kv: (NUMBER_ORDER.index(kv[0]), kv[1]))

    numbers: dict[tuple[str, str], str] = {}
    seq: dict[str, int] = defaultdict(int)
    offices: dict[str, Office] = {}
    for kind, eid in wanted:
        o = office.office_for((data.employers.get(eid) or {}).get("regency_code"))
        offices[eid] = o
        seq[o.code] += 1
        numbers[(eid, kind)] = office.number(o, kind, seq[o.code], letter_date)
    return wanted, numbers, offices


def plan(data: RunData, office: OfficeConfig, letter_date: dt.date, rules: str | Path | None = None,
         dossier_kinds=("skk", "pidana")) -> tuple[list[Letter], dict[tuple[str, str], str]]:
    """The letters of a run (with the fine the audit recorded), and the number of every document
    (letters and dossiers) by (employer_id, kind)."""
    if letter_date < data.as_of:
        raise LetterError(f"the letter date {letter_date.isoformat()} is before the audit's as_of "
                          f"{data.as_of.isoformat()}: a letter cannot rest on facts of a later day")
    wanted, numbers, offices = numbering(data, office, letter_date, dossier_kinds)
    letters = []
    for kind, eid in wanted:
        if kind not in LETTER_STEPS and kind != REVOKE:
            continue
        case = data.case_of(eid)
        fs = counted_findings(data, eid)
        fine = recorded_fine(case, eid, letter_date) if kind == "denda" else None
        letters.append(Letter(kind=kind, employer_id=eid, number=numbers[(eid, kind)], date=letter_date,
                              office=offices[eid], employer=data.employers.get(eid) or {"employer_id": eid, "name": eid},
                              case=case, findings=fs, fine=fine, actions=data.actions.get(eid, [])))
    return letters, numbers


# ---------------------------------------------------------------------------------------------
# What a letter says


def _cites(pairs, lang: str, rules) -> list[Cite]:
    out, seen = [], set()
    for ins, art in pairs:
        if (ins, art) not in seen:
            seen.add((ins, art))
            out.append(cite(ins, art, lang, str(rules) if rules else None))
    return out


def _finding_rows(findings: list[dict], lang: str, categories) -> list[dict]:
    by_cat: dict[str, dict] = {}
    for f in findings:
        if f["category"] in categories.owed_to_workers:  # for the labour inspectorate, not in BPJS letters
            continue
        b = by_cat.setdefault(f["category"], {"category": f["category"], "periods": [], "amount": Decimal(0),
                                               "late_fee": Decimal(0), "count": 0, "subjects": []})
        b["count"] += 1
        if f.get("period"):
            b["periods"].append(f["period"])
        elif f.get("contract_id"):
            b["subjects"].append(f["contract_id"])
        b["amount"] += dec(f.get("amount"))
        b["late_fee"] += dec(f.get("late_fee"))
    rows = sorted(by_cat.values(), key=lambda b: (categories.rank(b["category"]), b["category"]))
    for r in rows:
        r["periods"] = sorted(set(r["periods"]))
        r["action"] = label(f"do.{r['category']}", lang)
        r["not_added"] = not categories.adds_to_total(r["category"])  # rules/categories.yaml
    return rows


def responsible(employer: dict) -> tuple[str | None, str | None]:
    return (employer.get("responsible_name") or None, employer.get("responsible_title") or None)


def letter_context(letter: Letter, data: RunData, cfg: OfficeConfig, numbers: dict, lang: str,
                   rules=None) -> dict:
    e = letter.employer
    regency = regency_name(e.get("regency_code"), lang)
    name_resp, title_resp = responsible(e)
    cats = {f["category"] for f in letter.findings}
    basis = list(BASIS[letter.kind])
    if letter.kind in ("teguran-1", "teguran-2"):
        for c in sorted(cats, key=data.categories.rank):
            category = data.categories.get(c)
            basis += [(b.instrument, b.article) for b in (category.warning_basis if category else ())]
    cites = _cites(basis, lang, rules)
    rows = _finding_rows(letter.findings, lang, data.categories)
    added = [r for r in rows if not r["not_added"]]
    ctx = {
        "kind": letter.kind,
        "number": letter.number,
        "date": letter.date,
        "as_of": data.as_of,
        "run_id": data.run_id,
        "period_from": data.run.get("period_from"),
        "period_to": data.run.get("period_to"),
        "office": letter.office,
        "parent": cfg.parent,
        "employer": {**{k: e.get(k) for k in ("employer_id", "name", "npwp", "nib", "npp", "address", "regency_code")},
                     "regency": regency, "responsible_name": name_resp, "responsible_title": title_resp},
        "findings": rows,
        "total_amount": sum((r["amount"] for r in added), Decimal(0)),
        "total_late_fee": sum((r["late_fee"] for r in rows), Decimal(0)),
        "has_umk": bool(cats & data.categories.owed_to_workers),
        "has_pidana": bool(cats & set(data.categories.focus_of("pidana"))),
        "cites": cites,
        "unverified": sum(1 for c in cites if not c.verified),
        "deadline": _reply_by(letter) if letter.kind in ("teguran-1", "teguran-2") else None,
        "fine": letter.fine,
        "sifat": "segera" if letter.kind in ("denda", "tmp2t") else "penting",
        "lampiran": True,  # every letter has its enclosure: the legal basis (and the fine's base)
        "signer": letter.office.head,
    }
    t1 = _last_action(letter.actions, "teguran-1", data.as_of)
    t2 = _last_action(letter.actions, "teguran-2", data.as_of)
    tr = ((letter.case or {}).get("trace") or {}).get("fields", {})
    ctx["t1"] = t1 and {**t1, "until": tr.get("teguran1_until")}
    ctx["t2"] = t2 and {**t2, "until": tr.get("teguran2_until")}
    d_action = _last_action(letter.actions, "denda", data.as_of)
    ctx["denda_ref"] = ({"number": d_action.get("reference"), "date": d_action["issued_on"]} if d_action else
                        ({"number": numbers[(letter.employer_id, "denda")], "date": letter.date, "this_run": True}
                         if (letter.employer_id, "denda") in numbers else None))
    if letter.kind in ("tmp2t", REVOKE):
        lic = cfg.licensing.get(str(e.get("regency_code")))
        ctx["licensing"] = {"name": lic["name"] if lic else label("p.derived_name", lang).format(regency=regency),
                            "address": (lic or {}).get("address") or "", "city": regency}
    if letter.kind == REVOKE:
        tm = _last_action(letter.actions, "tmp2t", data.as_of)
        ctx["tmp2t_ref"] = {"number": tm.get("reference"), "date": tm["issued_on"]}
    return ctx
