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
from .text import number
from .terminal import clean

DB_HELP = "Database URL (default: PATUH_DB or sqlite:///patuh.db)."


def _fail(message: str, code: int = 1):
    click.echo(clean(f"error: {message}"), err=True)
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
@click.option("--rules", "rules_dir", default=None, type=click.Path(file_okay=False), help="Rules folder (default: the installed rulebook; the working directory is never searched).")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True, help="Language of the dossiers.")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also write PDF dossiers.")
@click.option("--all-dossiers", is_flag=True, help="A law-enforcement dossier for every case, not only skk/pidana.")
@click.option("--coverage-year", type=click.IntRange(2000, 2100), default=None,
              help="Year of the coverage figures (default: the year of --to).")
@click.option("--compare-with", "compare_with", default=None, metavar="RUN|previous",
              help="Write changes.csv against this recorded run (previous: the run recorded most recently before).")
@click.option("--draft", is_flag=True, help="Dossiers also for cases not fully reviewed, marked DRAF — BELUM DITINJAU.")
@click.option("--by", default=None, help="Who runs the audit (default: the OS user), for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="The summary as JSON on stdout.")
@click.option("--office", "office_file", default=None, type=click.Path(dir_okay=False),
              help="Office configuration for letters (default: office: in package.yaml; see docs/letters.md).")
@click.option("--letter-date", "letter_date", default=None, type=DATE, help="Date of the letters (default: as_of).")
@click.option("--force-rules", "force_rules", is_flag=True,
              help="Audit even if the rulebook fails lint or its examples (the problems are recorded with the run).")
def audit(package, out, period_from, period_to, as_of, db, rules_dir, lang, pdf, all_dossiers, coverage_year,
          compare_with, draft, by, as_json, office_file, letter_date, force_rules):
    """Audit lengkap / full audit: import (if needed), facts, rules, findings, cases, dossiers.

    \b
    Writes to --out: findings.csv/json, cases.csv/json, dossiers/, manifest.json.
    """
    from patuh.audits.audit import AuditError, run_audit
    from patuh.audits.importer.load import PackageError, load_package
    from patuh.audits.lifecycle import compare as cmp
    from patuh.audits.lifecycle import log as audit_log
    from patuh.audits.letters import hook as letters
    from patuh.audits import rulecheck
    from patuh.audits.outputs import write_results
    from patuh.audits.store import runs as store

    from patuh.audits.dossiers.manifest import OutDirError, check_out_dir, clear_previous

    out_dir = Path(out)
    try:
        rule_warnings = rulecheck.guard(rules_dir, force_rules)  # a broken rulebook is refused before anything is written
        check_out_dir(out_dir)  # writable (created if need be), before any work
        engine = get_engine(resolve_url(db))
        documents = letters.prepare(package, office_file, letter_date, rules_dir)  # before anything is written
        click.echo(f"1/4 impor / import: {package}", err=True)
        loaded = load_package(package, engine)
        audit_log.record_load(engine, loaded, package, by)
        for w in loaded.warnings:
            click.echo(clean(f"warning: {w}"), err=True)
        if loaded.already_loaded:
            click.echo(f"    sudah dimuat / already loaded as import {loaded.import_id}", err=True)
        else:
            click.echo(f"    {sum(loaded.rows.values()):,} rows in {loaded.seconds:.1f} s", err=True)
        base = latest = None  # checked before the earlier output is cleared: a refused audit leaves it as it was
        if compare_with and compare_with.lower() == "previous":
            with engine.connect() as conn:
                if not store.list_runs(conn):
                    raise AuditError("--compare-with previous: no run is recorded in this database yet")
                latest = store.get_run(conn)
        elif compare_with:
            with engine.connect() as conn:
                base = store.get_run(conn, compare_with)  # fail before auditing when it does not exist
        clear_previous(out_dir)  # empty, or an earlier run's output whose files go (never others' files)
        click.echo("2/4 audit", err=True)
        result = run_audit(engine, loaded.import_id, period_from=period_from, period_to=period_to,
                           as_of=as_of, rules_dir=Path(rules_dir) if rules_dir else None, progress=_progress,
                           coverage_year=coverage_year, by=by, letter_date=letter_date)
        rulecheck.record(engine, result, rule_warnings)
        click.echo("3/4 hasil / results", err=True)
        written = write_results(out_dir, result)
        changes = None
        with engine.connect() as conn:
            head = store.get_run(conn, result.run_id)
            if compare_with:
                if base is None:
                    # the only runs recorded before were this very run (same inputs, re-recorded): its
                    # earlier recording is the previous one, with the same findings (docs/lifecycle.md)
                    base = store.previous_run(conn, result.run_id) or (head if latest else None)
                    if base is None:
                        raise AuditError("--compare-with previous: no run was recorded before this one "
                                         "in this database")
                changes = cmp.changes(conn, base, head)
        if changes is not None:
            written.append(cmp.write_csv(out_dir / "changes.csv", changes))
        click.echo("4/4 dosir / dossiers", err=True)
        written += letters.write_run_letters(engine, result, out_dir, documents, lang, pdf, lambda m: click.echo(m, err=True))
        written += _dossiers(engine, result, out_dir, lang, pdf, all_dossiers, written, draft=draft)
    except PackageError as exc:
        for msg in exc.errors:
            click.echo(clean(msg), err=True)
        _fail("the package has errors — nothing was imported or audited.")
    except (AuditError, store.StoreError, OutDirError) as exc:
        _fail(str(exc))
    except Exception as exc:  # an inspector never sees a traceback
        _fail(f"{type(exc).__name__}: {exc}", 2)

    for w in result.warnings:
        click.echo(clean(f"warning: {w}"), err=True)
    if as_json:
        click.echo(json.dumps({
            "database": store.where(resolve_url(db)), "run": {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                                          for k, v in head.items() if k != "rulebook_json"
                                                          and k != "parameters_json"},
            "out": str(out_dir), "warnings": result.warnings,
            "compared_with": base["run_id"] if changes is not None else None,
            "changes": cmp.counts(changes) if changes is not None else None}, ensure_ascii=False, indent=2,
            default=str))
        return
    _summary(result)
    _waiting(result, draft)
    if changes is not None:
        click.echo(f"perubahan / changes vs {base['run_id']}: "
                   + ", ".join(f"{k} {v:,}".replace(",", ".") for k, v in cmp.counts(changes).items())
                   + f" → {out_dir}/changes.csv")
    click.echo(f"basis data / database {store.where(resolve_url(db))} · run {result.run_id} "
               f"(rekaman ke-{head['seq']}) · ruleset {result.revision[:12]} · as_of {result.as_of} · "
               f"{result.period_from}..{result.period_to} → {out_dir}/")


def _dossiers(engine, result, out_dir: Path, lang: str, pdf: bool, all_cases: bool, earlier=(),
              draft: bool = False) -> list[Path]:
    try:
        from patuh.audits.dossiers import render_all, write_manifest
    except ImportError:
        return []
    from patuh.audits.progress import progress_for

    progress = progress_for("dosir / dossiers")  # a bar with ETA on a terminal, plain lines otherwise

    paths = render_all(engine, result.run_id, out_dir, lang=lang, pdf=pdf, all_cases=all_cases,
                       progress=progress, lifecycle=True, draft=draft, categories=result.categories)
    with engine.connect() as conn:
        files = [dict(r) for r in conn.execute(
            select(s.import_files.c.file, s.import_files.c.sheet, s.import_files.c.sha256)
            .where(s.import_files.c.import_id == result.import_id).order_by(s.import_files.c.file, s.import_files.c.sheet)
        ).mappings()]
    # only what this run wrote; with what its id is made of, for `patuh verify`
    write_manifest(out_dir, result.run_id, result.revision, files, outputs=[*earlier, *paths],
                   run={"package_hash": result.package_hash, "as_of": result.as_of, "period_from": result.period_from,
                        "period_to": result.period_to, "state_hash": getattr(result, "state_hash", "") or None})
    return paths


def _waiting(result, draft: bool) -> None:
    """Cases on skk/pidana whose counted findings are not all agreed: no dossier until reviewed."""
    open_ = {}
    for f in result.findings:
        if f.review not in ("setuju", "tolak"):
            open_[f.employer_id] = open_.get(f.employer_id, 0) + 1
    waiting = [c for c in result.cases if {"skk", "pidana"} & set(c.next_steps) and open_.get(c.employer_id)]
    if waiting:
        click.echo("menunggu tinjauan / waiting for review: " + ", ".join(
            f"{c.employer_id} ({';'.join(s for s in c.next_steps if s in ('skk', 'pidana'))}, {open_[c.employer_id]} temuan)"
            for c in waiting) + (" — dosir DRAF / draft dossiers written" if draft else
                                 " — dosir ditulis setelah ditinjau (patuh review) atau dengan --draft / "
                                 "dossiers after review, or with --draft"))


def _summary(result) -> None:
    rows = result.counts["by_category"]
    cats = result.categories
    click.echo("")
    click.echo(f"{'kategori / category':<30} {'temuan':>7} {'pokok / principal':>22} {'denda / late fee':>20}")
    total_n, total_a, total_f = 0, Decimal(0), Decimal(0)
    for cat, v in rows.items():
        a, f = Decimal(v["amount"]), Decimal(v["late_fee"])
        total_n, total_f = total_n + v["findings"], total_f + f
        if cats.adds_to_total(cat):
            total_a += a
        fee = rupiah_text(f) if cat in cats.with_late_fee else "–"
        mark = " " if cats.adds_to_total(cat) else "*"
        click.echo(f"{cat:<30} {number(v['findings']):>7} {rupiah_text(a):>21}{mark} {fee:>20}")
    click.echo(f"{'TOTAL':<30} {number(total_n):>7} {rupiah_text(total_a):>21}  {rupiah_text(total_f):>20}")
    if any(not cats.adds_to_total(cat) for cat in rows):
        click.echo("* bagian dari pokok temuan lain, tidak dijumlahkan lagi / "
                   "part of another finding's principal, not added again")
    steps: dict[str, int] = {}
    for c in result.cases:
        for st in c.next_steps:
            steps[st] = steps.get(st, 0) + 1
    if result.counts.get("set_aside"):
        click.echo(f"dikesampingkan / set aside (review tolak): {number(result.counts['set_aside'])} temuan / findings")
    click.echo(f"kasus / cases: {number(len(result.cases))} — " +
               ", ".join(f"{k} {number(steps[k])}" for k in sorted(steps, key=cats.step_rank)))


# The reading commands (findings, explain, cases) are in read_commands; cli.py imports them here.
from .read_commands import cases, explain, findings  # noqa: E402,F401
