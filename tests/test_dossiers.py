"""Dossiers: layout, contents, escaping, privacy of the provincial report, determinism, languages."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from patuh.audits.dossiers import render_all
from patuh.audits.dossiers import fmt
from patuh.audits.dossiers.data import DossierDataError, load_run, parse_steps
from patuh.audits.dossiers.render import case_number, legal_texts, safe_segment
from patuh.audits import categories as categories_of

CATEGORIES = categories_of.load().ids
STEP_ORDER = list(categories_of.load().steps)
from patuh.audits.store.db import get_engine
from dossier_fixtures import AS_OF, RUN_ID, all_niks, build_store

PKG = Path(__file__).resolve().parent.parent / "audits" / "dossiers"


@pytest.fixture
def engine(db_url):
    eng = get_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def store(engine):
    return engine, build_store(engine)


def _render(engine, run_id, out, **kw):
    kw.setdefault("pdf", False)
    return render_all(engine, run_id, out, **kw)


def _read(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


def _text(html: str) -> str:
    """Visible text, roughly: tags dropped, entities for & < > decoded."""
    t = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    t = re.sub(r"<[^>]+>", " ", t)
    return re.sub(r"\s+", " ", t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&#39;", "'"))


# --------------------------------------------------------------------------------------- layout


def test_layout_one_dossier_per_addressee_and_one_report(store, tmp_path):
    engine, run_id = store
    paths = _render(engine, run_id, tmp_path)
    rel = sorted(p.relative_to(tmp_path).as_posix() for p in paths)
    assert rel == [
        "dossiers/kejaksaan/E001/dossier.html",   # skk
        "dossiers/kepolisian/E001/dossier.html",  # pidana (same case, addressed to the police)
        "dossiers/kepolisian/E003/dossier.html",  # pidana only
        "dossiers/pemprov/laporan.html",
    ]


def test_all_cases_and_step_selection(store, tmp_path):
    engine, run_id = store
    rel = sorted(p.relative_to(tmp_path / "a").as_posix() for p in _render(engine, run_id, tmp_path / "a", all_cases=True))
    assert rel == [
        "dossiers/kasus/E002/dossier.html",       # no skk/pidana: rendered on request, addressed to the inspectorate
        "dossiers/kejaksaan/E001/dossier.html",
        "dossiers/kepolisian/E001/dossier.html",
        "dossiers/kepolisian/E003/dossier.html",
        "dossiers/pemprov/laporan.html",
    ]
    only_skk = _render(engine, run_id, tmp_path / "b", steps_for_dossier=("skk",))
    assert sorted(p.relative_to(tmp_path / "b").as_posix() for p in only_skk) == [
        "dossiers/kejaksaan/E001/dossier.html", "dossiers/pemprov/laporan.html"]


def test_pdf_written_next_to_html_and_reproducible(store, tmp_path, monkeypatch):
    """PDFs from the worker processes, next to their HTML; the same HTML rendered again in-process
    gives the same bytes (no creation time, identifier derived from the HTML)."""
    from patuh.audits.dossiers.render import html_to_pdf

    engine, run_id = store
    monkeypatch.setenv("PATUH_PDF_WORKERS", "2")  # exercise the worker processes on 3 PDFs
    paths = _render(engine, run_id, tmp_path, pdf=True, steps_for_dossier=("pidana",))
    rel = [p.relative_to(tmp_path).as_posix() for p in paths]
    assert rel == ["dossiers/kepolisian/E001/dossier.html", "dossiers/kepolisian/E001/dossier.pdf",
                   "dossiers/kepolisian/E003/dossier.html", "dossiers/kepolisian/E003/dossier.pdf",
                   "dossiers/pemprov/laporan.html", "dossiers/pemprov/laporan.pdf"]
    for p in paths:
        if p.suffix == ".pdf":
            assert p.read_bytes().startswith(b"%PDF-") and p.stat().st_size > 10_000
    html = (tmp_path / "dossiers/kepolisian/E003/dossier.html").read_text(encoding="utf-8")
    html_to_pdf(html, tmp_path / "again.pdf")
    assert (tmp_path / "again.pdf").read_bytes() == (tmp_path / "dossiers/kepolisian/E003/dossier.pdf").read_bytes()
    assert b"/CreationDate (D:20250930" in _pdf_plain(tmp_path / "again.pdf")  # the run's as_of, never the clock


def _pdf_plain(path: Path) -> bytes:
    """A PDF's bytes with its Flate streams inflated (the info dictionary may sit in one)."""
    import zlib

    raw = path.read_bytes()
    parts = [raw]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", raw, re.S):
        try:
            parts.append(zlib.decompress(m.group(1)))
        except zlib.error:
            pass
    return b"\n".join(parts)


