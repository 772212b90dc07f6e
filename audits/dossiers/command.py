"""`patuh verify DIR [--package PKG]`: check an audit's output folder against its manifest.json."""
from __future__ import annotations

import json
from pathlib import Path

import click

from patuh.audits.terminal import echo

from .manifest import MANIFEST, WHAT_IT_PROVES
from .manifest import verify as verify_dir


@click.command("verify", help="Periksa keutuhan keluaran audit terhadap manifest.json / check an output folder "
                              "against its manifest.json: every output file, the run id, inputs and ruleset "
                              "fields, and with --package the package files the run read. Exit 1 naming every "
                              "changed, missing or unexpected file.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--package", "package", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The data package folder: check its files against the input hashes in the manifest.")
@click.option("--json", "as_json", is_flag=True, help="The result as JSON on stdout (exit 1 when it fails).")
def verify(directory: Path, package: Path | None, as_json: bool = False) -> None:
    problems = verify_dir(directory, package=package)
    if as_json:
        click.echo(json.dumps({"directory": str(directory), "package": str(package) if package else None,
                               "ok": not problems, "problems": problems}, ensure_ascii=False, indent=2))
        if problems:
            raise SystemExit(1)
        return
    if problems:
        for p in problems:
            echo(p)
        echo(f"GAGAL / FAILED: {len(problems)} problem(s) in {directory}", err=True)
        raise SystemExit(1)
    echo(f"OK: every file in {directory} matches {MANIFEST}"
         + (f"; the files of {package} match its inputs" if package else
            " (the package files were not checked: give --package PKG)"))
    echo(WHAT_IT_PROVES)
