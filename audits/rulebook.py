"""Where the rulebook is: the package's own `rules/`, installed beside `audits/` as `patuh.rules`.

One place decides it, so that `audit`, `explain`, `calc`, `generate` and `rules …` can never read two
different rulebooks. The working directory is never searched: an inspector who runs patuh in a
folder that happens to hold a `rules/` must not be audited against it. A different rulebook is
always asked for explicitly, with `--rules DIR`.
"""
from __future__ import annotations

from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


def rules_dir(given: Path | str | None = None) -> Path:
    return Path(given) if given else RULES_DIR


def parameters_dir(given: Path | str | None = None) -> Path:
    return rules_dir(given) / "parameters"
