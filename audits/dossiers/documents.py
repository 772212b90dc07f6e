"""What makes a dossier a document one can file, added to the context render.dossier_context builds:

- the form of an official letter when an office is configured (audits.letters): the issuing
  office's letterhead, a number from its register, Sifat/Lampiran/Hal, the place-and-date line and
  the signatories with name and NIP;
- the responsible person of the employer (and, on a criminal dossier, a warning when there is none);
- the law as enacted: sources of law reduced to enacted texts (never a news site), each unverified
  citation marked, their count on the cover;
- month columns that say months (an employer-level finding covers the months audited);
- computation sheets for IURAN-PEKERJA-TIDAK-DISETOR that show the deductions and the unpaid part
  instead of repeating the month's bill;
- for the police: the elements of UU 24/2011 Pasal 55 jo. Pasal 19 ayat (1)–(2), each with its
  evidence, the witnesses (the workers whose wages were cut) and the deductions month by month per
  worker with their source rows. That section is where the police dossier lists those payroll
  rows: its IURAN-PEKERJA-TIDAK-DISETOR sheets and its evidence refer to it rather than list them
  again (the same rows twice were about a quarter of the police dossiers' table cells).
"""
from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from patuh.audits import categories as categories_of

from . import fmt
from .data import RunData, dec

