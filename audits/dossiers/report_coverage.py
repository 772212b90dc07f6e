"""The coverage section that opens the provincial report (docs/coverage.md): the province against
its UCJ target, a chart of every regency against its target, the gap and its cost, construction,
villages, and the workers the audit found unregistered. It only reads the rows recorded with the
run; nothing is recomputed here."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from patuh.audits.coverage import CONSTRUCTION, PROVINCE, SUMMED
from patuh.audits.text import number

from . import charts, fmt
from .data import RunData
from patuh.audits.regions import PROVINCE as PROVINCE_NAME, regency_name


def pct_text(v: Decimal | None, lang: str) -> str:
    if v is None:
        return fmt.DASH
    s = f"{v:.2f}"
    return f"{s}%" if lang == "en" else s.replace(".", ",") + "\u00a0%"


def _name(code: str, lang: str) -> str:
    return PROVINCE_NAME[lang] if code == PROVINCE else regency_name(code, lang)


def _view(row: dict, lang: str) -> dict:
    out = dict(row, name=_name(row["region_code"], lang), province=row["region_code"] == PROVINCE)
    for k in ("coverage_pct", "target_pct", "villages_registered_pct", "officials_pct", "bpd_pct"):
        if k in row:
            out[k + "_txt"] = pct_text(row[k], lang)
    return out


def _param(data: RunData, pid: str) -> list[dict]:
    seen = {}
    for p in data.run_parameters:
        if p.get("id") == pid:
            seen.setdefault((p.get("valid_from"), p.get("instrument")), p)
    return [seen[k] for k in sorted(seen, key=lambda k: (str(k[0]), k[1] or ""))]


def target_sources(text) -> tuple[str, str]:
    """(enacted texts, everything else) of a UCJ target's `;`-separated source line.

    A target is a policy figure, not law: where it was published (news reports of the governor's
    statement) is its source and is printed as such, labelled secondary. Only the parts that point to
    an enacted text (a Perda read on a JDIH) are printed as a source of law; the legal citations
    elsewhere keep the `lawsrc` filter, which never shows a news site."""
    from patuh.audits.letters.citations import lawful_sources

    law = lawful_sources(text)
    kept = set(law.split("; ")) if law else set()
    other = [p.strip() for p in str(text or "").split(";") if p.strip() and p.strip() not in kept]
    return law, "; ".join(other)


def _targets(data: RunData) -> list[dict]:
    out = []
    for p in _param(data, "ucj_target"):
        law, secondary = target_sources(p.get("source"))
        out.append(dict(p, law_source=law, secondary_source=secondary))
    return out


def _alt(year: int, province: dict | None, regions: list[dict], lang: str) -> str:
    """The chart in words, for a reader who cannot see it; the table after it has every figure."""
    en = lang == "en"
    shown = [r for r in regions if r["coverage_pct"] is not None]
    parts = [(f"Bar chart: coverage of each regency and city in {year} against its target (red mark)."
              if en else f"Diagram batang: cakupan kepesertaan tiap kabupaten/kota tahun {year} terhadap targetnya "
                         "(tanda merah).")]
    if province and province["coverage_pct"] is not None:
        who = ((("Sum of the package's regencies" if en else "Jumlah kabupaten/kota dalam paket"))
               if province["source"] == SUMMED else ("Province" if en else "Provinsi"))
        parts.append(f"{who} {province['coverage_pct_txt']}, target {province['target_pct_txt']}.")
    if shown:
        share = lambda r: (Fraction(r["participants"], r["workers"]), r["region_code"])  # noqa: E731 unrounded
        hi, lo = max(shown, key=share), min(shown, key=share)
        met = sum(1 for r in shown if r["met"] == "ya")
        with_target = sum(1 for r in shown if r["met"] in ("ya", "tidak"))
        parts.append((f"Highest {hi['name']} {hi['coverage_pct_txt']}, lowest {lo['name']} {lo['coverage_pct_txt']}; "
                      f"{met} of {with_target} meet their target. Every figure is in table 1.1." if en else
                      f"Tertinggi {hi['name']} {hi['coverage_pct_txt']}, terendah {lo['name']} {lo['coverage_pct_txt']}; "
                      f"{met} dari {with_target} mencapai targetnya. Semua angka ada pada tabel 1.1."))
    return " ".join(parts)


def _bar_label(row: dict, lang: str) -> str:
    if row["province"] and row["source"] == SUMMED:
        return "Sum of regencies in package" if lang == "en" else "Jumlah kab./kota dalam paket"
    return row["name"]


def coverage_context(data: RunData, lang: str) -> dict:
    c = data.coverage
    ctx = {"recorded": c is not None, "year": c.year if c else None, "has_workforce": bool(c and c.has_workforce),
           "has_villages": bool(c and c.has_villages), "province": None, "regions": [], "sectors": [],
           "villages": [], "village_province": None, "chart": None, "chart_alt": "",
           "targets": _targets(data), "bpu": (_param(data, "bpu_minimum_contribution") or [None])[-1]}
    if c is None:
        return ctx
    rows = [_view(r, lang) for r in c.rows]
    ctx["province"] = next((r for r in rows if r["province"] and not r["sector"]), None)
    ctx["regions"] = [r for r in rows if not r["province"] and not r["sector"]]
    # construction first, then the other sectors; the province row of each sector first
    ctx["sectors"] = sorted((r for r in rows if r["sector"]),
                            key=lambda r: (r["sector"].lower() != CONSTRUCTION, r["sector"], not r["province"],
                                           r["region_code"]))
    ctx["summed"] = any(r["source"] == SUMMED for r in rows)
    ctx["gap_regencies"] = sum(r["gap_workers"] or 0 for r in ctx["regions"])
    vil = [_view(v, lang) for v in c.villages]
    ctx["villages"] = [v for v in vil if not v["province"]]
    ctx["village_province"] = next((v for v in vil if v["province"]), None)
    bars = ([ctx["province"]] if ctx["province"] else []) + ctx["regions"]
    bars = [b for b in bars if b["coverage_pct"] is not None]
    if bars:
        svg = charts.coverage_bars([{"label": _bar_label(b, lang), "coverage": b["coverage_pct"], "target": b["target_pct"],
                                     "met": b["met"], "province": b["province"]} for b in bars], lang)
        ctx["chart"] = charts.data_uri(svg)
        ctx["chart_alt"] = _alt(c.year, ctx["province"], ctx["regions"], lang)
    return ctx


def lead_text(cov: dict, lang: str) -> str:
    """The report's first sentence: the province against its target, the gap and its cost."""
    p = cov["province"]
    if not p or p["coverage_pct"] is None:
        return ""
    n = lambda v: number(Decimal(int(v)), lang)  # noqa: E731
    bpu = cov["bpu"]["value"] if cov["bpu"] else None
    # a province row summed from the package's regencies is not the province's figure: say whose it is
    summed = p["source"] == SUMMED
    k = len(cov["regions"])
    if lang == "en":
        where = f"the {k} regencies and cities of the data package" if summed else "West Kalimantan"
        s = (f"In {p['year']}, {n(p['participants'])} of {n(p['workers'])} workers in {where} were active BPJS "
             f"Ketenagakerjaan participants: coverage {p['coverage_pct_txt']}")
        if p["target_pct"] is None:
            return s + "; no target is in force for that year."
        s += (f", {'meeting' if p['met'] == 'ya' else 'below'} the UCJ target of {p['target_pct_txt']}.")
        if p["gap_workers"]:
            s += (f" Reaching it takes {n(p['gap_workers'])} more participants; enrolled as non-wage earners (BPU) at "
                  f"the minimum contribution of {fmt.rupiah(bpu)} a month they cost "
                  f"{fmt.rupiah(p['gap_cost_per_year'])} a year.")
        return s
    where = f"{k} kabupaten/kota dalam paket data" if summed else "Kalimantan Barat"
    s = (f"Pada tahun {p['year']}, {n(p['participants'])} dari {n(p['workers'])} pekerja di {where} menjadi "
         f"peserta aktif BPJS Ketenagakerjaan: cakupan {p['coverage_pct_txt']}")
    if p["target_pct"] is None:
        return s + "; belum ada target untuk tahun itu."
    s += (f", {'mencapai' if p['met'] == 'ya' else 'di bawah'} target UCJ {p['target_pct_txt']}.")
    if p["gap_workers"]:
        s += (f" Untuk mencapainya diperlukan {n(p['gap_workers'])} peserta lagi; bila didaftarkan sebagai peserta "
              f"bukan penerima upah (BPU) dengan iuran minimum {fmt.rupiah(bpu)} per bulan, biayanya "
              f"{fmt.rupiah(p['gap_cost_per_year'])} per tahun.")
    return s
