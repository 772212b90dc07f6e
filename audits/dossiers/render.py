"""Render a run's dossiers: law-enforcement dossiers per case and the provincial report.

HTML comes from Jinja2 templates in this package (autoescaped), with the stylesheet inlined, so
each file stands alone; the PDF is WeasyPrint's rendering of the same HTML string. Nothing here
reads the clock: the date on every document is the run's `as_of`, and every collection is
iterated in a fixed order, so the same store content gives byte-identical HTML.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from patuh.audits import categories as categories_of

from . import fmt
from .data import RunData, dec, finding_sort_key, load_run
from .documents import extend as extend_document, lawful_source_text, source_text
from .legal import legal_texts
from patuh.audits.regions import regency_name, regency_short

HERE = Path(__file__).resolve().parent

# Which step goes to whom, and where its dossier is written (under out_dir/dossiers/).
ADDRESSEE_DIR = {"skk": "kejaksaan", "pidana": "kepolisian"}
GENERIC_KIND = "kasus"  # a case rendered on request (all_cases) without an skk/pidana step
KIND_DIR = {"skk": "kejaksaan", "pidana": "kepolisian", GENERIC_KIND: "kasus"}
KIND_SUFFIX = {"skk": "SKK", "pidana": "PID", GENERIC_KIND: "KSS"}
# The keys of evidence rows (audits/model.py); rows are completed with None so templates never
# meet a missing key whatever the producing rule wrote.
WORKER_KEYS = ("nik", "name", "period", "wage", "reported_wage", "bpjs_deduction", "source")
PAYMENT_KEYS = ("period", "amount", "paid_on", "reference", "source")
CONTRACT_KEYS = ("contract_id", "title", "owner", "funding", "ppk", "value", "current_value", "spk_date", "start_date",
                 "end_date", "registered_on", "registration_no", "contribution_paid", "source")
COMPUTATION_KEYS = ("period", "program", "base", "rate", "due", "paid", "outstanding", "months_late", "fee", "note")


def _complete(row: dict, keys) -> dict:
    out = {k: None for k in keys}
    out.update(row)
    return out


# ---------------------------------------------------------------------------------------------
# Jinja environment


@lru_cache(maxsize=None)
def _css() -> str:
    return (HERE / "templates" / "style.css").read_text(encoding="utf-8")


def _page_css(lang: str) -> Markup:
    """@page footer text per language. Inside <style> nothing is unescaped by the browser, so the
    text goes in as CSS strings built only from our own labels (checked: no quote/backslash)."""
    page, of = fmt.label("page", lang), fmt.label("of", lang)
    for word in (page, of):
        if re.search(r'["\\<>]', word):
            raise ValueError(f"label not usable in CSS: {word!r}")
    return Markup(
        "@page { @bottom-right { content: \"%s \" counter(page) \" %s \" counter(pages); "
        "font-family: \"Patuh Sans\", \"Liberation Sans\", Arial, sans-serif; font-size: 7.5pt; color: #555; } }" % (page, of)
    )


@lru_cache(maxsize=None)
def make_env(lang: str = "id") -> Environment:
    if lang not in fmt.LANGS:
        raise ValueError(f"lang must be one of {fmt.LANGS}, not {lang!r}")
    env = Environment(
        loader=PackageLoader("patuh.audits.dossiers", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        rupiah=lambda v: fmt.rupiah(v, lang),
        src=lambda v: source_text(v, lang),
        lawsrc=lambda v: lawful_source_text(v, lang),
        rupiah_exact=lambda v: fmt.rupiah_exact(v, lang),
        date=lambda v: fmt.date_text(v, lang),
        period=lambda v: fmt.period_text(v, lang),
        pct=lambda v: fmt.percent(v, lang),
        num=lambda v: fmt.number(v, lang),
        nik=fmt.nik_text,
        mask_nik=fmt.mask_nik,
        npwp=fmt.npwp_text,
        npwp_masked=lambda v: fmt.npwp_text(v, mask_personal=True),
        regency=lambda v: regency_name(v, lang),
    )
    env.globals.update(
        t=lambda key: fmt.label(key, lang),
        lang=lang,
        css=Markup(_css()),
        page_css=_page_css(lang),
        cat_name=category_names(categories_of.load(), lang),
        step_name=lambda s: fmt.label(f"step.{s}", lang) if fmt.has_label(f"step.{s}") else s,
        action_name=lambda s: fmt.label(f"action.{s}", lang) if fmt.has_label(f"action.{s}") else s,
        funding_name=lambda s: fmt.label(f"funding.{s}", lang) if fmt.has_label(f"funding.{s}") else (s or "–"),
        program_name=lambda p: fmt.label(f"program.{p.upper()}", lang) if p and fmt.has_label(f"program.{p.upper()}") else (p or "–"),
    )
    return env


def render_template(name: str, lang: str, **context) -> str:
    return make_env(lang).get_template(name).render(**context)


def category_names(categories, lang: str) -> Callable[[str], str]:
    """A category's title in `lang` (categories.yaml); its code where it has none."""
    def name(code: str) -> str:
        c = categories.get(code)
        return c.title.get(lang, code) if c is not None else code
    return name


# ---------------------------------------------------------------------------------------------
# Small helpers


def case_number(run_id: str, employer_id: str, year: int) -> str:
    """Deterministic case number: PATUH/<year of as_of>/<8 hex of sha256(run_id|employer_id)>."""
    h = hashlib.sha256(f"{run_id}|{employer_id}".encode()).hexdigest()[:8].upper()
    return f"PATUH/{year}/{h}"


SEGMENT_MAX = 40
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT") for i in "0123456789¹²³")}


def safe_segment(text: str) -> str:
    """An employer id as one folder name, the same on Linux, Windows and macOS: letters, digits,
    `.`, `_`, `-` (anything else `_`), at most SEGMENT_MAX characters. An id that had to be
    changed or cut, a name Windows reserves (CON, NUL, COM1 …) and an id with a lower-case letter
    (on a case-insensitive disk `e001` would be the folder of `E001`) get `-` and 8 hex digits of
    the id's hash, so that two ids never share a folder."""
    seg = re.sub(r"[^A-Za-z0-9._-]", "_", text).strip(". ")
    if (seg == text and len(seg) <= SEGMENT_MAX and seg.split(".")[0].upper() not in _RESERVED
            and not any(c.islower() for c in seg)):
        return seg
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{seg[:SEGMENT_MAX - 9].rstrip('. ') or '_'}-{digest}"


