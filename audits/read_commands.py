"""The commands that read recorded runs: `patuh runs`, `findings`, `cases`, `explain`, `compare`.

Each says which database and which run it read (the latest RECORDED run unless --run), never
creates a database, and has --json for scripts."""
from __future__ import annotations

import json
import re
import sys
from decimal import Decimal

import click

from .lifecycle import compare as cmp
from . import categories as categories_of
from .store import runs as store
from .text import DASH, amount, date_text, number

DB_HELP = "Database URL (default: PATUH_DB or sqlite:///patuh.db)."
LANG = click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
                    help="Language of the text.")
JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")


def fail(message: str, code: int = 1):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def open_or_fail(db: str | None):
    try:
        return store.open_store(db)
    except store.StoreError as exc:
        fail(str(exc))


def rp(value, lang: str = "id") -> str:
    """`Rp 1.234.567` (id) / `Rp 1,234,567` (en); – for none."""
    if value is None:
        return DASH
    return f"Rp {amount(Decimal(value), lang)}"


def run_line(where: str, run: dict, lang: str) -> str:
    if lang == "en":
        return (f"database {where} · run {run['run_id']} (recorded #{run['seq'] or '?'}, as_of {run['as_of']}, "
                f"{run['period_from']}..{run['period_to']})")
    return (f"basis data {where} · run {run['run_id']} (rekaman ke-{run['seq'] or '?'}, as_of {run['as_of']}, "
            f"{run['period_from']}..{run['period_to']})")


def run_json(run: dict) -> dict:
    keep = ("run_id", "seq", "import_id", "package", "package_hash", "ruleset_revision", "as_of", "period_from",
            "period_to", "recorded_at", "recorded_by", "counts")
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in run.items() if k in keep}


