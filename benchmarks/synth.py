"""A throw-away synthetic data package for the benchmark, used only when `patuh generate`
(audits/generate.py) is not available.

It writes the core tables of docs/data-package.md (employers, participants, payroll,
declarations, payments) with the situations that make the core of an audit work: workers
missing from the participants, wages reported low, bills paid late, in part or not at all,
employers without an npp. There is no answer key: the benchmark's cross-check is against the
DuckDB reference, not against this file.

    python benchmarks/synth.py OUT --employers N [--months 2025-01:2025-12] [--seed S]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

REGENCIES = ["6101", "6102", "6103", "6104", "6105", "6106", "6107", "6108", "6109", "6110", "6111",
             "6112", "6171", "6172"]
SCALES = [("mikro", 0.25), ("kecil", 0.35), ("menengah", 0.25), ("besar", 0.15)]
JKK = {1: Decimal("0.0024"), 2: Decimal("0.0054"), 3: Decimal("0.0089"), 4: Decimal("0.0127"), 5: Decimal("0.0174")}


def months(spec: str) -> list[str]:
    lo, hi = spec.split(":")
    y, m = map(int, lo.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= hi:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def jp_cap(period: str) -> Decimal:
    if period >= "2026-03":
        return Decimal(11086300)
    return Decimal(10547400) if period >= "2025-03" else Decimal(10042300)


def nik(region: str, serial: int, rng: random.Random) -> str:
    day = rng.randint(1, 28) + (40 if rng.random() < 0.5 else 0)
    return f"{region}01{day:02d}{rng.randint(1, 12):02d}{rng.randint(60, 99):02d}{serial % 10000:04d}"


def month_end(period: str) -> dt.date:
    y, m = map(int, period.split("-"))
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def generate(out: Path, employers: int, month_spec: str = "2025-01:2025-12", seed: int = 1,
             workers_mean: int = 29) -> dict:
    rng = random.Random(seed)
    periods = months(month_spec)
    out.mkdir(parents=True, exist_ok=True)
    last = month_end(periods[-1])
    as_of = last + dt.timedelta(days=75)
    (out / "package.yaml").write_text(
        f"name: synthetic benchmark package ({employers} employers)\nsource: benchmarks/synth.py seed {seed}\n"
        f"as_of: {as_of.isoformat()}\nprovince: \"61\"\n", encoding="utf-8")
    files = {t: (out / f"{t}.csv").open("w", newline="", encoding="utf-8")
             for t in ("employers", "participants", "payroll", "declarations", "payments")}
    w = {t: csv.writer(f, lineterminator="\n") for t, f in files.items()}
    w["employers"].writerow(["employer_id", "name", "npwp", "nib", "npp", "registered_on", "scale", "sector",
                             "jkk_risk_group", "programs", "regency_code", "address"])
    w["participants"].writerow(["employer_id", "nik", "kpj", "name", "start_date", "end_date"])
    w["payroll"].writerow(["employer_id", "period", "nik", "name", "employment", "wage", "bpjs_deduction"])
    w["declarations"].writerow(["employer_id", "period", "nik", "reported_wage"])
    w["payments"].writerow(["employer_id", "period", "amount", "paid_on", "reference"])
    serial = 0
    counts = {t: 0 for t in files}
    for e in range(1, employers + 1):
        eid = f"E{e:06d}"
        region = rng.choice(REGENCIES)
        scale = rng.choices([s for s, _ in SCALES], [p for _, p in SCALES])[0]
        registered = rng.random() < 0.88
        group = rng.randint(1, 5)
        programs = ["JKK", "JKM", "JHT", "JP"] if scale in ("menengah", "besar") else ["JKK", "JKM", "JHT"]
        if scale == "mikro":
            programs = ["JKK", "JKM"] + (["JHT"] if rng.random() < 0.5 else [])
        if registered and rng.random() < 0.08:
            programs = programs[:-1]  # a missing programme
        w["employers"].writerow([eid, f"PT Sintetis {e}", "", "", f"NPP{e:08d}" if registered else "",
                                 "2019-01-01" if registered else "", scale, "", group if registered else "",
                                 ";".join(programs) if registered else "", region, ""])
        counts["employers"] += 1
        n_workers = max(1, int(rng.expovariate(1 / workers_mean)) + 1)
        base_wage = rng.choice([2_700_000, 3_200_000, 4_500_000, 6_000_000, 9_000_000])
        unreg_rate = 0.25 if rng.random() < 0.3 else 0.0
        under_rate = 0.4 if rng.random() < 0.25 else 0.0
        pay_style = rng.choices(["ontime", "late", "partial", "none"], [0.7, 0.15, 0.1, 0.05])[0]
        workers = []
        for i in range(n_workers):
            serial += 1
            n = nik(region, serial, rng)
            wage = Decimal(int(base_wage * rng.uniform(0.85, 2.2))) if rng.random() > 0.03 else Decimal(15_000_000)
            member = registered and rng.random() >= unreg_rate
            end = None
            if member and rng.random() < 0.05:
                end = month_end(rng.choice(periods))
            if member:
                w["participants"].writerow([eid, n, "", f"Pekerja {serial}", "2020-01-01",
                                            end.isoformat() if end else ""])
                counts["participants"] += 1
            workers.append((n, wage, member, end, rng.random() < under_rate,
                            rng.choice(["pkwtt", "pkwtt", "pkwt", "harian"])))
        for p in periods:
            declared = Decimal(0)
            jp = Decimal(0)
            cap = jp_cap(p)
            for n, wage, member, end, under, employment in workers:
                ded = (wage * Decimal("0.02") + min(wage, cap) * Decimal("0.01")).quantize(Decimal("0.01"))
                w["payroll"].writerow([eid, p, n, "Pekerja", employment, wage, ded])
                counts["payroll"] += 1
                if member and (end is None or end >= month_end(p).replace(day=1)):
                    reported = (wage * Decimal("0.8")).quantize(Decimal(1)) if under else wage
                    w["declarations"].writerow([eid, p, n, reported])
                    counts["declarations"] += 1
                    declared += reported
                    jp += min(reported, cap)
            if not registered or not declared:
                continue
            rate = (JKK[group] if "JKK" in programs else 0) + (Decimal("0.003") if "JKM" in programs else 0) + \
                (Decimal("0.057") if "JHT" in programs else 0)
            bill = (declared * rate + (jp * Decimal("0.03") if "JP" in programs else 0)).quantize(
                Decimal(1), rounding=ROUND_HALF_UP)
            end = month_end(p)
            due = end + dt.timedelta(days=15)
            style = pay_style if rng.random() < 0.8 else "ontime"
            if style == "ontime":
                rows = [(bill, due - dt.timedelta(days=rng.randint(1, 10)))]
            elif style == "late":
                rows = [(bill, due + dt.timedelta(days=rng.randint(5, 70)))]
            elif style == "partial":
                rows = [((bill * Decimal("0.6")).quantize(Decimal("0.01")), due - dt.timedelta(days=2))]
            else:
                rows = []
            for amount, paid_on in rows:
                w["payments"].writerow([eid, p, amount, paid_on.isoformat(), ""])
                counts["payments"] += 1
    for f in files.values():
        f.close()
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--employers", type=int, required=True)
    ap.add_argument("--months", default="2025-01:2025-12")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    print(generate(a.out, a.employers, a.months, a.seed))


if __name__ == "__main__":
    main()