def test_progress_is_reported(store, tmp_path):
    engine, run_id = store
    calls = []
    _render(engine, run_id, tmp_path, progress=lambda done, total, rel: calls.append((done, total, rel)))
    assert [c[0] for c in calls] == [1, 2, 3, 4] and {c[1] for c in calls} == {4}
    assert calls[-1][2] == "dossiers/pemprov/laporan"


def test_unknown_run(store, tmp_path):
    engine, _ = store
    with pytest.raises(DossierDataError, match="R-NOPE"):
        _render(engine, "R-NOPE", tmp_path)


# --------------------------------------------------------------------------------------- contents


def test_kejaksaan_dossier_contents(store, tmp_path):
    engine, run_id = store
    _render(engine, run_id, tmp_path)
    html = _read(tmp_path, "dossiers/kejaksaan/E001/dossier.html")
    text = _text(html)
    number = case_number(run_id, "E001", 2025)
    assert f"{number}/SKK" in text
    assert "30 September 2025" in text                         # as_of, not today
    assert dt.date.today().strftime("%Y-%m-%d") not in html or dt.date.today() == AS_OF
    assert "Kepala Kejaksaan Negeri Mempawah" in text
    assert "Jaksa Pengacara Negara" in text
    for item in ("PT Sawit Khatulistiwa Lestari", "NPWP", "NIB", "NPP", "Kabupaten Mempawah (6104)", "Jl. Raya Sungai Pinyuh"):
        assert item in text
    # legal basis quoted, with its confidence status
    for cite in ("UU 24/2011 Pasal 19", "UU 16/2004 Pasal 30 ayat (2)", "Inpres 2/2021", "PP 86/2013 Pasal 7"):
        assert cite in text
    assert "Pemberi Kerja wajib membayar dan menyetor Iuran yang menjadi tanggung jawabnya kepada BPJS" in text
    # computation sheets: TUNGGAKAN 2025-03 outstanding and the rounded finding amount
    # late fee 2 % a month on every programme: 2 % × (5,783,637 open × 6 months + 2,500,000 paid × 2)
    # = 2 % × 39,701,822 = 794,036.44
    assert "Lembar perhitungan" in text and "Rp 5.783.637" in text and "Rp 794.036" in text
    assert "Rp 1.451.038,35" in text                             # exact row value with sen
    # chronology of earlier actions, in date order, with their source rows
    assert text.index("2 Juni 2025") < text.index("20 Juni 2025")
    assert "B/1200/062025" in text and "enforcement_actions.csv baris 2" in text
    # provenance: input files with hash, revision, parameters with status, run id
    assert "payroll.csv" in text and "rv-3f9c2a1b7d04" in text and run_id in text
    assert "late_fee_rate_jp" in text and "LN 2015/155" in text and "B/726/022025" in text
    # signature places
    assert text.count("NIP / NPP:") == 3


def test_law_enforcement_dossier_has_full_nik_and_sources(store, tmp_path):
    engine, run_id = store
    _render(engine, run_id, tmp_path)
    text = _text(_read(tmp_path, "dossiers/kepolisian/E001/dossier.html"))
    assert "Kepala Kepolisian Daerah Kalimantan Barat" in text and "melalui Pengawas Ketenagakerjaan" in text
    assert "Dinas Tenaga Kerja dan Transmigrasi Provinsi Kalimantan Barat" in text
    assert "Pasal 55" in text and "8 (delapan) tahun" in text
    e001 = {n for n in all_niks(engine) if n.startswith("6104")}
    assert e001 and all(n in text for n in e001)
    assert "payroll.csv baris 2" in text and "payments.csv baris 3" in text