_ROW = re.compile(r"\b(row|rows)\b")
_SHEET = re.compile(r"\bsheet\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def source_text(text, lang: str) -> str:
    """`payroll.csv row 41` → `payroll.csv baris 41` in Indonesian text."""
    if text in (None, ""):
        return fmt.DASH
    s = str(text)
    if lang == "id":
        s = _SHEET.sub("lembar", _ROW.sub("baris", s))
    return s


def lawful_source_text(text, lang: str) -> str:
    """A parameter's source reduced to enacted texts; news and other secondary sources are not
    printed as sources of law (the status column says how sure the value is)."""
    from patuh.audits.letters.citations import lawful_sources

    kept = lawful_sources(text)
    if kept:
        return kept
    return "sumber sekunder, belum diverifikasi" if lang == "id" else "secondary source, not verified"


def dates_in_text(text, lang: str) -> str:
    """ISO dates inside engine notes (`jatuh tempo 2025-08-15`) as documents write dates."""
    return _ISO.sub(lambda m: fmt.date_text(m.group(0), lang), str(text or ""))


# ---------------------------------------------------------------------------------------------


def _form(ctx: dict, data: RunData, kind: str, lang: str) -> None:
    from patuh.audits.letters import hook
    from patuh.audits.letters.build import numbering
    from patuh.audits.letters.office import OfficeConfigError

    setting = hook.current()
    ctx["form"] = None
    if setting is None or setting.office is None or setting.run_id != data.run_id:
        return
    cfg = setting.office
    eid = ctx["employer"]["employer_id"]
    try:
        office = cfg.office_for(ctx["employer"].get("regency_code"))
    except OfficeConfigError:
        return
    day = setting.letter_date or data.as_of
    numbers = _numbers(data, cfg, day, numbering)
    number = numbers.get((eid, kind))
    if number:
        ctx["doc_no"] = number
    ctx["form"] = {"office": office, "parent": cfg.parent, "date": day, "head": office.head,
                   "inspector": office.inspectors[0] if office.inspectors else None}


_NUMBERS: dict = {}


def _numbers(data, cfg, day, numbering) -> dict:
    key = (data.run_id, cfg.path, day)
    if key not in _NUMBERS:
        _NUMBERS.clear()
        _NUMBERS[key] = numbering(data, cfg, day)[1]
    return _NUMBERS[key]


def _legal(ctx: dict, lang: str) -> None:
    from patuh.audits.letters.citations import corpus, lawful_sources

    law = corpus()
    n = 0
    for item in ctx["legal"]:
        ins = law.instruments.get(item["instrument"])
        item["title"] = ins.title if ins else item.get("title") or item["instrument"]
        item["gazette"] = ", ".join(x for x in (ins.ln, ins.tln, ins.bn) if x) if ins else ""
        item["source"] = lawful_sources(item.get("source"))
        verified = item.get("verified")
        if verified is None:
            from .legal import legal_texts  # the corpus entry says whether it was verified
            verified = (legal_texts()["texts"].get(item.get("ref")) or {}).get("verified")
        if verified is None:  # an entry without the corpus' flag: verified only as an enacted quote
            verified = item.get("status") == "P" and item.get("kind") == "kutipan" and bool(item["source"])
        item["verified"] = bool(verified)
        n += not item["verified"]
    ctx["unverified"] = n


def _months(f: dict, data: RunData) -> str | None:
    """The months an employer-level finding covers: its computation rows', else the run's range."""
    ps = sorted({str(r.get("period")) for r in (f.get("evidence") or {}).get("computation") or []
                 if isinstance(r, dict) and r.get("period")})
    if ps:
        return ps[0] if len(ps) == 1 else f"{ps[0]}..{ps[-1]}"
    a, b = data.run.get("period_from"), data.run.get("period_to")
    return f"{a}..{b}" if a and b else None


def _deduction_sheet(f: dict, lang: str) -> dict:
    ev = f.get("evidence") or {}
    tr = f.get("trace") or {}
    fields = {**(tr.get("evidence_fields") or {}), **(tr.get("fields") or {})}
    workers = sorted(ev.get("workers") or [], key=lambda w: (w.get("name") or "", w.get("nik") or ""))
    deducted = sum((dec(w.get("bpjs_deduction")) for w in workers), Decimal(0))
    registered = fields.get("registered")
    bill = fields.get("bill")
    paid = dec(fields.get("paid"))
    unpaid = (dec(bill) - paid) if bill not in (None, "") else None
    return {"workers": workers, "deducted": deducted, "bill": dec(bill) if bill not in (None, "") else None,
            "paid": paid, "unpaid": unpaid if unpaid is None or unpaid > 0 else Decimal(0),
            "registered": registered is not False, "due_date": fields.get("due_date")}


def _categories(data: RunData):
    return data.categories or categories_of.load()


def _deducted(data: RunData) -> frozenset[str]:
    """The categories of deducted shares not remitted: their evidence is the deductions."""
    return frozenset(c.id for c in _categories(data) if c.evidence.workers == "deducted")


def _sheets(ctx: dict, data: RunData, lang: str) -> None:
    """IURAN-PEKERJA-TIDAK-DISETOR sheets show what was deducted and what is unpaid (the bill is on
    the TUNGGAKAN sheet of the same month — categories.yaml part_of — referred to, not repeated);
    renumber in finding order."""
    deducted = _deducted(data)
    holds_bill = set(_categories(data).part_of(deducted))
    by_id = {sh["finding"]["finding_id"]: sh for sh in ctx["sheets"]}
    bill_sheet = {}
    sheets = []
    for f in ctx["findings"]:
        sh = by_id.get(f["finding_id"])
        if f["category"] in deducted:
            sh = {"finding": f, "rows": [], "cols": [], "totals": {}, "derivation": None, "summary_rows": [],
                  "fee_rows": [], "fee_cols": [], "fee_total": Decimal(0), "period": None, "common_note": None,
                  "row_notes": False, "deduction": _deduction_sheet(f, lang)}
        if sh is None:
            continue
        sh = dict(sh, number=len(sheets) + 1)
        sh.setdefault("deduction", None)
        sheets.append(sh)
        if f["category"] in holds_bill and f.get("period"):
            bill_sheet[f["period"]] = sh["number"]
        for r in sh.get("rows", []) + sh.get("summary_rows", []) + sh.get("fee_rows", []):
            if r.get("note"):
                r["note"] = dates_in_text(r["note"], lang)
        if sh.get("common_note"):
            sh["common_note"] = dates_in_text(sh["common_note"], lang)
    for sh in sheets:
        if sh["deduction"] is not None:
            sh["deduction"]["bill_sheet"] = bill_sheet.get(sh["finding"].get("period"))
    ctx["sheets"] = sheets
    number_of = {sh["finding"]["finding_id"]: sh["number"] for sh in sheets}
    for f in ctx["findings"]:
        f["sheet"] = number_of.get(f["finding_id"])
        if not f.get("period") and not f.get("contract_id"):
            f["months"] = _months(f, data)


def _pidana(ctx: dict, data: RunData, lang: str) -> None:
    cats = _categories(data)
    claim = set(cats.focus_of("pidana"))  # the deducted shares not remitted (categories.yaml focus)
    focus = [f for f in ctx["findings"] if f["category"] in claim]
    per_worker: dict[str, dict] = {}
    months = set()
    for f in focus:
        for w in (f.get("evidence") or {}).get("workers") or []:
            if dec(w.get("bpjs_deduction")) <= 0:
                continue
            p = per_worker.setdefault(w.get("nik") or "", {"nik": w.get("nik"), "name": w.get("name"), "months": {},
                                                           "total": Decimal(0), "wages": Decimal(0)})
            p["months"][w.get("period")] = {"deduction": dec(w.get("bpjs_deduction")), "wage": dec(w.get("wage")),
                                            "source": w.get("source")}
            p["total"] += dec(w.get("bpjs_deduction"))
            months.add(w.get("period"))
    witnesses = sorted(per_worker.values(), key=lambda p: (p["name"] or "", p["nik"] or ""))
    months = sorted(m for m in months if m)
    rows = []
    for p in witnesses:
        for m in months:
            if m in p["months"]:
                rows.append({"name": p["name"], "nik": p["nik"], "period": m, **p["months"][m]})
    month_totals = {m: sum((p["months"][m]["deduction"] for p in witnesses if m in p["months"]), Decimal(0)) for m in months}

    emp = ctx["employer"]
    # the employer's own contributions unpaid (UU 24/2011 Pasal 19 ayat (2)): the findings whose
    # principal holds the deducted shares (categories.yaml part_of)
    unpaid = set(cats.part_of(claim))
    tunggakan = [f for f in ctx["findings"] if f["category"] in unpaid]
    deducted = sum(month_totals.values(), Decimal(0))
    not_remitted = sum((dec(f.get("amount")) for f in focus), Decimal(0))
    payments = ctx.get("payments") or []
    pay_months = [p for p in payments if p.get("period") in months]
    elements = [
        {"key": "pemberi_kerja",
         "evidence": [("emp", {"name": emp["name"], "npwp": emp.get("npwp"), "nib": emp.get("nib"), "src": emp.get("source")}),
                      ("wages", {"workers": len(witnesses), "months": len(months), "first": months[0] if months else None,
                                 "last": months[-1] if months else None})],
         "met": bool(witnesses)},
        {"key": "memungut",
         "evidence": [("deducted", {"amount": deducted, "workers": len(witnesses), "months": len(months),
                                    "rows": len(rows)})],
         "met": deducted > 0},
        {"key": "tidak_menyetor",
         "evidence": [("not_remitted", {"amount": not_remitted, "sheets": [f.get("sheet") for f in focus if f.get("sheet")]}),
                      ("payments", {"n": len(pay_months), "amount": sum((dec(p.get("amount")) for p in pay_months), Decimal(0)),
                                    "registered": bool(emp.get("npp"))})],
         "met": not_remitted > 0},
        {"key": "tidak_membayar",
         "evidence": [("employer_share", {"findings": [(f["category"], f.get("period"), dec(f.get("amount"))) for f in tunggakan]})],
         "met": bool(tunggakan)},
    ]
    ctx["pidana"] = {"elements": elements, "witnesses": witnesses, "rows": rows, "months": months,
                     "month_totals": month_totals, "total": deducted}


def extend(ctx: dict, data: RunData, case: dict, kind: str, lang: str) -> dict:
    emp = data.employers.get(case["employer_id"]) or {}
    ctx["employer"]["responsible_name"] = emp.get("responsible_name") or None
    ctx["employer"]["responsible_title"] = emp.get("responsible_title") or None
    ctx["employer"]["scale_text"] = (fmt.label(f"scale.{emp.get('scale')}", lang)
                                     if emp.get("scale") and fmt.has_label(f"scale.{emp.get('scale')}") else emp.get("scale"))
    _form(ctx, data, kind, lang)
    _legal(ctx, lang)
    _sheets(ctx, data, lang)
    ctx["pidana"] = None
    if kind == "pidana":
        _pidana(ctx, data, lang)
    return ctx
