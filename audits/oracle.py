"""The oracle: a plain-Python reference implementation of docs/audit-semantics.md.

A second, deliberately simple implementation of what an audit must find — no SQL, no rules
engine, just loops over the rows of a data package. It is

- the answer key of the generator (``audits.generate`` calls :func:`audit_employer` for each
  employer as it writes it),
- the source of the amounts in ``fixtures/kalbar-demo/README.md``,
- the reference a property test compares the real audit against.

So it follows the spec to the letter and reuses the shared calculators (``audits.calc``) for every
Rupiah; where the spec leaves a choice open, the reading taken is written as a comment
``# Interpretation: ...`` where it is used and collected in ``docs/interpretations.md``.

Input: the tables of a package as lists of dicts with the column names of data-package.md; money
as ``Decimal``, dates as ``datetime.date``, periods as ``"YYYY-MM"``, ``programs`` as a list or a
``;``-joined string, empty cells as ``None`` (or ``""``). :func:`read_package` reads a CSV
package folder into exactly that, without the importer.

API::

    result = audit(tables, params, as_of=date(2025, 11, 28))        # or audit_package(folder, params)
    result.findings   # list[audits.model.Finding], rule_id = category
    result.cases      # list[audits.model.Case]

    scope = Scope(as_of, "2025-01", "2025-12")
    findings, case = audit_employer(employer, rows_of_that_employer, scope, params)
"""
from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from patuh.audits.calc.minimum import minimum_wage as shared_minimum_wage
from patuh.audits.calc.calendar import add_working_days, due_date, months_between, period_end, period_start
from patuh.audits.calc.dues import canonical_programs, dues, jp_cap, total_due
from patuh.audits.calc.jakon import construction_contribution
from patuh.audits.calc.late_fee import late_fee
from patuh.audits.calc.money import ZERO, round_rupiah
from patuh.audits import categories as categories_of
from patuh.audits.model import CASE_COLUMNS, FINDING_COLUMNS, Case, Finding, case_total, finding_id
from patuh.engine.parameters import ParameterError, ParameterStore

TABLES = (
    "employers", "participants", "payroll", "declarations", "payments", "contracts",
    "contract_amendments", "project_registrations", "enforcement_actions",
)
#: tables whose rows belong to one employer through their ``employer_id`` column
EMPLOYER_TABLES = ("participants", "payroll", "declarations", "payments", "enforcement_actions")
PAYMENT_CATEGORIES = ("TUNGGAKAN", "TELAT-BAYAR")
WARNINGS = ("teguran-1", "teguran-2")
# the installed rulebook's categories.yaml: order, steps and what adds to a case total
_CATEGORIES = categories_of.load()


# ------------------------------------------------------------------------------- parameters


class MemoParams:
    """A ParameterStore that remembers its lookups. The oracle asks the same question (the JKK
    rate of group 3 in March) thousands of times; the answers do not change within a run.
    Duck-types the part of ParameterStore the calculators use (lookup, value, find)."""

    def __init__(self, params: ParameterStore | "MemoParams"):
        self.store = params.store if isinstance(params, MemoParams) else params
        self._cache: dict = {}

    def lookup(self, param_id: str, on: dt.date, key=None):
        k = (param_id, on, key)
        try:
            return self._cache[k]
        except KeyError:
            use = self._cache[k] = self.store.lookup(param_id, on, key)
            return use

    def value(self, param_id: str, on: dt.date, key=None):
        return self.lookup(param_id, on, key).value

    def find(self, param_id: str, on: dt.date, key=None):
        try:
            return self.lookup(param_id, on, key)
        except ParameterError:
            return None

    def due_date(self, period: str) -> dt.date:
        k = ("due_date", period)
        try:
            return self._cache[k]
        except KeyError:
            d = self._cache[k] = due_date(period, self)
            return d


def memo(params) -> MemoParams:
    return params if isinstance(params, MemoParams) else MemoParams(params)


