"""`patuh ocds SOURCE… --out PKG [--employers PKG]` — construction contracts from OCDS."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .ocds import OCDSError, convert, read_employers, write


@click.command("ocds")
@click.argument("sources", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Package folder to write to.")
@click.option("--employers", "employers_pkg", default=None, type=click.Path(exists=True, file_okay=False),
              help="Package whose employers.csv names the contractors (matched by NPWP; default: --out's own).")
@click.option("--swasta", "swasta", is_flag=True,
              help="Processes without planning.budget are privately funded (swasta).")
@click.option("--replace", is_flag=True, help="Replace contracts.csv / contract_amendments.csv already in --out.")
def ocds(sources: tuple[str, ...], out: str, employers_pkg: str | None, swasta: bool, replace: bool) -> None:
    """Kontrak konstruksi dari OCDS / construction contracts from OCDS release or record packages."""
    outp = Path(out)
    there = [n for n in ("contracts.csv", "contract_amendments.csv") if (outp / n).exists()]
    if there and not replace:
        click.echo(f"{out}: already has {', '.join(there)} — choose another --out or give --replace", err=True)
        sys.exit(1)
    if employers_pkg is None and (outp / "employers.csv").is_file():
        # --out is a package already: its own employers are matched and kept, suppliers added to them
        employers_pkg = out
    try:
        emp = read_employers(Path(employers_pkg)) if employers_pkg else None
        conv = convert(sources, emp[2] if emp else None, private_without_budget=swasta)
        written = write(conv, outp, (emp[0], emp[1]) if emp else None)
    except OCDSError as exc:
        for msg in exc.errors:
            click.echo(msg, err=True)
        click.echo("nothing was written.", err=True)
        sys.exit(1)
    except Exception as exc:  # never show a traceback to an inspector
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
    for line in conv.skipped:
        click.echo(f"skipped: {line}", err=True)
    for lo in conv.left_out:
        for line in lo.lines():
            click.echo(f"left out: {line}", err=True)
    for w in conv.warnings:
        click.echo(f"warning: {w}", err=True)
    n_left = len(conv.left_out)
    click.echo(
        f"{conv.files} file(s): {conv.releases} release(s), {conv.records} record(s) → {conv.processes} process(es),"
        f" {conv.contracts_seen} contract(s)"
        + (f"; {len(conv.skipped)} item(s) skipped, not usable as releases or records (listed above)" if conv.skipped else "")
    )
    click.echo(
        f"works contracts written: {len(conv.contracts)}, amendments: {len(conv.amendments)};"
        f" left out: {n_left} (listed above); not works (goods/services): {len(conv.not_works)} process(es);"
        f" suppliers added to employers: {len(conv.suppliers)}"
    )
    click.echo(f"{out}: {', '.join(written)}")
