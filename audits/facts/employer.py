"""One fact per employer with payroll in the audited months: registration and programmes."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from patuh.audits.calc.calendar import period_start
from patuh.audits.calc.dues import PROGRAMS
from patuh.audits.calc.sums import DuesOnRead

from .scope import Scope, employer_rows, gc_paused

ZERO = Decimal(0)


@gc_paused()
def employer_facts(sc: Scope, month_facts: list[dict]) -> list[dict]:
    """Built from the employer-month facts (already aggregated in SQL): no second payroll scan."""
    employers = employer_rows(sc.conn, sc.import_id, sc)
    totals: dict[str, dict] = defaultdict(lambda: {"rows": 0, "wage": ZERO, "jp": ZERO, "months": [], "by_month": []})
    for f in month_facts:
        if f["payroll_workers"]:
            t = totals[f["employer_id"]]
            t["rows"] += f["payroll_workers"]
            t["wage"] += f["wage_total"]
            t["jp"] += f["jp_base_total"]
            t["months"].append(f["period"])
            t["by_month"].append((f["period"], f["wage_total"], f["jp_base_total"]))
    on = period_start(sc.period_from)
    facts = []
    # every employer of the package: a registration that lacks a mandatory programme is a finding
    # even in months without payroll (amount 0); PWBD itself needs payroll rows (its rule says so)
    for emp_id in sorted(employers):
        emp, t = employers[emp_id], totals[emp_id]
        mandatory = list(sc.lookup("mandatory_programs", on, emp["scale"]).value)
        programs = [p for p in PROGRAMS if p in (emp["programs"] or "").split(";")]
        missing = [p for p in PROGRAMS if p in mandatory and p not in programs]
        facts.append({
            "id": f"e:{emp_id}",
            "type": "employer",
            "batch": emp_id,
            "on": on,
            "subject_id": emp_id,
            "employer_id": emp_id,
            "registered": bool(emp["npp"]),
            "scale": emp["scale"],
            "sector": emp["sector"] or "",
            "regency_code": emp["regency_code"],
            "risk_group": emp["jkk_risk_group"] or 0,
            "programs": programs,
            "mandatory_programs": mandatory,
            "missing_programs": missing,
            "missing_program_count": len(missing),
            "payroll_rows": t["rows"],
            "months": len(t["months"]),
            "first_period": min(t["months"], default=sc.period_from),
            "last_period": max(t["months"], default=sc.period_to),
            "wage_total": t["wage"],
            "jp_base_total": t["jp"],
            # (period, wage, JP base) per month: dues take each month's rates (read by calculators,
            # never by a rule, so it does not enter the engine)
            "by_month": tuple(t["by_month"]),
        })
        # the dues of PWBD (mandatory programmes) and PDS-PROGRAM (missing ones), month by month
        facts[-1]["dues_by_month"] = DuesOnRead(facts[-1], sc.params)
    return facts