# ------------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What a run looks at: the months from..to (inclusive) and the reference date."""

    as_of: dt.date
    period_from: str
    period_to: str

    @property
    def months(self) -> list[str]:
        return months_between(self.period_from, self.period_to)

    def audited(self, period: str) -> bool:
        return self.period_from <= period <= self.period_to


def default_scope(tables: Mapping[str, list[dict]], as_of: dt.date | None, period_from: str | None = None,
                  period_to: str | None = None, package_as_of: dt.date | None = None) -> Scope:
    # Interpretation: the default range is the first..last payroll period of the whole package and
    # the default as_of is package.yaml's as_of (the audit's own fallback "today" is not used by
    # the oracle: an answer key must not depend on the day it is computed).
    periods = [r["period"] for r in tables.get("payroll") or []]
    if period_from is None:
        period_from = min(periods)
    if period_to is None:
        period_to = max(periods)
    as_of = as_of or package_as_of
    if as_of is None:
        raise ValueError("as_of is needed (give it, or an as_of in package.yaml)")
    return Scope(as_of, period_from, period_to)


# ------------------------------------------------------------------------------- small helpers


def _blank(v) -> bool:
    return v is None or v == ""


def is_registered(employer: dict) -> bool:
    return not _blank(employer.get("npp"))


def _programs(employer: dict) -> tuple[str, ...]:
    return canonical_programs(employer.get("programs") or [])


def _employment(row: dict) -> str:
    return row.get("employment") or "pkwtt"  # data-package.md: default pkwtt


def _deduction(row: dict) -> Decimal:
    v = row.get("bpjs_deduction")
    return ZERO if _blank(v) else Decimal(v)


def _by_period(rows: Iterable[dict], scope: Scope) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if scope.audited(r["period"]):
            out[r["period"]].append(r)
    return out


@lru_cache(maxsize=4096)
def _bounds(period: str) -> tuple[dt.date, dt.date]:
    return period_start(period), period_end(period)


def is_active(participations: list[dict], period: str) -> bool:
    """Active participant in P: start_date ≤ last day of P and (no end_date or end_date ≥ first
    day of P). A NIK with several membership rows is active if any of them is."""
    first, last = _bounds(period)
    return any(
        p["start_date"] <= last and (_blank(p.get("end_date")) or p["end_date"] >= first)
        for p in participations
    )


def dues_on(wage_total: Decimal, jp_base: Decimal, period: str, risk_group: int, programs, params) -> Decimal:
    """Unrounded dues of `programs` on a wage total and its JP base, rates of the first day of P."""
    if not programs:
        return ZERO
    return total_due(dues(wage_total, jp_base, period_start(period), risk_group, programs, params))


def minimum_wage(regency_code: str, period: str, params) -> Decimal | None:
    """The UMK of the regency for P's year; the UMP where no UMK is set or the UMK is below it;
    None where neither is in force (the month is not assessed)."""
    use = shared_minimum_wage(str(regency_code), period_start(period), params)
    return None if use is None else use.value


def mandatory_programs(scale: str, period: str, params) -> tuple[str, ...]:
    return canonical_programs(params.value("mandatory_programs", period_start(period), scale))


# ----------------------------------------------------------------------------------- the bill


@dataclass(frozen=True)
class Bill:
    """B(E,P): dues on the declared wages, rounded once; plus the unrounded parts the late fee
    needs to split a late sum between JP and the other programmes."""

    period: str
    total: Decimal  # rounded half-up to whole Rupiah
    unrounded: Decimal
    jp: Decimal  # unrounded JP part

    @property
    def non_jp(self) -> Decimal:
        return self.unrounded - self.jp