def test_pidana_dossier_of_unregistered_employer(store, tmp_path):
    engine, run_id = store
    _render(engine, run_id, tmp_path)
    text = _text(_read(tmp_path, "dossiers/kepolisian/E003/dossier.html"))
    assert "UD Sumber Rejeki" in text and "belum terdaftar pada BPJS Ketenagakerjaan" in text
    assert "Rp 570.000" in text  # 3 % of 19,000,000 over two months, not remitted
    assert "Belum ada tindakan penegakan yang tercatat." in text
    assert "payroll.xlsx lembar payroll baris 2" in text


def test_police_dossier_lists_each_deducted_payroll_row_once(store, tmp_path):
    """The police dossier's deductions section lists every payroll row of the deducted shares; its
    IURAN-PEKERJA-TIDAK-DISETOR sheets refer to those rows instead of repeating them. A dossier
    without that section (the prosecutors') keeps the rows on the sheet."""
    engine, run_id = store
    _render(engine, run_id, tmp_path)
    for employer in ("E001", "E003"):
        html = _read(tmp_path, f"dossiers/kepolisian/{employer}/dossier.html")
        number = re.search(r"<h2>(\d+)\. Potongan iuran per pekerja per bulan</h2>", html).group(1)
        deductions = html[html.index(f"<h2>{number}. Potongan iuran per pekerja per bulan</h2>"):]
        deductions = deductions[:deductions.index("</section>")]
        rows = re.findall(r'<td class="src">([^<]*baris \d+)</td>', deductions)
        assert rows and len(rows) == len(set(rows))
        text = _text(html)
        for row in rows:
            assert text.count(row + " ") == 1, (employer, row)  # nowhere else in the dossier
        refs = re.findall(r"dipotong bulan ini: (\d+) orang, .*? di bagian (\d+) \(baris dengan Bulan ([A-Za-z]+ \d{4}),", text)
        assert refs and all(n == number for _, n, _ in refs)
        # each sheet's count is the number of that month's rows in the deductions section
        months = re.findall(r'<td>([A-Za-z]+ \d{4})</td><td class="num">Rp [\d.]+</td><td class="num">Rp [\d.]+</td><td class="src">', deductions)
        assert all(int(k) == months.count(m) for k, _, m in refs)
    kejaksaan = _read(tmp_path, "dossiers/kejaksaan/E001/dossier.html")
    assert "dipotong bulan ini:" not in kejaksaan
    sheets = kejaksaan[kejaksaan.index("Lembar perhitungan</h2>"):]
    assert "IURAN-PEKERJA-TIDAK-DISETOR</span>" in sheets and re.search(r'<td class="src">payroll[^<]* baris \d+</td>', sheets)


def test_police_deductions_section_shows_sen(store, tmp_path):
    """The deductions section is where the sheets send the reader: a deduction with sen is shown
    to the sen there, as the sheet's own sum of it is."""
    import json

    from sqlalchemy import select, update

    from patuh.audits.store import schema as s

    engine, run_id = store
    f = s.findings
    with engine.begin() as conn:
        fid, ev = conn.execute(select(f.c.finding_id, f.c.evidence_json).where(
            f.c.employer_id == "E003", f.c.category == "IURAN-PEKERJA-TIDAK-DISETOR").order_by(f.c.finding_id)).first()
        ev = json.loads(ev)
        ev["workers"][0]["bpjs_deduction"] = str(Decimal(ev["workers"][0]["bpjs_deduction"]) + Decimal("0.45"))
        conn.execute(update(f).where(f.c.finding_id == fid).values(evidence_json=json.dumps(ev)))
    _render(engine, run_id, tmp_path)
    html = _read(tmp_path, "dossiers/kepolisian/E003/dossier.html")
    section = html[html.index("Potongan iuran per pekerja per bulan</h2>"):]
    section = section[:section.index("</section>")]
    kept = fmt.rupiah_exact(ev["workers"][0]["bpjs_deduction"])
    assert kept.endswith(",45") and kept in section
    assert len(re.findall(r"Rp [\d.]+,45</th>", section)) == 2  # the month's total and the total