def _legal_entry(ref: str, lang: str) -> dict:
    t = legal_texts()["texts"][ref]
    return {"ref": ref, "instrument": t["instrument"], "article": t["article"], "kind": t["kind"], "status": t["status"],
            "source": t["source"], "text": t["text"][lang], "cite": f"{t['instrument']} {t['article']}"}


def _sum(values: Iterable) -> Decimal:
    return sum((dec(v) for v in values if v not in (None, "")), Decimal(0))


def _value_lines(value, lang: str) -> list[str]:
    """A parameter value for the provenance table: a number, or one line per entry of a map
    (`3: 0,0089`) or of a list of maps (`upto: 100.000.000 · jkk: 0,0021 · jkm: 0,0003`)."""
    def scalar(v) -> str:
        d = fmt.to_decimal(v) if not isinstance(v, str) or re.fullmatch(r"-?\d+(\.\d+)?", v.strip()) else None
        if d is not None:
            return fmt.number(d, lang)
        return "–" if v in (None, "") else str(v)

    if isinstance(value, dict):
        return [f"{k}: {scalar(value[k]) if not isinstance(value[k], (dict, list)) else json.dumps(value[k], sort_keys=True)}"
                for k in sorted(value, key=str)]
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, dict):
                lines.append(" · ".join(f"{k}: {scalar(item[k])}" for k in sorted(item, key=str)))
            else:
                lines.append(scalar(item))
        return lines or ["–"]
    return [scalar(value)]


def _parameters(findings: list[dict], lang: str) -> list[dict]:
    seen = {}
    for f in findings:
        for p in (f.get("trace") or {}).get("parameters") or []:
            if not isinstance(p, dict):
                continue
            key = json.dumps(p, sort_keys=True, default=str)
            if key in seen:
                seen[key]["findings"].add(f["finding_id"])
                continue
            seen[key] = dict(p, value_lines=_value_lines(p.get("value"), lang), findings={f["finding_id"]})
    out = sorted(seen.values(), key=lambda p: (str(p.get("id") or ""), str(p.get("key") or ""), str(p.get("valid_from") or ""),
                                                json.dumps(p.get("value"), sort_keys=True, default=str)))
    for p in out:
        p["findings"] = sorted(p["findings"])
    return out


def _rests_on(f: dict, lang: str) -> str:
    """The unconfirmed or derived parameter values a finding's figure rests on, said next to it
    (`patuh rules sensitivity` shows what the figure would be under their alternatives)."""
    ids = []
    for p in (f.get("trace") or {}).get("parameters") or []:
        if isinstance(p, dict) and p.get("status") in ("UNCONFIRMED", "D"):
            ref = f"{p.get('id')} = {p.get('value')} ({p.get('status')})"
            if ref not in ids:
                ids.append(ref)
    if not ids:
        return ""
    head = "Angka ini bergantung pada nilai yang belum pasti" if lang == "id" else "This figure rests on an unconfirmed value"
    return f"{head}: {'; '.join(ids)}"


def _rules(findings: list[dict]) -> list[dict]:
    rules = {}
    for f in findings:
        tr = f.get("trace") or {}
        rules.setdefault((f["rule_id"], str(tr.get("revision") or "")), 0)
        rules[(f["rule_id"], str(tr.get("revision") or ""))] += 1
    return [{"rule_id": r, "revision": rev, "count": n} for (r, rev), n in sorted(rules.items())]


def _ladder_trace(case: dict) -> dict | None:
    """How the ladder reached the case's steps; the terms of the next warning letter (`letter`) belong
    to that letter, not to a dossier."""
    trace = case.get("trace")
    return {k: v for k, v in trace.items() if k != "letter"} if isinstance(trace, dict) else trace


def _flat_trace(trace, prefix="") -> list[tuple[str, str]]:
    """A case trace (any JSON) as sorted `key: value` lines for the annex; lists of words are
    joined, `parameters` are left out (they go to the parameters table)."""
    out = []
    if isinstance(trace, dict):
        for k in sorted(trace, key=str):
            v = trace[k]
            if not prefix and k == "parameters":
                continue
            if isinstance(v, dict) and v:
                out += _flat_trace(v, f"{prefix}{k}.")
            elif isinstance(v, list) and all(isinstance(x, (str, int)) for x in v):
                out.append((f"{prefix}{k}", ", ".join(str(x) for x in v) or "–"))
            elif v is None:
                out.append((f"{prefix}{k}", "–"))
            else:
                out.append((f"{prefix}{k}", v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)))
    elif trace not in (None, "", [], {}):
        out.append((prefix.rstrip(".") or "trace", json.dumps(trace, ensure_ascii=False, sort_keys=True)))
    return out


def _employer_view(emp: dict | None, employer_id: str, lang: str) -> dict:
    emp = emp or {"employer_id": employer_id, "name": employer_id}
    return {
        "employer_id": employer_id,
        "name": emp.get("name") or employer_id,
        "npwp": emp.get("npwp"),
        "nib": emp.get("nib"),
        "npp": emp.get("npp"),
        "registered_on": emp.get("registered_on"),
        "scale": emp.get("scale"),
        "sector": emp.get("sector"),
        "jkk_risk_group": emp.get("jkk_risk_group"),
        "programs": (emp.get("programs") or "").replace(";", ", "),
        "address": emp.get("address"),
        "regency_code": emp.get("regency_code"),
        "regency": regency_name(emp.get("regency_code"), lang),
        "source": _source(emp),
    }


def _source(row: dict | None) -> str:
    if not row or not row.get("src_file"):
        return "–"
    sheet = f" sheet {row['src_sheet']}" if row.get("src_sheet") else ""
    return f"{row['src_file']}{sheet} row {row['src_row']}"