def bill(employer: dict, declarations_of_month: list[dict], period: str, params) -> Bill:
    # Interpretation: B(E,P) uses the declared wages of (E,P) for the registered programmes with the
    # employer's jkk_risk_group; JP base per declaration min(reported_wage, cap(P)); rates and cap
    # in force on the first day of P. No declarations: B = 0.
    params = memo(params)
    on = period_start(period)
    cap = jp_cap(on, params)
    wage = sum((d["reported_wage"] for d in declarations_of_month), ZERO)
    jp_base = sum((min(d["reported_wage"], cap) for d in declarations_of_month), ZERO)
    programs = _programs(employer)
    if not declarations_of_month or not programs:
        return Bill(period, ZERO, ZERO, ZERO)
    by_prog = dues(wage, jp_base, on, int(employer["jkk_risk_group"]), programs, params)
    unrounded = total_due(by_prog)
    jp = by_prog["JP"].total if "JP" in by_prog else ZERO
    return Bill(period, round_rupiah(unrounded), unrounded, jp)


# ---------------------------------------------------------------------------------- findings


def _finding(category: str, subject_type: str, subject_id: str, employer_id: str, period: str | None,
             amount: Decimal, fee: Decimal | None, message: str, contract_id: str | None = None) -> Finding:
    return Finding(
        finding_id=finding_id(category, subject_id),
        rule_id=category,  # the answer key's rule_id is the category
        category=category,
        subject_type=subject_type,
        subject_id=subject_id,
        employer_id=employer_id,
        period=period,
        amount=round_rupiah(amount),
        late_fee=None if fee is None else round_rupiah(fee),
        severity="",
        legal_basis="",
        message=message,
        contract_id=contract_id,
    )


def _month_finding(category, employer_id, period, amount, fee, message) -> Finding:
    return _finding(category, "employer_month", f"{employer_id}:{period}", employer_id, period, amount, fee, message)


def find_pwbd(employer: dict, payroll_by_month: dict[str, list[dict]], params) -> list[Finding]:
    """PWBD: no npp and payroll in the audited months → dues on all its payroll wages for the
    programmes mandatory for its scale."""
    if is_registered(employer) or not payroll_by_month:
        return []
    group_given = not _blank(employer.get("jkk_risk_group"))
    total = ZERO
    for period, rows in sorted(payroll_by_month.items()):
        # Interpretation: JKK group from the row, else parameter pwbd_estimate_risk_group (an
        # estimate); the mandatory programmes and all rates are those in force in each month.
        group = int(employer["jkk_risk_group"]) if group_given else int(
            params.value("pwbd_estimate_risk_group", period_start(period)))
        cap = jp_cap(period_start(period), params)
        wage = sum((r["wage"] for r in rows), ZERO)
        jp_base = sum((min(r["wage"], cap) for r in rows), ZERO)
        total += dues_on(wage, jp_base, period, group, mandatory_programs(employer["scale"], period, params), params)
    workers = len({r["nik"] for rows in payroll_by_month.values() for r in rows})
    note = "" if group_given else " (JKK group estimated)"
    return [_finding("PWBD", "employer", employer["employer_id"], employer["employer_id"], None, total, None,
                     f"not registered; {workers} worker(s) on payroll{note}")]


def find_pds_tk(employer: dict, payroll_by_month, participants_by_nik, params) -> list[Finding]:
    """PDS-TK: payroll workers of P who are not active participants of the employer in P."""
    if not is_registered(employer):
        return []
    out = []
    for period, rows in sorted(payroll_by_month.items()):
        missing = [r for r in rows if not is_active(participants_by_nik.get(r["nik"], []), period)]
        if not missing:
            continue
        cap = jp_cap(period_start(period), params)
        wage = sum((r["wage"] for r in missing), ZERO)
        jp_base = sum((min(r["wage"], cap) for r in missing), ZERO)
        amount = dues_on(wage, jp_base, period, int(employer["jkk_risk_group"]), _programs(employer), params)
        out.append(_month_finding("PDS-TK", employer["employer_id"], period, amount, None,
                                  f"{len(missing)} worker(s) on payroll not registered"))
    return out


