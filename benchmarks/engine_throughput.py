"""Engine throughput on simple facts, and peak memory after a million facts in batches.

    .venv/bin/python benchmarks/engine_throughput.py [--facts 1000000] [--batch 100]

One rule with one condition (`paid < bill`, field against field), facts partitioned into batches
(one durable-rules state per batch, deleted after it). Prints facts/second for the whole
Evaluator path (validation, normalisation, engine, hits) and the peak RSS of the process.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patuh.engine.evaluator import Evaluator  # noqa: E402
from patuh.engine.ruleset import Ruleset  # noqa: E402

RULE = """\
id: BENCH-01
category: BENCH
subject: month
title: {id: "Kurang bayar", en: "Underpaid"}
message: {id: "Kurang bayar", en: "Underpaid"}
legal_basis: [{instrument: X, article: "1"}]
severity: low
when: {field: paid, lt: {field: bill}}
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--facts", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=100, help="facts per batch (one engine state each)")
    ap.add_argument("--chunk", type=int, default=10_000, help="facts per evaluate() call")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "rules" / "bench"
        d.mkdir(parents=True)
        (d / "BENCH-01.yaml").write_text(RULE)
        ev = Evaluator(Ruleset.load(Path(tmp) / "rules"), None, {})

    def facts(start: int, n: int):
        for i in range(start, start + n):
            yield {"id": f"f{i}", "type": "month", "batch": f"b{i // args.batch}",
                   "paid": Decimal(i % 7 * 100), "bill": Decimal(500)}

    rss_start = peak_rss_mb()
    hits = 0
    t0 = time.perf_counter()
    marks = []
    for start in range(0, args.facts, args.chunk):
        hits += len(ev.evaluate(facts(start, min(args.chunk, args.facts - start))))
        if (start // args.chunk) % max(1, (args.facts // args.chunk) // 5) == 0:
            marks.append((start + args.chunk, peak_rss_mb()))
    dt = time.perf_counter() - t0
    print(f"facts evaluated:   {args.facts:,} in batches of {args.batch} (states deleted after each)")
    print(f"hits:              {hits:,} (one action each, plus one catch-all action per fact)")
    print(f"time:              {dt:.1f} s")
    print(f"throughput:        {args.facts / dt:,.0f} facts/s")
    print(f"peak RSS:          {peak_rss_mb():.0f} MB (before evaluating: {rss_start:.0f} MB)")
    print("peak RSS along the way: " + ", ".join(f"{n:,}: {m:.0f} MB" for n, m in marks))


if __name__ == "__main__":
    main()
