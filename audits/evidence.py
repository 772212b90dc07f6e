"""Evidence for findings: the source rows behind each one (workers, payments, contracts, each with
its file and row) and the computation sheet, fetched only for the subjects that have findings."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, select

from patuh.engine.parameters import ParameterStore

from .calc.calendar import due_date, period_end, period_start
from .calc.dues import dues
from .calc.jakon import construction_contribution
from .calc.late_fee import late_fee
from .calc.bill import monthly_bill
from .calculators import monthly_dues
from .categories import Categories, Evidence
from .facts.scope import Scope
from .store import schema as s
from .text import amount as amount_text



def source(row) -> str:
    where = f"{row['src_file']}"
    if row.get("src_sheet"):
        where += f" sheet {row['src_sheet']}"
    return f"{where} row {row['src_row']}"


def money(value) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def _month_filter(table, sc: Scope, keys: set[tuple[str, str]]):
    """Rows of the employers and months concerned, as an index range per employer. A row-value
    IN list of (employer, period) pairs is checked pair by pair on PostgreSQL: 52 s for 5,265
    pairs over 350k payroll rows, against 1 s for this form; the exact pairs are picked in Python."""
    periods = [k[1] for k in keys]
    return (table.c.import_id == sc.import_id, table.c.employer_id.in_(sorted({k[0] for k in keys})),
            table.c.period >= min(periods), table.c.period <= max(periods))


def _worker_rows(sc: Scope, keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[dict]]:
    """Payroll rows of the given employer-months with participation and declared wage."""
    if not keys:
        return {}
    p, pa, d = s.payroll, s.participants, s.declarations
    q = (
        select(p.c.employer_id, p.c.period, p.c.nik, p.c.name, p.c.employment, p.c.wage, p.c.bpjs_deduction,
               p.c.src_file, p.c.src_sheet, p.c.src_row, d.c.reported_wage)
        .select_from(p.outerjoin(d, and_(d.c.import_id == p.c.import_id, d.c.employer_id == p.c.employer_id,
                                         d.c.period == p.c.period, d.c.nik == p.c.nik)))
        .where(*_month_filter(p, sc, keys))
        .order_by(p.c.employer_id, p.c.period, p.c.src_row)
    )
    out: dict = defaultdict(list)
    for r in sc.conn.execute(q).mappings():
        if (r["employer_id"], r["period"]) in keys:
            out[(r["employer_id"], r["period"])].append(dict(r))
    # participation, checked in Python on this small set
    parts: dict = defaultdict(list)
    emps = sorted({k[0] for k in keys})
    for r in sc.conn.execute(select(pa.c.employer_id, pa.c.nik, pa.c.start_date, pa.c.end_date)
                             .where(pa.c.import_id == sc.import_id, pa.c.employer_id.in_(emps))):
        parts[(r.employer_id, r.nik)].append((r.start_date, r.end_date))
    for (emp, period), rows in out.items():
        first, last = period_start(period), period_end(period)
        for row in rows:
            row["active"] = any(st <= last and (en is None or en >= first) for st, en in parts.get((emp, row["nik"]), []))
    return out


def _worker(r: dict) -> dict:
    return {"nik": r["nik"], "name": r["name"], "period": r["period"], "employment": r["employment"],
            "wage": money(r["wage"]), "bpjs_deduction": money(r["bpjs_deduction"]),
            "reported_wage": "" if r["reported_wage"] is None else money(r["reported_wage"]),
            "source": source(r)}


def _payments(sc: Scope, keys) -> dict:
    if not keys:
        return {}
    pm = s.payments
    q = (select(pm).where(*_month_filter(pm, sc, keys))
         .order_by(pm.c.employer_id, pm.c.period, pm.c.paid_on, pm.c.row_id))
    out: dict = defaultdict(list)
    for r in sc.conn.execute(q).mappings():
        if (r["employer_id"], r["period"]) in keys:
            out[(r["employer_id"], r["period"])].append(dict(r))
    return out


def _programme_rows(period, wage, jp_base, on, group, programs, params) -> list[dict]:
    return _due_rows(period, wage, jp_base, dues(wage, jp_base, on, group, programs, params))


def _due_rows(period, wage, jp_base, by_program) -> list[dict]:
    """Computation-sheet rows, one per programme: base, rate, due."""
    rows = []
    for prog, due in by_program.items():
        base = jp_base if prog == "JP" else wage
        rows.append({"period": period, "program": prog, "base": money(base),
                     "rate": str((due.total / base).normalize()) if base else "0",
                     "due": money(due.total), "paid": "", "outstanding": "", "months_late": "", "fee": "",
                     "note": ""})
    return rows


def _workers_passing(test: str, rows: list[dict], fact: dict, params: ParameterStore, period: str) -> list[dict]:
    if test == "unregistered":
        return [r for r in rows if not r["active"]]
    if test == "underreported":
        tol = params.value("pds_upah_tolerance", period_start(period))
        return [r for r in rows if r["active"] and (r["reported_wage"] or 0) < tol * r["wage"]]
    if test == "below_minimum":
        minimum = fact["minimum_wage"]
        return [r for r in rows if r["employment"] in ("pkwtt", "pkwt") and r["wage"] < minimum]
    if test == "deducted":  # the workers whose wages were cut for BPJS: what a criminal report rests on
        return [r for r in rows if r["bpjs_deduction"] > 0]
    raise ValueError(f"unknown worker test {test!r}")


def _unregistered_dues(f, fact, params, as_of):
    return _programme_rows(f.period, fact["unregistered_wage"], fact["unregistered_jp_base"], period_start(f.period),
                           fact["risk_group"], fact["programs"], params)


def _underreported_dues(f, fact, params, as_of):
    return _programme_rows(f.period, fact["underreported_wage_gap"], fact["underreported_jp_gap"],
                           period_start(f.period), fact["risk_group"], fact["programs"], params)


def _dues_by_month(which: str):
    def sheet(f, fact, params, as_of):
        # one block per month, at that month's rates: the sheet adds up to the finding
        rows = [row for period, wage, jp_base, by in monthly_dues(fact, params, [], which)
                for row in _due_rows(period, wage, jp_base, by)]
        if which == "mandatory" and not fact["risk_group"] and rows:
            rows[0]["note"] = "kelompok risiko tidak diketahui: taksiran kelompok 5"
        return rows
    return sheet


def _bill(f, fact, params, as_of):
    return _bill_sheet(f.period, fact, params, as_of) if fact["registered"] else None


def _contribution_bands(f, fact, params, as_of):
    return _jakon_sheet(fact, params)


# The computation sheets a category may name (categories.yaml `evidence.sheet`).
SHEETS = {
    "unregistered_dues": _unregistered_dues,
    "underreported_dues": _underreported_dues,
    "mandatory_dues_by_month": _dues_by_month("mandatory"),
    "missing_dues_by_month": _dues_by_month("missing"),
    "bill": _bill,
    "contribution_bands": _contribution_bands,
}


def collect(sc: Scope, findings, facts_by_id: dict[str, dict], categories: Categories) -> None:
    """Fill `finding.evidence` in place with what each category rests on (categories.yaml)."""
    params: ParameterStore = sc.params
    kind = {f.finding_id: (categories.get(f.category).evidence if f.category in categories else Evidence())
            for f in findings}
    worker_keys = {(f.employer_id, f.period) for f in findings if kind[f.finding_id].workers}
    pay_keys = {(f.employer_id, f.period) for f in findings if kind[f.finding_id].payments}
    workers = _worker_rows(sc, worker_keys)
    payments = _payments(sc, pay_keys)
    contracts = _contracts(sc, {f.subject_id for f in findings if kind[f.finding_id].contracts})

    for f in findings:
        fact = facts_by_id[f.trace["fact_id"]]
        want = kind[f.finding_id]
        ev: dict = {}
        if want.payments:
            pays = payments.get((f.employer_id, f.period), [])
            ev["payments"] = [{"period": r["period"], "amount": money(r["amount"]), "paid_on": r["paid_on"].isoformat(),
                               "reference": r["reference"] or "", "source": source(r)} for r in pays]
        if want.workers:
            rows = workers.get((f.employer_id, f.period), [])
            ev["workers"] = [_worker(r) for r in _workers_passing(want.workers, rows, fact, params, f.period)]
        if want.contracts:
            ev["contracts"] = [dict(contracts[f.subject_id], current_value=money(fact["current_value"]))]
        if want.sheet:
            rows = SHEETS[want.sheet](f, fact, params, sc.as_of)
            if rows is not None:
                ev["computation"] = rows
        f.evidence = ev


def _bill_sheet(period: str, fact: dict, params: ParameterStore, as_of: dt.date) -> list[dict]:
    on = period_start(period)
    rows = _programme_rows(period, fact["declared_wage"], fact["declared_jp_base"], on, fact["risk_group"],
                           fact["programs"], params)
    bill = monthly_bill(fact["declared_wage"], fact["declared_jp_base"], on, fact["risk_group"] or None,
                        fact["programs"], params)
    due = due_date(period, params)
    pays = list(zip((dt.date.fromisoformat(d) for d in fact["payment_dates"]), fact["payment_amounts"]))
    result = late_fee(period, bill.total, bill.jp, bill.unrounded, pays, due, as_of, params)
    rows.append({"period": period, "program": "TAGIHAN", "base": "", "rate": "", "due": money(bill.total),
                 "paid": money(result.paid), "outstanding": money(result.outstanding), "months_late": "",
                 "fee": "", "note": f"jatuh tempo {due.isoformat()}"})
    for line in result.lines:
        rows.append({"period": period, "program": "DENDA", "base": money(line.amount), "rate": "",
                     "due": "", "paid": "" if line.open else money(line.amount),
                     "outstanding": money(line.amount) if line.open else "",
                     "months_late": str(line.months_late), "fee": money(line.fee), "note": _fee_note(line)})
    return rows


def _fee_note(line) -> str:
    """When and how settled, and the fee per programme where JP is part of it: the JP fee is paid with
    the arrears into the JP fund (PP 45/2015 Pasal 31), the rest with the next month's contribution."""
    note = ("belum dibayar per " if line.open else "dibayar ") + line.settled_on.isoformat()
    if line.fee_jp:
        note += (f"; denda JP Rp {amount_text(line.fee_jp.quantize(Decimal('0.01')))}"
                 f" + JKK/JKM/JHT Rp {amount_text(line.fee_non_jp.quantize(Decimal('0.01')))}")
    return note