def find_pds_upah(employer: dict, payroll_by_month, participants_by_nik, declared, params) -> list[Finding]:
    """PDS-UPAH: an active participant on the payroll with reported_wage < 99 % of the wage
    (no declaration = reported 0); dues on the differences."""
    if not is_registered(employer):
        return []
    out = []
    for period, rows in sorted(payroll_by_month.items()):
        on = period_start(period)
        cap = jp_cap(on, params)
        tolerance = params.value("pds_upah_tolerance", on)
        diff = jp_diff = ZERO
        count = 0
        for r in rows:
            if not is_active(participants_by_nik.get(r["nik"], []), period):
                continue  # that is PDS-TK, not PDS-UPAH
            # Interpretation: several declarations of one NIK in one month are added up.
            reported = declared.get((period, r["nik"]), ZERO)
            if reported < tolerance * r["wage"]:  # strictly less: exactly 99 % is no finding
                count += 1
                diff += r["wage"] - reported
                jp_diff += min(r["wage"], cap) - min(reported, cap)
        if count:
            amount = dues_on(diff, jp_diff, period, int(employer["jkk_risk_group"]), _programs(employer), params)
            out.append(_month_finding("PDS-UPAH", employer["employer_id"], period, amount, None,
                                      f"{count} worker(s) reported below 99 % of the wage"))
    return out


def find_pds_program(employer: dict, payroll_by_month, scope: Scope, params) -> list[Finding]:
    """PDS-PROGRAM: registered, but a programme mandatory for its scale is missing; dues of the
    missing programmes on the payroll wages of the audited months."""
    if not is_registered(employer):
        return []
    programs = set(_programs(employer))
    missing_any: list[str] = []
    total = ZERO
    for period in scope.months:
        missing = [p for p in mandatory_programs(employer["scale"], period, params) if p not in programs]
        if not missing:
            continue
        missing_any.extend(p for p in missing if p not in missing_any)
        rows = payroll_by_month.get(period, [])
        cap = jp_cap(period_start(period), params)
        wage = sum((r["wage"] for r in rows), ZERO)
        jp_base = sum((min(r["wage"], cap) for r in rows), ZERO)
        total += dues_on(wage, jp_base, period, int(employer["jkk_risk_group"]), missing, params)
    if not missing_any:
        return []
    # Interpretation: the finding stands even when the audited months hold no payroll (amount 0):
    # the registration itself lacks a mandatory programme.
    return [_finding("PDS-PROGRAM", "employer", employer["employer_id"], employer["employer_id"], None, total, None,
                     "missing programme(s): " + ", ".join(canonical_programs(missing_any)))]


def find_under_minimum(employer: dict, payroll_by_month, params) -> list[Finding]:
    """UPAH-DI-BAWAH-UMK: pkwtt/pkwt wages below the regency's minimum wage; any employer."""
    out = []
    for period, rows in sorted(payroll_by_month.items()):
        minimum = minimum_wage(employer["regency_code"], period, params)
        if minimum is None:
            continue  # Interpretation: no UMK or UMP in force: not assessed (the audit warns)
        short = [minimum - r["wage"] for r in rows
                 if _employment(r) in ("pkwtt", "pkwt") and r["wage"] < minimum]
        if short:
            # Interpretation: the finding stands even if the summed shortfall rounds to Rp0.
            out.append(_month_finding("UPAH-DI-BAWAH-UMK", employer["employer_id"], period, sum(short, ZERO), None,
                                      f"{len(short)} worker(s) paid below the minimum wage {minimum}"))
    return out


@dataclass
class MonthPayment:
    """The payment position of one employer-month, for the payment categories."""

    period: str
    bill: Bill
    due: dt.date
    paid: Decimal
    fee: Decimal  # unrounded
    completed_on: dt.date | None


