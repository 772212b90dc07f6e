"""The named calculators that rules refer to (`amount: {calculator: …}`): each turns a fact into
an amount with the shared calculators in `audits.calc`, recording every parameter it used.
They return exact Decimals; the evaluator rounds half-up once per finding."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from patuh.engine.parameters import ParameterStore

from .calc.bill import monthly_bill
from .calc.calendar import due_date as _due_date
from .calc.calendar import period_start
from .calc.dues import dues, total_due
from .calc.jakon import construction_contribution
from .calc.late_fee import late_fee as _late_fee
from .calc.minimum import minimum_wage
from .calc.money import ZERO, round_rupiah


def _d(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _on(fact) -> dt.date:
    return _date(fact["on"])


def _risk_group(fact, params, trace) -> int:
    group = int(fact.get("risk_group") or 0)
    if group:
        return group
    use = params.lookup("pwbd_estimate_risk_group", _on(fact))
    trace.append(use)
    return int(use.value)


def bill_of(fact, params: ParameterStore, trace: list):
    return monthly_bill(_d(fact["declared_wage"]), _d(fact["declared_jp_base"]), _on(fact),
                        int(fact["risk_group"]) or None, fact["programs"], params, trace)


def arrears(fact, params, trace) -> Decimal:
    """B(E,P) − Paid(E,P, as_of)."""
    bill = bill_of(fact, params, trace).total
    return max(bill - _d(fact["paid"]), ZERO)


def late_fee(fact, params, trace) -> Decimal:
    bill = bill_of(fact, params, trace)
    due = _due_date(fact["period"], params, trace)
    payments = list(zip((_date(d) for d in fact.get("payment_dates", [])),
                        (_d(a) for a in fact.get("payment_amounts", []))))
    result = _late_fee(fact["period"], bill.total, bill.jp, bill.unrounded, payments, due,
                       _date(fact["as_of"]), params, trace)
    # late fee paid (payments of kind denda on or before as_of) is deducted; never below 0
    return max(result.fee - _d(fact.get("late_fee_paid", ZERO)), ZERO)


def unremitted_deductions(fact, params, trace) -> Decimal:
    """min(deductions, unpaid principal); for an employer without npp, the deductions."""
    deductions = _d(fact["deductions"])
    if not fact["registered"]:
        return deductions
    return min(deductions, arrears(fact, params, trace))


def dues_unregistered_workers(fact, params, trace) -> Decimal:
    return total_due(dues(_d(fact["unregistered_wage"]), _d(fact["unregistered_jp_base"]), _on(fact),
                          int(fact["risk_group"]), fact["programs"], params, trace))


def dues_underreported_wages(fact, params, trace) -> Decimal:
    return total_due(dues(_d(fact["underreported_wage_gap"]), _d(fact["underreported_jp_gap"]), _on(fact),
                          int(fact["risk_group"]), fact["programs"], params, trace))


def monthly_dues(fact, params, trace, which: str) -> list[tuple[str, Decimal, Decimal, dict]]:
    """Employer-level dues month by month, each at its month's rates and mandatory programmes:
    [(period, wage, JP base, {programme: Due})]. `which` is "mandatory" (PWBD) or "missing" (PDS-PROGRAM). A fact
    without `by_month` (a rule example) is one block at `on` with its totals and listed programmes."""
    months = fact.get("by_month")
    if not months:
        programs = fact["mandatory_programs"] if which == "mandatory" else fact["missing_programs"]
        wage, jp_base = _d(fact["wage_total"]), _d(fact["jp_base_total"])
        return [(str(fact["on"])[:7], wage, jp_base,
                 dues(wage, jp_base, _on(fact), _risk_group(fact, params, trace), programs, params, trace))]
    out = []
    for period, wage, jp_base in months:
        on = period_start(period)
        use = params.lookup("mandatory_programs", on, fact["scale"])
        trace.append(use)
        programs = list(use.value) if which == "mandatory" else [p for p in use.value if p not in fact["programs"]]
        group = int(fact.get("risk_group") or 0) or _risk_group(dict(fact, on=on), params, trace)
        out.append((period, _d(wage), _d(jp_base), dues(_d(wage), _d(jp_base), on, group, programs, params, trace)))
    return out


def dues_unregistered_employer(fact, params, trace) -> Decimal:
    """PWBD: dues on payroll wages for the programmes mandatory for the employer's scale."""
    return sum((total_due(d) for *_, d in monthly_dues(fact, params, trace, "mandatory")), ZERO)


def dues_missing_programs(fact, params, trace) -> Decimal:
    """PDS-PROGRAM: dues of the mandatory programmes the registration lacks."""
    return sum((total_due(d) for *_, d in monthly_dues(fact, params, trace, "missing")), ZERO)


def minimum_wage_shortfall(fact, params, trace) -> Decimal:
    """Summed in SQL against the minimum of the regency and month; traced here for `explain`."""
    if fact.get("regency_code"):
        minimum_wage(fact["regency_code"], _on(fact), params, trace)
    return _d(fact["under_minimum_shortfall"])


def construction_contribution_due(fact, params, trace) -> Decimal:
    return round_rupiah(construction_contribution(_d(fact["current_value"]),
                                                  _date(fact["spk_date"]), params, trace).total)


def construction_shortfall(fact, params, trace) -> Decimal:
    return construction_contribution_due(fact, params, trace) - _d(fact["contribution_paid"])


def zero(fact, params, trace) -> Decimal:
    return ZERO


CALCULATORS = {
    "arrears": arrears,
    "late_fee": late_fee,
    "unremitted_deductions": unremitted_deductions,
    "dues_unregistered_workers": dues_unregistered_workers,
    "dues_underreported_wages": dues_underreported_wages,
    "dues_unregistered_employer": dues_unregistered_employer,
    "dues_missing_programs": dues_missing_programs,
    "minimum_wage_shortfall": minimum_wage_shortfall,
    "construction_contribution": construction_contribution_due,
    "construction_shortfall": construction_shortfall,
    "zero": zero,
}
