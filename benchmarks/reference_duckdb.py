"""The lower bound: the core of an audit done by DuckDB straight from a package's CSV files.

No validation, no rules engine, no evidence, no dossiers — and none of patuh's code: the rates,
the JP caps and the due-date rule are written out here again, so that agreeing with patuh means
something. What it computes, per docs/audit-semantics.md and docs/interpretations.md:

- PDS-TK: registered employers' payroll rows whose NIK is not an active participant of that
  employer in the month (anti-join), per employer-month, with the dues on those wages;
- PDS-UPAH: payroll workers who are active participants and whose reported wage (0 without a
  declaration) is < 99 % of the wage, per employer-month, with the dues on the gap per programme
  (JP: min(wage, cap) − min(reported, cap));
- the bill B(E,P) per employer-month from the declarations, with the JKK group rate and the JP
  cap of the month, rounded half-up once;
- Paid(E,P, as_of) and the arrears B − Paid for the months due before as_of (TUNGGAKAN principal).

Months: the payroll's first..last period (the audit's default). Only the JP caps from 2024-03 on
are written here (10,042,300; 10,547,400 from 2025-03; 11,086,300 from 2026-03): a package with
earlier months is refused rather than given a wrong cap.

    python benchmarks/reference_duckdb.py PACKAGE [--as-of YYYY-MM-DD] [--threads N] [--json OUT]
"""
from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

import duckdb

# rates (PP 44/2015, PP 45/2015, PP 46/2015), as fractions
JKK_RATE = {1: "0.0024", 2: "0.0054", 3: "0.0089", 4: "0.0127", 5: "0.0174"}
JKM_RATE = "0.003"
JHT_RATE = "0.057"  # 3.7 % employer + 2 % worker
JP_RATE = "0.03"  # 2 % employer + 1 % worker
JP_CAPS = [("2024-03", 10_042_300), ("2025-03", 10_547_400), ("2026-03", 11_086_300)]
UPAH_TOLERANCE = (99, 100)  # reported < 99/100 × wage


def jp_cap(period: str) -> int:
    cap = None
    for since, value in JP_CAPS:
        if period >= since:
            cap = value
    if cap is None:
        raise SystemExit(f"reference: no JP cap written here for {period} (only from {JP_CAPS[0][0]})")
    return cap


def due_date(period: str) -> dt.date:
    """The 15th of the next month, moved to the next day that is no Saturday, Sunday or national
    public holiday of Indonesia."""
    import holidays

    y, m = map(int, period.split("-"))
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    day = dt.date(y, m, 15)
    hol = holidays.country_holidays("ID", years=[y, y + 1])
    while day.weekday() >= 5 or day in hol:
        day += dt.timedelta(days=1)
    return day


