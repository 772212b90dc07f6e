"""`patuh coverage`: the coverage and village tables recorded with a run (docs/coverage.md)."""
from __future__ import annotations

import json
from decimal import Decimal

import click

from . import coverage as cov
from .audit_command import DB_HELP, _fail
from .store import runs as store
from .text import number


def _pct(v, lang: str) -> str:
    if v is None:
        return "–"
    s = f"{v:.2f}"
    return f"{s}%" if lang == "en" else s.replace(".", ",") + " %"


def _int(v, lang: str) -> str:
    return "–" if v is None else number(Decimal(int(v)), lang)


def _rp(v, lang: str) -> str:
    return "–" if v is None else "Rp " + number(Decimal(int(v)), lang)


def _json_value(k: str, v):
    if v is None or isinstance(v, (str, int)):
        return v
    if k in cov.MONEY_COLUMNS:
        return int(v)
    return float(v) if isinstance(v, Decimal) else v  # two-decimal percentages print exactly


def as_json(run: dict, c: cov.Coverage | None, where: str = "") -> dict:
    return {
        "database": where, "run_id": run["run_id"], "as_of": run["as_of"].isoformat(), "year": c.year if c else None,
        "coverage": [{k: _json_value(k, v) for k, v in r.items()} for r in (c.rows if c else [])],
        "villages": [{k: _json_value(k, v) for k, v in r.items()} for r in (c.villages if c else [])],
    }


def as_text(run: dict, c: cov.Coverage | None, lang: str, where: str = "") -> list[str]:
    from patuh.audits.regions import regency_name

    en = lang == "en"
    region = (lambda code: ("West Kalimantan Province" if en else "Provinsi Kalimantan Barat") if code == cov.PROVINCE
              else regency_name(code, lang))
    db = (f"{'database' if en else 'basis data'} {where} · " if where else "")
    out = [f"{db}run {run['run_id']} · as_of {run['as_of']}" + (f" · {'year' if en else 'tahun'} {c.year}" if c else "")]
    if c is None or not c.has_workforce:
        out.append("no workforce table in the package: no coverage figures" if en else
                   "paket tanpa tabel workforce: tidak ada angka cakupan")
    else:
        out.append("")
        head = ("region", "sector", "workers", "participants", "coverage", "target", "met", "gap", "gap cost/year",
                "found") if en else ("wilayah", "sektor", "pekerja", "peserta", "cakupan", "target", "capai",
                                     "kekurangan", "biaya/tahun", "temuan")
        fmt = "{:<28} {:<11} {:>10} {:>10} {:>9} {:>9} {:>6} {:>10} {:>20} {:>7}"
        out.append(fmt.format(*head))
        for r in c.rows:
            out.append(fmt.format(region(r["region_code"])[:28], r["sector"] or ("all" if en else "semua"),
                                  _int(r["workers"], lang), _int(r["participants"], lang), _pct(r["coverage_pct"], lang),
                                  _pct(r["target_pct"], lang), r["met"] or "–", _int(r["gap_workers"], lang),
                                  _rp(r["gap_cost_per_year"], lang), _int(r["found_unregistered"], lang)))
        if not c.rows:
            out.append(f"no workforce rows for {c.year}" if en else f"tidak ada baris workforce tahun {c.year}")
    if c is None or not c.has_villages:
        out.append("no villages table in the package" if en else "paket tanpa tabel villages")
    else:
        out.append("")
        head = ("region", "villages", "reg.", "%", "officials", "reg.", "%", "BPD vill.", "reg.", "%", "unreg.",
                "cost/year") if en else ("wilayah", "desa", "terdaft.", "%", "aparat", "terdaft.", "%", "desa BPD",
                                         "terdaft.", "%", "belum", "biaya/tahun")
        fmt = "{:<28} {:>6} {:>8} {:>9} {:>8} {:>8} {:>9} {:>8} {:>8} {:>9} {:>6} {:>16}"
        out.append(fmt.format(*head))
        for r in c.villages:
            out.append(fmt.format(region(r["region_code"])[:28], _int(r["villages"], lang),
                                  _int(r["villages_registered"], lang),
                                  _pct(r["villages_registered_pct"], lang), _int(r["officials"], lang),
                                  _int(r["officials_registered"], lang), _pct(r["officials_pct"], lang),
                                  _int(r["bpd_villages"], lang), _int(r["bpd_villages_registered"], lang),
                                  _pct(r["bpd_pct"], lang),
                                  _int(r["officials_unregistered"], lang), _rp(r["cost_per_year"], lang)))
    return out


@click.command("coverage")
@click.option("--run", default=None, help="Run id (default: the latest recorded run).")
@click.option("--json", "as_json_flag", is_flag=True, help="JSON instead of text.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option("--db", default=None, metavar="URL", help=DB_HELP)
def coverage(run, as_json_flag, lang, db):
    """Cakupan kepesertaan terhadap target UCJ / coverage against the UCJ target, villages."""
    # a reading command: never creates a database (docs: the read commands), says which one it read
    try:
        engine, where = store.open_store(db)
        with engine.connect() as conn:
            r = store.get_run(conn, run)
            c = cov.load(conn, r["run_id"], r.get("counts") or {})
    except store.StoreError as exc:
        _fail(str(exc))
    if as_json_flag:
        click.echo(json.dumps(as_json(r, c, where), ensure_ascii=False, indent=2))
        return
    if c is None:
        _fail(f"run {r['run_id']} was recorded without coverage figures — run `patuh audit` again")
    for line in as_text(r, c, lang, where):
        click.echo(line)