def payment_position(employer: dict, period: str, declarations_of_month, payments_of_month, scope: Scope,
                     params) -> MonthPayment:
    b = bill(employer, declarations_of_month, period, params)
    due = memo(params).due_date(period)
    pays = [(p["paid_on"], p["amount"]) for p in payments_of_month]
    res = late_fee(period, b.total, b.jp, b.unrounded, pays, due, scope.as_of, params)
    return MonthPayment(period, b, due, res.paid, res.fee, res.completed_on)


def find_payment(employer: dict, payroll_by_month, declarations_by_month, payments_by_month, scope: Scope,
                 params) -> list[Finding]:
    """TUNGGAKAN, TELAT-BAYAR and IURAN-PEKERJA-TIDAK-DISETOR, month by month, only for months
    whose due date is before as_of."""
    eid = employer["employer_id"]
    out = []
    params = memo(params)
    for period in scope.months:
        due = params.due_date(period)  # D(P) via audits.calc.calendar.due_date, remembered
        if not due < scope.as_of:
            continue
        # lifecycle.md: only `iuran` payments (the default) count in Paid and in the late fee; `denda`
        # payments made by as_of are deducted from the fee a finding reports
        month_pays = payments_by_month.get(period, [])
        contributions = [p for p in month_pays if (p.get("kind") or "iuran") != "denda"]
        fee_paid = sum((p["amount"] for p in month_pays
                        if p.get("kind") == "denda" and p["paid_on"] <= scope.as_of), ZERO)
        deductions = sum((_deduction(r) for r in payroll_by_month.get(period, [])), ZERO)
        if not is_registered(employer):
            # Interpretation: for an employer without npp "nothing was ever paid" is read as no
            # payment for P on or before as_of (an unregistered employer has no bill to compare).
            paid = sum((p["amount"] for p in contributions if p["paid_on"] <= scope.as_of), ZERO)
            if deductions > 0 and paid == 0:
                out.append(_month_finding("IURAN-PEKERJA-TIDAK-DISETOR", eid, period, deductions, None,
                                          "worker contributions deducted, employer not registered"))
            continue
        pos = payment_position(employer, period, declarations_by_month.get(period, []),
                               contributions, scope, params)
        b = pos.bill.total
        if b <= 0:
            continue  # Interpretation: no declarations → B = 0 → nothing owed, nothing late
        fee = max(pos.fee - fee_paid, ZERO)
        if pos.paid < b:
            out.append(_month_finding("TUNGGAKAN", eid, period, b - pos.paid, fee,
                                      f"bill {b}, paid {pos.paid} by {scope.as_of}"))
            if deductions > 0:
                out.append(_month_finding("IURAN-PEKERJA-TIDAK-DISETOR", eid, period,
                                          min(deductions, b - pos.paid), None,
                                          f"deducted {deductions} from wages, {b - pos.paid} unpaid"))
        elif pos.completed_on is not None and pos.completed_on > pos.due and round_rupiah(fee) > 0:
            out.append(_month_finding("TELAT-BAYAR", eid, period, ZERO, fee,
                                      f"paid in full on {pos.completed_on}, due {pos.due}"))
    return out


def current_value(contract: dict, amendments: list[dict], as_of: dt.date) -> Decimal:
    """Value of the latest amendment with amended_on ≤ as_of (ties: the later row), else value."""
    value, latest = contract["value"], None
    for a in amendments:  # in row order, so on equal dates the later row wins
        if a["amended_on"] <= as_of and (latest is None or a["amended_on"] >= latest):
            value, latest = a["value"], a["amended_on"]
    return value


def contribution(contract: dict, amendments: list[dict], as_of: dt.date, params) -> Decimal:
    # Interpretation: bands in force at spk_date; rounded once to whole Rupiah.
    return round_rupiah(
        construction_contribution(current_value(contract, amendments, as_of), contract["spk_date"], params).total)