def months(lo: str, hi: str) -> list[str]:
    y, m = map(int, lo.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= hi:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def package_as_of(package: Path) -> dt.date | None:
    p = package / "package.yaml"
    if not p.exists():
        return None
    m = re.search(r"^as_of:\s*['\"]?(\d{4}-\d{2}-\d{2})", p.read_text(encoding="utf-8-sig"), re.M)
    return dt.date.fromisoformat(m.group(1)) if m else None


def _csv(package: Path, table: str) -> str:
    path = package / f"{table}.csv"
    if not path.exists():
        raise SystemExit(f"reference: {path} missing (the reference reads CSV packages only)")
    return (f"read_csv('{path}', header=true, all_varchar=true, delim=',', quote='\"', escape='\"')")


def _dues(wage: str, jp: str) -> str:
    """SQL for the unrounded dues on `wage`/`jp` for the employer's registered programmes (columns
    has_jkk/has_jkm/has_jht/has_jp, jkk_rate)."""
    return (f"(CASE WHEN has_jkk THEN {wage} * jkk_rate ELSE 0 END"
            f" + CASE WHEN has_jkm THEN {wage} * {JKM_RATE} ELSE 0 END"
            f" + CASE WHEN has_jht THEN {wage} * {JHT_RATE} ELSE 0 END"
            f" + CASE WHEN has_jp THEN {jp} * {JP_RATE} ELSE 0 END)")


def _round(x: str) -> str:
    # half-up to whole Rupiah; every amount here is ≥ 0, where DuckDB's round (half away from zero)
    # on a DECIMAL is half-up
    return f"CAST(round({x}, 0) AS DECIMAL(38, 0))"


def run(package: str | Path, as_of: dt.date | None = None, threads: int | None = None) -> dict:
    package = Path(package)
    t0 = time.perf_counter()
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    money = "DECIMAL(18, 2)"
    digits = "regexp_replace({}, '[^0-9]', '', 'g')"  # NIK separators `.`, `-`, space
    con.execute(f"""
        CREATE TEMP TABLE emp AS
        SELECT trim(employer_id) AS employer_id,
               nullif(trim(coalesce(npp, '')), '') IS NOT NULL AS registered,
               CAST(nullif(trim(coalesce(jkk_risk_group, '')), '') AS INTEGER) AS risk_group,
               list_transform(string_split(upper(coalesce(programs, '')), ';'), lambda x: trim(x)) AS progs
        FROM {_csv(package, 'employers')}""")
    con.execute(f"""
        CREATE TEMP TABLE emp_rates AS
        SELECT employer_id, registered, risk_group,
               list_contains(progs, 'JKK') AS has_jkk, list_contains(progs, 'JKM') AS has_jkm,
               list_contains(progs, 'JHT') AS has_jht, list_contains(progs, 'JP') AS has_jp,
               CASE risk_group {' '.join(f"WHEN {g} THEN CAST('{r}' AS DECIMAL(6, 4))" for g, r in JKK_RATE.items())}
                    ELSE CAST(0 AS DECIMAL(6, 4)) END AS jkk_rate
        FROM emp""")
    lo, hi = con.execute(f"SELECT min(trim(period)), max(trim(period)) FROM {_csv(package, 'payroll')}").fetchone()
    periods = months(lo, hi)
    as_of = as_of or package_as_of(package)
    if as_of is None:
        raise SystemExit("reference: no as_of (give --as-of or package.yaml as_of)")
    per_rows = []
    for p in periods:
        y, m = map(int, p.split("-"))
        per_rows.append((p, dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1]), jp_cap(p), due_date(p)))
    con.execute("CREATE TEMP TABLE per(period VARCHAR, p_start DATE, p_end DATE, cap DECIMAL(18, 2), due DATE)")
    con.executemany("INSERT INTO per VALUES (?, ?, ?, ?, ?)", per_rows)
    t_setup = time.perf_counter()

    # one pass over payroll: the active flag by anti-join, the declared wage by left join
    con.execute(f"""
        CREATE TEMP TABLE pay AS
        SELECT trim(employer_id) AS employer_id, trim(period) AS period, {digits.format('nik')} AS nik,
               CAST(trim(wage) AS {money}) AS wage
        FROM {_csv(package, 'payroll')}""")
    con.execute(f"""
        CREATE TEMP TABLE part AS
        SELECT trim(employer_id) AS employer_id, {digits.format('nik')} AS nik,
               CAST(trim(start_date) AS DATE) AS start_date, CAST(nullif(trim(coalesce(end_date, '')), '') AS DATE) AS end_date
        FROM {_csv(package, 'participants')}""")
    con.execute(f"""
        CREATE TEMP TABLE decl AS
        SELECT trim(employer_id) AS employer_id, trim(period) AS period, {digits.format('nik')} AS nik,
               CAST(trim(reported_wage) AS {money}) AS reported
        FROM {_csv(package, 'declarations')}""")
    t_read = time.perf_counter()

    worker = con.execute(f"""
        WITH active AS (
            SELECT DISTINCT p.employer_id, p.period, p.nik
            FROM pay p JOIN per ON per.period = p.period
            JOIN part a ON a.employer_id = p.employer_id AND a.nik = p.nik
            WHERE a.start_date <= per.p_end AND (a.end_date IS NULL OR a.end_date >= per.p_start)
        ), d AS (
            SELECT employer_id, period, nik, sum(reported) AS reported FROM decl GROUP BY ALL
        ), w AS (
            SELECT p.employer_id, p.period, p.wage, least(p.wage, per.cap) AS jp_wage,
                   coalesce(d.reported, 0) AS reported, least(coalesce(d.reported, 0), per.cap) AS jp_reported,
                   act.nik IS NOT NULL AS active
            FROM pay p JOIN per ON per.period = p.period
            JOIN emp e ON e.employer_id = p.employer_id AND e.registered
            LEFT JOIN active act ON act.employer_id = p.employer_id AND act.period = p.period AND act.nik = p.nik
            LEFT JOIN d ON d.employer_id = p.employer_id AND d.period = p.period AND d.nik = p.nik
        ), g AS (
            SELECT employer_id, period,
                   count(*) FILTER (WHERE NOT active) AS unreg_n,
                   coalesce(sum(wage) FILTER (WHERE NOT active), 0) AS unreg_wage,
                   coalesce(sum(jp_wage) FILTER (WHERE NOT active), 0) AS unreg_jp,
                   count(*) FILTER (WHERE active AND reported * {UPAH_TOLERANCE[1]} < wage * {UPAH_TOLERANCE[0]}) AS under_n,
                   coalesce(sum(wage - reported) FILTER (WHERE active AND reported * {UPAH_TOLERANCE[1]} < wage * {UPAH_TOLERANCE[0]}), 0) AS under_gap,
                   coalesce(sum(jp_wage - jp_reported) FILTER (WHERE active AND reported * {UPAH_TOLERANCE[1]} < wage * {UPAH_TOLERANCE[0]}), 0) AS under_jp_gap
            FROM w GROUP BY ALL
        )
        SELECT g.employer_id, g.period, unreg_n, {_round(_dues('unreg_wage', 'unreg_jp'))} AS pds_tk,
               under_n, {_round(_dues('under_gap', 'under_jp_gap'))} AS pds_upah
        FROM g JOIN emp_rates r ON r.employer_id = g.employer_id
        WHERE unreg_n > 0 OR under_n > 0
        ORDER BY 1, 2""").fetchall()
    t_workers = time.perf_counter()

    bills = con.execute(f"""
        WITH b AS (
            SELECT d.employer_id, d.period, per.due,
                   {_round(_dues('sum(d.reported)', 'sum(least(d.reported, per.cap))'))} AS bill
            FROM decl d JOIN per ON per.period = d.period
            JOIN emp_rates r ON r.employer_id = d.employer_id AND r.registered AND r.risk_group IS NOT NULL
            GROUP BY d.employer_id, d.period, per.due, has_jkk, has_jkm, has_jht, has_jp, jkk_rate
        ), paid AS (
            SELECT trim(employer_id) AS employer_id, trim(period) AS period,
                   sum(CAST(trim(amount) AS {money})) AS paid
            FROM {_csv(package, 'payments')}
            WHERE CAST(trim(paid_on) AS DATE) <= DATE '{as_of.isoformat()}'
            GROUP BY ALL
        )
        SELECT b.employer_id, b.period, b.bill, coalesce(paid.paid, 0) AS paid,
               b.due < DATE '{as_of.isoformat()}' AND coalesce(paid.paid, 0) < b.bill AS in_arrears,
               CASE WHEN b.due < DATE '{as_of.isoformat()}' AND coalesce(paid.paid, 0) < b.bill
                    THEN {_round('b.bill - coalesce(paid.paid, 0)')} END AS arrears
        FROM b LEFT JOIN paid ON paid.employer_id = b.employer_id AND paid.period = b.period
        WHERE b.bill > 0
        ORDER BY 1, 2""").fetchall()
    t_bills = time.perf_counter()
    con.close()

    pds_tk = {f"{e}:{p}": int(a) for e, p, n, a, _un, _ua in worker if n}
    pds_upah = {f"{e}:{p}": int(ua) for e, p, _n, _a, un, ua in worker if un}
    arrears = {f"{e}:{p}": int(a) for e, p, _b, _paid, late, a in bills if late}
    return {
        "as_of": as_of.isoformat(),
        "periods": [periods[0], periods[-1]],
        "seconds": {
            "setup": t_setup - t0,
            "read": t_read - t_setup,
            "pds": t_workers - t_read,
            "bills": t_bills - t_workers,
            "total": t_bills - t0,
        },
        "pds_tk": pds_tk,
        "pds_upah": pds_upah,
        "bills": {f"{e}:{p}": int(b) for e, p, b, _paid, _late, _a in bills},
        "arrears": arrears,
        "totals": {
            "pds_tk_employer_months": len(pds_tk),
            "pds_tk_amount": sum(pds_tk.values()),
            "pds_upah_employer_months": len(pds_upah),
            "pds_upah_amount": sum(pds_upah.values()),
            "bill_employer_months": len(bills),
            "bill_total": sum(int(b[2]) for b in bills),
            "arrears_employer_months": len(arrears),
            "arrears_principal": sum(arrears.values()),
        },
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="DuckDB reference for the core of a patuh audit")
    ap.add_argument("package", type=Path)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", type=Path, default=None, help="write the full result (per employer-month) here")
    a = ap.parse_args(argv)
    r = run(a.package, a.as_of, a.threads)
    if a.json:
        a.json.write_text(json.dumps(r, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps({"seconds": r["seconds"], "totals": r["totals"], "as_of": r["as_of"]}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
