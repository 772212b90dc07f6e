"""`patuh load PACKAGE [--db URL]` — check a data package and load it into the store."""
from __future__ import annotations

import sys

import click

from patuh.audits.store.db import get_engine, resolve_url
from patuh.audits.terminal import echo

from .load import PackageError, load_package


@click.command("load")
@click.argument("package")
@click.option("--db", "db", default=None, metavar="URL", help="Database URL (default: PATUH_DB or sqlite:///patuh.db).")
def load(package: str, db: str | None) -> None:
    """Periksa & muat paket data / check and load a data package (all or nothing)."""
    try:
        engine = get_engine(resolve_url(db))
        result = load_package(package, engine)
    except PackageError as exc:
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