def find_contract(contract: dict, amendments: list[dict], registrations: list[dict], scope: Scope,
                  params) -> list[Finding]:
    """JAKON-BELUM-DAFTAR, JAKON-TELAT-DAFTAR, JAKON-KURANG-BAYAR for one contract."""
    cid, eid = contract["contract_id"], contract["contractor_id"]
    due = contribution(contract, amendments, scope.as_of, params)
    regs = [r for r in registrations if r["registered_on"] <= scope.as_of]

    def make(category, amount, message):
        return _finding(category, "contract", cid, eid, None, amount, None, message, contract_id=cid)

    if not regs:
        if contract["start_date"] <= scope.as_of:
            return [make("JAKON-BELUM-DAFTAR", due, f"not registered; contribution {due}")]
        return []
    out = []
    first = min(r["registered_on"] for r in regs)
    # Interpretation: the deadline of the rule in force at the SPK; none in force (an SPK before
    # Permenaker 44/2015) → JAKON-TELAT-DAFTAR is not assessed.
    days = params.find("jakon_registration_working_days", contract["spk_date"])
    deadline = add_working_days(contract["spk_date"], int(days.value)) if days is not None else None
    if deadline is not None and first > deadline:
        out.append(make("JAKON-TELAT-DAFTAR", ZERO, f"registered {first}, deadline {deadline}"))
    # Interpretation: contributions paid under every registration on or before as_of are added up.
    paid = sum((r["contribution_paid"] for r in regs), ZERO)
    tolerance = params.value("jakon_underpayment_tolerance", contract["spk_date"])
    if paid < due - tolerance:
        out.append(make("JAKON-KURANG-BAYAR", due - paid, f"contribution {due}, paid {paid}"))
    return out


# ------------------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Ladder:
    """Where the warnings stand at as_of: the step the ladder proposes and, when waiting, until when."""

    step: str  # teguran-1 | tunggu | teguran-2 | escalate
    wait_until: dt.date | None = None


def warning_end(issued_on: dt.date, params) -> dt.date:
    """The 10th working day after the letter; its period is over when as_of is later than this."""
    return add_working_days(issued_on, int(params.value("warning_period_working_days", issued_on)))


def ladder_position(issued: dict[str, dt.date], as_of: dt.date, params) -> Ladder:
    # Interpretation: the latest letter of each kind governs (a re-issued warning restarts its period).
    if "teguran-2" in issued:
        end = warning_end(issued["teguran-2"], params)
        return Ladder("escalate") if as_of > end else Ladder("tunggu", end)
    if "teguran-1" in issued:
        end = warning_end(issued["teguran-1"], params)
        return Ladder("teguran-2") if as_of > end else Ladder("tunggu", end)
    return Ladder("teguran-1")


def escalation_steps(categories: set[str]) -> list[str]:
    """After teguran-2's period: denda and tmp2t always; skk too while arrears are open."""
    steps = ["denda", "tmp2t"]
    if "TUNGGAKAN" in categories:
        steps.append("skk")
    return steps


def criminal_steps(categories: set[str]) -> list[str]:
    """Deducted but not remitted: a criminal report whatever the warnings."""
    return ["pidana"] if "IURAN-PEKERJA-TIDAK-DISETOR" in categories else []


def next_steps(categories: set[str], actions: list[dict], as_of: dt.date, params) -> tuple[list[str], dt.date | None]:
    # Interpretation: only actions issued on or before as_of count (later letters did not exist yet).
    issued: dict[str, dt.date] = {}
    for a in actions:
        if a["issued_on"] <= as_of and (a["action"] not in issued or a["issued_on"] > issued[a["action"]]):
            issued[a["action"]] = a["issued_on"]
    ladder = ladder_position(issued, as_of, params)
    proposed = criminal_steps(categories)
    if ladder.step == "escalate":
        proposed += escalation_steps(categories)
    elif ladder.step != "tunggu":
        proposed.append(ladder.step)
    proposed = [s for s in proposed if s not in issued]  # never propose again what was issued
    wait_until = None
    if ladder.step == "tunggu":
        proposed.append("tunggu")
        wait_until = ladder.wait_until
    if not proposed:
        proposed = ["pantau"]
    return sorted(set(proposed), key=_CATEGORIES.steps.index), wait_until