def _jakon_sheet(fact: dict, params: ParameterStore) -> list[dict]:
    spk = fact["spk_date"] if isinstance(fact["spk_date"], dt.date) else dt.date.fromisoformat(fact["spk_date"])
    result = construction_contribution(fact["current_value"], spk, params)
    rows = []
    for sl in result.slices:
        upper = "…" if sl.upper is None else money(sl.upper)
        rows.append({"period": "", "program": "JKK+JKM", "base": money(sl.slice_value),
                     "rate": str((sl.jkk_rate + sl.jkm_rate).normalize()), "due": money(sl.jkk + sl.jkm),
                     "paid": "", "outstanding": "", "months_late": "", "fee": "",
                     "note": f"lapisan {money(sl.lower)} – {upper}"})
    rows.append({"period": "", "program": "TOTAL", "base": money(fact["current_value"]), "rate": "",
                 "due": money(fact["contribution"]), "paid": money(fact["contribution_paid"]),
                 "outstanding": money(max(fact["contribution"] - fact["contribution_paid"], 0)),
                 "months_late": "", "fee": "", "note": ""})
    return rows


def _contracts(sc: Scope, ids: set[str]) -> dict[str, dict]:
    if not ids:
        return {}
    c, r = s.contracts, s.project_registrations
    regs: dict = defaultdict(list)
    # only registrations on or before as_of: a later one did not exist when the finding was made
    for row in sc.conn.execute(select(r).where(r.c.import_id == sc.import_id, r.c.contract_id.in_(sorted(ids)),
                                               r.c.registered_on <= sc.as_of)
                               .order_by(r.c.registered_on)).mappings():
        regs[row["contract_id"]].append(row)
    out = {}
    for row in sc.conn.execute(select(c).where(c.c.import_id == sc.import_id, c.c.contract_id.in_(sorted(ids)))).mappings():
        rg = regs.get(row["contract_id"], [])
        out[row["contract_id"]] = {
            "contract_id": row["contract_id"], "title": row["title"], "owner": row["owner"],
            "funding": row["funding"], "ppk": row["ppk"] or "", "value": money(row["value"]),
            "regency_code": row["regency_code"], "spk_date": row["spk_date"].isoformat(),
            "start_date": row["start_date"].isoformat(), "end_date": row["end_date"].isoformat(),
            "registered_on": rg[0]["registered_on"].isoformat() if rg else "",
            "registration_no": rg[0]["registration_no"] if rg else "",
            "contribution_paid": money(sum((x["contribution_paid"] for x in rg), Decimal(0))),
            "source": source(row),
        }
    return out
