"""`patuh action add/list`, `patuh review`, `patuh log`: what happens between two audits."""
from __future__ import annotations

import click

from patuh.audits.cli_types import DATE
from patuh.audits.store.db import write_transaction
from patuh.audits.read_commands import DB_HELP, JSON, LANG, dump, fail, open_or_fail, rp, table
from patuh.audits.text import DASH, number

from . import actions as act
from . import log as audit_log
from . import review as rv


@click.group("action")
def action():
    """Tindakan penegakan yang sudah diambil / enforcement actions taken (letters, steps)."""


@action.command("add")
@click.argument("employer")
@click.argument("step")
@click.option("--issued-on", "issued_on", required=True, type=DATE, help="Date of the letter or step.")
@click.option("--reference", default=None, help="Letter number.")
@click.option("--by", default=None, help="Who records it (default: the OS user).")
@click.option("--note", default=None, help="Free text.")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
def action_add(employer, step, issued_on, reference, by, note, db):
    """Rekam tindakan / record an action: EMPLOYER STEP (teguran-1, teguran-2, denda, tmp2t, skk, pidana)."""
    engine, where = open_or_fail(db)
    try:
        with write_transaction(engine, "record") as conn:  # one writer of the log's chain at a time
            row = act.add(conn, employer, step, issued_on, reference=reference, by=by, note=note)
    except act.ActionError as exc:
        fail(str(exc))
    except Exception as exc:  # no traceback for an inspector
        fail(f"{type(exc).__name__}: {exc}", 2)
    click.echo(f"basis data {where} · tindakan #{row['action_id']} direkam / action recorded: {row['step']} "
               f"{row['employer_id']} {row['issued_on']}" + (f" ({row['reference']})" if row["reference"] else "")
               + " — berlaku pada audit berikutnya / applies from the next audit")


@action.command("list")
@click.argument("employer", required=False)
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@JSON
@LANG
def action_list(employer, db, as_json, lang):
    """Daftar tindakan yang direkam / list the recorded actions (of one employer)."""
    engine, where = open_or_fail(db)
    with engine.connect() as conn:
        rows = act.listed(conn, employer)
    if as_json:
        dump({"database": where, "actions": [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                              for k, v in r.items()} for r in rows]})
        return
    en = lang == "en"
    click.echo(f"{'database' if en else 'basis data'} {where} · {number(len(rows), lang)} "
               f"{'actions' if en else 'tindakan'}")
    head = ["#", "employer", "step" if en else "langkah", "issued on" if en else "tanggal",
            "reference" if en else "nomor", "recorded by" if en else "direkam oleh",
            "recorded at" if en else "direkam pada", "note" if en else "catatan"]
    body = [[str(r["action_id"]), r["employer_id"], r["step"], r["issued_on"].isoformat(), r["reference"] or DASH,
             r["recorded_by"], r["recorded_at"].isoformat(sep=" "), r["note"] or ""] for r in rows]
    if body:
        for line in table([head] + body):
            click.echo(line)


@click.command("review")
@click.argument("finding_id")
@click.option("--decision", required=True, type=click.Choice(rv.DECISIONS), help="setuju (upheld) or tolak (rejected/waived).")
@click.option("--reason", default=None, help="Why (required for tolak).")
@click.option("--by", required=True, help="The reviewer's name.")
@click.option("--run", default=None, help="Run whose amounts are decided on (default: the latest with the finding).")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
def review(finding_id, decision, reason, by, run, db):
    """Keputusan peninjau / a reviewer's decision on a finding."""
    engine, where = open_or_fail(db)
    try:
        with write_transaction(engine, "record") as conn:  # one writer of the log's chain at a time
            row = rv.add(conn, finding_id, decision, reason, by, run)
    except rv.ReviewError as exc:
        fail(str(exc))
    except Exception as exc:  # no traceback for an inspector
        fail(f"{type(exc).__name__}: {exc}", 2)
    fee = "" if row["late_fee"] is None else f" + denda {rp(row['late_fee'])}"
    click.echo(f"basis data {where} · {row['finding_id']} ({row['category']} {row['subject_id']}, "
               f"{rp(row['amount'])}{fee}, run {row['run_id']}): {row['decision']} — {row['reviewer']}"
               + (f": {row['reason']}" if row["reason"] else "")
               + " — berlaku pada audit berikutnya / applies from the next audit")


@click.command("log")
@click.option("--verify", is_flag=True, help="Check the hash chain; exit 1 at the first broken event.")
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
@JSON
@LANG
def log(verify, db, as_json, lang):
    """Log audit / the audit log: every load, audit, action and review, hash-chained."""
    engine, where = open_or_fail(db)
    with engine.connect() as conn:
        rows = audit_log.events(conn)
        broken = (audit_log.verify(rows) or audit_log.unlogged(conn, rows)) if verify else None
    en = lang == "en"
    if as_json:
        out = {"database": where, "events": [{k: v for k, v in r.items() if k != "ids_json"} for r in rows]}
        if verify:
            out["verified"] = broken is None
            out["first_broken"] = None if broken is None else {"event_id": broken.event_id, "why": broken.why}
        dump(out)
    else:
        click.echo(f"{'database' if en else 'basis data'} {where} · {number(len(rows), lang)} "
                   f"{'events' if en else 'peristiwa'}")
        body = [[str(r["event_id"]), r["at"], r["actor"], r["kind"], r["summary"], r["hash"][:12]] for r in rows]
        if body:
            for line in table([["#", "at" if en else "waktu", "by" if en else "oleh", "kind" if en else "jenis",
                                "what" if en else "apa", "sha256"]] + body):
                click.echo(line)
        if verify:
            if broken is None:
                click.echo(f"{'chain intact' if en else 'rantai utuh'}: {number(len(rows), lang)} "
                           f"{'events verified' if en else 'peristiwa terverifikasi'}")
            else:
                click.echo(f"{'BROKEN at event' if en else 'RUSAK pada peristiwa'} {broken.event_id}: {broken.why}")
    if broken is not None:
        if as_json:
            raise SystemExit(1)
        fail(f"audit log broken at event {broken.event_id}: {broken.why}")
