"""Issue 10: the seeded package fuzzer (tests/fuzz_package.py) within a bounded budget.

Every mutant of the mini package is either refused with a clean error naming its file (and row
where there is one) with nothing written, or loaded with rows equal to its files; crashes must be
0. ``pytest -s`` prints the figures. PATUH_FUZZ_MUTANTS / PATUH_FUZZ_SECONDS / PATUH_FUZZ_SEED
change the budget (CI: 250 mutants or 40 s, whichever comes first).
"""
from __future__ import annotations

import os

from fuzz_package import run


def test_fuzzed_packages_never_crash_nor_load_wrong(db_url):
    n = int(os.environ.get("PATUH_FUZZ_MUTANTS", "250"))
    seconds = float(os.environ.get("PATUH_FUZZ_SECONDS", "40"))
    seed = int(os.environ.get("PATUH_FUZZ_SEED", "20251130"))
    lines = []
    tally = run(n, seed, seconds, db_url=db_url, say=lines.append)
    print("\n" + "\n".join(lines))
    assert tally.crashes == 0, "\n".join(tally.crash_notes[:5])
    assert tally.mutants >= min(n, 50)
    assert tally.rejected_with_row and tally.rejected_without_row and tally.accepted  # the mutator reaches all three
