"""The findings summary of the provincial report: per category, per regency, and the minimum-wage
section, with BPJS contributions and wage shortfalls kept apart.

- A wage shortfall (UPAH-DI-BAWAH-UMK) is owed to the workers, not to BPJS: it is never added to
  the contribution principal, in any total.
- A construction finding counts where the work is (`contracts.regency_code`), every other finding
  at the employer's domicile; a contractor working in two regencies counts in both, once in the total.
- Workers paid below the minimum wage are counted as people (distinct NIK), months separately; the
  body shows regencies and employers, the month-by-month list is findings.csv.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from patuh.audits import categories as categories_of

from .data import RunData, dec
from patuh.audits.regions import REGENCIES



def _sum(values) -> Decimal:
    return sum((dec(v) for v in values), Decimal(0))


def dues(findings) -> Decimal:
    """Contribution principal: every finding but wage shortfalls and the not-added deductions."""
    # not added (rules/categories.yaml adds_to_total: false): part of another finding's principal
    cats = categories_of.load()
    return _sum(f.get("amount") for f in findings if f["category"] not in cats.not_added | cats.owed_to_workers)


def wages(findings) -> Decimal:
    """Wage shortfalls (categories.yaml `owed_to: workers`): owed to the workers, not to BPJS."""
    return _sum(f.get("amount") for f in findings if f["category"] in categories_of.load().owed_to_workers)


def regency_of(data: RunData, f: dict) -> str | None:
    """Where a finding counts: the contract's regency for construction, else the employer's."""
    cid = f.get("contract_id") or (f.get("subject_id") if f.get("subject_type") == "contract" else None)
    if cid and (data.contracts.get(cid) or {}).get("regency_code"):
        return data.contracts[cid]["regency_code"]
    return (data.employers.get(f.get("employer_id")) or {}).get("regency_code")


def _niks(f: dict) -> list[str] | None:
    workers = (f.get("evidence") or {}).get("workers")
    if workers is None:
        return None
    return sorted({w.get("nik") for w in workers if w.get("nik")})


def findings_summary(data: RunData, lang: str) -> dict:
    findings = data.findings
    by_cat = []
    cats = data.categories or categories_of.load()
    for c in sorted({f["category"] for f in findings} | set(cats.ids), key=lambda c: (cats.rank(c), c)):
        fs = [f for f in findings if f["category"] == c]
        by_cat.append({"category": c, "count": len(fs), "employers": len({f.get("employer_id") for f in fs}),
                       "amount": _sum(f.get("amount") for f in fs), "late_fee": _sum(f.get("late_fee") for f in fs),
                       "not_added": not cats.adds_to_total(c), "wage": c in cats.owed_to_workers})
    totals = {"count": len(findings), "employers": len({f.get("employer_id") for f in findings}),
              "dues": dues(findings), "wages": wages(findings), "late_fee": _sum(f.get("late_fee") for f in findings)}

    where = {id(f): regency_of(data, f) for f in findings}
    codes = sorted(set(REGENCIES) | {c for c in where.values() if c})
    steps_at: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for case in data.cases:
        code = (data.employers.get(case["employer_id"]) or {}).get("regency_code")
        for st in ("skk", "pidana"):
            if st in case["steps"]:
                steps_at[code][st].add(case["employer_id"])
    by_reg = []
    for code in codes:
        fs = [f for f in findings if where[id(f)] == code]
        by_reg.append({"code": code, "count": len(fs), "employers": len({f.get("employer_id") for f in fs}),
                       "dues": dues(fs), "wages": wages(fs), "late_fee": _sum(f.get("late_fee") for f in fs),
                       "skk": len(steps_at[code]["skk"]), "pidana": len(steps_at[code]["pidana"])})

    return {"by_cat": by_cat, "totals": totals, "by_reg": by_reg,
            "unknown_regency": sum(1 for f in findings if not where[id(f)]),
            "steps_count": [{"step": st, "count": sum(1 for c in data.cases if st in c["steps"])} for st in cats.steps],
            **minimum_wage_summary(data)}


def minimum_wage_summary(data: RunData) -> dict:
    """Per employer and per regency: months, workers (distinct NIK), worker-months, shortfall."""
    wage_categories = (data.categories or categories_of.load()).owed_to_workers  # rules/categories.yaml
    per_emp: dict[str, dict] = {}
    for f in data.findings:
        if f["category"] not in wage_categories:
            continue
        emp = data.employers.get(f.get("employer_id")) or {}
        e = per_emp.setdefault(f.get("employer_id"), {
            "employer_id": f.get("employer_id"), "employer": emp.get("name") or f.get("employer_id"),
            "regency_code": emp.get("regency_code"), "periods": [], "niks": set(), "worker_months": 0,
            "unknown_workers": False, "amount": Decimal(0), "minimum": set()})
        e["periods"].append(f.get("period"))
        niks = _niks(f)
        if niks is None:
            e["unknown_workers"] = True
        else:
            e["niks"].update(niks)
            e["worker_months"] += len(niks)
        e["amount"] += dec(f.get("amount"))
        tr = f.get("trace") or {}
        minimum = (tr.get("fields") or {}).get("minimum_wage") or (tr.get("evidence_fields") or {}).get("minimum_wage")
        if minimum in (None, ""):
            p = traced_param(f, ("umk", "ump")) or minimum_wage_param(data, emp.get("regency_code"), f.get("period"))
            minimum = p.get("value") if p else None
        if minimum not in (None, ""):
            e["minimum"].add(dec(minimum))
    employers = []
    for e in per_emp.values():
        periods = sorted(p for p in e["periods"] if p)
        employers.append({**e, "periods": periods, "months": len(periods), "first": periods[0] if periods else None,
                          "last": periods[-1] if periods else None,
                          "workers": None if e["unknown_workers"] else len(e["niks"]),
                          "worker_months": None if e["unknown_workers"] else e["worker_months"],
                          "minimum": sorted(e["minimum"])})
    employers.sort(key=lambda r: (r["regency_code"] or "", r["employer"], r["employer_id"] or ""))

    regencies = []
    for code in sorted({e["regency_code"] or "" for e in employers}):
        es = [e for e in employers if (e["regency_code"] or "") == code]
        unknown = any(e["workers"] is None for e in es)
        regencies.append({"code": code or None, "employers": len(es),
                          "workers": None if unknown else len(set().union(*(e["niks"] for e in es))),
                          "worker_months": None if unknown else sum(e["worker_months"] for e in es),
                          "months": sum(e["months"] for e in es), "amount": _sum(e["amount"] for e in es)})
    unknown = any(e["workers"] is None for e in employers)
    total = {"employers": len(employers),
             "workers": None if unknown else len(set().union(*(e["niks"] for e in employers))) if employers else 0,
             "worker_months": None if unknown else sum(e["worker_months"] for e in employers),
             "employer_months": sum(e["months"] for e in employers), "amount": _sum(e["amount"] for e in employers)}
    for e in employers:
        del e["niks"]  # no worker identity leaves this function
    used = {(e["regency_code"], p[:4]) for e in employers for p in e["periods"]}
    return {"umk_employers": employers, "umk_regencies": regencies, "umk_total": total,
            "umk_params": minimum_wage_sources(data, used)}


def traced_param(f: dict, ids: tuple[str, ...]) -> dict | None:
    for p in (f.get("trace") or {}).get("parameters") or []:
        if isinstance(p, dict) and p.get("id") in ids:
            return p
    return None


def minimum_wage_param(data: RunData, regency_code: str | None, period: str | None) -> dict | None:
    """The UMK of the regency in force in the wage month (else the UMP) among the run's parameters:
    for findings whose trace does not carry the minimum it was judged against."""
    if not period:
        return None
    day = f"{period[:7]}-01"

    def in_force(p):
        return str(p.get("valid_from") or "") <= day and (not p.get("valid_until") or day <= str(p["valid_until"]))

    for pid, key in (("umk", regency_code), ("ump", None)):
        for p in data.run_parameters:
            if p.get("id") == pid and (p.get("key") in (None, "") if key is None else str(p.get("key")) == str(key)) \
                    and in_force(p):
                return p
    return None


def minimum_wage_sources(data: RunData, used: set[tuple[str, str]]) -> list[dict]:
    """The minimum-wage decrees behind the shortfalls, once each (not a badge on every row): the
    UMK of each (regency, year) with a shortfall, the UMP where no UMK was in force."""
    wage_categories = (data.categories or categories_of.load()).owed_to_workers
    traced = [traced_param(f, ("umk", "ump")) for f in data.findings if f["category"] in wage_categories]
    params = [p for p in data.run_parameters + [p for p in traced if p] if p.get("id") in ("umk", "ump")]
    have_umk = {(str(p.get("key")), str(p.get("valid_from"))[:4]) for p in params if p.get("id") == "umk"}
    seen = {}
    for p in params:
        year = str(p.get("valid_from"))[:4]
        if p.get("id") == "umk" and (str(p.get("key")), year) not in used:
            continue
        if p.get("id") == "ump" and not any(y == year and (r, y) not in have_umk for r, y in used):
            continue
        k = (p.get("id"), p.get("valid_from"), p.get("instrument"))
        seen.setdefault(k, {"id": p.get("id"), "valid_from": p.get("valid_from"), "instrument": p.get("instrument"),
                            "source": p.get("source"), "status": p.get("status"), "regencies": set()})
        if p.get("key"):
            seen[k]["regencies"].add(str(p["key"]))
    out = sorted(seen.values(), key=lambda p: (str(p["valid_from"]), p["id"], p["instrument"] or ""))
    for p in out:
        p["regencies"] = sorted(p["regencies"])
    return out
