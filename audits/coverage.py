"""Coverage against the Universal Coverage Jamsostek target (docs/coverage.md): per region and sector
of the `workforce` table, per regency of the `villages` table, and the workers the run itself found
unregistered. Computed once, with the run; `coverage.csv`, `villages.csv`, `patuh coverage` and the
provincial report only read these rows.

Percentages are exact: integers in, one half-up rounding to two decimals out; a percentage whose
denominator is 0 is empty (None), never 0 and never an error.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sqlalchemy import delete, insert, select

from .categories import Categories
from .store import schema as s

PROVINCE = "61"
CONSTRUCTION = "konstruksi"
SUMMED = "jumlah-kabupaten"

COVERAGE_COLUMNS = ["region_code", "year", "sector", "workers", "participants", "coverage_pct", "target_pct", "met",
                    "gap_workers", "gap_cost_per_year", "found_unregistered", "source"]
VILLAGE_COLUMNS = ["region_code", "villages", "villages_registered", "villages_registered_pct", "officials",
                   "officials_registered", "officials_pct", "bpd_villages", "bpd_villages_registered", "bpd_pct",
                   "officials_unregistered", "cost_per_year"]
PCT_COLUMNS = ("coverage_pct", "target_pct", "villages_registered_pct", "officials_pct", "bpd_pct")
MONEY_COLUMNS = ("gap_cost_per_year", "cost_per_year")
_CENT = Decimal("0.01")


class CoverageError(ValueError):
    """Coverage inputs that cannot be counted (a region listed twice, more registered than there are)."""


@dataclass
class Coverage:
    year: int
    rows: list[dict] = field(default_factory=list)
    villages: list[dict] = field(default_factory=list)
    has_workforce: bool = False
    has_villages: bool = False

    def files(self) -> list[tuple[str, list[str], list[dict]]]:
        """(file name, columns, CSV rows) of each table the package had."""
        out = []
        if self.has_workforce:
            out.append(("coverage.csv", COVERAGE_COLUMNS, [csv_row(r) for r in self.rows]))
        if self.has_villages:
            out.append(("villages.csv", VILLAGE_COLUMNS, [csv_row(r) for r in self.villages]))
        return out

    def warnings(self) -> list[str]:
        """Said once with the run, like everything else that could not be assessed."""
        out = []
        if not self.has_workforce:
            out.append("paket tanpa tabel workforce: cakupan kepesertaan tidak dihitung, coverage.csv tidak ditulis / "
                       "the package has no workforce table: coverage not computed, no coverage.csv")
        elif not self.rows:
            out.append(f"tabel workforce tanpa baris tahun {self.year}: coverage.csv kosong / "
                       f"the workforce table has no rows for {self.year}: coverage.csv is empty")
        if not self.has_villages:
            out.append("paket tanpa tabel villages: villages.csv tidak ditulis / "
                       "the package has no villages table: no villages.csv")
        return out

    def summary(self) -> dict:
        """What `runs.counts_json` keeps of it: enough to say why a table is absent."""
        return {"year": self.year, "workforce": self.has_workforce, "villages": self.has_villages,
                "regions": len(self.rows), "village_rows": len(self.villages)}


# ---------------------------------------------------------------------------------------------
# The arithmetic of docs/coverage.md


def pct(part: int, whole: int) -> Decimal | None:
    """100 × part / whole, half-up to two decimals, in integers; None when whole is 0."""
    if not whole:
        return None
    num, den = 10000 * part, whole  # hundredths of a percent
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return (Decimal(q if num >= 0 else -q) / 100).quantize(_CENT)


def whole_rupiah(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def region_row(region: str, year: int, sector: str, workers: int, participants: int, target: Decimal | None,
               bpu: Decimal, found: int | None, source: str) -> dict:
    """One coverage.csv row. `target` is the fraction of the parameter (0.5956), or None."""
    row = {"region_code": region, "year": year, "sector": sector, "workers": workers, "participants": participants,
           "coverage_pct": pct(participants, workers), "target_pct": None, "met": None, "gap_workers": None,
           "gap_cost_per_year": None, "found_unregistered": found, "source": source}
    if target is None or sector:
        return row
    target_pct = (Decimal(target) * 100).quantize(_CENT, rounding=ROUND_HALF_UP)
    row["target_pct"] = target_pct
    if workers:
        # the unrounded share against the target: 100 × participants ≥ target_pct × workers
        row["met"] = "ya" if 100 * participants >= target_pct * workers else "tidak"
    gap = max(0, math.ceil(Fraction(target_pct) * workers / 100) - participants)
    row["gap_workers"] = gap
    row["gap_cost_per_year"] = whole_rupiah(gap * Decimal(bpu) * 12)
    return row


def target_for(params, region: str, year: int):
    """The UCJ target (ParamUse) of a region for a year, looked up on 1 January: the region's own
    value in the entry in force, else the province's; None before the first target."""
    on = dt.date(year, 1, 1)
    return params.find("ucj_target", on, region) or params.find("ucj_target", on, PROVINCE)


