"""Profile one benchmark package with pyinstrument: the load, then the audit, each on its own.

    .venv/bin/python benchmarks/profile.py [--size 350000] [--package DIR] [--out /tmp/patuh-profile]
                                           [--db URL] [--interval 0.001]

Writes load.html/.txt and audit.html/.txt (and dossiers.* with --dossiers) to --out, and prints
the hot spots of each stage: the functions with the largest own time, and the audit's stages by
share. The package is the one benchmarks/run.py cached for that size (generated if missing).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
# a profiler sees this process only: the audit's batches stay in it (no worker processes)
os.environ.setdefault("PATUH_AUDIT_WORKERS", "1")
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def _own_times(session) -> list[tuple[float, str]]:
    """Self time per function (file:line function), summed over the whole call tree."""
    own: dict[str, float] = defaultdict(float)
    frame = session.root_frame()

    def walk(f):
        if not f.is_synthetic:  # "[self]" children hold their parent's own time
            key = f"{f.function} ({_short(f.file_path)}:{f.line_no})" if f.file_path else f.function
            own[key] += f.total_self_time
        for c in f.children:
            walk(c)

    if frame is not None:
        walk(frame)
    return sorted(((t, k) for k, t in own.items()), reverse=True)


def _short(path: str | None) -> str:
    if not path:
        return "?"
    for marker in ("/site-packages/", "/work/main/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _inclusive(session, names: list[str]) -> dict[str, float]:
    """Inclusive time of the first frame found for each function name (the audit's stages)."""
    out: dict[str, float] = {}

    def walk(f):
        if f.function in names and f.function not in out:
            out[f.function] = f.time
        for c in f.children:
            walk(c)

    root = session.root_frame()
    if root is not None:
        walk(root)
    return out


def _write(profiler, out: Path, name: str) -> None:
    (out / f"{name}.html").write_text(profiler.output_html(), encoding="utf-8")
    (out / f"{name}.txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False),
                                     encoding="utf-8")


def report(name: str, profiler, total: float, top: int = 15) -> dict:
    session = profiler.last_session
    own = _own_times(session)
    print(f"\n--- {name}: {total:.2f} s wall; top functions by own time")
    rows = []
    for t, k in own[:top]:
        share = t / session.duration if session.duration else 0
        print(f"  {share:6.1%}  {t:7.2f} s  {k}")
        rows.append({"function": k, "seconds": t, "share": share})
    return {"seconds": total, "own": rows}


def main(argv=None) -> None:
    import run as bench
    from pyinstrument import Profiler

    ap = argparse.ArgumentParser(description="pyinstrument profile of load and audit")
    ap.add_argument("--size", type=int, default=350_000)
    ap.add_argument("--package", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/patuh-profile"))
    ap.add_argument("--db", default=None)
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("--dossiers", action="store_true", help="profile render_all too (HTML only)")
    a = ap.parse_args(argv)

    if a.package is None:
        bench.BENCH_DIR.mkdir(parents=True, exist_ok=True)
        meta = bench.package_for(a.size, bench.generator_available())
        a.package = Path(meta["path"])
    a.out.mkdir(parents=True, exist_ok=True)
    dbfile = a.out / "profile.db"
    if a.db is None and dbfile.exists():
        dbfile.unlink()
    db = a.db or f"sqlite:///{dbfile}"

    from patuh.audits.audit import run_audit
    from patuh.audits.importer import load_package
    from patuh.audits.store.db import get_engine

    engine = get_engine(db)
    summary: dict = {"package": str(a.package), "db": db}

    p = Profiler(interval=a.interval)
    t = time.perf_counter()
    p.start()
    loaded = load_package(a.package, engine)
    p.stop()
    summary["load"] = report("load", p, time.perf_counter() - t)
    _write(p, a.out, "load")

    p = Profiler(interval=a.interval)
    t = time.perf_counter()
    p.start()
    result = run_audit(engine, loaded.import_id)
    p.stop()
    summary["audit"] = report("audit", p, time.perf_counter() - t)
    summary["audit"]["timings"] = result.timings
    print("  audit stages (its own timings): " + ", ".join(
        f"{k} {v:.2f} s" for k, v in result.timings.items() if k not in ("workers", "worker_peak_rss_mb")))
    stage_fns = ["employer_month_facts", "_payroll_aggregates", "_declaration_aggregates", "_payments",
                 "employer_facts", "contract_facts", "evaluate", "_finding", "collect", "_worker_rows",
                 "build_cases", "case_facts", "_record"]
    inc = _inclusive(p.last_session, stage_fns)
    summary["audit"]["inclusive"] = inc
    dur = p.last_session.duration
    print("  inclusive: " + ", ".join(f"{k} {v:.2f} s ({v / dur:.0%})" for k, v in inc.items()))
    _write(p, a.out, "audit")

    if a.dossiers:
        from patuh.audits.dossiers import render_all

        p = Profiler(interval=a.interval)
        t = time.perf_counter()
        p.start()
        render_all(engine, result.run_id, a.out / "results", lang="id", pdf=False)
        p.stop()
        summary["dossiers"] = report("dossiers (HTML only)", p, time.perf_counter() - t)
        _write(p, a.out, "dossiers")

    (a.out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nprofiles in {a.out}/ (load.html, audit.html, *.txt, summary.json)")


if __name__ == "__main__":
    main()
