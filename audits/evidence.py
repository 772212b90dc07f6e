"""Evidence for findings: the source rows behind each one (workers, payments, contracts, each with
its file and row) and the computation sheet, fetched only for the subjects that have findings.

Nothing is computed again here: the workers are those the facts' own SQL test counted, and the
sheet renders the breakdown the facts carry (`audits.calc.sums`)."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from .categories import Categories, Evidence
from .facts.employer_month import worker_rows
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
    return (table.c.import_id == sc.import_id, *sc.of_employers(table.c.employer_id),
            table.c.employer_id.in_(sorted({k[0] for k in keys})),
            table.c.period >= min(periods), table.c.period <= max(periods))


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


def _unregistered_dues(f, fact):
    by_program = fact["month_sums"].unregistered
    return None if by_program is None else _due_rows(f.period, fact["unregistered_wage"], fact["unregistered_jp_base"],
                                                     by_program)


def _underreported_dues(f, fact):
    by_program = fact["month_sums"].underreported
    return None if by_program is None else _due_rows(f.period, fact["underreported_wage_gap"],
                                                     fact["underreported_jp_gap"], by_program)


def _dues_by_month(which: str):
    def sheet(f, fact):
        # one block per month, at that month's rates: the sheet adds up to the finding
        months = fact["dues_by_month"][which].months
        rows = [row for m in months for row in _due_rows(m.period, m.wage, m.jp_base, m.by_program)]
        if rows and months[0].estimated_risk_group is not None:
            rows[0]["note"] = f"kelompok risiko tidak diketahui: taksiran kelompok {months[0].estimated_risk_group}"
        return rows
    return sheet


def _bill(f, fact):
    """B(E,P) per programme, what was paid by as_of, and the late fee slice by slice."""
    if not fact["registered"]:
        return None
    sums, period = fact["month_sums"], f.period
    rows = _due_rows(period, fact["declared_wage"], fact["declared_jp_base"], sums.bill.by_program)
    rows.append({"period": period, "program": "TAGIHAN", "base": "", "rate": "", "due": money(sums.bill.total),
                 "paid": money(sums.fee.paid), "outstanding": money(sums.fee.outstanding), "months_late": "",
                 "fee": "", "note": f"jatuh tempo {sums.due.isoformat()}"})
    for line in sums.fee.lines:
        rows.append({"period": period, "program": "DENDA", "base": money(line.amount), "rate": "",
                     "due": "", "paid": "" if line.open else money(line.amount),
                     "outstanding": money(line.amount) if line.open else "",
                     "months_late": str(line.months_late), "fee": money(line.fee), "note": _fee_note(line)})
    if sums.late_fee_paid:  # payments of kind denda by as_of: the sheet's fee total is what is still owed
        rows.append({"period": period, "program": "DENDA", "base": "", "rate": "", "due": "",
                     "paid": money(sums.late_fee_paid), "outstanding": "", "months_late": "",
                     "fee": money(-min(sums.late_fee_paid, sums.fee.fee)),
                     "note": f"denda keterlambatan yang telah dibayar (pembayaran jenis denda) sampai "
                             f"{fact['as_of'].isoformat()}"})
    return rows


def _fee_note(line) -> str:
    """When and how settled, and the fee per programme where JP is part of it: the JP fee is paid with
    the arrears into the JP fund (PP 45/2015 Pasal 31), the rest with the next month's contribution."""
    note = ("belum dibayar per " if line.open else "dibayar ") + line.settled_on.isoformat()
    if line.fee_jp:
        note += (f"; denda JP Rp {amount_text(line.fee_jp.quantize(Decimal('0.01')))}"
                 f" + JKK/JKM/JHT Rp {amount_text(line.fee_non_jp.quantize(Decimal('0.01')))}")
    return note


def _contribution_bands(f, fact):
    """The contract's contribution band by band (marginal bands), then the total and what was paid."""
    rows = []
    for sl in fact["contract_sums"].bands.slices:
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


# The computation sheets a category may name (categories.yaml `evidence.sheet`): each renders a
# breakdown the facts carry.
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
    kind = {f.finding_id: (categories.get(f.category).evidence if f.category in categories else Evidence())
            for f in findings}
    workers = {test: worker_rows(sc, {(f.employer_id, f.period) for f in findings if kind[f.finding_id].workers == test},
                                 test)
               for test in sorted({k.workers for k in kind.values() if k.workers})}
    pay_keys = {(f.employer_id, f.period) for f in findings if kind[f.finding_id].payments}
    payments = _payments(sc, pay_keys)
    contracts = _contracts(sc, {f.subject_id for f in findings if kind[f.finding_id].contracts})

    for f in findings:
        fact = facts_by_id[f.trace["fact_id"]]
        want = kind[f.finding_id]
        ev: dict = {}
        if want.payments:
            pays = payments.get((f.employer_id, f.period), [])
            # "payments" are contributions (docs/lifecycle.md: only kind iuran counts as paid); a late
            # fee paid (kind denda) is listed apart, never as a contribution received
            ev["payments"] = [{"period": r["period"], "amount": money(r["amount"]), "paid_on": r["paid_on"].isoformat(),
                               "reference": r["reference"] or "", "source": source(r)} for r in pays
                              if r["kind"] != "denda"]
            fees = [{"period": r["period"], "amount": money(r["amount"]), "paid_on": r["paid_on"].isoformat(),
                     "reference": r["reference"] or "", "source": source(r)} for r in pays if r["kind"] == "denda"]
            if fees:
                ev["late_fee_payments"] = fees
        if want.workers:
            ev["workers"] = [_worker(r) for r in workers[want.workers].get((f.employer_id, f.period), [])]
        if want.contracts:
            ev["contracts"] = [dict(contracts[f.subject_id], current_value=money(fact["current_value"]))]
        if want.sheet:
            rows = SHEETS[want.sheet](f, fact)
            if rows is not None:
                ev["computation"] = rows
        f.evidence = ev


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