def village_row(region: str, villages: list[dict], bpu: Decimal) -> dict:
    n = len(villages)
    registered = sum(1 for v in villages if (v["officials_registered"] or 0) > 0)
    officials = sum(v["officials"] or 0 for v in villages)
    officials_reg = sum(v["officials_registered"] or 0 for v in villages)
    bpd = [v for v in villages if (v["bpd_members"] or 0) > 0]
    bpd_reg = sum(1 for v in bpd if (v["bpd_registered"] or 0) > 0)
    unregistered = officials - officials_reg
    return {"region_code": region, "villages": n, "villages_registered": registered,
            "villages_registered_pct": pct(registered, n), "officials": officials,
            "officials_registered": officials_reg, "officials_pct": pct(officials_reg, officials),
            "bpd_villages": len(bpd), "bpd_villages_registered": bpd_reg, "bpd_pct": pct(bpd_reg, len(bpd)),
            "officials_unregistered": unregistered, "cost_per_year": whole_rupiah(unregistered * Decimal(bpu) * 12)}


def sort_key(row: dict) -> tuple:
    """Province first, then regencies by code; within a region all sectors first, then by name."""
    return (row["region_code"] != PROVINCE, row["region_code"], row["sector"] != "", row["sector"])


def csv_row(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if v is None:
            out[k] = ""
        elif k in MONEY_COLUMNS:
            out[k] = str(int(v))
        elif isinstance(v, Decimal):
            out[k] = f"{v:.2f}"
        else:
            out[k] = str(v)
    return out


# ---------------------------------------------------------------------------------------------
# From the store and the run's findings


def _package_has(conn, import_id: int, table: str) -> bool:
    # table names are matched whatever their case (WORKFORCE.CSV is the workforce table)
    f = s.import_files
    for file, sheet in conn.execute(select(f.c.file, f.c.sheet).where(f.c.import_id == import_id)):
        if (sheet or file.rsplit("/", 1)[-1].rsplit(".", 1)[0]).lower() == table:
            return True
    return False


def _where(row) -> str:
    place = f"{row['src_file']}" + (f" sheet {row['src_sheet']}" if row.get("src_sheet") else "")
    return f"{place} row {row['src_row']}"


def unregistered_niks(sc, findings, categories: Categories) -> dict[str, set[str]]:
    """employer_id -> NIKs the run found outside BPJS: the workers the evidence of a finding lists
    (PDS-TK) and, for an employer not registered at all (PWBD), every worker on its payroll in the
    audited months (categories.yaml unregistered_workers: evidence | payroll)."""
    out: dict[str, set[str]] = defaultdict(set)
    pwbd = set()
    listed, whole = categories.unregistered_from("evidence"), categories.unregistered_from("payroll")
    for f in findings:
        if f.category in listed:
            out[f.employer_id].update(w["nik"] for w in (f.evidence or {}).get("workers", []))
        elif f.category in whole:
            pwbd.add(f.employer_id)
    if pwbd:
        p = s.payroll
        q = (select(p.c.employer_id, p.c.nik).distinct()
             .where(p.c.import_id == sc.import_id, p.c.employer_id.in_(sorted(pwbd)),
                    p.c.period >= sc.period_from, p.c.period <= sc.period_to))
        for emp, nik in sc.conn.execute(q):
            out[emp].add(nik)
    return out


def compute(sc, findings, year: int, categories: Categories) -> Coverage:
    """The coverage and village rows of one run (`sc` is the run's facts.Scope)."""
    conn, imp = sc.conn, sc.import_id
    on = dt.date(year, 1, 1)
    cov = Coverage(year, has_workforce=_package_has(conn, imp, "workforce"),
                   has_villages=_package_has(conn, imp, "villages"))
    wf = [dict(r) for r in conn.execute(select(s.workforce).where(s.workforce.c.import_id == imp)).mappings()]
    vil = [dict(r) for r in conn.execute(select(s.villages).where(s.villages.c.import_id == imp)).mappings()]
    cov.has_workforce = cov.has_workforce or bool(wf)
    cov.has_villages = cov.has_villages or bool(vil)
    if not wf and not vil:
        return cov
    bpu = Decimal(sc.lookup("bpu_minimum_contribution", on).value)

    if wf:
        emps = {r.employer_id: r for r in conn.execute(
            select(s.employers.c.employer_id, s.employers.c.regency_code, s.employers.c.sector)
            .where(s.employers.c.import_id == imp))}
        niks = unregistered_niks(sc, findings, categories)

        def found(region: str, sector: str) -> int | None:
            if sector and sector.lower() != CONSTRUCTION:
                return None
            got: set[str] = set()
            for emp, ns in niks.items():
                e = emps.get(emp)
                if e is None or (region != PROVINCE and e.regency_code != region):
                    continue
                if sector and (e.sector or "").strip().lower() != CONSTRUCTION:
                    continue
                got |= ns
            return len(got)

        def target(region: str):
            use = target_for(sc.params, region, year)
            return None if use is None else sc.note(use).value

        seen: dict[tuple[str, str], dict] = {}
        rows = []
        for r in sorted((r for r in wf if r["year"] == year), key=lambda r: r["src_row"]):
            key = (r["regency_code"], (r["sector"] or "").strip())
            if key in seen:
                raise CoverageError(f"workforce: {_where(r)} repeats region {key[0]}, year {year}, sector "
                                    f"{key[1] or '(all)'} of {_where(seen[key])} — keep one row")
            seen[key] = r
            rows.append((key[0], key[1], r["workers"], r["participants"], "workforce"))
        for sector in sorted({sec for reg, sec, *_ in rows if reg != PROVINCE}):
            if (PROVINCE, sector) not in seen:
                part = [x for x in rows if x[0] != PROVINCE and x[1] == sector]
                rows.append((PROVINCE, sector, sum(x[2] for x in part), sum(x[3] for x in part), SUMMED))
        cov.rows = sorted((region_row(reg, year, sec, w, p, target(reg), bpu, found(reg, sec), src)
                           for reg, sec, w, p, src in rows), key=sort_key)

    if vil:
        for v in sorted(vil, key=lambda v: v["src_row"]):
            for part, whole in (("officials_registered", "officials"), ("bpd_registered", "bpd_members")):
                if (v[part] or 0) > (v[whole] or 0):
                    raise CoverageError(f"villages: {_where(v)}, column {part}: {v[part]} registered of "
                                        f"{v[whole] or 0} {whole}")
        by_regency: dict[str, list[dict]] = defaultdict(list)
        for v in vil:
            by_regency[v["regency_code"]].append(v)
        cov.villages = [village_row(code, by_regency[code], bpu) for code in sorted(by_regency) if code != PROVINCE]
        cov.villages.append(village_row(PROVINCE, vil, bpu))
    return cov


# ---------------------------------------------------------------------------------------------
# Recorded with the run


def record(conn, run_id: str, cov: Coverage | None) -> None:
    """Insert the run's rows (the caller deleted the old ones with the run's other rows)."""
    if cov is None:
        return
    if cov.rows:
        conn.execute(insert(s.coverage), [{"run_id": run_id, "position": i, **_stored(r)}
                                          for i, r in enumerate(cov.rows)])
    if cov.villages:
        conn.execute(insert(s.coverage_villages), [{"run_id": run_id, "position": i, **_stored(r)}
                                                   for i, r in enumerate(cov.villages)])


def forget(conn, run_id: str) -> None:
    for table in (s.coverage, s.coverage_villages):
        conn.execute(delete(table).where(table.c.run_id == run_id))


def _stored(row: dict) -> dict:
    return {k: (None if v is None else f"{v:.2f}") if k in PCT_COLUMNS else v
            for k, v in row.items()}


def _loaded(row: dict, columns: list[str]) -> dict:
    out = {}
    for k in columns:
        v = row[k]
        out[k] = Decimal(v) if k in PCT_COLUMNS and v is not None else v
    return out


def load(conn, run_id: str, counts: dict | None = None) -> Coverage | None:
    """The run's coverage as recorded; None for a run recorded before coverage existed."""
    info = (counts or {}).get("coverage")
    rows = [_loaded(dict(r), COVERAGE_COLUMNS) for r in conn.execute(
        select(s.coverage).where(s.coverage.c.run_id == run_id).order_by(s.coverage.c.position)).mappings()]
    vil = [_loaded(dict(r), VILLAGE_COLUMNS) for r in conn.execute(
        select(s.coverage_villages).where(s.coverage_villages.c.run_id == run_id)
        .order_by(s.coverage_villages.c.position)).mappings()]
    if info is None and not rows and not vil:
        return None
    info = info or {}
    year = info.get("year") or (rows[0]["year"] if rows else None)
    return Coverage(year, rows, vil, has_workforce=bool(info.get("workforce", rows)),
                    has_villages=bool(info.get("villages", vil)))