def test_steps_strongest_first_and_this_dossier_marked(store, tmp_path):
    engine, run_id = store
    _render(engine, run_id, tmp_path)
    html = _read(tmp_path, "dossiers/kepolisian/E001/dossier.html")
    steps = re.search(r'<ol class="steps">(.*?)</ol>', html, re.S).group(1)
    order = [steps.index(w) for w in ("Laporan pidana", "Surat Kuasa Khusus", "TMP2T", "Denda administratif")]
    assert order == sorted(order)
    this = re.findall(r'<li class="this">\s*<strong>([^<]+)</strong>', steps)
    assert this == ["Laporan pidana"]


def test_report_contents(store, tmp_path):
    engine, run_id = store
    _render(engine, run_id, tmp_path)
    text = _text(_read(tmp_path, "dossiers/pemprov/laporan.html"))
    assert "Gubernur Kalimantan Barat" in text and "30 September 2025" in text
    # by category and by regency (all 14 regencies listed)
    for name in ("Kabupaten Sambas", "Kabupaten Mempawah", "Kota Pontianak", "Kota Singkawang", "Kabupaten Kubu Raya"):
        assert name in text
    assert "Rp 6.670.000" in text and "Rp 170.000" in text       # construction findings
    # tmp2t requests: E001 and E002, not E003
    sec = text[text.index("4. Permintaan sanksi"):text.index("5. Kontrak konstruksi")]
    assert "PT Sawit Khatulistiwa Lestari" in sec and "CV Karya Bangun Borneo" in sec and "UD Sumber Rejeki" not in sec
    # construction grouped by owner and funding with the PPK
    sec = text[text.index("5. Kontrak konstruksi"):text.index("6. Upah di bawah UMK")]
    assert sec.index("Dinas PUPR Kabupaten Mempawah") < sec.index("Dinas PUPR Provinsi Kalimantan Barat")
    assert "APBD Provinsi" in sec and "Ir. H. Syarif Abdullah, M.T." in sec and "belum didaftarkan" in sec
    # wages under the UMK: counts and sums only
    sec = text[text.index("6. Upah di bawah UMK"):]
    assert "Rp 3.024.820" in sec and "Rp 924.460" in sec
    assert "Rina Marlina" not in text


def test_report_carries_no_full_nik(store, tmp_path):
    engine, run_id = store
    _render(engine, run_id, tmp_path)
    html = _read(tmp_path, "dossiers/pemprov/laporan.html")
    niks = all_niks(engine)
    assert len(niks) >= 20
    leaked = [n for n in niks if n in html]
    assert leaked == []
    assert "Andi Saputra" not in html and "Lim Mei Ling" not in html  # no worker names either


def test_report_masks_a_personal_npwp(store, tmp_path):
    """A 16-digit NPWP not starting with 0 is the owner's NIK (UD Sumber Rejeki): masked."""
    engine, run_id = store
    from sqlalchemy import update
    from patuh.audits.store import schema as s
    with engine.begin() as conn:
        conn.execute(update(s.cases).where(s.cases.c.employer_id == "E003").values(next_steps='["pidana", "tmp2t"]'))
    _render(engine, run_id, tmp_path)
    html = _read(tmp_path, "dossiers/pemprov/laporan.html")
    assert "UD Sumber Rejeki" in html
    assert "6172011204750001" not in html and "6172********0001" in html
    # the law-enforcement dossier keeps it in full
    assert "6172011204750001" in _read(tmp_path, "dossiers/kepolisian/E003/dossier.html")
    # and no worker names
    assert "Andi Saputra" not in html and "Lim Mei Ling" not in html


