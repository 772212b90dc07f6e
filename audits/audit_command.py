"""`patuh audit`, `patuh findings`, `patuh explain`, `patuh cases`: the inspector's commands."""
from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy import select

from patuh.audits.store import schema as s
from patuh.audits.store.db import ensure_schema, get_engine, resolve_url

from .calc.money import rupiah_text
from .cli_types import DATE, PERIOD
from .model import NOT_ADDITIVE, STEP_ORDER

FEE_CATEGORIES = {"TUNGGAKAN", "TELAT-BAYAR"}  # the categories that carry a late fee
DB_HELP = "Database URL (default: PATUH_DB or sqlite:///patuh.db)."


def _fail(message: str, code: int = 1):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _progress(msg: str) -> None:
    click.echo(f"  … {msg}", err=True)


@click.command("audit")
@click.argument("package", type=click.Path(file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder for findings, cases, dossiers.")
@click.option("--from", "period_from", default=None, type=PERIOD, help="First contribution month (default: first payroll month).")
@click.option("--to", "period_to", default=None, type=PERIOD, help="Last contribution month (default: last payroll month).")
@click.option("--as-of", "as_of", default=None, type=DATE, help="Reference date (default: as_of of package.yaml, else today).")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@click.option("--rules", "rules_dir", default=None, type=click.Path(file_okay=False), help="Rules folder (default: ./rules or the installed rulebook).")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True, help="Language of the dossiers.")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also write PDF dossiers.")
@click.option("--all-dossiers", is_flag=True, help="A law-enforcement dossier for every case, not only skk/pidana.")
@click.option("--coverage-year", type=click.IntRange(2000, 2100), default=None,
              help="Year of the coverage figures (default: the year of --to).")
@click.option("--office", "office_file", default=None, type=click.Path(dir_okay=False),
              help="Office configuration for letters (default: office: in package.yaml; see docs/letters.md).")
@click.option("--letter-date", "letter_date", default=None, type=DATE, help="Date of the letters (default: as_of).")
def audit(package, out, period_from, period_to, as_of, db, rules_dir, lang, pdf, all_dossiers, coverage_year,
          office_file, letter_date):
    """Audit lengkap / full audit: import (if needed), facts, rules, findings, cases, dossiers.

    \b
    Writes to --out: findings.csv/json, cases.csv/json, dossiers/, manifest.json.
    """
    from patuh.audits.audit import AuditError, run_audit
    from patuh.audits.importer.load import PackageError, load_package
    from patuh.audits.letters import hook as letters
    from patuh.audits.outputs import write_results

    out_dir = Path(out)
    try:
        engine = get_engine(resolve_url(db))
        documents = letters.prepare(package, office_file, letter_date, rules_dir)  # before anything is written
        click.echo(f"1/4 impor / import: {package}", err=True)
        loaded = load_package(package, engine)
        for w in loaded.warnings:
            click.echo(f"warning: {w}", err=True)
        if loaded.already_loaded:
            click.echo(f"    sudah dimuat / already loaded as import {loaded.import_id}", err=True)
        else:
            click.echo(f"    {sum(loaded.rows.values()):,} rows in {loaded.seconds:.1f} s", err=True)
        click.echo("2/4 audit", err=True)
        result = run_audit(engine, loaded.import_id, period_from=period_from, period_to=period_to,
                           as_of=as_of, rules_dir=Path(rules_dir) if rules_dir else None, progress=_progress,
                           coverage_year=coverage_year)
        click.echo("3/4 hasil / results", err=True)
        written = write_results(out_dir, result)
        click.echo("4/4 dosir / dossiers", err=True)
        written += letters.write_run_letters(engine, result, out_dir, documents, lang, pdf, lambda m: click.echo(m, err=True))
        written += _dossiers(engine, result, out_dir, lang, pdf, all_dossiers)
    except PackageError as exc:
        for msg in exc.errors:
            click.echo(msg, err=True)
        _fail("the package has errors — nothing was imported or audited.")
    except AuditError as exc:
        _fail(str(exc))
    except Exception as exc:  # an inspector never sees a traceback
        _fail(f"{type(exc).__name__}: {exc}", 2)

    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    _summary(result)
    click.echo(f"run {result.run_id} · ruleset {result.revision[:12]} · as_of {result.as_of} · "
               f"{result.period_from}..{result.period_to} → {out_dir}/")


def _dossiers(engine, result, out_dir: Path, lang: str, pdf: bool, all_cases: bool) -> list[Path]:
    try:
        from patuh.audits.dossiers import render_all, write_manifest
    except ImportError:
        return []
    tty = sys.stderr.isatty()

    def progress(done: int, total: int, rel: str) -> None:
        if tty:  # one line that updates itself
            click.echo(f"\r  … {done}/{total} {rel[:60]:<60}", err=True, nl=done == total)
        else:
            click.echo(f"  … {done}/{total} {rel}", err=True)

    paths = render_all(engine, result.run_id, out_dir, lang=lang, pdf=pdf, all_cases=all_cases,
                       progress=progress)
    with engine.connect() as conn:
        files = [dict(r) for r in conn.execute(
            select(s.import_files.c.file, s.import_files.c.sheet, s.import_files.c.sha256)
            .where(s.import_files.c.import_id == result.import_id).order_by(s.import_files.c.file, s.import_files.c.sheet)
        ).mappings()]
    write_manifest(out_dir, result.run_id, result.revision, files)
    return paths


def _summary(result) -> None:
    rows = result.counts["by_category"]
    click.echo("")
    click.echo(f"{'kategori / category':<30} {'temuan':>7} {'pokok / principal':>22} {'denda / late fee':>20}")
    total_n, total_a, total_f = 0, Decimal(0), Decimal(0)
    for cat, v in rows.items():
        a, f = Decimal(v["amount"]), Decimal(v["late_fee"])
        total_n, total_f = total_n + v["findings"], total_f + f
        if cat not in NOT_ADDITIVE:
            total_a += a
        fee = rupiah_text(f) if cat in FEE_CATEGORIES else "–"
        mark = "*" if cat in NOT_ADDITIVE else " "
        click.echo(f"{cat:<30} {v['findings']:>7} {rupiah_text(a):>21}{mark} {fee:>20}")
    click.echo(f"{'TOTAL':<30} {total_n:>7} {rupiah_text(total_a):>21}  {rupiah_text(total_f):>20}")
    if any(cat in NOT_ADDITIVE for cat in rows):
        click.echo("* bagian dari pokok TUNGGAKAN/PWBD, tidak dijumlahkan lagi / "
                   "part of the TUNGGAKAN/PWBD principal, not added again")
    steps: dict[str, int] = {}
    for c in result.cases:
        for st in c.next_steps:
            steps[st] = steps.get(st, 0) + 1
    click.echo(f"kasus / cases: {len(result.cases)} — " +
               ", ".join(f"{k} {steps[k]}" for k in STEP_ORDER if k in steps))


def _latest_run(conn, run: str | None) -> dict:
    q = select(s.runs)
    if run:
        q = q.where(s.runs.c.run_id == run)
    rows = conn.execute(q).mappings().all()
    if not rows:
        _fail(f"run {run} not found" if run else "no audit run in this database — run `patuh audit` first")
    # the newest run: the one whose rows were written last (highest rowid of its findings is not
    # portable), so prefer the latest as_of, then run id for a stable choice
    return sorted(rows, key=lambda r: (r["as_of"], r["run_id"]))[-1]


@click.command("findings")
@click.option("--category", default=None, help="Only this category, e.g. TUNGGAKAN.")
@click.option("--employer", default=None, help="Only this employer_id.")
@click.option("--run", default=None, help="Run id (default: the run with the latest as_of).")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
def findings(category, employer, run, db):
    """Daftar temuan / list the findings of a run."""
    engine = get_engine(resolve_url(db))
    ensure_schema(engine)
    f = s.findings
    with engine.connect() as conn:
        r = _latest_run(conn, run)
        q = select(f).where(f.c.run_id == r["run_id"])
        if category:
            q = q.where(f.c.category == category.upper())
        if employer:
            q = q.where(f.c.employer_id == employer)
        rows = conn.execute(q.order_by(f.c.employer_id, f.c.category, f.c.period, f.c.subject_id)).mappings().all()
    click.echo(f"run {r['run_id']} · as_of {r['as_of']} · {len(rows)} temuan / findings")
    for row in rows:
        fee = "" if row["late_fee"] is None else f" + denda {rupiah_text(row['late_fee'])}"
        click.echo(f"{row['finding_id']}  {row['category']:<28} {row['subject_id']:<22} "
                   f"{rupiah_text(row['amount']):>18}{fee}")


@click.command("explain")
@click.argument("finding_id")
@click.option("--run", default=None, help="Run id (default: the latest run with this finding).")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
def explain(finding_id, run, db, lang):
    """Mengapa temuan ini / why this finding: rule, article, facts, parameters with sources."""
    from patuh.audits.rulebook import rules_dir as default_rules_dir
    from patuh.engine.ruleset import Ruleset

    engine = get_engine(resolve_url(db))
    ensure_schema(engine)
    f = s.findings
    with engine.connect() as conn:
        q = select(f, s.runs.c.as_of, s.runs.c.ruleset_revision).join(s.runs, s.runs.c.run_id == f.c.run_id) \
            .where(f.c.finding_id == finding_id.upper())
        if run:
            q = q.where(f.c.run_id == run)
        rows = conn.execute(q).mappings().all()
    if not rows:
        _fail(f"finding {finding_id} not found")
    row = sorted(rows, key=lambda r: (r["as_of"], r["run_id"]))[-1]
    trace = json.loads(row["trace_json"] or "{}")
    ev = json.loads(row["evidence_json"] or "{}")
    rule = None
    try:
        rule = Ruleset.load(default_rules_dir()).get(row["rule_id"])
    except Exception:  # the rulebook may have moved on; the stored trace still explains
        pass
    en = lang == "en"
    click.echo(f"{row['finding_id']} — {row['category']} — {row['subject_id']}  (run {row['run_id']}, as_of {row['as_of']})")
    click.echo(trace.get("message_en") if en else row["message"])
    click.echo("")
    click.echo(f"{'Rule' if en else 'Aturan'}: {row['rule_id']} (ruleset {str(trace.get('revision', ''))[:12]})")
    if rule is not None:
        click.echo(f"  {getattr(rule.title, lang)}")
        for lb in rule.legal_basis:
            click.echo(f"  {lb.instrument} {lb.article or ''}".rstrip())
            if lb.quote:
                click.echo(f"    “{lb.quote}”")
    else:
        click.echo(f"  {row['legal_basis']}")
    click.echo(f"{'Facts the condition used' if en else 'Fakta yang diuji'}:")
    for k, v in trace.get("fields", {}).items():
        click.echo(f"  {k} = {v}")
    for k, v in trace.get("evidence_fields", {}).items():
        if k not in trace.get("fields", {}):
            click.echo(f"  {k} = {v}")
    click.echo(f"{'Amount' if en else 'Jumlah'}: {rupiah_text(row['amount'])}"
               + ("" if row["late_fee"] is None else f"; {'late fee' if en else 'denda'} {rupiah_text(row['late_fee'])}"))
    click.echo(f"{'Parameters' if en else 'Parameter'}:")
    for p in trace.get("parameters", []):
        key = f"[{p['key']}]" if p.get("key") not in (None, "None") else ""
        click.echo(f"  {p['id']}{key} = {p['value']}  (berlaku {p['valid_from']}; {p['instrument']} {p.get('article') or ''}; "
                   f"{'source' if en else 'sumber'}: {p['source']}; status {p['status']})")
    n_workers, n_pay = len(ev.get("workers", [])), len(ev.get("payments", []))
    if n_workers or n_pay or ev.get("contracts"):
        click.echo(f"{'Evidence' if en else 'Bukti'}:")
        for w in ev.get("workers", [])[:20]:
            click.echo(f"  {w['nik']} {w['name']} {w['period']} upah {w['wage']} dilaporkan {w['reported_wage'] or '–'}  ({w['source']})")
        if n_workers > 20:
            click.echo(f"  … {n_workers - 20} more")
        for p in ev.get("payments", []):
            click.echo(f"  bayar {p['amount']} pada {p['paid_on']} ({p['source']})")
        for c in ev.get("contracts", []):
            click.echo(f"  kontrak {c['contract_id']} {c['title']} nilai {c['current_value']} ({c['source']})")


@click.command("cases")
@click.option("--step", default=None, type=click.Choice(STEP_ORDER), help="Only cases with this next step.")
@click.option("--run", default=None, help="Run id (default: the run with the latest as_of).")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
def cases(step, run, db):
    """Daftar kasus penegakan / list enforcement cases with their next steps."""
    engine = get_engine(resolve_url(db))
    ensure_schema(engine)
    c = s.cases
    with engine.connect() as conn:
        r = _latest_run(conn, run)
        rows = conn.execute(select(c).where(c.c.run_id == r["run_id"]).order_by(c.c.employer_id)).mappings().all()
    shown = 0
    for row in rows:
        steps = json.loads(row["next_steps"] or "[]")
        if step and step not in steps:
            continue
        shown += 1
        wait = f" sampai {row['wait_until']}" if row["wait_until"] else ""
        click.echo(f"{row['employer_id']:<10} {row['name'][:36]:<36} {';'.join(steps) + wait:<28} "
                   f"{rupiah_text(row['total_amount']):>18}  {row['categories']}")
    click.echo(f"run {r['run_id']} · {shown} kasus / cases")
