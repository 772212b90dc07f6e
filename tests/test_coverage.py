"""Coverage against the UCJ target (docs/coverage.md) on the demo package, to the worker and the
Rupiah. Every expected figure below was worked out by hand from the spec (the arithmetic is in
fixtures/kalbar-demo/README.md, "Coverage"): 59.56 % target (58.65 % for Sanggau), Rp16,800 a
month, so one worker for a year is Rp201,600."""
from __future__ import annotations

import csv
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from fresh_db import fresh_db_url
from patuh.audits import coverage as cov
from patuh.audits.rulebook import parameters_dir
from patuh.engine.parameters import ParameterStore

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"

# region, sector, workers, participants, coverage, target, met, gap, cost, found, source
DEMO_COVERAGE = [
    ("61", "", 1819430, 575486, "31.63", "59.56", "tidak", "508167", "102446467200", "12", "workforce"),
    ("61", "konstruksi", 37500, 18567, "49.51", "", "", "", "", "0", "jumlah-kabupaten"),
    ("6101", "", 287400, 73196, "25.47", "59.56", "tidak", "97980", "19752768000", "0", "workforce"),
    ("6103", "", 183700, 41987, "22.86", "59.56", "tidak", "67425", "13592880000", "2", "workforce"),
    ("6104", "", 142300, 46021, "32.34", "59.56", "tidak", "38733", "7808572800", "0", "workforce"),
    ("6104", "konstruksi", 6200, 3377, "54.47", "", "", "", "", "0", "workforce"),
    ("6105", "", 245600, 99387, "40.47", "58.65", "tidak", "44658", "9003052800", "0", "workforce"),
    ("6106", "", 262900, 96815, "36.83", "59.56", "tidak", "59769", "12049430400", "0", "workforce"),
    ("6107", "", 213400, 54902, "25.73", "59.56", "tidak", "72200", "14555520000", "0", "workforce"),
    ("6110", "", 108200, 22117, "20.44", "59.56", "tidak", "42327", "8533123200", "0", "workforce"),
    ("6111", "", 56800, 13135, "23.13", "59.56", "tidak", "20696", "4172313600", "6", "workforce"),
    ("6112", "", 276000, 81000, "29.35", "59.56", "tidak", "83386", "16810617600", "0", "workforce"),
    ("6112", "konstruksi", 9800, 5390, "55.00", "", "", "", "", "0", "workforce"),
    ("6171", "", 325000, 193570, "59.56", "59.56", "ya", "0", "0", "0", "workforce"),
    ("6171", "konstruksi", 21500, 9800, "45.58", "", "", "", "", "0", "workforce"),
    ("6172", "", 100000, 59559, "59.56", "59.56", "tidak", "1", "201600", "4", "workforce"),
]
# region, villages, registered, %, officials, registered, %, bpd villages, registered, %, unregistered, cost
DEMO_VILLAGES = [
    ("6101", 2, 1, "50.00", 53, 21, "39.62", 2, 1, "50.00", 32, "6451200"),
    ("6103", 1, 1, "100.00", 22, 10, "45.45", 1, 1, "100.00", 12, "2419200"),
    ("6104", 1, 1, "100.00", 31, 17, "54.84", 1, 0, "0.00", 14, "2822400"),
    ("6105", 2, 2, "100.00", 45, 36, "80.00", 2, 2, "100.00", 9, "1814400"),
    ("6106", 1, 1, "100.00", 30, 30, "100.00", 1, 1, "100.00", 0, "0"),
    ("6107", 1, 1, "100.00", 26, 8, "30.77", 1, 1, "100.00", 18, "3628800"),
    ("6110", 1, 1, "100.00", 18, 6, "33.33", 0, 0, "", 12, "2419200"),  # no BPD members: empty, not 0
    ("6111", 1, 1, "100.00", 19, 19, "100.00", 1, 1, "100.00", 0, "0"),
    ("6112", 2, 1, "50.00", 55, 28, "50.91", 2, 1, "50.00", 27, "5443200"),
    ("61", 12, 10, "83.33", 299, 175, "58.53", 11, 8, "72.73", 124, "24998400"),
]