# --------------------------------------------------------------------------------------- safety


def test_markup_in_data_is_escaped(engine, tmp_path):
    run_id = build_store(engine, employer_name="<script>alert(1)</script>")
    _render(engine, run_id, tmp_path)
    for rel in ("dossiers/kejaksaan/E001/dossier.html", "dossiers/pemprov/laporan.html"):
        html = _read(tmp_path, rel)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html


def test_html_stands_alone(store, tmp_path):
    engine, run_id = store
    for p in _render(engine, run_id, tmp_path):
        html = p.read_text(encoding="utf-8")
        assert "<style>" in html and "@page" in html and "size: A4" in html
        for external in ("<link", "src=", "url(", "@import", "<script"):
            assert external not in html, (p, external)
        assert "table-header-group" in html and "break-before: page" in html


# --------------------------------------------------------------------------------------- determinism


def test_same_store_content_gives_byte_identical_html(db_url, tmp_path):
    outs = []
    for name in ("one", "two"):
        eng = get_engine(f"sqlite:///{tmp_path / name}.db")
        run_id = build_store(eng, extra_cases=2)
        outs.append([(p.relative_to(tmp_path / name).as_posix(), p.read_bytes()) for p in _render(eng, run_id, tmp_path / name)])
        eng.dispose()
    assert outs[0] == outs[1]
    assert len(outs[0]) == 8


def test_case_number_is_deterministic():
    a = case_number(RUN_ID, "E001", 2025)
    assert a == case_number(RUN_ID, "E001", 2025)
    assert a != case_number(RUN_ID, "E002", 2025) and a.startswith("PATUH/2025/")
    assert re.fullmatch(r"PATUH/2025/[0-9A-F]{8}", a)


def test_employer_id_is_a_safe_path_segment():
    assert safe_segment("E001") == "E001"
    # issue 10: an id that had to be changed keeps a hash suffix, so two ids never share a folder
    assert re.fullmatch(r"_x_y_z-[0-9a-f]{8}", safe_segment("../x y/z"))
    assert safe_segment("../x y/z") != safe_segment("_x_y_z")
    assert "/" not in safe_segment("a/b") and re.fullmatch(r"_-[0-9a-f]{8}", safe_segment(".."))


# --------------------------------------------------------------------------------------- languages


def test_english(store, tmp_path):
    engine, run_id = store
    _render(engine, run_id, tmp_path, lang="en")
    text = _text(_read(tmp_path, "dossiers/kejaksaan/E001/dossier.html"))
    assert "Head of the District Prosecutor's Office (Kejaksaan Negeri) Mempawah" in text
    assert "30 September 2025" in text and "Computation sheets" in text and "Kepada Yth." not in text
    assert "March 2025" in text and "Maret 2025" not in text
    html = _read(tmp_path, "dossiers/pemprov/laporan.html")
    assert '<html lang="en">' in html and "Governor of West Kalimantan" in html


def test_formatting():
    assert fmt.rupiah(Decimal("1234567")) == "Rp 1.234.567"
    assert fmt.rupiah("3054552.50") == "Rp 3.054.553"
    assert fmt.rupiah_exact("342650.45") == "Rp 342.650,45" and fmt.rupiah_exact("1000") == "Rp 1.000"
    assert fmt.date_text(dt.date(2025, 9, 30)) == "30 September 2025"
    assert fmt.date_text("2025-08-17") == "17 Agustus 2025" and fmt.date_text("2025-08-17", "en") == "17 August 2025"
    assert fmt.period_text("2025-02") == "Februari 2025" and fmt.period_text("2025-05", "en") == "May 2025"
    assert fmt.percent("0.0089") == "0,89\u00a0%" and fmt.percent("0.057", "en") == "5.7%"
    assert fmt.mask_nik("6171012345670123") == "6171********0123"
    assert fmt.npwp_text("018765432701000") == "01.876.543.2-701.000"
    assert fmt.npwp_text("6172011204750001", mask_personal=True) == "6172********0001"
    assert fmt.npwp_text("0918242249724837", mask_personal=True) == "0918242249724837"