# ---------------------------------------------------------------------------------------------
# The law-enforcement dossier


def _addressee(kind: str, regency_code: str | None, lang: str) -> list[str]:
    short = regency_short(regency_code)
    if kind == "skk":
        return [fmt.label("addr.skk.1", lang).format(kejari=short), fmt.label("addr.skk.2", lang),
                fmt.label("addr.skk.3", lang).format(kejari=short)]
    if kind == "pidana":
        return [fmt.label(f"addr.pidana.{i}", lang) for i in (1, 2, 3, 4)]
    return [fmt.label(f"addr.kasus.{i}", lang) for i in (1, 2, 3)]


# Computation rows that are not a programme's dues: the engine's own summary of the bill or
# contract (`TAGIHAN`, `TOTAL`) and late-fee lines (`DENDA`). They are shown as such and never
# summed together with the programme rows.
SUMMARY_ROWS = {"TAGIHAN", "TOTAL", "JUMLAH"}
FEE_ROWS = {"DENDA"}
# Raw amounts in engine notes: 5+ digits, or 4 digits with sen; never a year or an ISO date.
_NUM_IN_TEXT = re.compile(r"(?<![\d.,-])(\d{5,}|\d{4}(?=\.\d{2}))(?:\.(\d{2}))?(?![\d-])|(?<![\d.,])0\.00(?![\d])")


def _note_text(note, lang: str) -> str:
    """Engine notes carry raw numbers (`lapisan 100000000.00 – 500000000.00`): write them as amounts."""
    def repl(m):
        if m.group(1) is None:
            return "0"
        whole = fmt.number(m.group(1), lang)
        return whole if not m.group(2) or m.group(2) == "00" else whole + ("," if lang != "en" else ".") + m.group(2)
    return _NUM_IN_TEXT.sub(repl, str(note or ""))


def _present(rows: list[dict], cols: list[str]) -> list[str]:
    return [c for c in cols if any(r.get(c) not in (None, "") for r in rows)]


def _sheet(f: dict, number: int, lang: str = "id", categories=None) -> dict | None:
    rows = [_complete(r, COMPUTATION_KEYS) for r in ((f.get("evidence") or {}).get("computation") or []) if isinstance(r, dict)]
    if not rows:
        return None
    for r in rows:
        r["note"] = _note_text(r.get("note"), lang)
        r["program"] = str(r.get("program") or "")
    dues_rows = [r for r in rows if r["program"].upper() not in SUMMARY_ROWS | FEE_ROWS]
    summary_rows = [r for r in rows if r["program"].upper() in SUMMARY_ROWS]
    fee_rows = [r for r in rows if r["program"].upper() in FEE_ROWS]

    cols = ["period", "program", "base", "rate", "due", "paid", "outstanding", "months_late", "fee", "note"]
    present = _present(dues_rows + summary_rows, cols)
    # A month shared by every row is already in the sheet's heading.
    periods = {r.get("period") or "" for r in rows}
    if "period" in present and len(periods) == 1 and (f.get("period") in periods or not f.get("period")):
        sheet_period = periods.pop()
        present.remove("period")
    else:
        sheet_period = None
    # Notes: one shared note goes under the table; long notes get a line of their own under
    # their row; short ones stay a column.
    notes = [r["note"] for r in dues_rows + summary_rows]
    common_note, row_notes = None, False
    if "note" in present:
        if len(set(notes)) == 1:
            common_note = notes[0]
            present.remove("note")
        elif max(len(n) for n in notes) > 28:
            row_notes = True
            present.remove("note")
    # Our own totals only where the engine gave none (its summary row is the total).
    totals = {}
    if not summary_rows:
        totals = {c: _sum(r.get(c) for r in dues_rows) for c in ("due", "paid", "outstanding", "fee") if c in present}
    fee_cols = [c for c in _present(fee_rows, ["period", "base", "months_late", "fee", "paid", "note"])
                if not (c == "period" and sheet_period is not None)]
    # shares deducted from wages (evidence workers: deducted): principal = min(deducted, unpaid) — show both.
    derivation = None
    if _deducted(f, categories):
        ws = (f.get("evidence") or {}).get("workers") or []
        deducted = _sum(w.get("bpjs_deduction") for w in ws) if ws else None
        unpaid = next((r.get("outstanding") for r in summary_rows if r.get("outstanding") not in (None, "")), None)
        if deducted is not None or unpaid is not None:
            derivation = {"deducted": deducted, "unpaid": unpaid}
    return {"number": number, "finding": f, "rows": dues_rows, "cols": present, "totals": totals, "derivation": derivation,
            "summary_rows": summary_rows, "fee_rows": fee_rows, "fee_cols": fee_cols,
            "fee_total": _sum(r.get("fee") for r in fee_rows), "period": sheet_period,
            "common_note": common_note, "row_notes": row_notes}


def _deducted(f: dict, categories) -> bool:
    """A finding whose workers are those with a share deducted from their wages (categories.yaml)."""
    category = (categories or categories_of.load()).get(f["category"])
    return category is not None and category.evidence.workers == "deducted"


