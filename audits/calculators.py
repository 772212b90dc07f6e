"""The named calculators that rules refer to (`amount: {calculator: …}`): each reads the sum the
facts computed (`audits.calc.sums`) and records every parameter it rests on. A rule example is a
bare fact: its sums are computed by the same functions. They return exact Decimals; the evaluator
rounds half-up once per finding."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from patuh.engine.parameters import ParameterStore

from .calc.dues import dues, total_due
from .calc.minimum import minimum_wage
from .calc.money import ZERO, round_rupiah
from .calc.sums import MonthSums, contract_sums, dues_by_month, month_sums


def _d(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _on(fact) -> dt.date:
    return _date(fact["on"])


def _uses(trace: list, *groups) -> None:
    for group in groups:
        trace.extend(group)


def month(fact, params) -> MonthSums:
    """The employer-month's sums as the facts computed them; a rule example's, computed here."""
    return fact.get("month_sums") or month_sums(fact, params)


def arrears(fact, params, trace) -> Decimal:
    """B(E,P) − Paid(E,P, as_of)."""
    sums = month(fact, params)
    _uses(trace, sums.uses["bill"])
    return max(sums.bill.total - _d(fact["paid"]), ZERO)


def late_fee(fact, params, trace) -> Decimal:
    """The late fee on B(E,P) less the late fee paid (payments of kind denda by as_of), never below 0."""
    sums = month(fact, params)
    _uses(trace, sums.uses["bill"], sums.uses["due"], sums.uses["fee"])
    return sums.late_fee_owed


def unremitted_deductions(fact, params, trace) -> Decimal:
    """min(deductions, unpaid principal); for an employer without npp, the deductions."""
    deductions = _d(fact["deductions"])
    if not fact["registered"]:
        return deductions
    return min(deductions, arrears(fact, params, trace))


def _dues_on(fact, params, trace, which: str, wage: str, jp_base: str) -> Decimal:
    sums = month(fact, params)
    by_program = getattr(sums, which)
    if by_program is None:  # no risk group on the fact: the rates lookup says what is missing
        by_program = dues(_d(fact[wage]), _d(fact[jp_base]), _on(fact), int(fact["risk_group"]), fact["programs"],
                          params, trace)
    _uses(trace, sums.uses[which])
    return total_due(by_program)


def dues_unregistered_workers(fact, params, trace) -> Decimal:
    return _dues_on(fact, params, trace, "unregistered", "unregistered_wage", "unregistered_jp_base")


def dues_underreported_wages(fact, params, trace) -> Decimal:
    return _dues_on(fact, params, trace, "underreported", "underreported_wage_gap", "underreported_jp_gap")


def _employer_dues(fact, params, trace, which: str) -> Decimal:
    sums = (fact.get("dues_by_month") or {}).get(which) or dues_by_month(fact, params, which)
    _uses(trace, sums.uses)
    return sums.total


def dues_unregistered_employer(fact, params, trace) -> Decimal:
    """PWBD: dues on payroll wages for the programmes mandatory for the employer's scale."""
    return _employer_dues(fact, params, trace, "mandatory")


def dues_missing_programs(fact, params, trace) -> Decimal:
    """PDS-PROGRAM: dues of the mandatory programmes the registration lacks."""
    return _employer_dues(fact, params, trace, "missing")


def minimum_wage_shortfall(fact, params, trace) -> Decimal:
    """Summed in SQL against the minimum of the regency and month; traced here for `explain`."""
    if fact.get("regency_code"):
        minimum_wage(fact["regency_code"], _on(fact), params, trace)
    return _d(fact["under_minimum_shortfall"])


def construction_contribution_due(fact, params, trace) -> Decimal:
    sums = fact.get("contract_sums") or contract_sums(fact, params)
    _uses(trace, sums.uses)
    return round_rupiah(sums.bands.total)


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
