"""What several test files need to drive the CLI and read its CSV outputs."""
from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from patuh.cli import main


def rows(path: Path) -> list[dict]:
    """A CSV file's rows as dicts, as a reader of the outputs sees them."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def invoke(*args, code: int = 0):
    """Run `patuh ARGS…` in-process; it must exit with `code` and print no traceback."""
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    return res