def dossier_context(data: RunData, case: dict, kind: str, lang: str) -> dict:
    cs = data.categories
    eid = case["employer_id"]
    emp = data.employers.get(eid)
    employer = _employer_view(emp, eid, lang)
    findings = sorted(data.findings_of(eid), key=lambda f: finding_sort_key(f, cs))
    # the categories this kind of dossier is about (categories.yaml `focus`), marked in the tables
    focus = set(cs.ids) if kind == GENERIC_KIND else set(cs.focus_of(kind))

    sheets, sheet_of = [], {}
    for f in findings:
        sh = _sheet(f, len(sheets) + 1, lang, cs)
        if sh:
            sheets.append(sh)
            sheet_of[f["finding_id"]] = sh["number"]

    frows = []
    for i, f in enumerate(findings, 1):
        message = ((f.get("trace") or {}).get("message_en") or f.get("message")) if lang == "en" else f.get("message")
        frows.append(dict(f, message=message, no=i, focus=f["category"] in focus, sheet=sheet_of.get(f["finding_id"]),
                          subject=f.get("contract_id") or f.get("period") or f.get("subject_id"),
                          rests_on=_rests_on(f, lang)))

    by_cat = defaultdict(lambda: {"count": 0, "amount": Decimal(0), "late_fee": Decimal(0), "periods": set()})
    for f in findings:
        b = by_cat[f["category"]]
        b["count"] += 1
        b["amount"] += dec(f.get("amount"))
        b["late_fee"] += dec(f.get("late_fee"))
        if f.get("period"):
            b["periods"].add(f["period"])
    cats = [{"category": c, **{k: (sorted(v) if k == "periods" else v) for k, v in by_cat[c].items()}}
            for c in sorted(by_cat, key=lambda c: (data.categories.rank(c), c))]
    total_amount = sum((c["amount"] for c in cats if cs.adds_to_total(c["category"])), Decimal(0))
    total_fee = sum((c["late_fee"] for c in cats), Decimal(0))

    focus_findings = [f for f in findings if f["category"] in focus]
    claim = {
        "amount": _sum(f.get("amount") for f in focus_findings),
        "late_fee": _sum(f.get("late_fee") for f in focus_findings),
        "periods": sorted({f["period"] for f in focus_findings if f.get("period")}),
        "count": len(focus_findings),
    }
    claim["total"] = claim["amount"] + claim["late_fee"]

    # Evidence, deduplicated and sorted.
    workers, seen = [], set()
    for f in findings:
        for w in (f.get("evidence") or {}).get("workers") or []:
            key = (f["finding_id"], w.get("nik"), w.get("period"), w.get("source"))
            if key in seen:
                continue
            seen.add(key)
            workers.append(dict(_complete(w, WORKER_KEYS), category=f["category"], finding_id=f["finding_id"], focus=f["category"] in focus))
    workers.sort(key=lambda w: (w.get("name") or "", w.get("nik") or "", w.get("period") or "", w.get("source") or ""))
    has_deduction = any(w.get("bpjs_deduction") not in (None, "") for w in workers)
    # Workers are shown per finding (focus findings first), so each table says what they prove.
    worker_groups = []
    for f in sorted(findings, key=lambda f: (f["category"] not in focus,) + finding_sort_key(f, cs)):
        ws = [w for w in workers if w["finding_id"] == f["finding_id"]]
        if ws:
            worker_groups.append({"finding": f, "workers": ws, "focus": f["category"] in focus,
                                  "from_payroll": _deducted(f, cs),
                                  "deduction": any(w.get("bpjs_deduction") not in (None, "") for w in ws),
                                  "deductions": _sum(w.get("bpjs_deduction") for w in ws),
                                  "wages": _sum(w.get("wage") for w in ws)})
    distinct_workers = len({w.get("nik") for w in workers if w["focus"]}) if kind != GENERIC_KIND else len({w.get("nik") for w in workers})
    deductions = _sum(w.get("bpjs_deduction") for w in workers if w["focus"])

    payments, seen = [], set()
    for f in findings:
        for p in (f.get("evidence") or {}).get("payments") or []:
            key = json.dumps(p, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                payments.append(_complete(p, PAYMENT_KEYS))
    payments.sort(key=lambda p: (p.get("period") or "", p.get("paid_on") or "", p.get("reference") or "", p.get("source") or ""))

    contracts, seen = [], {}
    for f in findings:
        for c in (f.get("evidence") or {}).get("contracts") or []:
            cid = c.get("contract_id")
            if cid in seen:
                seen[cid]["categories"].add(f["category"])
                continue
            row = dict(_complete(c, CONTRACT_KEYS), categories={f["category"]})
            seen[cid] = row
            contracts.append(row)
    for c in contracts:
        c["categories"] = sorted(c["categories"], key=lambda k: (cs.rank(k), k))
    contracts.sort(key=lambda c: str(c.get("contract_id")))

    actions = [dict(a, source=_source(a)) for a in data.actions.get(eid, [])]

    refs = []
    for st in case["steps"]:
        refs += legal_texts()["steps"].get(st, [])
    for c in cats:
        refs += legal_texts()["categories"].get(c["category"], [])
    legal = [_legal_entry(r, lang) for r in dict.fromkeys(refs)]
    cite = {r["ref"]: r["cite"] for r in legal}
    steps = [{"code": st, "this": st == kind, "basis": [cite[r] for r in legal_texts()["steps"].get(st, [])]} for st in case["steps"]]

    number = case_number(data.run_id, eid, data.as_of.year)
    ctx = {
        "kind": kind,
        "doc_no": f"{number}/{KIND_SUFFIX[kind]}",
        "case_no": number,
        "date": data.as_of,
        "addressee": _addressee(kind, employer["regency_code"], lang),
        "employer": employer,
        "case": case,
        "steps": steps,
        "categories": cats,
        "total_amount": total_amount,
        "total_late_fee": total_fee,
        "not_added": sorted(cs.not_added & set(by_cat)),
        "claim": claim,
        "findings": frows,
        "sheets": sheets,
        "workers": workers,
        "worker_groups": worker_groups,
        "has_deduction": has_deduction,
        "distinct_workers": distinct_workers,
        "deductions": deductions,
        "payments": payments,
        "contracts": contracts,
        "actions": actions,
        "legal": legal,
        "prov": _provenance(data, findings, lang, case),
    }
    return extend_document(ctx, data, case, kind, lang)  # form, responsible person, law as enacted, police items


def _run_parameters(data: RunData, regency_code: str | None) -> list[dict]:
    """Parameters the run used when deriving facts (runs.parameters_json), as a pseudo-finding
    for _parameters: those without a key, and keyed ones for the employer's regency only."""
    ps = [p for p in data.run_parameters if p.get("key") in (None, "") or (regency_code and str(p.get("key")) == str(regency_code))]
    return [{"finding_id": "run", "rule_id": "run", "trace": {"parameters": ps}}] if ps else []


def _provenance(data: RunData, findings: list[dict], lang: str, case: dict | None = None) -> dict:
    if case is not None:
        regency = (data.employers.get(case["employer_id"]) or {}).get("regency_code")
        findings = findings + _run_parameters(data, regency)
    return {
        "run_id": data.run_id,
        "revision": data.run.get("ruleset_revision"),
        "package_hash": data.run.get("package_hash"),
        "as_of": data.as_of,
        "period_from": data.run.get("period_from"),
        "period_to": data.run.get("period_to"),
        "package_name": data.imp.get("name"),
        "package_source": data.imp.get("source"),
        "files": data.files,
        "parameters": _parameters(findings + ([{"finding_id": "case", "rule_id": "case", "trace": _ladder_trace(case)}]
                                              if case and isinstance(case.get("trace"), dict) else []), lang),
        "rules": _rules([f for f in findings if f["rule_id"] != "run"]),
        "case_trace": _flat_trace(_ladder_trace(case)) if case else [],
        "case_totals": (case.get("total_amount"), case.get("total_late_fee")) if case else None,
    }


def render_dossier_html(data: RunData, case: dict, kind: str, lang: str = "id") -> str:
    ctx = dossier_context(data, case, kind, lang)
    return render_template("dossier.html", lang, d=ctx, cat_name=category_names(data.categories, lang))


# ---------------------------------------------------------------------------------------------
# The provincial-government report


def report_context(data: RunData, lang: str) -> dict:
    from .report_coverage import coverage_context, lead_text
    from .report_summary import dues, findings_summary

    findings = data.findings
    emp = data.employers
    cov = coverage_context(data, lang)

    tmp2t = []
    for c in data.cases:
        if "tmp2t" not in c["steps"]:
            continue
        e = _employer_view(emp.get(c["employer_id"]), c["employer_id"], lang)
        fs = data.findings_of(c["employer_id"])
        warn = [a for a in data.actions.get(c["employer_id"], []) if a["action"] in ("teguran-1", "teguran-2")]
        tmp2t.append({"employer": e, "categories": c["category_list"], "steps": c["steps"], "amount": dues(fs),
                      "late_fee": _sum(f.get("late_fee") for f in fs), "last_warning": warn[-1] if warn else None})
    tmp2t.sort(key=lambda x: (x["employer"]["regency_code"] or "", x["employer"]["name"], x["employer"]["employer_id"]))

    groups = defaultdict(list)
    contract_categories = {c.id for c in data.categories if c.subject == "contract"}  # rules/categories.yaml
    for f in findings:
        if f["category"] not in contract_categories:
            continue
        ev = ((f.get("evidence") or {}).get("contracts") or [{}])[0]
        store = data.contracts.get(f.get("contract_id") or f.get("subject_id")) or {}
        c = {**{k: store.get(k) for k in ("contract_id", "title", "owner", "funding", "ppk", "value", "spk_date", "start_date", "regency_code")},
             **{k: v for k, v in ev.items() if v not in (None, "")}}
        c = _complete(c, CONTRACT_KEYS + ("regency_code",))
        c["contract_id"] = c["contract_id"] or f.get("contract_id") or f.get("subject_id")
        regs = data.registrations.get(c["contract_id"]) or []
        e = emp.get(f.get("employer_id")) or {}
        groups[(c.get("owner") or "–", c.get("funding") or "–")].append({
            "contract": c, "finding": f, "contractor": e.get("name") or f.get("employer_id"),
            "registered_on": c.get("registered_on") or (regs[-1]["registered_on"] if regs else None),
            "contribution_paid": c.get("contribution_paid") if c.get("contribution_paid") not in (None, "") else (regs[-1]["contribution_paid"] if regs else None)})
    jakon = []
    for (owner, funding) in sorted(groups):
        rows = sorted(groups[(owner, funding)], key=lambda r: (str(r["contract"].get("contract_id")), data.categories.rank(r["finding"]["category"])))
        jakon.append({"owner": owner, "funding": funding, "rows": rows, "amount": _sum(r["finding"].get("amount") for r in rows),
                      "ppk": sorted({r["contract"].get("ppk") for r in rows if r["contract"].get("ppk")})})

    return {
        "doc_no": f"PATUH/{data.as_of.year}/{hashlib.sha256(data.run_id.encode()).hexdigest()[:8].upper()}/PEMPROV",
        "date": data.as_of,
        "employers_in_package": len(emp),
        "cases": len(data.cases),
        **findings_summary(data, lang),
        "coverage": cov,
        "lead": lead_text(cov, lang),
        "tmp2t": tmp2t,
        "tmp2t_legal": [_legal_entry(r, lang) for r in legal_texts()["steps"]["tmp2t"]],
        "jakon": jakon,
        "jakon_amount": _sum(g["amount"] for g in jakon),
        "jakon_count": len({r["contract"]["contract_id"] for g in jakon for r in g["rows"]}),
        "prov": _provenance(data, findings, lang),
    }


def render_report_html(data: RunData, lang: str = "id") -> str:
    return render_template("pemprov.html", lang, r=report_context(data, lang),
                           cat_name=category_names(data.categories, lang))


# ---------------------------------------------------------------------------------------------
# PDF and the whole run


_CREATED = re.compile(r'<meta name="dcterms.created" content="(\d{4}-\d{2}-\d{2})">')


def document_epoch(html: str) -> str:
    """SOURCE_DATE_EPOCH for a document: midnight UTC of its own date (the run's as_of)."""
    m = _CREATED.search(html)
    day = dt.date.fromisoformat(m.group(1)) if m else dt.date(1970, 1, 1)
    return str(int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()))