def make_case(employer: dict, findings: list[Finding], actions: list[dict], scope: Scope, params) -> Case | None:
    if not findings:
        return None
    categories = {f.category for f in findings}
    steps, wait_until = next_steps(categories, actions, scope.as_of, params)
    return Case(
        employer_id=employer["employer_id"],
        name=employer["name"],
        categories=[c for c in _CATEGORIES.ids if c in categories],
        # Interpretation: a case total does not add deducted-but-not-remitted shares again; they are
        # part of the arrears or PWBD principal of the same months (audits.model.case_total).
        total_amount=case_total(findings, _CATEGORIES),
        total_late_fee=sum((f.late_fee for f in findings if f.late_fee is not None), ZERO),
        next_steps=steps,
        wait_until=wait_until,
    )


# ------------------------------------------------------------------------------------ drivers


def audit_employer(employer: dict, rows: Mapping[str, list[dict]], scope: Scope, params) -> tuple[list[Finding], Case | None]:
    """All findings and the case of one employer. `rows` holds only this employer's rows of
    participants, payroll, declarations, payments and enforcement_actions, the contracts it is the
    contractor of, and the contract_amendments and project_registrations of those contracts."""
    params = memo(params)
    eid = employer["employer_id"]
    payroll_by_month = _by_period(rows.get("payroll") or [], scope)
    declarations_by_month = _by_period(rows.get("declarations") or [], scope)
    payments_by_month = _by_period(rows.get("payments") or [], scope)
    participants_by_nik: dict[str, list[dict]] = defaultdict(list)
    for p in rows.get("participants") or []:
        participants_by_nik[p["nik"]].append(p)
    declared: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for period, decls in declarations_by_month.items():
        for d in decls:
            declared[(period, d["nik"])] += d["reported_wage"]

    findings: list[Finding] = []
    findings += find_pwbd(employer, payroll_by_month, params)
    findings += find_pds_tk(employer, payroll_by_month, participants_by_nik, params)
    findings += find_pds_upah(employer, payroll_by_month, participants_by_nik, declared, params)
    findings += find_pds_program(employer, payroll_by_month, scope, params)
    findings += find_under_minimum(employer, payroll_by_month, params)
    findings += find_payment(employer, payroll_by_month, declarations_by_month, payments_by_month, scope, params)
    # Interpretation: every contract of the package is checked, whatever its dates relative to
    # the audited months; a subcontract is a contract of its own (own value, own registration).
    amendments: dict[str, list[dict]] = defaultdict(list)
    for a in rows.get("contract_amendments") or []:
        amendments[a["contract_id"]].append(a)
    registrations: dict[str, list[dict]] = defaultdict(list)
    for r in rows.get("project_registrations") or []:
        registrations[r["contract_id"]].append(r)
    for c in rows.get("contracts") or []:
        if c["contractor_id"] == eid:
            findings += find_contract(c, amendments[c["contract_id"]], registrations[c["contract_id"]], scope, params)
    findings.sort(key=finding_order)
    return findings, make_case(employer, findings, rows.get("enforcement_actions") or [], scope, params)


def finding_order(f: Finding):
    return (f.employer_id, _CATEGORIES.ids.index(f.category), f.period or "", f.subject_id)


@dataclass
class OracleResult:
    scope: Scope
    findings: list[Finding] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)


