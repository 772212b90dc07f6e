"""`patuh verify DIR`: check an audit's output folder against its manifest.json."""
from __future__ import annotations

from pathlib import Path

import click

from .manifest import MANIFEST
from .manifest import verify as verify_dir


@click.command("verify", help="Periksa keutuhan keluaran audit terhadap manifest.json / check an output folder "
                              "against its manifest.json. Exit 1 naming every changed, missing or unexpected file.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify(directory: Path) -> None:
    problems = verify_dir(directory)
    if problems:
        for p in problems:
            click.echo(p)
        click.echo(f"GAGAL / FAILED: {len(problems)} problem(s) in {directory}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: every file in {directory} matches {MANIFEST}")