# The faces the PDFs use, shipped in fonts/ (Liberation 2.1.5, SIL Open Font License): the PDF of
# one audit no longer depends on which fonts the machine has. The stylesheet names them first under
# names no system font has, so a system copy of Liberation (another version) is never picked for
# the PDF, and a browser, which never sees these @font-face rules, falls back to its own fonts.
PDF_FONTS = (
    ("Patuh Sans", "normal", "normal", "LiberationSans-Regular.ttf"),
    ("Patuh Sans", "bold", "normal", "LiberationSans-Bold.ttf"),
    ("Patuh Sans", "normal", "italic", "LiberationSans-Italic.ttf"),
    ("Patuh Sans", "bold", "italic", "LiberationSans-BoldItalic.ttf"),
    ("Patuh Serif", "normal", "normal", "LiberationSerif-Regular.ttf"),
    ("Patuh Serif", "bold", "normal", "LiberationSerif-Bold.ttf"),
    ("Patuh Serif", "normal", "italic", "LiberationSerif-Italic.ttf"),
    ("Patuh Mono", "normal", "normal", "LiberationMono-Regular.ttf"),
    ("Patuh Mono", "bold", "normal", "LiberationMono-Bold.ttf"),
)
FONT_DIR = HERE / "fonts"


@lru_cache(maxsize=None)
def pdf_font_css() -> str:
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style}; '
        f'src: url("{(FONT_DIR / name).as_uri()}"); }}'
        for family, weight, style, name in PDF_FONTS)


