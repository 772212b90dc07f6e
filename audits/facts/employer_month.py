"""One fact per employer-month: payroll, participation, declarations, bill and payments."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.sql.util import find_tables

from patuh.audits.calc.calendar import due_date, period_start
from patuh.audits.calc.dues import canonical_programs
from patuh.audits.calc.money import round_rupiah
from patuh.audits.calc.sums import month_sums
from patuh.audits.store import schema as s

from .scope import TT_ACTIVE, TT_EMPLOYER_MONTHS, TT_PERIODS, Scope, build_lookup_tables, employer_rows, gc_paused, rupiah, sen

ZERO = Decimal(0)


def _payroll_join(reads=None):
    """Payroll rows with what the worker tests read: the month's JP cap and tolerance and the
    employer's minimum wage (one row of TT_EMPLOYER_MONTHS), the declared wage and whether the
    worker is a participant. Only the months of the scope: TT_EMPLOYER_MONTHS holds no other.
    `reads`: an expression whose lookup tables alone are joined (the declared wage always is)."""
    p, d, em, act = s.payroll, s.declarations, TT_EMPLOYER_MONTHS, TT_ACTIVE
    tables = None if reads is None else set(find_tables(reads, check_columns=True))
    join = p
    if tables is None or em in tables:
        join = join.join(em, and_(em.c.employer_id == p.c.employer_id, em.c.period == p.c.period))
    join = join.outerjoin(d, and_(d.c.import_id == p.c.import_id, d.c.employer_id == p.c.employer_id,
                                  d.c.period == p.c.period, d.c.nik == p.c.nik))
    if tables is None or act in tables:
        join = join.outerjoin(act, and_(act.c.employer_id == p.c.employer_id, act.c.nik == p.c.nik,
                                        act.c.first_period <= p.c.period, act.c.last_period >= p.c.period))
    return join


def worker_tests() -> dict:
    """The tests a payroll row is counted by, once, in SQL over `_payroll_join`: the facts sum the
    rows that pass, the evidence lists them (categories.yaml `evidence.workers` names a test)."""
    p, d, em, act = s.payroll, s.declarations, TT_EMPLOYER_MONTHS, TT_ACTIVE
    wage = sen(p.c.wage)
    reported = func.coalesce(sen(d.c.reported_wage), 0)
    active = act.c.nik.is_not(None)
    return {
        "unregistered": ~active,
        # reported < tolerance × wage, in integers: reported × den < wage × num (the month's tolerance)
        "underreported": and_(active, reported * em.c.tol_den < wage * em.c.tol_num),
        "below_minimum": and_(p.c.employment.in_(("pkwtt", "pkwt")), em.c.min_wage.is_not(None),
                              wage < em.c.min_wage),
        "deducted": sen(p.c.bpjs_deduction) > 0,
    }


def _payroll_aggregates(sc: Scope):
    """One pass over payroll: per (employer, period) the totals every payroll rule needs.
    Needs the lookup tables of `build_lookup_tables` on the same connection."""
    p, d, em = s.payroll, s.declarations, TT_EMPLOYER_MONTHS
    tests = worker_tests()
    wage, cap = sen(p.c.wage), em.c.cap
    reported = func.coalesce(sen(d.c.reported_wage), 0)
    jp_wage = case((wage > cap, cap), else_=wage)
    jp_reported = case((reported > cap, cap), else_=reported)
    unregistered, under, below_min = tests["unregistered"], tests["underreported"], tests["below_minimum"]

    def csum(cond, expr):
        return func.sum(case((cond, expr), else_=0))

    q = (
        select(
            p.c.employer_id,
            p.c.period,
            func.count().label("workers"),
            func.sum(wage).label("wage"),
            func.sum(jp_wage).label("jp_base"),
            func.sum(sen(p.c.bpjs_deduction)).label("deductions"),
            csum(unregistered, 1).label("unreg_n"),
            csum(unregistered, wage).label("unreg_wage"),
            csum(unregistered, jp_wage).label("unreg_jp"),
            csum(under, 1).label("under_n"),
            csum(under, wage - reported).label("under_gap"),
            csum(under, jp_wage - jp_reported).label("under_jp_gap"),
            csum(below_min, 1).label("min_n"),
            csum(below_min, em.c.min_wage - wage).label("min_gap"),
        )
        .select_from(_payroll_join())
        .where(p.c.import_id == sc.import_id, *sc.of_employers(p.c.employer_id))
        .group_by(p.c.employer_id, p.c.period)
    )
    return sc.conn.execute(q).all()


def worker_rows(sc: Scope, keys: set[tuple[str, str]], test: str) -> dict[tuple[str, str], list[dict]]:
    """The payroll rows of the given (employer, period) that pass `test`, with their source row,
    in file order. Needs the lookup tables of `build_lookup_tables` on the same connection.
    Selected by employer list and period range, the exact pairs picked here: a row-value IN list
    is checked pair by pair on PostgreSQL (52 s for 5,265 pairs over 350k rows, against 1 s)."""
    if not keys:
        return {}
    p, d = s.payroll, s.declarations
    periods = [k[1] for k in keys]
    passes = worker_tests()[test]
    q = (
        select(p.c.employer_id, p.c.period, p.c.nik, p.c.name, p.c.employment, p.c.wage, p.c.bpjs_deduction,
               p.c.src_file, p.c.src_sheet, p.c.src_row, d.c.reported_wage)
        # only the lookup tables the test reads: a deduction needs no participation nor month (a
        # third of the evidence's joins); the pairs picked below keep the rows to the scope's months
        .select_from(_payroll_join(passes))
        # the employers named, not the batch's range of ids: then SQLite reads payroll employer by
        # employer through its index (without statistics it scanned the batch's whole range)
        .where(p.c.import_id == sc.import_id,
               p.c.employer_id.in_(sorted({k[0] for k in keys})),
               p.c.period >= min(periods), p.c.period <= max(periods), passes)
        .order_by(p.c.employer_id, p.c.period, p.c.src_row)
    )
    out: dict = defaultdict(list)
    for r in sc.conn.execute(q).mappings():
        if (r["employer_id"], r["period"]) in keys:
            out[(r["employer_id"], r["period"])].append(dict(r))
    return out


def _declaration_aggregates(sc: Scope):
    d = s.declarations
    per = TT_PERIODS
    reported = sen(d.c.reported_wage)
    q = (
        select(
            d.c.employer_id, d.c.period, func.count().label("n"), func.sum(reported).label("wage"),
            func.sum(case((reported > per.c.cap, per.c.cap), else_=reported)).label("jp_base"),
        )
        .select_from(d.join(per, per.c.period == d.c.period))
        .where(d.c.import_id == sc.import_id, *sc.of_employers(d.c.employer_id))
        .group_by(d.c.employer_id, d.c.period)
    )
    return sc.conn.execute(q).all()


def _payments(sc: Scope) -> tuple[dict[tuple[str, str], list[tuple[dt.date, Decimal]]], dict[tuple[str, str], Decimal]]:
    """Contribution payments per (E,P), and per (E,P) the late fee paid (`kind = denda`) on or
    before as_of: only contributions count in Paid(E,P,d) and in the late-fee computation."""
    pm = s.payments
    q = (
        select(pm.c.employer_id, pm.c.period, pm.c.paid_on, sen(pm.c.amount), pm.c.kind)
        .where(pm.c.import_id == sc.import_id, pm.c.period >= sc.period_from, pm.c.period <= sc.period_to,
               *sc.of_employers(pm.c.employer_id))
        .order_by(pm.c.employer_id, pm.c.period, pm.c.paid_on, pm.c.row_id)
    )
    out: dict = defaultdict(list)
    fees_paid: dict = defaultdict(lambda: ZERO)
    for emp, period, paid_on, amount, kind in sc.conn.execute(q):
        if kind == "denda":
            if paid_on <= sc.as_of:
                fees_paid[(emp, period)] += rupiah(amount)
        else:
            out[(emp, period)].append((paid_on, rupiah(amount)))
    return out, fees_paid


@gc_paused()
def employer_month_facts(sc: Scope) -> list[dict]:
    """One fact per employer-month with payroll or declarations, sorted by (employer, period). For
    the whole import (`sc.employers` None) the lookup tables are (re)built here; a batch reads
    those `build_lookup_tables` made for its run (built here once if they were not)."""
    employers = employer_rows(sc.conn, sc.import_id, sc)
    if sc.employers is None or not sc.shared.get("tables"):
        build_lookup_tables(sc)

    # what a fact takes from its employer and from its month, once each (not once per fact)
    of_employer = {}
    for emp_id, emp in employers.items():
        of_employer[emp_id] = (bool(emp["npp"]), emp["scale"], emp["regency_code"], emp["jkk_risk_group"] or 0,
                               list(canonical_programs(emp["programs"] or "")))
    per_month: dict[str, tuple] = {}

    def month(period: str) -> tuple:
        found = per_month.get(period)
        if found is None:
            on = period_start(period)
            uses: list = []
            # the month's wage tolerance (pds_upah_tolerance), the one the SQL test used; its due date
            found = per_month[period] = (on, sc.lookup("pds_upah_tolerance", on).value,
                                         due_date(period, sc.params, uses), tuple(uses))
        return found

    minimums: dict[tuple[str, str], Decimal] = {}

    def minimum_of(emp_id: str, regency: str, period: str) -> Decimal:
        found = minimums.get((regency, period))
        if found is None:
            found = sc.minimum_wage(regency, period)
            if found is None:
                sc.warn(f"no minimum wage (UMK or UMP) in force for regency {regency} in {period}: "
                        "UPAH-DI-BAWAH-UMK not assessed there", at=(2, emp_id, period))
                found = ZERO
            minimums[(regency, period)] = found
        return found

    payroll = {(r[0], r[1]): r for r in _payroll_aggregates(sc)}
    declared = {(r[0], r[1]): r for r in _declaration_aggregates(sc) if r[0] in employers}
    payments, fees_paid = _payments(sc)
    as_of = sc.as_of
    # an employer-month without payroll rows, or without declarations
    no_payroll = (0, ZERO, ZERO, ZERO, 0, ZERO, ZERO, 0, ZERO, ZERO, ZERO, 0, ZERO)
    no_declarations = (None, None, 0, ZERO, ZERO)
    out = []
    for key in sorted(payroll.keys() | declared.keys()):
        emp_id, period = key
        registered, scale, regency, group, programs = of_employer[emp_id]
        on, tolerance, due, due_uses = month(period)
        r = payroll.get(key)
        if r is None:
            w = no_payroll
        else:
            (_, _, workers, wage, jp_base, deductions, unreg_n, unreg_wage, unreg_jp, under_n, under_gap,
             under_jp_gap, min_n, min_gap) = r
            w = (workers, rupiah(wage), rupiah(jp_base), rupiah(deductions),
                 int(unreg_n or 0), rupiah(unreg_wage), rupiah(unreg_jp),
                 int(under_n or 0), rupiah(under_gap), rupiah(under_jp_gap),
                 minimum_of(emp_id, regency, period), int(min_n or 0), rupiah(min_gap))
        d = declared.get(key, no_declarations)
        pays = payments.get(key, [])
        f = {
            "id": f"em:{emp_id}:{period}",
            "type": "employer_month",
            "batch": emp_id,
            "on": on,
            "subject_id": f"{emp_id}:{period}",
            "employer_id": emp_id,
            "period": period,
            "registered": registered,
            "scale": scale,
            "regency_code": regency,
            "risk_group": group,
            "programs": programs,
            "payroll_workers": w[0], "wage_total": w[1], "jp_base_total": w[2], "deductions": w[3],
            "unregistered_workers": w[4], "unregistered_wage": w[5], "unregistered_jp_base": w[6],
            "underreported_workers": w[7], "underreported_wage_gap": w[8], "underreported_jp_gap": w[9],
            "minimum_wage": w[10], "under_minimum_workers": w[11], "under_minimum_shortfall": w[12],
            "declared_workers": d[2],
            "declared_wage": d[3] if d is no_declarations else rupiah(d[3]),
            "declared_jp_base": d[4] if d is no_declarations else rupiah(d[4]),
            "underreport_tolerance": tolerance,
            "as_of": as_of,
            "payment_dates": [p.isoformat() for p, _ in pays],
            "payment_amounts": [a for _, a in pays],
            "late_fee_paid": fees_paid.get(key, ZERO),
        }
        # every sum of the month, once, with its breakdown (audits.calc.sums): rules read the
        # totals below, calculators and the evidence the breakdown
        sums = month_sums(f, sc.params, (due, due_uses), pays)
        bill, fee = sums.bill, sums.fee
        f["month_sums"] = sums
        f["bill"], f["bill_unrounded"], f["bill_jp"] = bill.total, bill.unrounded, bill.jp
        f["due_date"], f["paid"] = sums.due, fee.paid
        f["completed_on"] = fee.completed_on  # None (dropped) while not paid in full
        # the late fee still owed is the computed fee less the late fee paid (never below 0)
        f["late_fee_open"] = round_rupiah(sums.late_fee_owed) > 0
        out.append(f)
    return out