def dump(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _money_json(v):
    return None if v is None else int(v)


def table(rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    """Columns as wide as their longest cell (long contract ids stay aligned)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows]


# ---------------------------------------------------------------------------------------------


@click.command("runs")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@JSON
@LANG
def runs(db, as_json, lang):
    """Daftar run yang direkam / list the recorded audit runs, oldest first."""
    engine, where = open_or_fail(db)
    with engine.connect() as conn:
        rows = store.list_runs(conn)
    if as_json:
        dump({"database": where, "runs": [run_json(r) for r in rows]})
        return
    en = lang == "en"
    click.echo(f"{'database' if en else 'basis data'} {where} · {number(len(rows), lang)} run")
    head = ["#", "run", "paket / package" if not en else "package", "range", "as_of", "ruleset",
            "recorded" if en else "direkam", "by" if en else "oleh", "findings" if en else "temuan",
            "cases" if en else "kasus"]
    body = [[str(r["seq"] or ""), r["run_id"], str(r["package"] or ""), f"{r['period_from']}..{r['period_to']}",
             str(r["as_of"]), (r["ruleset_revision"] or "")[:12],
             r["recorded_at"].isoformat(sep=" ") if r["recorded_at"] else DASH, r["recorded_by"] or DASH,
             number(r["counts"].get("findings", 0), lang), number(r["counts"].get("cases", 0), lang)] for r in rows]
    for line in table([head] + body, right={8, 9}):
        click.echo(line)


def _pick_run(conn, run):
    try:
        return store.get_run(conn, run)
    except store.StoreError as exc:
        fail(str(exc))


@click.command("findings")
@click.option("--category", default=None, help="Only this category, e.g. TUNGGAKAN.")
@click.option("--employer", default=None, help="Only this employer_id.")
@click.option("--run", default=None, help="Run id (default: the latest recorded run).")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@JSON
@LANG
def findings(category, employer, run, db, as_json, lang):
    """Daftar temuan / list the findings of a run."""
    engine, where = open_or_fail(db)
    with engine.connect() as conn:
        r = _pick_run(conn, run)
        known_categories = categories_of.load().ids  # rules/categories.yaml
        if category and category.upper() not in known_categories:
            fail(f'unknown category "{category}"; categories: {", ".join(known_categories)}')
        if employer:
            known, _ = store.package_scope(conn, r["import_id"])
            if employer not in known:
                listed = sorted(known)
                fail(f'employer "{employer}" is not in the package of run {r["run_id"]}; employers: '
                     + ", ".join(listed[:30]) + (f" … ({len(listed)})" if len(listed) > 30 else ""))
        rows = store.run_findings(conn, r["run_id"], category=category.upper() if category else None,
                                  employer=employer)
    if as_json:
        keep = ("finding_id", "rule_id", "category", "subject_type", "subject_id", "employer_id", "contract_id",
                "period", "severity", "legal_basis", "message")
        dump({"database": where, "run": run_json(r), "findings": [
            dict({k: row[k] for k in keep}, amount=_money_json(row["amount"]), late_fee=_money_json(row["late_fee"]),
                 review=row["review"] or "") for row in rows]})
        return
    en = lang == "en"
    click.echo(run_line(where, r, lang))
    click.echo(f"{number(len(rows), lang)} {'findings' if en else 'temuan / findings'}")
    body = [[row["finding_id"], row["category"], row["subject_id"], rp(row["amount"], lang),
             DASH if row["late_fee"] is None else rp(row["late_fee"], lang), row["review"] or ""] for row in rows]
    if body:
        head = ["finding_id", "category" if en else "kategori", "subject" if en else "subjek",
                "amount" if en else "pokok", "late fee" if en else "denda", "review" if en else "tinjauan"]
        for line in table([head] + body, right={3, 4}):
            click.echo(line)


@click.command("cases")
@click.option("--step", default=None, metavar="STEP", help="Only cases with this next step (e.g. skk, pidana).")
@click.option("--run", default=None, help="Run id (default: the latest recorded run).")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@JSON
@LANG
def cases(step, run, db, as_json, lang):
    """Daftar kasus penegakan / list enforcement cases with their next steps."""
    steps = categories_of.load().steps  # rules/categories.yaml
    if step and step not in steps:
        fail(f'unknown step "{step}"; steps: {", ".join(steps)}')
    engine, where = open_or_fail(db)
    with engine.connect() as conn:
        r = _pick_run(conn, run)
        rows = [c for c in store.run_cases(conn, r["run_id"]) if not step or step in c["next_steps"]]
    if as_json:
        dump({"database": where, "run": run_json(r), "cases": [{
            "employer_id": c["employer_id"], "name": c["name"], "categories": (c["categories"] or "").split(";"),
            "total_amount": _money_json(c["total_amount"]), "total_late_fee": _money_json(c["total_late_fee"]),
            "next_steps": c["next_steps"], "wait_until": c["wait_until"].isoformat() if c["wait_until"] else None,
        } for c in rows]})
        return
    en = lang == "en"
    click.echo(run_line(where, r, lang))
    body = []
    for c in rows:
        wait = f" {'until' if en else 'sampai'} {c['wait_until']}" if c["wait_until"] else ""
        body.append([c["employer_id"], (c["name"] or "")[:40], ";".join(c["next_steps"]) + wait,
                     rp(c["total_amount"], lang), rp(c["total_late_fee"], lang), c["categories"] or ""])
    if body:
        head = ["employer", "name" if en else "nama", "next step" if en else "langkah berikut",
                "principal" if en else "pokok", "late fee" if en else "denda", "categories" if en else "kategori"]
        for line in table([head] + body, right={3, 4}):
            click.echo(line)
    click.echo(f"{number(len(rows), lang)} {'cases' if en else 'kasus / cases'}")


# ---------------------------------------------------------------------------------------------
# explain

_NUM = re.compile(r"-?\d+(\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DAY_RULE = {"id": {"next": "hari kerja berikutnya", "previous": "hari kerja sebelumnya"},
            "en": {"next": "next working day", "previous": "previous working day"}}


def human(value, lang: str) -> str:
    """A trace value as a reader writes it: 798.720 / 15 April 2025 / a date rule in words."""
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("ya" if value else "tidak")
    if isinstance(value, dict):
        if {"day", "month_offset"} <= set(value):  # a due-date rule
            after = {"id": "bulan berikutnya", "en": "of the following month"}[lang]
            rule = DAY_RULE[lang].get(str(value.get("if_non_working")), str(value.get("if_non_working") or ""))
            lead = "day" if lang == "en" else "tanggal"
            head = f"{lead} {value['day']} {after}" if int(value["month_offset"]) == 1 else \
                f"{lead} {value['day']} (+{value['month_offset']})"
            return f"{head}; {'if not a working day' if lang == 'en' else 'bila bukan hari kerja'}: {rule}" if rule else head
        return "; ".join(f"{k} {human(v, lang)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(human(v, lang) for v in value) or DASH
    text_ = str(value)
    if _DATE.fullmatch(text_):
        return date_text(text_, lang)
    if _NUM.fullmatch(text_):
        d = Decimal(text_)
        if d == d.to_integral_value():
            return number(d, lang)
        return amount(d, lang) if d.as_tuple().exponent == -2 and abs(d) >= 1 else number(d.normalize(), lang)
    if isinstance(value, (int, float, Decimal)):
        return number(value, lang)
    return text_


def _rule_text(row: dict, lang: str) -> tuple[str | None, list[dict], str]:
    """Title and legal basis of the finding's rule AS THE RUN APPLIED IT: the snapshot kept with
    the run; for runs recorded before snapshots, the installed rulebook only if its revision is the
    run's (else the legal basis stored with the finding, and a note)."""
    snap = json.loads(row.get("rulebook_json") or "{}")
    rule = snap.get("rules", {}).get(row["rule_id"])
    if rule:
        return rule["title"].get(lang) or rule["title"]["id"], rule["legal_basis"], ""
    try:
        from patuh.audits.rulebook import rules_dir
        from patuh.engine.ruleset import Ruleset

        current = Ruleset.load(rules_dir())
        if current.revision == row["ruleset_revision"]:
            r = current.get(row["rule_id"])
            return getattr(r.title, lang), [{"instrument": lb.instrument, "article": lb.article, "quote": lb.quote}
                                            for lb in r.legal_basis], ""
    except Exception:  # an unreadable rulebook must not stop an explanation of what was recorded
        pass
    note = ("the rulebook has changed since this run; the legal basis recorded with the finding is shown"
            if lang == "en" else "aturan telah berubah sejak run ini; yang ditampilkan dasar hukum yang direkam")
    return None, [{"instrument": row["legal_basis"], "article": "", "quote": None}], note


@click.command("explain")
@click.argument("finding_id")
@click.option("--run", default=None, help="Run id (default: the latest recorded run with this finding).")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@LANG
@JSON
def explain(finding_id, run, db, lang, as_json):
    """Mengapa temuan ini / why this finding: rule, article, facts, parameters with sources."""
    engine, where = open_or_fail(db)
    with engine.connect() as conn:
        rows = store.finding_in_runs(conn, finding_id, run)
        if not rows:
            fail(f"finding {finding_id} is not in {'run ' + run if run else 'any recorded run'} ({where})")
        row = rows[-1]
        r = store.get_run(conn, row["run_id"])
    trace = json.loads(row["trace_json"] or "{}")
    ev = json.loads(row["evidence_json"] or "{}")
    title, basis, note = _rule_text(row, lang)
    en = lang == "en"
    if as_json:
        dump({"database": where, "run": run_json(r), "finding": {
            "finding_id": row["finding_id"], "rule_id": row["rule_id"], "category": row["category"],
            "subject_id": row["subject_id"], "amount": _money_json(row["amount"]),
            "late_fee": _money_json(row["late_fee"]), "review": row["review"] or "",
            "message": trace.get("message_en") if en else row["message"], "rule_title": title,
            "legal_basis": basis, "fields": trace.get("fields", {}), "evidence_fields": trace.get("evidence_fields", {}),
            "parameters": trace.get("parameters", []), "evidence": ev}})
        return
    click.echo(run_line(where, r, lang))
    click.echo(f"{row['finding_id']} — {row['category']} — {row['subject_id']}"
               + (f"  [{'review' if en else 'tinjauan'}: {row['review']}]" if row["review"] else ""))
    click.echo(trace.get("message_en") if en else row["message"])
    click.echo("")
    click.echo(f"{'Rule' if en else 'Aturan'}: {row['rule_id']} (ruleset {str(row['ruleset_revision'])[:12]})")
    if title:
        click.echo(f"  {title}")
    for lb in basis:
        click.echo(f"  {lb['instrument']} {lb.get('article') or ''}".rstrip())
        if lb.get("quote"):
            click.echo(f"    “{lb['quote']}”")
    if note:
        click.echo(f"  ({note})")
    click.echo(f"{'Facts the condition used' if en else 'Fakta yang diuji'}:")
    fields = trace.get("fields", {})
    for k, v in list(fields.items()) + [(k, v) for k, v in trace.get("evidence_fields", {}).items() if k not in fields]:
        click.echo(f"  {k} = {human(v, lang)}")
    click.echo(f"{'Amount' if en else 'Jumlah'}: {rp(row['amount'], lang)}"
               + ("" if row["late_fee"] is None else f"; {'late fee' if en else 'denda'} {rp(row['late_fee'], lang)}"))
    click.echo(f"{'Parameters' if en else 'Parameter'}:")
    for p in trace.get("parameters", []):
        key = f"[{p['key']}]" if p.get("key") not in (None, "None") else ""
        since = "in force from" if en else "berlaku sejak"
        click.echo(f"  {p['id']}{key} = {human(p['value'], lang)}  ({since} {date_text(p['valid_from'], lang)}; "
                   f"{p['instrument']} {p.get('article') or ''}; {'source' if en else 'sumber'}: {p['source']}; "
                   f"status {p['status']})")
    workers, pays, contracts = ev.get("workers", []), ev.get("payments", []), ev.get("contracts", [])
    if workers or pays or contracts or ev.get("late_fee_payments"):
        click.echo(f"{'Evidence' if en else 'Bukti'}:")
        for w in workers[:20]:
            click.echo(f"  {w['nik']} {w['name']} {w['period']} {'wage' if en else 'upah'} {rp(w['wage'], lang)} "
                       f"{'reported' if en else 'dilaporkan'} "
                       f"{rp(w['reported_wage'], lang) if w.get('reported_wage') not in (None, '') else DASH}  ({w['source']})")
        if len(workers) > 20:
            click.echo(f"  … {number(len(workers) - 20, lang)} {'more' if en else 'lainnya'}")
        for p in pays:
            click.echo(f"  {'paid' if en else 'bayar'} {rp(p['amount'], lang)} {'on' if en else 'pada'} "
                       f"{date_text(p['paid_on'], lang)} ({p['source']})")
        for p in ev.get("late_fee_payments", []):
            click.echo(f"  {'late fee paid' if en else 'bayar denda keterlambatan'} {rp(p['amount'], lang)} "
                       f"{'on' if en else 'pada'} {date_text(p['paid_on'], lang)} ({p['source']})")
        for c in contracts:
            click.echo(f"  {'contract' if en else 'kontrak'} {c['contract_id']} {c['title']} "
                       f"{'value' if en else 'nilai'} {rp(c['current_value'], lang)} ({c['source']})")


# ---------------------------------------------------------------------------------------------
# compare


def resolve_pair(conn, base: str, head: str) -> tuple[dict, dict]:
    head_run = store.get_run(conn, None if head.lower() == "latest" else head)
    if base.lower() == "previous":
        base_run = store.previous_run(conn, head_run["run_id"])
        if base_run is None:
            raise store.StoreError(f"run {head_run['run_id']} has no run recorded before it")
    else:
        base_run = store.get_run(conn, base)
    return base_run, head_run


def print_counts(counts: dict[str, int], lang: str) -> None:
    click.echo(("changes: " if lang == "en" else "perubahan: ")
               + ", ".join(f"{k} {number(v, lang)}" for k, v in counts.items()))


@click.command("compare")
@click.argument("base")
@click.argument("head", required=False, default="latest")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@JSON
@LANG
def compare(base, head, db, as_json, lang):
    """Perubahan antara dua run / changes between two recorded runs (BASE: a run id or `previous`;
    HEAD: a run id, default the latest recorded run)."""
    engine, where = open_or_fail(db)
    with engine.connect() as conn:
        try:
            b, h = resolve_pair(conn, base, head)
        except store.StoreError as exc:
            fail(str(exc))
        rows = cmp.changes(conn, b, h)
    counts = cmp.counts(rows)
    if as_json:
        dump({"database": where, "base": run_json(b), "head": run_json(h), "counts": counts, "changes": rows})
        return
    en = lang == "en"
    click.echo(f"{'database' if en else 'basis data'} {where} · {b['run_id']} → {h['run_id']}")
    print_counts(counts, lang)
    body = [[r["status"], r["finding_id"], r["category"], r["subject_id"],
             rp(r["amount_before"], lang) if r["amount_before"] != "" else DASH,
             rp(r["amount_now"], lang) if r["amount_now"] != "" else DASH,
             rp(r["late_fee_before"], lang) if r["late_fee_before"] != "" else DASH,
             rp(r["late_fee_now"], lang) if r["late_fee_now"] != "" else DASH] for r in rows if r["status"] != "tetap"]
    if body:
        head_row = ["status", "finding_id", "category" if en else "kategori", "subject" if en else "subjek",
                    "amount before" if en else "pokok lalu", "amount now" if en else "pokok kini",
                    "fee before" if en else "denda lalu", "fee now" if en else "denda kini"]
        for line in table([head_row] + body, right={4, 5, 6, 7}):
            click.echo(line)