# WeasyPrint's user-agent stylesheet gives every element of a document six pseudo-elements: ::marker
# and the five ::footnote-*/::note-* of its footnotes and sidenotes. Their styles are cascaded and
# computed for each of the ~4,000 elements of a dossier although only a list item ever shows a marker
# and these documents float nothing into footnotes or notes: that was half of the style cascade,
# about 8 % of a PDF's CPU time. The PDFs are rendered with that stylesheet less those rules
# (::marker kept for li, the only list items here), byte for byte the same PDFs
# (tests/test_pdf_cascade.py compares them on real dossiers).
UA_TRIMS = (
    ("\n::marker {", "\nli::marker {"),
    *((f"\n::{name} {{", None) for name in ("footnote-call", "footnote-marker", "note-call", "note-marker",
                                            "note-callback")),
)


def trimmed_ua_stylesheet(ua: str) -> str | None:
    """`ua` (WeasyPrint's html5_ua.css) with UA_TRIMS applied; None unless every rule was found once."""
    for start, replacement in UA_TRIMS:
        if ua.count(start) != 1:
            return None
        if replacement is not None:
            ua = ua.replace(start, replacement)
        else:
            i = ua.index(start)
            end = ua.index("}", i)
            ua = ua[:i + 1] + ua[end + 1:]
    return ua


@lru_cache(maxsize=None)
def pdf_html_class():
    """WeasyPrint's HTML with the trimmed user-agent stylesheet, or HTML itself where this WeasyPrint's
    stylesheet is not the one UA_TRIMS was written for (then nothing is left out, only slower)."""
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle

    try:
        from weasyprint.html import UA, UA_FORM_STYLESHEET
    except ImportError:
        return HTML
    ua = trimmed_ua_stylesheet(UA)
    if ua is None or not hasattr(HTML, "_ua_stylesheets"):
        return HTML
    # its @counter-style rules go to a throwaway registry: documents keep WeasyPrint's (_ua_counter_style)
    sheet = CSS(string=ua, counter_style=CounterStyle())

    class PdfHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [sheet, UA_FORM_STYLESHEET] if forms else [sheet]

    return PdfHTML


# A document's one <style> element: the stylesheet every dossier, report and letter inlines.
_STYLE = re.compile(r"<style>(.*?)</style>\n?", re.S)
# What a stylesheet parsed once may not hold: rules that register into the document's font or
# counter-style configuration, or resolve URLs against its base.
_NOT_SHARED = re.compile(r"@font-face|@counter-style|@import|url\(|!\s*important|@layer", re.I)


@lru_cache(maxsize=8)
def _shared_sheet(css: str, base_url: str):
    from weasyprint import CSS

    return CSS(string=css, base_url=base_url)


def _split_style(html: str) -> tuple[str, str | None]:
    """`html` without its stylesheet, and the stylesheet, where the stylesheet can be parsed once per
    process; else (`html`, None).

    Parsing and compiling the inlined stylesheet (tinycss2, then cssselect2 compiling each selector
    to Python) cost about 4 % of a dossier's PDF, again for each document though it is the same text.
    Given to WeasyPrint as an already parsed sheet it is a user sheet instead of an author one. For
    these documents that orders nothing differently: the cascade's origins only rank user sheets
    between WeasyPrint's user-agent sheet (below both) and author rules, and with the <style> taken
    out the only author rules left are style="" attributes, which outranked the sheet before as
    well; the stylesheet has no !important (which would reverse user and author)."""
    found = _STYLE.findall(html)
    if len(found) != 1 or _NOT_SHARED.search(found[0]) or "<link" in html or "<style " in html:
        return html, None
    return _STYLE.sub("", html, count=1), found[0]


def pdf_html(html: str, base_url: str):
    """pdf_html_class()(string=html, base_url=base_url), with the element tree built by html_tree
    where that gives tinyhtml5's tree (about 4 times faster; tinyhtml5 was about 4 % of a dossier's
    PDF CPU), else parsed by WeasyPrint as usual. What follows the parse is what HTML.__init__ does
    (WeasyPrint 70); tests/test_html_tree.py checks that the two give the same document."""
    from . import html_tree

    cls = pdf_html_class()
    tree = html_tree.parse(html)
    if tree is None:
        return cls(string=html, base_url=base_url)
    try:
        import cssselect2
        from weasyprint import _find_base_url
        from weasyprint.urls import URLFetcher, ensure_url
    except ImportError:
        return cls(string=html, base_url=base_url)
    doc = cls.__new__(cls)
    doc.base_url = _find_base_url(tree, ensure_url(str(base_url)) if base_url is not None else None)
    doc.url_fetcher = URLFetcher()
    doc.media_type = "print"
    doc.wrapper_element = cssselect2.ElementWrapper.from_html_root(tree, content_language=None)
    doc.etree_element = doc.wrapper_element.etree_element
    return doc


