"""`patuh load PACKAGE [--db URL]` — check a data package and load it into the store."""
from __future__ import annotations

import json
import sys

import click

from patuh.audits.store.db import get_engine, resolve_url
from patuh.audits.terminal import echo

from .load import PackageError, load_package


@click.command("load")
@click.argument("package")
@click.option("--db", "db", default=None, metavar="URL", help="Database URL (default: PATUH_DB or sqlite:///patuh.db).")
@click.option("--by", default=None, help="Who loads it (default: the OS user), for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="The result as JSON on stdout.")
def load(package: str, db: str | None, by: str | None = None, as_json: bool = False) -> None:
    """Periksa & muat paket data / check and load a data package (all or nothing)."""
    from patuh.audits.lifecycle import log as audit_log

    try:
        engine = get_engine(resolve_url(db))
        result = load_package(package, engine)
        audit_log.record_load(engine, result, package, by)  # docs/lifecycle.md: every load is logged
    except PackageError as exc:
        if as_json:
            click.echo(json.dumps({"package": package, "loaded": False, "errors": list(exc.errors)},
                                  ensure_ascii=False, indent=2))
        for msg in exc.errors:
            echo(msg, err=True)
        total = getattr(exc, "total", len(exc.errors))
        echo(f"{total:,} error{'s' if total != 1 else ''} — nothing was imported.", err=True)
        sys.exit(1)
    except Exception as exc:  # never show a traceback to an inspector
        echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)

    for w in result.warnings:
        echo(f"warning: {w}", err=True)
    if as_json:
        click.echo(json.dumps({"package": package, "loaded": True, "import_id": result.import_id,
                               "already_loaded": result.already_loaded, "rows": dict(result.rows),
                               "seconds": round(result.seconds, 3), "warnings": list(result.warnings)},
                              ensure_ascii=False, indent=2))
        return
    if result.already_loaded:
        echo(f"{package}: already loaded as import {result.import_id} — nothing written.")
        return
    width = max((len(t) for t in result.rows), default=0)
    for table, n in result.rows.items():
        click.echo(f"  {table:<{width}}  {n:>9,}")
    total = sum(result.rows.values())
    rate = total / result.seconds if result.seconds > 0 else 0.0
    click.echo(
        f"import {result.import_id}: {total:,} rows in {result.seconds:.1f} s ({rate:,.0f} rows/s)"
    )
