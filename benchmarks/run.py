"""Province-scale benchmark: patuh's stages at three sizes, against a DuckDB lower bound.

    .venv/bin/python benchmarks/run.py [--sizes 35000,350000,3500000] [--db URL] [--no-dossiers]
                                       [--dossiers-at 350000] [--no-pdf] [--json OUT] [--markdown FILE ...]

For each size (payroll rows):

1. a package from `patuh generate` (cached under /tmp/patuh-bench/<size>; the number of
   employers is calibrated once from a probe package, about 100–160 payroll rows each);
   generation is timed but is not part of the audit;
2. patuh in a fresh subprocess with a fresh SQLite file: load, facts, rules, evidence, cases,
   store (the audit's own timings), results files, dossiers — wall time, payroll rows per second,
   and the peak RSS of the process after each stage (its high-water mark so far);
3. the DuckDB reference (benchmarks/reference_duckdb.py) in another fresh subprocess;
4. the cross-check: PDS-TK employer-months and amounts, PDS-UPAH, and TUNGGAKAN principal, patuh
   vs the reference (and vs the generator's answer key, expected_findings.csv).

Dossiers (HTML and PDF of every law-enforcement case, and the provincial report) are written at one
size only (--dossiers-at, default 350,000: about 100 dossiers); at 3.5 M rows they would be about a
thousand and measure nothing new.

Writes benchmarks/results.json (results-postgresql.json for a PostgreSQL --db) and the table between
the markers of README.md and docs/performance.md — one block for SQLite, another for PostgreSQL, so
the two are reported separately — and prints the table. Peak RSS is each child's own ru_maxrss (os.wait4), so sizes do not mix.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("PATUH_BENCH_DIR", "/tmp/patuh-bench"))
MONTHS = "2025-01:2025-12"
SEED = 1
PROBE_EMPLOYERS = 300
# one marker pair per store: the SQLite and the PostgreSQL figures are reported separately (issue 16)
MARKERS = {"sqlite": ("<!-- bench:begin (written by benchmarks/run.py) -->", "<!-- bench:end -->"),
           "postgresql": ("<!-- bench-postgresql:begin (written by benchmarks/run.py --db postgresql://…) -->",
                          "<!-- bench-postgresql:end -->")}
CHECKED = ("PDS-TK", "PDS-UPAH", "TUNGGAKAN")
REF_KEY = {"PDS-TK": "pds_tk", "PDS-UPAH": "pds_upah", "TUNGGAKAN": "arrears"}
# issue 16: ≤ 5× the reference at ~350k rows; time per row flat from 35k to 3.5M (here: it does not
# grow with size — each size at most 20 % above the next smaller one's µs per row; the smallest
# carries the fixed costs, so falling per-row times are flat enough); peak RSS < 1 GB at 3.5M;
# 100 dossiers < 60 s
TARGETS = {"ratio": 5.0, "flat": 1.20, "rss_mb": 1024.0, "dossiers_per_100_s": 60.0}
RATIO_AT = 350_000


def _maxrss_mb(ru) -> float:
    return ru.ru_maxrss / 1024.0  # Linux: KiB


def _self_peak_mb() -> float:
    return _maxrss_mb(resource.getrusage(resource.RUSAGE_SELF))


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_child(args: list[str], log: Path | None = None, env: dict | None = None) -> tuple[int, float, float]:
    """Run a command; return (exit status, wall seconds, the child's own peak RSS in MB).
    The child's CPU seconds (user + system) are left in run_child.cpu."""
    t = time.perf_counter()
    out = log.open("w") if log else subprocess.DEVNULL
    try:
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _pid, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        run_child.cpu = ru.ru_utime + ru.ru_stime
    finally:
        if log:
            out.close()
    return p.returncode, time.perf_counter() - t, _maxrss_mb(ru)


def _bin(name: str) -> str:
    cand = Path(sys.executable).parent / name
    return str(cand) if cand.exists() else name


# -------------------------------------------------------------------------------- generating
def generator_available() -> bool:
    try:
        import patuh.audits.generate  # noqa: F401
    except ImportError:
        return False
    return True


def count_rows(path: Path) -> int:
    with path.open("rb") as f:
        return max(sum(1 for _ in f) - 1, 0)


def generate(out: Path, employers: int, use_patuh: bool) -> tuple[float, float]:
    if out.exists():
        shutil.rmtree(out)
    cmd = [_bin("patuh"), "generate", str(out), "--employers", str(employers), "--months", MONTHS,
           "--seed", str(SEED)]
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.parent / f"{out.name}.generate.log"
    rc, secs, rss = run_child(cmd, log)
    if rc != 0:
        raise SystemExit(f"generator failed ({' '.join(cmd)}): see {log}\n{log.read_text()[-2000:]}")
    return secs, rss


def _cumulative(payroll: Path) -> list[int]:
    """Payroll rows of the first 1, 2, … employers (the generator writes employer by employer)."""
    out: list[int] = []
    last, n = None, 0
    with payroll.open(newline="", encoding="utf-8") as f:
        rd = csv.reader(f)
        col = next(rd).index("employer_id")
        for row in rd:
            if row[col] != last:
                if last is not None:
                    out.append(n)
                last = row[col]
            n += 1
    out.append(n)
    return out


def employers_for(size: int, use_patuh: bool) -> int:
    """How many employers give about `size` payroll rows. Employers differ a lot in size, so a
    mean from a small probe misses; the generator is deterministic and streams employer by employer,
    so one probe big enough for the largest size gives the row count of every prefix."""
    gen = "patuh"
    meta = BENCH_DIR / f"calibration-{gen}.json"
    cum = json.loads(meta.read_text())["cumulative"] if meta.exists() else []
    if not cum or cum[-1] < size:
        employers = max(PROBE_EMPLOYERS, int(size / 100 * 1.5) + 1)
        probe = BENCH_DIR / f"probe-{gen}"
        generate(probe, employers, use_patuh)
        cum = _cumulative(probe / "payroll.csv")
        meta.write_text(json.dumps({"employers": employers, "cumulative": cum}))
        shutil.rmtree(probe)
    return min(range(len(cum)), key=lambda i: abs(cum[i] - size)) + 1


def package_for(size: int, use_patuh: bool) -> dict:
    """The cached package of about `size` payroll rows; generated (and timed) if missing."""
    gen = "patuh"
    folder = BENCH_DIR / str(size)
    meta_path = BENCH_DIR / f"{size}.json"
    employers = employers_for(size, use_patuh)
    want = {"generator": gen, "employers": employers, "months": MONTHS, "seed": SEED}
    if meta_path.exists() and (folder / "payroll.csv").exists():
        meta = json.loads(meta_path.read_text())
        if all(meta.get(k) == v for k, v in want.items()):
            meta["cached"] = True
            return meta
    secs, rss = generate(folder, employers, use_patuh)
    meta = dict(want, path=str(folder), payroll_rows=count_rows(folder / "payroll.csv"),
                seconds=secs, peak_rss_mb=rss, generated_on=dt.date.today().isoformat())
    meta_path.write_text(json.dumps(meta, indent=1))
    meta["cached"] = False
    return meta


# ----------------------------------------------------------------------------- patuh (child)
def child_patuh(package: Path, db: str, out: Path, dossiers: bool, pdf: bool, result_path: Path) -> None:
    """Runs inside the fresh subprocess: every stage, its time and the RSS high-water mark."""
    import psutil

    from patuh.audits.audit import run_audit
    from patuh.audits.importer import load_package
    from patuh.audits.outputs import write_results
    from patuh.audits.store.db import get_engine

    proc = psutil.Process()
    stages: dict[str, dict] = {}

    def mark(name: str, seconds: float, cpu: float | None) -> None:
        stages[name] = {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": _self_peak_mb(),
                        "rss_mb": proc.memory_info().rss / 2**20}

    mark("start", 0.0, 0.0)
    engine = get_engine(db)
    t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
    loaded = load_package(package, engine)
    # the load's own forked processes (audits/importer/ahead.py) count in its CPU and memory
    mark("load", time.perf_counter() - t, time.process_time() - c + _children_cpu() - k)
    peaks = [how["peak_rss_mb"] for how in loaded.ahead.values() if how.get("peak_rss_mb") is not None]
    stages["load"]["children"] = len(peaks)
    stages["load"]["children_cpu"] = _children_cpu() - k
    stages["load"]["children_peak_rss_mb"] = max(peaks, default=0.0)
    stages["load"]["children_peak_rss_sum_mb"] = sum(peaks)
    # run_audit announces each stage as it starts, once per batch of employers for facts, rules and
    # evidence: the CPU time from one announcement to the next belongs to the stage announced, and
    # the RSS high-water mark at the announcement after a stage's last closes it (cases and store
    # are closed together, at the end)
    words = {"fakta": "facts", "aturan": "rules", "bukti": "evidence", "kasus": "cases",
             "fakta+aturan+bukti": "facts"}  # batches in worker processes: all three at once
    marks: list[tuple[str, float, float]] = []
    c0, k0 = time.process_time(), _children_cpu()
    result = run_audit(engine, loaded.import_id,
                       progress=lambda msg: marks.append((words.get(msg.split()[0], "?"), _self_peak_mb(),
                                                          time.process_time())))
    marks.append(("end", _self_peak_mb(), time.process_time()))
    cpu_of: dict[str, float] = {}
    peak_of: dict[str, float] = {}
    for (name, _peak, cpu), (_next, next_peak, next_cpu) in zip(marks, marks[1:]):
        cpu_of[name] = cpu_of.get(name, 0.0) + next_cpu - cpu
        peak_of[name] = next_peak
    for name in ("facts", "rules", "evidence", "cases", "store"):
        mark(name, result.timings.get(name, 0.0), cpu_of.get(name) if name != "store" else None)
        stages[name]["peak_rss_mb"] = peak_of.get(name if name != "store" else "cases", _self_peak_mb())
    audit_total = result.timings["total"]
    workers_cpu = _children_cpu() - k0  # the audit's worker processes (PATUH_AUDIT_WORKERS)
    audit_cpu = time.process_time() - c0 + workers_cpu
    workers = int(result.timings.get("workers", 1))
    if workers > 1:  # facts, rules and evidence ran in the workers: their time there, summed
        for name in ("facts", "rules", "evidence"):
            stages[name]["cpu_seconds"] = None
        stages["facts"]["workers"] = workers
        stages["facts"]["batches_wall"] = result.timings.get("batches_wall")
        stages["facts"]["workers_cpu"] = workers_cpu
        stages["facts"]["worker_peak_rss_mb"] = result.timings.get("worker_peak_rss_mb")
    t, c = time.perf_counter(), time.process_time()
    write_results(out, result)
    mark("outputs", time.perf_counter() - t, time.process_time() - c)
    dossier_note, documents, dossier_count = None, 0, 0
    if dossiers:
        try:
            from patuh.audits.dossiers import render_all
        except ImportError as exc:
            dossier_note = f"skipped: audits.dossiers not importable ({exc})"
        else:
            t, c = time.perf_counter(), time.process_time()
            try:
                paths = render_all(engine, result.run_id, out, lang="id", pdf=pdf)
                documents = len(paths)
                dossier_count = sum(1 for p in paths if p.suffix == ".html" and "pemprov" not in p.parts)
            except Exception as exc:  # a stage under construction must not lose the other figures
                dossier_note = f"failed: {type(exc).__name__}: {exc}"
            # process_time misses work done in child processes, should render_all fan out
            mark("dossiers", time.perf_counter() - t, time.process_time() - c)
    else:
        dossier_note = "skipped (--no-dossiers)"

    by_cat: dict[str, dict[str, int]] = {c: {} for c in CHECKED}
    for f in result.findings:
        if f.category in by_cat:
            by_cat[f.category][f.subject_id] = int(f.amount)
    result_path.write_text(json.dumps({
        "import_id": loaded.import_id,
        "already_loaded": loaded.already_loaded,
        "rows": loaded.rows,
        "load_seconds": stages["load"]["seconds"],
        "audit_seconds": audit_total,
        "load_cpu_seconds": stages["load"]["cpu_seconds"],
        "audit_cpu_seconds": audit_cpu,
        "audit_timings": result.timings,
        "stages": stages,
        "counts": result.counts,
        "findings": by_cat,
        "documents": documents,
        "dossier_count": dossier_count,
        "pdf": pdf,
        "dossier_note": dossier_note,
        "run_id": result.run_id,
    }, indent=1, default=str))


def child_reference(package: Path, result_path: Path) -> None:
    import reference_duckdb

    r = reference_duckdb.run(package)
    r["peak_rss_mb"] = _self_peak_mb()
    result_path.write_text(json.dumps(r))


# ------------------------------------------------------------------------------ cross-check
def expected_findings(package: Path) -> dict[str, dict[str, int]] | None:
    path = package / "expected_findings.csv"
    if not path.exists():
        return None
    out: dict[str, dict[str, int]] = {c: {} for c in CHECKED}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["category"] in out:
                out[row["category"]][row["subject_id"]] = int(row["amount"])
    return out


def compare(a: dict[str, int], b: dict[str, int], limit: int = 5) -> dict:
    keys = sorted(set(a) | set(b))
    diff = [{"subject": k, "patuh": a.get(k), "other": b.get(k)} for k in keys if a.get(k) != b.get(k)]
    return {"count": [len(a), len(b)], "amount": [sum(a.values()), sum(b.values())],
            "mismatches": len(diff), "examples": diff[:limit]}


def cross_check(patuh: dict, ref: dict, key: dict | None) -> dict:
    out = {}
    for cat in CHECKED:
        mine = patuh["findings"][cat]
        entry = {"vs_reference": compare(mine, {k: int(v) for k, v in ref[REF_KEY[cat]].items()})}
        if key is not None:
            entry["vs_answer_key"] = compare(mine, key[cat])
        out[cat] = entry
    return out


def fresh_database(url: str) -> None:
    """An empty database for each run: a new SQLite file, or for PostgreSQL a dropped and
    re-created database — only one whose name starts with patuh_bench, never anyone else's."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if path.exists():
            path.unlink()
        return
    if url.startswith(("postgresql", "postgres")):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from patuh.audits.store.db import _normalise

        u = make_url(_normalise(url))
        name = u.database or ""
        if not name.startswith("patuh_bench"):
            raise SystemExit(f"--db {url}: the benchmark drops and re-creates its database, so its name must "
                             f"start with patuh_bench (e.g. .../patuh_bench_{{size}})")
        admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        return
    print(f"   note: {url} is used as it is (not emptied): a package loaded before is not loaded again", flush=True)


# ------------------------------------------------------------------------------ one size
def bench_size(size: int, args, use_patuh: bool) -> dict:
    print(f"\n== size {size:,} payroll rows", flush=True)
    pkg = package_for(size, use_patuh)
    package = Path(pkg["path"])
    rows = pkg["payroll_rows"]
    print(f"   package {package} ({pkg['generator']}, {pkg['employers']:,} employers, {rows:,} payroll rows"
          f"{', cached' if pkg['cached'] else ''})", flush=True)

    work = BENCH_DIR / f"run-{size}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    db = args.db.replace("{size}", str(size)) if args.db else f"sqlite:///{work / 'patuh.db'}"
    env = dict(os.environ, PYTHONHASHSEED="0")
    loadavg_before = os.getloadavg()
    patuh = None
    for attempt in range(max(1, args.repeat)):
        fresh_database(db)
        res_path = work / f"patuh-{attempt}.json"
        cmd = [sys.executable, str(HERE / "run.py"), "--child-patuh", str(package), "--db", db, "--out",
               str(work / "out"), "--result", str(res_path)]
        if args.no_dossiers or attempt > 0 or size != args.dossiers_at:  # once, at one size: not load + audit
            cmd.append("--no-dossiers")
        if args.no_pdf:
            cmd.append("--no-pdf")
        rc, wall, rss = run_child(cmd, work / f"patuh-{attempt}.log", env)
        if rc != 0:
            raise SystemExit(f"patuh run failed for size {size}: see {work / f'patuh-{attempt}.log'}\n"
                             f"{(work / f'patuh-{attempt}.log').read_text()[-3000:]}")
        this = json.loads(res_path.read_text())
        this.update(wall_seconds=wall, peak_rss_mb=rss, process_cpu_seconds=run_child.cpu)
        if patuh is None:
            patuh = this
        elif this["load_seconds"] + this["audit_seconds"] < patuh["load_seconds"] + patuh["audit_seconds"]:
            # keep the faster run's timings, and the first run's dossiers and the highest peak RSS
            this["stages"]["dossiers"] = patuh["stages"].get("dossiers")
            this.update(documents=patuh["documents"], dossier_count=patuh["dossier_count"],
                        dossier_note=patuh["dossier_note"],
                        peak_rss_mb=max(rss, patuh["peak_rss_mb"]))
            if this["stages"]["dossiers"] is None:
                del this["stages"]["dossiers"]
            patuh = this
        else:
            patuh["peak_rss_mb"] = max(rss, patuh["peak_rss_mb"])
    patuh["runs"] = max(1, args.repeat)
    if not args.no_dossiers and size != args.dossiers_at:
        patuh["dossier_note"] = f"dossiers are written at {args.dossiers_at:,} rows only"
    if patuh["already_loaded"]:
        print("   WARNING: the package was already in that database: load time is not a load", flush=True)

    ref, ref_wall, ref_rss, ref_cpu = None, 0.0, 0.0, 0.0
    for attempt in range(max(1, args.repeat)):
        ref_path = work / "reference.json"
        rc, wall, rss = run_child([sys.executable, str(HERE / "run.py"), "--child-reference", str(package),
                                   "--result", str(ref_path)], work / "reference.log", env)
        if rc != 0:
            raise SystemExit(f"reference failed for size {size}: {(work / 'reference.log').read_text()[-3000:]}")
        this = json.loads(ref_path.read_text())
        if ref is None or this["seconds"]["total"] < ref["seconds"]["total"]:
            ref, ref_wall, ref_cpu = this, wall, run_child.cpu
        ref_rss = max(ref_rss, rss)
    loadavg_after = os.getloadavg()

    load_audit = patuh["load_seconds"] + patuh["audit_seconds"]
    check = cross_check(patuh, ref, expected_findings(package))
    res = {
        "size": size,
        "package": pkg,
        "payroll_rows": rows,
        "patuh": patuh,
        "reference": {"seconds": ref["seconds"], "totals": ref["totals"], "peak_rss_mb": ref_rss,
                      "wall_seconds": ref_wall, "process_cpu_seconds": ref_cpu, "as_of": ref["as_of"],
                      "periods": ref["periods"]},
        "loadavg": {"before": loadavg_before, "after": loadavg_after},
        "load_audit_cpu_seconds": patuh["load_cpu_seconds"] + patuh["audit_cpu_seconds"],
        "load_audit_seconds": load_audit,
        "us_per_row": load_audit / rows * 1e6,
        "ratio_to_reference": load_audit / ref["seconds"]["total"],
        "cross_check": check,
    }
    print(f"   patuh load+audit {load_audit:.2f} s ({rows / load_audit:,.0f} rows/s, CPU "
          f"{res['load_audit_cpu_seconds']:.2f} s), reference {ref['seconds']['total']:.2f} s → ratio "
          f"{res['ratio_to_reference']:.1f}×; peak RSS {patuh['peak_rss_mb']:.0f} MB; load average "
          f"{loadavg_before[0]:.1f} → {loadavg_after[0]:.1f}", flush=True)
    for cat, c in check.items():
        v = c["vs_reference"]
        flag = "ok" if v["mismatches"] == 0 else f"MISMATCH ({v['mismatches']} employer-months)"
        line = (f"   {cat:<10} patuh {v['count'][0]:>6,} employer-months Rp {v['amount'][0]:>16,} | "
                f"DuckDB {v['count'][1]:>6,} Rp {v['amount'][1]:>16,}  {flag}")
        if "vs_answer_key" in c:
            k = c["vs_answer_key"]
            line += "; answer key " + ("ok" if k["mismatches"] == 0 else f"MISMATCH ({k['mismatches']})")
        print(line, flush=True)
        for ex in v["examples"]:
            print(f"      {ex['subject']}: patuh {ex['patuh']} vs DuckDB {ex['other']}", flush=True)
    return res


# ---------------------------------------------------------------------------- reporting
def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import duckdb
    import psutil

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""

    import hashlib

    # what decides the figures: the code and the rulebook, not the documents this run rewrites
    code = ["--", ".", ":(exclude)*.md", ":(exclude)benchmarks/results*.json"]
    dirty = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no", *code).splitlines()]
    trees = git("ls-tree", "HEAD", "engine", "audits", "rules", "cli.py", "pyproject.toml", "benchmarks")
    state = hashlib.sha256((trees + git("diff", "HEAD", *code)).encode()).hexdigest()[:12]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "uncommitted": dirty, "code_state": state, "cpu": model, "cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "interpreter": interpreter(), "os": platform.platform(terse=True),
            "duckdb": duckdb.__version__, "date": dt.date.today().isoformat()}


def interpreter() -> str:
    """Which CPython build runs the figures: the same code is 12–20 % slower on a build with a
    shared libpython and no profile-guided optimisation (pyenv's default) than on Debian's python3.11
    (docs/performance.md), so the tables say which one it was. Linux: a mapped libpython*.so means
    the shared kind."""
    kind = "libpython linked in"
    try:
        if "libpython" in Path("/proc/self/maps").read_text():
            kind = "shared libpython"
    except OSError:
        kind = "build not known"
    base = getattr(sys, "_base_executable", sys.executable)
    where = base if base == sys.executable else f"{base}, venv {sys.prefix}"
    return f"{where}, {kind}"


def _s(x: float | None) -> str:
    return "–" if x is None else (f"{x:.2f}" if x < 100 else f"{x:.0f}")


def _rate(rows: int, secs: float | None) -> str:
    return "–" if not secs else f"{rows / secs:,.0f}"


def table(results: list[dict]) -> str:
    stages = ["load", "facts", "rules", "evidence", "cases", "store", "outputs", "dossiers"]
    lines = ["| stage | " + " | ".join(f"{r['payroll_rows']:,} rows" for r in results) + " |",
             "|---|" + "---:|" * len(results)]
    gen = []
    for r in results:
        p = r["package"]
        gen.append(f"{_s(p.get('seconds'))} s · {_rate(r['payroll_rows'], p.get('seconds'))}/s · "
                   f"{p.get('peak_rss_mb', 0):.0f} MB" + (" (cached)" if p.get("cached") else ""))
    lines.append("| generate (not audit) | " + " | ".join(gen) + " |")
    for st in stages:
        cells = []
        for r in results:
            s = r["patuh"]["stages"].get(st)
            if s is None:
                cells.append("–")
                continue
            cpu = s.get("cpu_seconds")
            cpu_text = f" (CPU {_s(cpu)})" if cpu is not None else (" (CPU in cases)" if st == "store" else "")
            if st == "load" and s.get("children"):
                cpu_text = (f" (CPU {_s(cpu)}, of which {_s(s.get('children_cpu'))} in {s['children']} forked "
                            f"process{'es' if s['children'] != 1 else ''}"
                            f" of {s.get('children_peak_rss_sum_mb') or 0:.0f} MB together at most)")
            if st in ("facts", "rules", "evidence") and r["patuh"]["stages"]["facts"].get("workers"):
                cpu_text = " (summed over the workers)"
            if st == "dossiers":
                cpu_text = f" (CPU {_s(cpu)} in this process; PDFs in worker processes)"
                n = r["patuh"].get("dossier_count", 0)
                cells.append(f"{_s(s['seconds'])} s{cpu_text} · {n} dossiers, "
                             f"{(s['seconds'] / n if n else 0):.2f} s each · {s['peak_rss_mb']:.0f} MB")
                continue
            cells.append(f"{_s(s['seconds'])} s{cpu_text} · {_rate(r['payroll_rows'], s['seconds'])}/s · "
                         f"{s['peak_rss_mb']:.0f} MB")
        lines.append(f"| {st} | " + " | ".join(cells) + " |")
    lines.append("| facts + rules + evidence in worker processes | " + " | ".join(
        (lambda f: f"{f['workers']} workers: {_s(f.get('batches_wall'))} s wall, CPU {_s(f.get('workers_cpu'))} s, "
                   f"peak RSS {f.get('worker_peak_rss_mb') or 0:.0f} MB each at most" if f.get("workers") else "– (in the process)")(
            r["patuh"]["stages"]["facts"]) for r in results) + " |")
    lines.append("| **load + audit** | " + " | ".join(
        f"**{_s(r['load_audit_seconds'])} s** · {_rate(r['payroll_rows'], r['load_audit_seconds'])}/s · "
        f"{r['us_per_row']:.0f} µs/row" for r in results) + " |")
    lines.append("| load + audit, CPU time of the process and the processes it forked | " + " | ".join(
        f"{_s(r['load_audit_cpu_seconds'])} s" for r in results) + " |")
    lines.append("| DuckDB reference | " + " | ".join(
        f"{_s(r['reference']['seconds']['total'])} s · {r['reference']['peak_rss_mb']:.0f} MB" for r in results) + " |")
    lines.append("| **ratio patuh / DuckDB** | " + " | ".join(
        f"**{r['ratio_to_reference']:.1f}×**" for r in results) + " |")
    lines.append("| DuckDB reference, CPU time (all threads) | " + " | ".join(
        f"{_s(r['reference'].get('process_cpu_seconds'))} s" for r in results) + " |")
    lines.append("| machine load average (1 min) before → after | " + " | ".join(
        f"{r['loadavg']['before'][0]:.1f} → {r['loadavg']['after'][0]:.1f}" for r in results) + " |")
    lines.append("| patuh peak RSS: process; with the processes it forks (the load: process + each forked process's peak; the audit: process + workers × their peak; whichever is more) | " + " | ".join(
        f"{r['patuh']['peak_rss_mb']:.0f} MB; {_with_workers_mb(r):.0f} MB" for r in results) + " |")
    lines.append("| dossiers written | " + " | ".join(
        (f"{r['patuh']['documents']} files" if r['patuh']['documents'] else "–")
        + (f" ({r['patuh']['dossier_note']})" if r['patuh'].get('dossier_note') else "") for r in results) + " |")
    return "\n".join(lines)


def cross_table(results: list[dict]) -> str:
    lines = ["| size | category | patuh employer-months | patuh Rp | DuckDB employer-months | DuckDB Rp | vs DuckDB | vs answer key |",
             "|---:|---|---:|---:|---:|---:|---|---|"]
    for r in results:
        for cat, c in r["cross_check"].items():
            v = c["vs_reference"]
            k = c.get("vs_answer_key")
            lines.append(f"| {r['payroll_rows']:,} | {cat} | {v['count'][0]:,} | {v['amount'][0]:,} | {v['count'][1]:,} | "
                         f"{v['amount'][1]:,} | {'equal' if not v['mismatches'] else 'MISMATCH ' + str(v['mismatches'])} | "
                         f"{'–' if k is None else ('equal' if not k['mismatches'] else 'MISMATCH ' + str(k['mismatches']))} |")
    return "\n".join(lines)


def _with_workers_mb(r: dict) -> float:
    """An upper bound of the memory the audit held at once: the process's own peak plus each worker's
    (the workers' peaks need not coincide)."""
    f, ld = r["patuh"]["stages"]["facts"], r["patuh"]["stages"]["load"]
    audit_peak = max(s["peak_rss_mb"] for n, s in r["patuh"]["stages"].items() if n != "dossiers")
    # the load's children (ahead.py) likewise, while they ran: each one's own peak
    load_peak = ld["peak_rss_mb"] + (ld.get("children_peak_rss_sum_mb") or 0)
    return max(load_peak, audit_peak + (f.get("workers") or 0) * (f.get("worker_peak_rss_mb") or 0))


def targets(results: list[dict]) -> list[str]:
    """Issue 16's targets, each with the figure reached; a target whose size was not run says so."""
    out = []
    near = min(results, key=lambda r: abs(r["payroll_rows"] - RATIO_AT))
    if abs(near["payroll_rows"] - RATIO_AT) < RATIO_AT / 2:
        ok = near["ratio_to_reference"] <= TARGETS["ratio"]
        out.append(f"- load + audit of {near['payroll_rows']:,} rows at most {TARGETS['ratio']:.0f}× the DuckDB "
                   f"reference of the same run: **{near['ratio_to_reference']:.1f}× "
                   f"({near['load_audit_seconds']:.1f} s vs {near['reference']['seconds']['total']:.2f} s) — "
                   f"{'met' if ok else 'NOT met'}**")
    else:
        out.append(f"- ratio at about {RATIO_AT:,} rows: not measured (no such size in this run)")
    if len(results) > 1:
        ordered = sorted(results, key=lambda r: r["payroll_rows"])
        steps = [(a, b, b["us_per_row"] / a["us_per_row"]) for a, b in zip(ordered, ordered[1:])]
        worst = max(steps, key=lambda st: st[2])
        ok = worst[2] <= TARGETS["flat"]
        out.append("- time per payroll row flat with size (no size more than "
                   f"{(TARGETS['flat'] - 1) * 100:.0f} % above the next smaller one): **"
                   + " → ".join(f"{r['us_per_row']:.0f} µs" for r in ordered)
                   + f" (worst step {worst[0]['payroll_rows']:,} → {worst[1]['payroll_rows']:,} rows: "
                   f"{(worst[2] - 1) * 100:+.0f} %) — {'met' if ok else 'NOT met'}**")
    big = max(results, key=lambda r: r["payroll_rows"])
    audit_peak = _with_workers_mb(big)
    ok = audit_peak < TARGETS["rss_mb"]
    out.append(f"- peak RSS under 1 GB at the largest size ({big['payroll_rows']:,} rows): "
               f"**{audit_peak:.0f} MB through load + audit, the process and its forked processes together — "
               f"{'met' if ok else 'NOT met'}**"
               + ("" if big["payroll_rows"] >= 3_000_000 else " (the target speaks of 3.5 M rows)"))
    dos = [(r["patuh"]["dossier_count"], r["patuh"]["stages"]["dossiers"]["seconds"], r["patuh"].get("pdf", True))
           for r in results if r["patuh"].get("dossier_count") and "dossiers" in r["patuh"]["stages"]]
    if dos:
        n, secs, pdf = max(dos)
        per100 = secs / n * 100
        ok = per100 < TARGETS["dossiers_per_100_s"] and pdf
        out.append(f"- 100 law-enforcement dossiers (HTML and PDF) in under {TARGETS['dossiers_per_100_s']:.0f} s on "
                   f"{os.cpu_count()} cores: **{n} dossiers{'' if pdf else ' (HTML only)'} in {secs:.1f} s, "
                   f"{per100:.1f} s per 100 — {'met' if ok else 'NOT met' if pdf else 'not measured with PDF'}**")
    else:
        out.append("- 100 dossiers: not measured in this run")
    return out


def report(results: list[dict], mach: dict, args) -> str:
    head = [
        f"Measured {mach['date']} on {mach['cpu']}, {mach['cores']} cores, {mach['ram_gb']} GB RAM, "
        f"Python {mach['python']}" + (f" ({mach['interpreter']})" if mach.get("interpreter") else "")
        + f", DuckDB {mach['duckdb']} ({mach['os']}).",
        f"Code: commit {mach['commit']}" + (f" with uncommitted changes in {', '.join(mach['uncommitted'])}"
                                             if mach["uncommitted"] else "") + "."
        + (" **The code changed during the run: the sizes may have run different versions.**"
           if mach.get("code_changed_during_run") else ""),
        f"Packages: `patuh generate`, "
        f"months {MONTHS}, seed {SEED}; database: {'fresh SQLite file per run' if not args.db else args.db}.",
        "",
        "Each cell: wall time (CPU time of the process) · payroll rows per second of wall time · peak RSS "
        "of the process after that stage (its high-water mark so far; cases and store share one figure, "
        "and one CPU figure). Wall time is what the targets speak of; CPU time shows how much of it "
        "was other people's processes on the same 2 cores (see the load average).",
        "",
    ]
    return "\n".join(head + [table(results), "", "Targets (issue 16):", ""] + targets(results)
                     + ["", "Cross-check (patuh's findings vs the DuckDB reference and the generator's answer key):", "",
                        cross_table(results)])


def write_markdown(path: Path, body: str, store: str = "sqlite") -> None:
    begin, end = MARKERS[store]
    block = f"{begin}\n{body}\n{end}"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if begin in text and end in text:
            pre, rest = text.split(begin, 1)
            _old, post = rest.split(end, 1)
            path.write_text(pre + block + post, encoding="utf-8")
            return
        path.write_text(text.rstrip() + "\n\n" + block + "\n", encoding="utf-8")
        return
    path.write_text("# Performance\n\n" + block + "\n", encoding="utf-8")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="patuh province-scale benchmark with a DuckDB reference")
    ap.add_argument("--sizes", default="35000,350000,3500000", help="payroll rows, comma-separated")
    ap.add_argument("--dossiers-at", type=int, default=350_000,
                    help="the size whose run also writes the dossiers (default 350000; 0: none)")
    ap.add_argument("--db", default=None, help="database URL ({size} is replaced); default a fresh SQLite file")
    ap.add_argument("--no-dossiers", action="store_true")
    ap.add_argument("--no-pdf", action="store_true", help="dossiers as HTML only")
    ap.add_argument("--json", type=Path, default=None,
                    help="default benchmarks/results.json (results-postgresql.json for a PostgreSQL --db)")
    ap.add_argument("--markdown", type=Path, action="append",
                    help="file(s) whose bench markers get the table (default: README.md and docs/performance.md)")
    ap.add_argument("--repeat", type=int, default=1, help="run patuh and the reference N times, keep the fastest")
    ap.add_argument("--report", type=Path, default=None,
                    help="write the tables again from a results JSON of an earlier run (nothing is measured)")
    # internal: the per-size children
    ap.add_argument("--child-patuh", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-reference", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.child_patuh:
        return child_patuh(a.child_patuh, a.db, a.out, not a.no_dossiers, not a.no_pdf, a.result)
    if a.child_reference:
        sys.path.insert(0, str(HERE))
        return child_reference(a.child_reference, a.result)

    if a.report:  # the tables of an earlier run, written again (e.g. after a change of the report)
        saved = json.loads(a.report.read_text(encoding="utf-8"))
        # the database the run used, as it gave it (results files before it was kept: by file name)
        a.db = saved.get("db") or (
            "postgresql://postgres@127.0.0.1:5432/patuh_bench_{size}" if "postgresql" in a.report.name else None)
        store = "postgresql" if a.db and a.db.startswith(("postgresql", "postgres")) else "sqlite"
        body = report(saved["results"], saved["machine"], a)
        for path in a.markdown or [ROOT / "README.md", ROOT / "docs" / "performance.md"]:
            write_markdown(path, body, store)
        print(body)
        return None
    if not generator_available():
        raise SystemExit("patuh's generator (audits.generate) is not importable: install the project first")
    use_patuh = True
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sizes = [int(x.replace("_", "")) for x in a.sizes.split(",") if x.strip()]
    if not a.no_dossiers and a.dossiers_at and a.dossiers_at not in sizes:
        print(f"note: no size is {a.dossiers_at:,} (--dossiers-at): no dossiers are written", flush=True)
    mach = machine()
    results = [bench_size(size, a, use_patuh) for size in sizes]
    after = machine()
    mach["code_changed_during_run"] = after["code_state"] != mach["code_state"]
    if mach["code_changed_during_run"]:
        print("WARNING: the code changed while the benchmark ran (others at work): figures mix versions", flush=True)
    body = report(results, mach, a)
    store = "postgresql" if a.db and a.db.startswith(("postgresql", "postgres")) else "sqlite"
    a.json = a.json or HERE / ("results.json" if store == "sqlite" else "results-postgresql.json")
    a.json.write_text(json.dumps({"machine": mach, "db": a.db, "months": MONTHS, "seed": SEED, "results": results},
                                 indent=1, default=str) + "\n", encoding="utf-8")
    targets_md = a.markdown or [ROOT / "README.md", ROOT / "docs" / "performance.md"]
    for path in targets_md:
        write_markdown(path, body, store)
    print()
    print(body)
    print(f"\nwrote {a.json} and {', '.join(map(str, targets_md))}")


if __name__ == "__main__":
    main()