def split_by_employer(tables: Mapping[str, list[dict]]) -> dict[str, dict[str, list[dict]]]:
    """employer_id -> {table: rows of that employer}; contracts go to their contractor."""
    out: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for t in EMPLOYER_TABLES:
        for r in tables.get(t) or []:
            out[r["employer_id"]][t].append(r)
    contractor: dict[str, str] = {}
    for c in tables.get("contracts") or []:
        contractor[c["contract_id"]] = c["contractor_id"]
        out[c["contractor_id"]]["contracts"].append(c)
    for t in ("contract_amendments", "project_registrations"):
        for r in tables.get(t) or []:
            if r["contract_id"] in contractor:
                out[contractor[r["contract_id"]]][t].append(r)
    return out


def audit(tables: Mapping[str, list[dict]], params, as_of: dt.date | None = None, period_from: str | None = None,
          period_to: str | None = None, package_as_of: dt.date | None = None) -> OracleResult:
    """Expected findings and cases of a whole package."""
    params = memo(params)
    scope = default_scope(tables, as_of, period_from, period_to, package_as_of)
    grouped = split_by_employer(tables)
    result = OracleResult(scope)
    for employer in tables["employers"]:
        findings, case = audit_employer(employer, grouped.get(employer["employer_id"], {}), scope, params)
        result.findings += findings
        if case is not None:
            result.cases.append(case)
    return result


def audit_package(folder: Path | str, params, as_of: dt.date | None = None, period_from: str | None = None,
                  period_to: str | None = None) -> OracleResult:
    tables, meta = read_package(folder)
    return audit(tables, params, as_of, period_from, period_to, package_as_of=meta.get("as_of"))


# ------------------------------------------------------------------------- reading a package

_DATES = {"registered_on", "start_date", "end_date", "paid_on", "spk_date", "amended_on", "issued_on"}
_MONEY = {"wage", "bpjs_deduction", "reported_wage", "amount", "value", "declared_value", "contribution_paid"}
_INTS = {"jkk_risk_group", "officials", "officials_registered", "bpd_members", "bpd_registered", "year",
         "workers", "participants"}
_IDS = {"nik", "npwp"}


def _parse(column: str, raw: str):
    raw = raw.strip()
    if raw == "":
        return None
    if column in _DATES:
        return dt.date.fromisoformat(raw)
    if column in _MONEY:
        return Decimal(raw)
    if column in _INTS:
        return int(raw)
    if column in _IDS:
        return raw.replace(".", "").replace("-", "").replace(" ", "")
    if column == "programs":
        return list(canonical_programs(raw))
    return raw


def read_csv_table(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [{k: _parse(k, v or "") for k, v in row.items()} for row in csv.DictReader(fh)]


def read_package(folder: Path | str) -> tuple[dict[str, list[dict]], dict]:
    """A CSV package as the oracle's tables (no validation: that is the importer's job) and the
    contents of package.yaml."""
    folder = Path(folder)
    tables = {t: read_csv_table(folder / f"{t}.csv") if (folder / f"{t}.csv").exists() else [] for t in TABLES}
    for r in tables["payroll"]:
        r["bpjs_deduction"] = r.get("bpjs_deduction") or ZERO
        r["employment"] = r.get("employment") or "pkwtt"
    meta = {}
    if (folder / "package.yaml").exists():
        meta = yaml.safe_load((folder / "package.yaml").read_text(encoding="utf-8")) or {}
        if isinstance(meta.get("as_of"), str):
            meta["as_of"] = dt.date.fromisoformat(meta["as_of"])
    return tables, meta


# ------------------------------------------------------------------------------ writing results


def finding_csv_row(f: Finding) -> list[str]:
    row = f.row()
    return [row[c] for c in FINDING_COLUMNS]


def case_csv_row(c: Case) -> list[str]:
    row = c.row()
    return [row[k] for k in CASE_COLUMNS]


def write_results(result: OracleResult, folder: Path | str) -> None:
    folder = Path(folder)
    with open(folder / "expected_findings.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FINDING_COLUMNS)
        w.writerows(finding_csv_row(f) for f in result.findings)
    with open(folder / "expected_cases.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CASE_COLUMNS)
        w.writerows(case_csv_row(c) for c in result.cases)