def render_document(html: str, base_url: str | None = None, **options):
    """The laid-out WeasyPrint document of `html` with the shipped fonts (PDF_FONTS): what the PDF
    prints, and what layout_check measures."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from .pdf_speedups import install as faster_weasyprint

    faster_weasyprint()
    base_url = base_url or str(HERE)
    font_config = FontConfiguration()
    sheets = [CSS(string=pdf_font_css(), font_config=font_config)]
    html, css = _split_style(html)
    if css is not None:
        sheets.append(_shared_sheet(css, base_url))
    return pdf_html(html, base_url).render(font_config=font_config, stylesheets=sheets, **options)


def html_to_pdf(html: str, target: Path) -> None:
    """WeasyPrint rendering of the same HTML, reproducible byte for byte on any machine.

    The PDF identifier is derived from the HTML. Fonts are subset by the HarfBuzz of the uharfbuzz
    wheel, whatever the system has (pdf_fonts: about 8 % of a dossier's CPU before). Should HarfBuzz
    fail on a font, WeasyPrint's own subsetting runs; with fontTools that stamps each subset font's
    `head.modified` with the wall clock unless SOURCE_DATE_EPOCH is set: it is set here to the
    document's own date, so two renderings of one audit stay equal on that path too. The fonts are
    those the package ships (PDF_FONTS), whatever the machine has installed.

    Python's cyclic garbage collector is paused while one document is rendered and run once after
    it: WeasyPrint builds millions of short-lived objects (boxes, styles, Pango wrappers), and the
    collections they triggered, each walking every object still alive, were about 8-10 % of a
    dossier's CPU. What the pause keeps alive until the end of the document is little (the largest
    dossier peaks at 246 instead of 237 MB), since the document holds most of it anyway."""
    import gc

    from .pdf_fonts import install as pdf_font_subsetting

    pdf_font_subsetting()
    ident = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = document_epoch(html)
    collecting = gc.isenabled()
    gc.disable()
    try:
        render_document(html).write_pdf(str(target), pdf_identifier=ident)
    finally:
        if collecting:
            gc.enable()
            gc.collect()
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def dossier_jobs(data: RunData, steps_for_dossier=("skk", "pidana"), all_cases: bool = False) -> list[tuple[dict, str, str]]:
    """(case, kind, relative path) of every dossier to write, in a fixed order."""
    jobs, used = [], {}
    wanted = [s for s in data.categories.steps if s in set(steps_for_dossier) and s in ADDRESSEE_DIR]
    for case in data.cases:
        kinds = [s for s in wanted if s in case["steps"]]
        if not kinds and all_cases:
            kinds = [GENERIC_KIND]
        seg = safe_segment(case["employer_id"])
        if used.setdefault(seg.lower(), case["employer_id"]) != case["employer_id"]:  # case-insensitive disks
            seg = f"{seg[:SEGMENT_MAX - 9]}-{hashlib.sha256(case['employer_id'].encode()).hexdigest()[8:16]}"
        for kind in kinds:
            jobs.append((case, kind, f"dossiers/{KIND_DIR[kind]}/{seg}/dossier"))
    return jobs


def _pdf_workers(n_jobs: int) -> int:
    """Processes for PDF rendering: PATUH_PDF_WORKERS if set, else one per CPU (at most 4) but
    only with at least 4 PDFs per worker: a worker costs about a second to start (importing
    WeasyPrint), and on a busy machine extra processes gain nothing."""
    env = os.environ.get("PATUH_PDF_WORKERS")
    if env:
        try:
            return max(1, min(int(env), n_jobs))
        except ValueError:
            pass
    return max(1, min(os.cpu_count() or 1, 4, n_jobs // 4))


class PdfWorkers:
    """PDF worker processes (audits.dossiers.pdf_worker), each handed one job at a time, the next
    when it reports one done, the largest waiting HTML first: with a fixed share each, one worker
    could still be laying out the longest dossier (or the provincial report) long after the other
    had finished (longest-processing-time-first scheduling).

    Jobs can be added while the workers run: render_all starts them before it renders the first
    HTML and adds each document as soon as its HTML is written, so that importing WeasyPrint and the
    first PDFs overlap the rest of the HTML (about 4 s for the 100 documents of the 350k run) instead
    of following it. Once `finish` is called the waiting jobs go largest first, as they always do."""

    def __init__(self, workers: int, on_done: Callable[[str], None]):
        import heapq
        import selectors
        import subprocess
        import sys

        self._heapq = heapq
        self.on_done = on_done
        self.waiting: list[tuple[int, str, str, Path, Path]] = []  # (-size, pdf, rel, html, pdf): a heap
        self.rel_of: dict[str, str] = {}  # the pdf path a worker reports -> the job's rel
        self.closing = False
        # The workers are the same interpreter, so they import the same installed patuh.
        self.procs = [subprocess.Popen([sys.executable, "-m", "patuh.audits.dossiers.pdf_worker"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                       env=dict(os.environ))
                      for _ in range(workers)]
        self.busy: dict[int, str | None] = {p.pid: None for p in self.procs}  # pid -> rel of the job it has
        self.errors: dict[int, list[str]] = {p.pid: [] for p in self.procs}
        self.sel = selectors.DefaultSelector()
        for p in self.procs:
            self.sel.register(p.stdout, selectors.EVENT_READ, (p, "out"))
            self.sel.register(p.stderr, selectors.EVENT_READ, (p, "err"))
        self.open_streams = 2 * len(self.procs)

    def add(self, rel: str, html_path: Path, pdf_path: Path, size: int | None = None, start: bool = True) -> None:
        """Queue a job (`size`: of its HTML, default the file's); with `start`, hand it out at once if a
        worker is free (else it waits for `finish`, or for the next `add`)."""
        size = Path(html_path).stat().st_size if size is None else size
        self.rel_of[str(pdf_path)] = rel
        self._heapq.heappush(self.waiting, (-size, str(pdf_path), rel, Path(html_path), Path(pdf_path)))
        if start:
            for p in self.procs:
                if self.busy[p.pid] is None:
                    self._feed(p)
            self._read(timeout=0)

    def _feed(self, proc) -> None:
        """The next job to an idle `proc`; when finishing and none is left, end of its input."""
        if proc.stdin.closed:
            return
        try:
            if self.waiting:
                _, _, rel, html_path, pdf_path = self._heapq.heappop(self.waiting)
                self.busy[proc.pid] = rel
                proc.stdin.write(json.dumps([str(html_path), str(pdf_path)]) + "\n")
                proc.stdin.flush()
            elif self.closing:
                proc.stdin.close()
        except (BrokenPipeError, OSError):  # it died: its exit status and stderr tell why, in finish()
            try:
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass

    def _read(self, timeout: float | None) -> None:
        """Handle what the workers have written (wait up to `timeout`, None: until something comes)."""
        for key, _ in self.sel.select(timeout):
            proc, kind = key.data
            line = key.fileobj.readline()
            if not line:
                self.sel.unregister(key.fileobj)
                self.open_streams -= 1
                if kind == "out":
                    self.busy[proc.pid] = None
                    if not proc.stdin.closed:  # gone early: hand it nothing more
                        try:
                            proc.stdin.close()
                        except (BrokenPipeError, OSError):
                            pass
            elif kind == "out":
                self.busy[proc.pid] = None
                self.on_done(self.rel_of.get(line.strip(), line.strip()))
                self._feed(proc)
            else:
                self.errors[proc.pid].append(line)

    def finish(self) -> None:
        """Render every job added, then stop the workers; RuntimeError if one failed."""
        self.closing = True
        for p in self.procs:
            if self.busy[p.pid] is None:
                self._feed(p)
        while self.open_streams:
            self._read(timeout=None)
        failed = [(p, "".join(self.errors[p.pid][-20:])) for p in self.procs if p.wait() != 0]
        self.sel.close()
        if failed:
            raise RuntimeError("PDF rendering failed:\n" + "\n".join(err for _, err in failed))
        if self.waiting:  # every worker gone early without an error status: never report a PDF as written that is not
            raise RuntimeError(f"PDF rendering stopped with {len(self.waiting)} PDFs not rendered")

    def abort(self) -> None:
        """Stop the workers without waiting for their jobs (the caller failed)."""
        for p in self.procs:
            for stream in (p.stdin, p.stdout, p.stderr):
                try:
                    stream.close()
                except (BrokenPipeError, OSError):
                    pass
            p.kill()
            p.wait()
        self.sel.close()


def _pdfs_in_workers(jobs: list[tuple[str, Path, Path]], workers: int, on_done: Callable[[str], None]) -> None:
    """Render (rel, html_path, pdf_path) jobs in `workers` subprocesses (PdfWorkers), largest HTML first."""
    pool = PdfWorkers(min(workers, len(jobs)), on_done)
    try:
        for rel, html_path, pdf_path in jobs:
            pool.add(rel, html_path, pdf_path, start=False)  # all known: none handed out before the largest
    except BaseException:
        pool.abort()
        raise
    pool.finish()


def render_all(engine, run_id: str, out_dir: Path, lang: str = "id", pdf: bool = True,
               steps_for_dossier=("skk", "pidana"), all_cases: bool = False,
               progress: Callable[[int, int, str], None] | None = None,
               lifecycle: bool = False, draft: bool = False, categories=None) -> list[Path]:
    """Write the dossiers of run `run_id` under `out_dir` and return the paths written, in order.

    - dossiers/kejaksaan/<employer>/dossier.html|.pdf for each case with an `skk` step,
    - dossiers/kepolisian/<employer>/dossier.html|.pdf for each case with a `pidana` step,
    - dossiers/kasus/<employer>/dossier.html|.pdf for other cases when all_cases=True,
    - dossiers/pemprov/laporan.html|.pdf, one per run.
    `progress(done, total, relative_path)` is called once per document when it is complete.
    `categories`: those of the rulebook the run used (default: the installed rulebook's).
    PDFs are rendered in a few worker processes (PATUH_PDF_WORKERS=1 renders them in-process),
    started before the first HTML is rendered and given each document as soon as its HTML is
    written; the returned list is in the same fixed order either way.
    """
    out_dir = Path(out_dir)
    data = load_run(engine, run_id, categories)
    jobs = dossier_jobs(data, steps_for_dossier, all_cases)
    if lifecycle:  # reviews, drafts and changes since the previous audit (audits/lifecycle/documents.py)
        from patuh.audits.lifecycle import documents as lc

        rv = lc.prepare(engine, data, draft)
        jobs = [(case, kind, rel) for case, kind, rel in jobs if rv.allows(case, kind)]

        def docs():
            for case, kind, rel in jobs:
                yield rel, lc.dossier(render_dossier_html(data, case, kind, lang), rv, case, kind, lang)
            yield "dossiers/pemprov/laporan", lc.report(render_report_html(data, lang), rv, data.cases, lang)
    else:
        def docs():
            for case, kind, rel in jobs:
                yield rel, render_dossier_html(data, case, kind, lang)
            yield "dossiers/pemprov/laporan", render_report_html(data, lang)
    total = len(jobs) + 1
    written: list[Path] = []
    done = 0

    def on_done(rel: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, rel)

    workers = _pdf_workers(total) if pdf else 0
    if os.name != "posix":  # the worker pipes are watched with selectors
        workers = min(workers, 1)
    pool = PdfWorkers(workers, on_done) if workers > 1 else None
    in_process: list[tuple[str, str, Path]] = []
    try:
        for rel, html in docs():
            base = out_dir / rel
            base.parent.mkdir(parents=True, exist_ok=True)
            html_path = base.with_suffix(".html")
            data_bytes = html.encode("utf-8")
            html_path.write_bytes(data_bytes)
            written.append(html_path)
            if not pdf:
                on_done(rel)
                continue
            written.append(base.with_suffix(".pdf"))
            if pool is not None:
                pool.add(rel, html_path, base.with_suffix(".pdf"), size=len(data_bytes))
            else:
                in_process.append((rel, html, base.with_suffix(".pdf")))
    except BaseException:
        if pool is not None:
            pool.abort()
        raise
    if pool is not None:
        pool.finish()
    for rel, html, target in in_process:
        html_to_pdf(html, target)
        on_done(rel)
    return written