def _audit(package: Path, out: Path, db: str, *extra: str):
    from patuh.cli import main

    res = CliRunner().invoke(main, ["audit", str(package), "--out", str(out), "--db", db, "--no-pdf", *extra])
    assert res.exit_code == 0, res.output
    return res


def _copy_demo(tmp: Path) -> Path:
    pkg = tmp / "pkg"
    shutil.copytree(DEMO, pkg)
    for sibling in DEMO.parent.glob("*.yaml"):  # configuration the audit may read beside the package
        shutil.copy(sibling, tmp / sibling.name)
    return pkg


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo audited once; what the tests read from the store is read here, because with
    PATUH_TEST_DB the next test that needs a fresh database empties this one."""
    from patuh.audits.dossiers.data import load_run
    from patuh.audits.store.db import get_engine
    from patuh.cli import main

    tmp = tmp_path_factory.mktemp("coverage-demo")
    db = fresh_db_url(tmp)
    _audit(DEMO, tmp / "out", db)
    engine = get_engine(db)
    with engine.connect() as conn:
        run_id = conn.execute(text("SELECT run_id FROM runs")).scalars().all()[-1]
    cli = {args: CliRunner().invoke(main, ["coverage", *args, "--db", db]) for args in (("--json",), ())}
    return tmp / "out", load_run(engine, run_id), cli


def test_demo_coverage_csv_to_the_worker_and_the_rupiah(demo):
    out, _, _ = demo
    rows = _csv(out / "coverage.csv")
    assert list(rows[0]) == cov.COVERAGE_COLUMNS
    got = [(r["region_code"], r["sector"], int(r["workers"]), int(r["participants"]), r["coverage_pct"],
            r["target_pct"], r["met"], r["gap_workers"], r["gap_cost_per_year"], r["found_unregistered"], r["source"])
           for r in rows]
    assert got == DEMO_COVERAGE
    assert {r["year"] for r in rows} == {"2025"}
    by = {(r["region_code"], r["sector"]): r for r in rows}
    # exactly at the target: met, nothing to close
    assert (by["6171", ""]["met"], by["6171", ""]["gap_workers"]) == ("ya", "0")
    # shown as 59.56 % but below it unrounded: not met, one worker short
    assert (by["6172", ""]["coverage_pct"], by["6172", ""]["met"], by["6172", ""]["gap_workers"]) == ("59.56", "tidak", "1")
    # Sanggau has a target of its own
    assert by["6105", ""]["target_pct"] == "58.65"


def test_demo_villages_csv(demo):
    out, _, _ = demo
    rows = _csv(out / "villages.csv")
    assert list(rows[0]) == cov.VILLAGE_COLUMNS
    got = [(r["region_code"], int(r["villages"]), int(r["villages_registered"]), r["villages_registered_pct"],
            int(r["officials"]), int(r["officials_registered"]), r["officials_pct"], int(r["bpd_villages"]),
            int(r["bpd_villages_registered"]), r["bpd_pct"], int(r["officials_unregistered"]), r["cost_per_year"])
           for r in rows]
    assert got == DEMO_VILLAGES


def test_patuh_coverage_prints_the_recorded_tables(demo):
    _, _, cli = demo
    res = cli[("--json",)]
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["year"] == 2025
    assert [(r["region_code"], r["sector"], r["gap_workers"], r["gap_cost_per_year"]) for r in data["coverage"]] == [
        (r[0], r[1], int(r[7]) if r[7] else None, int(r[8]) if r[8] else None) for r in DEMO_COVERAGE]
    assert data["villages"][-1]["cost_per_year"] == 24998400 and data["villages"][6]["bpd_pct"] is None
    res = cli[()]
    assert res.exit_code == 0, res.output
    assert "Kota Pontianak" in res.output and "Rp 102.446.467.200" in res.output and "59,56 %" in res.output


def test_province_summed_from_regencies_and_zero_denominators(tmp_path):
    pkg = _copy_demo(tmp_path)
    wf = (pkg / "workforce.csv").read_text(encoding="utf-8").splitlines()
    assert wf[1].startswith("61,2025,,")
    # no province row; Bengkayang with no workers at all; a construction row with no workers
    wf = [wf[0]] + wf[2:] + ["6102,2025,,0,0", "6101,2025,konstruksi,0,0"]
    (pkg / "workforce.csv").write_text("\n".join(wf) + "\n", encoding="utf-8")
    with (pkg / "villages.csv").open("a", encoding="utf-8") as fh:
        fh.write("6102012001,Desa Kosong,6102,0,0,,\n")  # a village that reports no officials
    out = tmp_path / "out"
    _audit(pkg, out, fresh_db_url(tmp_path))
    by = {(r["region_code"], r["sector"]): r for r in _csv(out / "coverage.csv")}
    p = by["61", ""]
    # 287,400 + 183,700 + 142,300 + 245,600 + 262,900 + 213,400 + 108,200 + 56,800 + 276,000 + 325,000
    # + 100,000 + 0 = 2,201,300 workers; 73,196 + 41,987 + 46,021 + 99,387 + 96,815 + 54,902 + 22,117
    # + 13,135 + 81,000 + 193,570 + 59,559 + 0 = 781,689 participants; 35.5103… %;
    # 59.56 % × 2,201,300 = 1,311,094.28 → 1,311,095 − 781,689 = 529,406 × 201,600 = 106,728,249,600
    assert (p["source"], p["workers"], p["participants"], p["coverage_pct"], p["target_pct"], p["met"],
            p["gap_workers"], p["gap_cost_per_year"], p["found_unregistered"]) == (
        "jumlah-kabupaten", "2201300", "781689", "35.51", "59.56", "tidak", "529406", "106728249600", "12")
    # 0 workers: coverage and met empty, never 0, never an error; the gap formula still gives 0
    z = by["6102", ""]
    assert (z["coverage_pct"], z["met"], z["target_pct"], z["gap_workers"], z["gap_cost_per_year"]) == ("", "", "59.56", "0", "0")
    assert by["6101", "konstruksi"]["coverage_pct"] == "" and by["61", "konstruksi"]["workers"] == "37500"
    vil = {r["region_code"]: r for r in _csv(out / "villages.csv")}
    assert (vil["6102"]["villages_registered_pct"], vil["6102"]["officials_pct"], vil["6102"]["bpd_pct"]) == ("0.00", "", "")
    assert vil["61"]["villages"] == "13" and vil["61"]["officials_pct"] == "58.53"
    # the report does not pass the sum of 12 regencies off as the province's own figure
    report = _text((out / "dossiers/pemprov/laporan.html").read_text(encoding="utf-8"))
    assert ("Pada tahun 2025, 781.689 dari 2.201.300 pekerja di 12 kabupaten/kota dalam paket data menjadi "
            "peserta aktif BPJS Ketenagakerjaan: cakupan 35,51 %, di bawah target UCJ 59,56 %.") in report
    assert "pekerja di Kalimantan Barat" not in report
    assert "cakupan 2025, jumlah kabupaten/kota dalam paket (target 59,56 %)" in report
    alt = re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="([^"]+)"',
                    (out / "dossiers/pemprov/laporan.html").read_text(encoding="utf-8")).group(1)
    assert "Jumlah kabupaten/kota dalam paket 35,51" in alt and "Provinsi 35,51" not in alt


def test_targets_by_year_and_region():
    params = ParameterStore.load(parameters_dir(None))

    def pct(region, year):
        use = cov.target_for(params, region, year)
        return None if use is None else use.value * 100

    assert pct("61", 2025) == Decimal("59.56") and pct("6105", 2025) == Decimal("58.65")
    assert pct("6171", 2025) == Decimal("59.56")            # no target of its own: the province's
    assert pct("6105", 2026) == Decimal("61.00")            # Sanggau's own target was for 2025
    assert pct("61", 2028) == Decimal("61.00")              # between published targets: the latest earlier
    assert pct("61", 2030) == Decimal("65.77")
    assert pct("61", 2024) is None
    assert cov.target_for(params, "61", 2026).status == "UNCONFIRMED"
    assert params.value("bpu_minimum_contribution", __import__("datetime").date(2025, 1, 1)) == 16800


def test_arithmetic_edges():
    # half-up on an exact half, and integers all the way (no float)
    assert cov.pct(13135, 56800) == Decimal("23.13") and cov.pct(1, 8) == Decimal("12.50")
    assert cov.pct(1, 3) == Decimal("33.33") and cov.pct(2, 3) == Decimal("66.67") and cov.pct(5, 0) is None
    row = cov.region_row("6171", 2025, "", 325000, 193570, Decimal("0.5956"), Decimal(16800), 0, "workforce")
    assert (row["met"], row["gap_workers"], row["gap_cost_per_year"]) == ("ya", 0, Decimal(0))
    row = cov.region_row("6171", 2025, "", 325000, 193569, Decimal("0.5956"), Decimal(16800), 0, "workforce")
    assert (row["met"], row["gap_workers"], row["gap_cost_per_year"]) == ("tidak", 1, Decimal(201600))


def test_duplicate_workforce_row_stops_the_audit(tmp_path):
    from patuh.cli import main

    pkg = _copy_demo(tmp_path)
    with (pkg / "workforce.csv").open("a", encoding="utf-8") as fh:
        fh.write("6171,2025,,1,1\n")
    res = CliRunner().invoke(main, ["audit", str(pkg), "--out", str(tmp_path / "out"), "--db", fresh_db_url(tmp_path),
                                    "--no-pdf"])
    assert res.exit_code == 1
    assert "workforce: workforce.csv row 17 repeats region 6171, year 2025, sector (all) of workforce.csv row 12" in res.output
    assert "Traceback" not in res.output


def _text(html: str) -> str:
    t = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)).replace("&amp;", "&").replace("\u00a0", " ")


def test_report_opens_with_coverage_and_keeps_dues_and_wages_apart(demo):
    out, _, _ = demo
    html = (out / "dossiers/pemprov/laporan.html").read_text(encoding="utf-8")
    text = _text(html)
    first = text.index("1. Cakupan kepesertaan terhadap target UCJ", text.index("Isi dosir") + 200)
    assert first < text.index("2. Temuan dan nilai per kategori")
    sec = text[first:text.index("2. Temuan dan nilai per kategori")]
    assert "cakupan 31,63 %, di bawah target UCJ 59,56 %" in sec
    assert "575.486 dari 1.819.430 pekerja di Kalimantan Barat" in sec  # the package's own province row
    assert "cakupan provinsi 2025 (target 59,56 %)" in text
    assert "Kekurangan = target × pekerja (dibulatkan ke atas) − peserta, tidak kurang dari 0" in sec  # max(0, …)
    assert "508.167 peserta lagi" in sec and "Rp 102.446.467.200 per tahun" in sec
    assert "Kabupaten Sanggau 245.600 99.387 40,47 % 58,65 % tidak 44.658 Rp 9.003.052.800 0" in sec
    assert "Kota Pontianak 325.000 193.570 59,56 % 59,56 % ya 0 Rp 0 0" in sec
    assert "Provinsi Kalimantan Barat 12 10 (83,33 %) 299 175 (58,53 %) 8/11 (72,73 %) 124 Rp 24.998.400" in sec
    # the chart: matplotlib SVG as an image, with a text alternative, no date in it
    m = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', html)
    assert m and "Provinsi 31,63" in m.group(2) and "Kota Pontianak 59,56" in m.group(2)
    import base64
    svg = base64.b64decode(m.group(1)).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<dc:date>" not in svg
    # wage shortfalls are owed to workers: apart from the BPJS principal (47,366,354 = 46,553,855 + 812,499)
    assert "pokok iuran BPJS Rp 46.553.855" in text and "Kekurangan upah di bawah UMK (Rp 812.499)" in text
    # two workers below the UMK (E16's cook, E20's pkwt worker), six worker-months
    umk = text[text.index("6. Upah di bawah UMK"):]
    assert "2 pemberi kerja membayar 2 pekerja" in umk and "(6 pekerja-bulan)" in umk
    assert umk.count("S1") == 1  # the UMK 2025 decree's status, once, not on every row


def test_report_counts_construction_where_the_work_is(demo):
    from patuh.audits.dossiers.report_summary import findings_summary

    _, data, _ = demo
    by_reg = {g["code"]: g for g in findings_summary(data, "id")["by_reg"]}
    contracts = {r["contract_id"]: r["regency_code"] for r in _csv(DEMO / "contracts.csv")}
    jakon = [f for f in data.findings if f["category"].startswith("JAKON-")]
    assert jakon
    for code in {contracts[f["subject_id"]] for f in jakon}:
        expected = sum((f["amount"] for f in jakon if contracts[f["subject_id"]] == code), Decimal(0))
        others = sum((f["amount"] for f in data.findings if not f["category"].startswith("JAKON-")
                      and f["category"] not in ("UPAH-DI-BAWAH-UMK", "IURAN-PEKERJA-TIDAK-DISETOR")
                      and data.employers[f["employer_id"]]["regency_code"] == code), Decimal(0))
        assert by_reg[code]["dues"] == expected + others
    assert sum(g["wages"] for g in by_reg.values()) == Decimal("812499")


def test_chart_is_the_same_bytes_every_time():
    from patuh.audits.dossiers.charts import coverage_bars

    bars = [{"label": "Provinsi Kalimantan Barat", "coverage": Decimal("31.63"), "target": Decimal("59.56"),
             "met": "tidak", "province": True},
            {"label": "Kota Pontianak", "coverage": Decimal("59.56"), "target": Decimal("59.56"), "met": "ya"}]
    first, second = coverage_bars(bars, "id"), coverage_bars(bars, "id")
    assert first == second
    assert "<dc:date>" not in first and "Matplotlib v" not in first  # no clock, no version stamp
    assert "<text" not in first  # glyphs are paths: no font on the reader's machine decides the look


def test_target_source_is_shown_as_a_secondary_source_and_law_sources_stay_filtered(demo):
    from patuh.audits.dossiers.report_coverage import target_sources

    # a target is a policy figure: its news source is its source, labelled secondary; a part that
    # points to an enacted text (a Perda on a JDIH) is the source of law
    assert target_sources("jdih.kalbarprov.go.id/perda-2-2026; kalbar.antaranews.com/berita/1") == (
        "jdih.kalbarprov.go.id/perda-2-2026", "kalbar.antaranews.com/berita/1")
    assert target_sources("kalbar.antaranews.com/berita/669209; penakalbar.com") == (
        "", "kalbar.antaranews.com/berita/669209; penakalbar.com")
    assert target_sources(None) == ("", "")
    out, _, _ = demo
    sec = _text((out / "dossiers/pemprov/laporan.html").read_text(encoding="utf-8"))
    sec = sec[sec.index("1.4 Dasar angka"):sec.index("2. Temuan dan nilai per kategori")]
    assert ("Sumber sekunder (pemberitaan, bukan teks peraturan): kalbar.antaranews.com/berita/669209; "
            "suaraborneo.id 2025/10; penakalbar.com") in sec
    assert "Sumber: kalbar" not in sec  # never printed as a source of law
    # the BPU contribution is a legal figure: its news sources stay filtered out
    bpu = sec[sec.index("Iuran BPU minimum"):]
    assert "Sumber: sumber sekunder, belum diverifikasi" in bpu and "tribunnews" not in bpu


def test_patuh_coverage_reads_and_never_creates_a_database(tmp_path, demo):
    from patuh.cli import main

    missing = tmp_path / "none.db"
    res = CliRunner().invoke(main, ["coverage", "--db", f"sqlite:///{missing}"])
    assert res.exit_code == 1 and "no database at" in res.output and "Traceback" not in res.output
    assert not missing.exists()
    _, _, cli = demo
    assert json.loads(cli[("--json",)].output)["database"]  # says which database it read
    assert cli[()].output.startswith("basis data ")


def test_an_empty_workforce_table_in_capitals_is_a_table_without_rows(tmp_path):
    # interpretations.md: table names whatever their case; a table without rows for Y gives a
    # header-only coverage.csv and says so, it is not "no workforce table"
    pkg = _copy_demo(tmp_path)
    (pkg / "workforce.csv").unlink()
    (pkg / "WORKFORCE.CSV").write_text("regency_code,year,sector,workers,participants\n", encoding="utf-8")
    out = tmp_path / "out"
    res = _audit(pkg, out, fresh_db_url(tmp_path))
    assert (out / "coverage.csv").read_text(encoding="utf-8").splitlines() == [",".join(cov.COVERAGE_COLUMNS)]
    assert "the workforce table has no rows for 2025" in res.output and "no workforce table" not in res.output