def test_parse_steps():
    assert parse_steps('["denda", "skk", "pidana", "tmp2t"]') == ["pidana", "skk", "tmp2t", "denda"]
    assert parse_steps("teguran-1;pidana") == ["pidana", "teguran-1"]
    assert parse_steps(None) == [] and parse_steps("[]") == []


def test_loaded_data_is_sorted(store):
    engine, run_id = store
    data = load_run(engine, run_id)
    assert [c["employer_id"] for c in data.cases] == ["E001", "E002", "E003"]
    assert isinstance(data.findings[0]["amount"], Decimal)
    assert [a["action"] for a in data.actions["E001"]] == ["teguran-1", "teguran-2"]


# --------------------------------------------------------------------------------------- data files


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _no_duplicates(loader, node, deep=False):
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    dup = {k for k in keys if keys.count(k) > 1}
    assert not dup, f"duplicate keys {dup}"
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def test_every_label_used_exists_in_both_languages():
    labels = yaml.load((PKG / "labels.yaml").read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    assert all(isinstance(k, str) and set(v) == {"id", "en"} for k, v in labels.items())
    used = set()
    for tpl in (PKG / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\('([^']+)'\)", tpl.read_text(encoding="utf-8")))
    assert used - set(labels) == set()
    for c in categories_of.load():  # category titles live in the rulebook, in both languages
        assert set(c.title) == {"id", "en"} and all(c.title.values()), c.id
    for s in STEP_ORDER:
        assert f"step.{s}" in labels and f"stepdesc.{s}" in labels
    for prefix in ("title.", "subject.", "summary.", "sig.received."):
        for kind in ("skk", "pidana", "kasus"):
            assert prefix + kind in labels


def test_legal_texts_are_complete_and_honest():
    yaml.load((PKG / "legal_texts.yaml").read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    data = legal_texts()
    assert set(data["steps"]) == set(STEP_ORDER) and set(data["categories"]) == set(CATEGORIES)
    for ref, t in data["texts"].items():
        assert t["status"] in {"P", "S2", "S1", "D", "UNCONFIRMED"}, ref
        assert t["kind"] in {"kutipan", "ringkasan"}, ref
        assert t["kind"] != "kutipan" or t["status"] == "P", f"{ref}: only text seen (P) may be quoted as wording"
        assert t["text"]["id"] and t["text"]["en"] and t["source"], ref
    instruments = {(t["instrument"], t["article"]) for t in data["texts"].values()}
    for needed in [("UU 24/2011", "Pasal 15 ayat (1)–(2)"), ("UU 24/2011", "Pasal 17 ayat (1)–(4)"),
                   ("UU 24/2011", "Pasal 19 ayat (1)–(2)"), ("UU 24/2011", "Pasal 55"), ("UU 16/2004", "Pasal 30 ayat (2)")]:
        assert needed in instruments
    assert {"pp86-p5", "pp86-p6", "pp86-p7", "pp86-p8-9", "inpres-2-2021"} <= set(data["texts"])


# --------------------------------------------------------------------------------------- engine shapes


def test_sheet_with_bill_summary_and_fee_lines_is_not_summed_twice():
    """The audit writes per-programme rows, a TAGIHAN row (the rounded bill) and DENDA rows (one per
    late part): the bill row is the total, fee lines get their own table."""
    from patuh.audits.dossiers.render import _sheet

    comp = [
        {"period": "2025-07", "program": "JKK", "base": "25600000.00", "rate": "0.0024", "due": "61440.00", "paid": "", "outstanding": "", "months_late": "", "fee": "", "note": ""},
        {"period": "2025-07", "program": "JHT", "base": "25600000.00", "rate": "0.057", "due": "1459200.00", "paid": "", "outstanding": "", "months_late": "", "fee": "", "note": ""},
        {"period": "2025-07", "program": "TAGIHAN", "base": "", "rate": "", "due": "1520640.00", "paid": "760320.00", "outstanding": "760320.00", "months_late": "", "fee": "", "note": "jatuh tempo 2025-08-15"},
        {"period": "2025-07", "program": "DENDA", "base": "760320.00", "rate": "", "due": "", "paid": "", "outstanding": "760320.00", "months_late": "4", "fee": "60825.60", "note": "belum dibayar per 2025-11-28"},
    ]
    f = {"finding_id": "F-1", "category": "TUNGGAKAN", "period": "2025-07", "subject_id": "E:2025-07", "amount": 760320, "late_fee": 60826,
         "evidence": {"computation": comp}}
    sh = _sheet(f, 1)
    assert [r["program"] for r in sh["rows"]] == ["JKK", "JHT"]
    assert [r["program"] for r in sh["summary_rows"]] == ["TAGIHAN"] and sh["totals"] == {}
    assert [r["program"] for r in sh["fee_rows"]] == ["DENDA"] and sh["fee_total"] == Decimal("60825.60")
    assert "period" not in sh["cols"] and sh["period"] == "2025-07"
    assert sh["fee_cols"] == ["base", "months_late", "fee", "note"]


def test_engine_notes_get_readable_amounts():
    from patuh.audits.dossiers.render import _note_text

    assert _note_text("lapisan 0.00 – 100000000.00", "id") == "lapisan 0 – 100.000.000"
    assert _note_text("jatuh tempo 2025-08-15", "id") == "jatuh tempo 2025-08-15"
    assert _note_text("sisa 3054552.50", "id") == "sisa 3.054.552,50"


def test_pdf_worker_count():
    from patuh.audits.dossiers.render import _pdf_workers

    assert _pdf_workers(3) == 1  # a few PDFs: in-process, no worker start-up
    assert 1 <= _pdf_workers(40) <= 4


def test_pdf_workers_take_jobs_one_at_a_time_and_report_a_failure(tmp_path):
    """Five jobs on two workers, each handed the next as it finishes one: every PDF is written and
    reported once; a job a worker cannot do fails the whole rendering with the worker's error."""
    from patuh.audits.dossiers.render import _pdfs_in_workers

    jobs = []
    for i in range(5):
        h = tmp_path / f"d{i}.html"
        h.write_text(f"<p>{'document ' * (50 * i + 1)}</p>", encoding="utf-8")
        jobs.append((f"d{i}", h, tmp_path / f"d{i}.pdf"))
    done = []
    _pdfs_in_workers(jobs, 2, done.append)
    assert sorted(done) == [f"d{i}" for i in range(5)]
    assert all((tmp_path / f"d{i}.pdf").read_bytes().startswith(b"%PDF-") for i in range(5))

    bad = tmp_path / "not-a-file.html"
    bad.mkdir()  # the worker cannot read it
    with pytest.raises(RuntimeError, match="PDF rendering failed"):
        _pdfs_in_workers([*jobs[:2], ("bad", bad, tmp_path / "bad.pdf")], 2, lambda rel: None)


def test_pdf_workers_take_jobs_while_the_html_is_still_being_written(tmp_path):
    """render_all hands each document to the workers as soon as its HTML is written: jobs added one by
    one to running workers are all rendered and reported once; abort stops the workers."""
    from patuh.audits.dossiers.render import PdfWorkers

    done = []
    pool = PdfWorkers(2, done.append)
    for i in range(4):
        h = tmp_path / f"d{i}.html"
        h.write_text(f"<p>{'document ' * (30 * i + 1)}</p>", encoding="utf-8")
        pool.add(f"d{i}", h, tmp_path / f"d{i}.pdf")
    pool.finish()
    assert sorted(done) == [f"d{i}" for i in range(4)]
    assert all((tmp_path / f"d{i}.pdf").read_bytes().startswith(b"%PDF-") for i in range(4))

    pool = PdfWorkers(2, done.append)
    pool.add("d0", tmp_path / "d0.html", tmp_path / "again.pdf")
    pool.abort()
    assert all(p.returncode is not None for p in pool.procs)
