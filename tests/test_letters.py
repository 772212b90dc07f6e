"""Letters for every step (docs/letters.md): the office configuration, the administrative fine, and
the letters and dossiers of the demo audit — their numbers, dates, addressees and amounts, checked
by hand against the demo package (fixtures/kalbar-demo/README.md)."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from patuh.audits import categories as categories_of

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"
OFFICE = ROOT / "fixtures" / "kantor-kalbar.yaml"
NEWS = ("detik", "okezone", "buruhtoday", "aktual.com", "ilovetranslation", "123dok", "bisnis.com", "radio",
        "kontan", "tribunnews", "antaranews", "grid.id", "parapuan")


def _text(html: str) -> str:
    t = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)).replace("&amp;", "&").replace("&#34;", '"')


# ---------------------------------------------------------------------------------------------
# office configuration


def _write(tmp_path, data) -> Path:
    p = tmp_path / "kantor.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def test_sample_office_configuration_loads_and_numbers_from_the_register():
    from patuh.audits.letters import load_office_config

    cfg = load_office_config(OFFICE)
    ptk = cfg.office_for("6171")
    assert ptk.code == "PTK" and cfg.office_for("6112") is ptk and cfg.office_for("6111").code == "KTP"
    # next_number 1188: the first letter of the run takes it, the third 1190
    assert cfg.number(ptk, "teguran-1", 1, dt.date(2025, 11, 28)) == "1188/BPJSTK-PTK/T1/2025"
    assert cfg.number(ptk, "cabut-tmp2t", 3, dt.date(2025, 11, 28)) == "1190/BPJSTK-PTK/CTMP2T/2025"
    assert ptk.head.nip.isdigit() and len(ptk.head.nip) == 18


def test_office_configuration_errors_name_every_key(tmp_path):
    from patuh.audits.letters import OfficeConfigError, load_office_config

    data = yaml.safe_load(OFFICE.read_text(encoding="utf-8"))
    data["number_pattern"] = "{seq:04d}/{kantor}/{year}"
    data["offices"][0]["inspectors"][0]["nip"] = "12AB"
    data["offices"][1]["regencies"].append("6171")  # already Pontianak's
    del data["offices"][2]["head"]
    with pytest.raises(OfficeConfigError) as info:
        load_office_config(_write(tmp_path, data))
    msgs = "\n".join(info.value.problems)
    assert "number_pattern: unknown placeholder(s) {kantor}" in msgs
    assert "offices[0].inspectors[0].nip: '12AB' is not an employee number" in msgs
    assert "offices[1].regencies[3]: 6171 is already served by offices[0]" in msgs
    assert "offices[2].head: expected a mapping" in msgs
    assert len(info.value.problems) == 4


def test_a_bad_office_configuration_stops_the_audit_before_anything_is_written(tmp_path):
    from patuh.cli import main

    bad = _write(tmp_path, {"format": "patuh-kantor/1", "parent": "x", "number_pattern": "{nomor}", "offices": []})
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(DEMO), "--out", str(out), "--db", f"sqlite:///{tmp_path / 'p.db'}",
                                    "--no-pdf", "--office", str(bad)])
    assert res.exit_code == 1
    assert "kantor.yaml has errors" in res.output and "offices: missing" in res.output
    assert "Traceback" not in res.output and not (out.exists() and any(out.rglob("*")))


# ---------------------------------------------------------------------------------------------
# the administrative fine (PP 86/2013 Pasal 10 ayat (4))


def _params():
    from patuh.engine.parameters import ParameterStore

    return ParameterStore.load(ROOT / "rules" / "parameters")


FINE_BASE = categories_of.load().fine_base  # rules/categories.yaml


def test_admin_fine_is_one_tenth_percent_of_the_contributions_due_for_the_one_month_window():
    from patuh.audits.calc.admin_fine import admin_fine

    fs = [{"finding_id": "F1", "category": "PDS-UPAH", "period": "2025-03", "amount": Decimal("1000000")},
          {"finding_id": "F2", "category": "TUNGGAKAN", "period": "2025-04", "amount": Decimal("500000")},
          {"finding_id": "F3", "category": "UPAH-DI-BAWAH-UMK", "period": "2025-04", "amount": Decimal("200000")},
          {"finding_id": "F4", "category": "IURAN-PEKERJA-TIDAK-DISETOR", "period": "2025-04", "amount": Decimal("100000")},
          {"finding_id": "F5", "category": "TELAT-BAYAR", "period": "2025-02", "amount": Decimal("0")}]
    fine = admin_fine(fs, dt.date(2025, 7, 15), dt.date(2025, 11, 28), _params(), FINE_BASE)
    # base 1,000,000 + 500,000 (wage shortfall, deducted shares and a zero principal left out);
    # four started months since the warning ended, but Pasal 7 ayat (1) allows 30 days: one month
    assert fine.base == Decimal("1500000") and fine.months == 1 and fine.rate == Decimal("0.001")
    assert fine.amount == Decimal("1500")
    assert [ln.finding_id for ln in fine.lines] == ["F1", "F2"]


def test_admin_fine_rounds_once_and_needs_the_second_warning_to_have_ended():
    from patuh.audits.calc.admin_fine import FineError, admin_fine

    fs = [{"finding_id": "F1", "category": "PDS-UPAH", "period": "2025-03", "amount": Decimal("771735")}]
    assert admin_fine(fs, dt.date(2025, 7, 15), dt.date(2025, 7, 16), _params(), FINE_BASE).amount == Decimal("772")  # 771.735
    with pytest.raises(FineError):
        admin_fine(fs, dt.date(2025, 7, 15), dt.date(2025, 7, 15), _params(), FINE_BASE)
    with pytest.raises(FineError):
        admin_fine(fs, None, dt.date(2025, 7, 16), _params(), FINE_BASE)


# ---------------------------------------------------------------------------------------------
# the demo audit: letters and dossiers


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from patuh.cli import main

    tmp = tmp_path_factory.mktemp("demo-letters")
    out = tmp / "out"
    res = CliRunner().invoke(main, ["audit", str(DEMO), "--out", str(out), "--db", f"sqlite:///{tmp / 'patuh.db'}",
                                    "--no-pdf", "--draft"])
    assert res.exit_code == 0, res.output
    return out


def _read(out: Path, rel: str) -> str:
    return _text((out / rel).read_text(encoding="utf-8"))


def test_demo_writes_a_letter_for_each_next_step_and_a_revocation(demo):
    cases = {c["employer_id"]: c["next_steps"].split(";") for c in
             (dict(zip(["employer_id", "next_steps"], [r["employer_id"], r["next_steps"]])) for r in
              json.loads((demo / "cases.json").read_text(encoding="utf-8")))}
    want = sorted(f"surat/{st}/{eid}/surat.html" for eid, steps in cases.items() for st in steps
                  if st in ("teguran-1", "teguran-2", "denda", "tmp2t"))
    want.append("surat/cabut-tmp2t/E07/surat.html")  # E07: TMP2T in April 2024, no finding now
    got = sorted(p.relative_to(demo).as_posix() for p in (demo / "surat").rglob("*.html"))
    assert got == sorted(want)
    assert len(got) == 10
    listed = {o["path"] for o in json.loads((demo / "manifest.json").read_text(encoding="utf-8"))["outputs"]}
    assert set(got) <= listed


def test_letter_numbers_come_from_the_office_register_not_the_run(demo):
    run_id = json.loads((demo / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    numbers = {}
    for p in sorted((demo / "surat").rglob("surat.html")):
        m = re.search(r'class="nomor-v docno">([^<]+)<', p.read_text(encoding="utf-8"))
        numbers[p.relative_to(demo / "surat").parent.as_posix()] = m.group(1)
    for n in numbers.values():
        assert re.fullmatch(r"\d{4}/BPJSTK-(PTK|SKW|SGU|STG|KTP)/(T1|T2|DN|TMP2T|CTMP2T)/2025", n), n
        assert run_id[2:] not in n
    # Ketapang's register starts at 1012: E17 (Kayong Utara) teguran-1 first, E20 teguran-2 next
    assert numbers["teguran-1/E17"] == "1012/BPJSTK-KTP/T1/2025"
    assert numbers["teguran-2/E20"] == "1013/BPJSTK-KTP/T2/2025"
    # Sintang: denda, then tmp2t, then the dossiers take the next numbers
    assert numbers["denda/E19"] == "1005/BPJSTK-STG/DN/2025" and numbers["tmp2t/E19"] == "1006/BPJSTK-STG/TMP2T/2025"
    assert numbers["teguran-1/E14"] == "1188/BPJSTK-PTK/T1/2025" and numbers["teguran-1/E15"] == "1189/BPJSTK-PTK/T1/2025"
    assert numbers["cabut-tmp2t/E07"] == "1190/BPJSTK-PTK/CTMP2T/2025"
    assert len(set(numbers.values())) == len(numbers)


def test_teguran_letter_has_the_form_deadline_and_article(demo):
    text = _read(demo, "surat/teguran-1/E17/surat.html")
    assert "BPJS Ketenagakerjaan Kantor Cabang Ketapang".upper() in text.upper()
    for word in ("Nomor", "Sifat", "Lampiran", "Hal", "Teguran Tertulis Pertama", "Ketapang, 28 November 2025"):
        assert word in text
    # 28 Nov 2025 (Friday) + 10 working days = Friday 12 December 2025
    assert "paling lambat tanggal 12 Desember 2025" in text
    assert "Suryadi, S.E., M.Si." in text and "NIP 198001152005121002" in text
    assert "Pasal 10 ayat (1)" in text and "Nomor 86 Tahun 2013" in text and "LN 2013 Nomor 238" in text
    assert "Pimpinan UD Kayong Sejahtera" in text  # no responsible person in the data for E17
    text = _read(demo, "surat/teguran-2/E20/surat.html")
    assert "Ahmad Fauzi, Direktur" in text and "1011/BPJSTK-KTP/T1/2025" in text  # its first warning


def test_denda_letter_renders_the_fine_computed_once(demo):
    text = _read(demo, "surat/denda/E13/surat.html")
    # E13: PDS-UPAH 771,735 in all; teguran-2 of 1 July 2025 ended 15 July 2025 (10 working days)
    assert "Rp 771.735" in text and "0,1 %" in text and "Rp 772" in text and "15 Juli 2025" in text
    assert "Fransiska Ani, Direktur Utama" in text
    text = _read(demo, "surat/denda/E19/surat.html")
    assert "Rp 3.993.600" in text and "Rp 3.994" in text  # 0.1 % of the arrears 3,993,600


def test_tmp2t_letter_goes_to_the_regency_licensing_office_with_the_identifiers(demo):
    text = _read(demo, "surat/tmp2t/E13/surat.html")
    assert "Kepala Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kabupaten Sanggau" in text
    assert "9131483686198" in text and "03.679.088.9-704.000" in text  # NIB and NPWP of E13
    assert "Izin Mendirikan Bangunan" in text and "tender proyek" in text and "Pasal 9 ayat (1)" in text
    assert "Permenaker 4/2018" in text and "belum diverifikasi" in text  # its articles are not read yet
    text = _read(demo, "surat/cabut-tmp2t/E07/surat.html")
    assert "0459/BPJSTK-PTK/TMP2T/2024" in text and "Kota Pontianak" in text and "dicabut" in text


def test_letter_date_moves_the_deadline(tmp_path):
    from patuh.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(DEMO), "--out", str(out), "--db", f"sqlite:///{tmp_path / 'p.db'}",
                                    "--no-pdf", "--letter-date", "2025-12-01", "--office", str(OFFICE)])
    assert res.exit_code == 0, res.output
    text = _read(out, "surat/teguran-1/E14/surat.html")
    assert "1 Desember 2025" in text and "paling lambat tanggal 15 Desember 2025" in text


# --- dossiers


def test_police_dossier_has_elements_witnesses_and_deductions(demo):
    text = _read(demo, "dossiers/kepolisian/E19/dossier.html")
    assert "Unsur pasal: UU 24/2011 Pasal 55 jo. Pasal 19 ayat (1)–(2)" in text
    assert text.count("terbukti oleh data") == 4
    assert "Saksi: pekerja yang upahnya dipotong (8)" in text  # 8 workers, Rp 64,000 a month each
    assert "Sutrisno Halim, Direktur" in text and "1008/BPJSTK-STG/PID/2025" in text
    html = (demo / "dossiers/kepolisian/E19/dossier.html").read_text(encoding="utf-8")
    ded = html.split("Potongan iuran per pekerja per bulan", 2)[2]
    assert ded.count("payroll.csv baris") == 24  # 8 workers x 3 months, each with its source row
    assert "Rp 1.536.000" in _text(ded)  # 3 x 512,000
    text = _read(demo, "dossiers/kepolisian/E17/dossier.html")
    assert "Penanggung jawab (orang perseorangan) pemberi kerja tidak tercantum dalam data" in text
    assert "Saksi: pekerja yang upahnya dipotong (6)" in text and "Rp 1.230.000" in text


def test_deducted_share_sheets_show_deductions_not_the_bill_again(demo):
    html = (demo / "dossiers/kejaksaan/E19/dossier.html").read_text(encoding="utf-8")
    blocks = html.split('<div class="sheet-block">')[1:]
    assert len(blocks) == 6
    for b in blocks[:3]:
        assert "TUNGGAKAN" in b and "Tagihan (dibulatkan)" in b
    for b, n in zip(blocks[3:], (1, 2, 3)):
        t = _text(b.split("</section>", 1)[0])
        assert "IURAN-PEKERJA-TIDAK-DISETOR" in t and "Tagihan (dibulatkan)" not in t and "JKK" not in t
        assert f"lihat Lembar {n}" in t and "Rp 512.000" in t
    text = _read(demo, "dossiers/kepolisian/E17/dossier.html")
    assert text.count("Pemberi kerja tidak terdaftar dan tidak pernah membayar iuran") == 3
    # the PWBD finding covers the months audited, not "E17", in the month column
    assert "Januari 2025 – September 2025" in text


def test_no_news_site_is_a_source_of_law_and_unverified_citations_are_counted(demo):
    # the one place a news site may appear: the source of a policy figure (the UCJ target), printed
    # under its own label as a secondary source, never as a source of law
    secondary = re.compile(r'<span class="src src-secondary">Sumber sekunder \(pemberitaan, bukan teks peraturan\): '
                           r'[^<]*</span>')
    for p in sorted(demo.rglob("*.html")):
        html = p.read_text(encoding="utf-8")
        if p.name == "laporan.html":
            assert len(secondary.findall(html)) == 1, p  # the 2025 target the demo run used
            html = secondary.sub("", html)
        text = _text(html).lower()
        for site in NEWS:
            assert site not in text, (p, site)
        assert "`" not in text and "(article text quoted)" not in text
    for rel in ("dossiers/kepolisian/E17/dossier.html", "dossiers/kepolisian/E19/dossier.html",
                "dossiers/kejaksaan/E19/dossier.html"):
        html = (demo / rel).read_text(encoding="utf-8")
        marked = html.count('<span class="unverified">')
        cover = _text(html.split("</section>", 1)[0])
        if marked:
            assert f"{marked} kutipan belum diverifikasi" in cover, rel
        else:
            assert "Semua kutipan telah diverifikasi" in cover


def test_indonesian_text_has_no_english_row_words_or_iso_dates_in_sheets(demo):
    text = _read(demo, "dossiers/kejaksaan/E19/dossier.html")
    assert " row " not in text and "payroll.csv baris" in text
    sheets = text.split("Lembar perhitungan", 2)[2].split("Bukti", 1)[0]
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", sheets)
    assert "jatuh tempo 15 Agustus 2025" in sheets


def test_english_documents_use_english_number_format(tmp_path):
    from patuh.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(DEMO), "--out", str(out), "--db", f"sqlite:///{tmp_path / 'p.db'}",
                                    "--no-pdf", "--draft", "--lang", "en"])
    assert res.exit_code == 0, res.output
    text = _read(out, "dossiers/kepolisian/E17/dossier.html")
    assert "Rp 1,230,000" in text and "Rp 1.230.000" not in text and "small" in text
    text = _read(out, "surat/denda/E13/surat.html")
    assert "Administrative Fine" in text and "Rp 772" in text and "Rp 771,735" in text


# --- layout: every page of every document


def test_layout_check_catches_overflow_and_overlap():
    from patuh.audits.dossiers.layout_check import problems

    bad = ('<table style="table-layout:fixed;width:60mm"><tr><td style="width:20mm;white-space:nowrap">'
           'Rp 3.400.000.000.000</td><td>19 Mei</td></tr></table>'
           '<p>first line</p><p style="margin-top:-8mm">second line</p>')
    found, pages = problems(bad)
    assert pages == 1
    assert any("'Rp 3.400.000.000.000' outside its box" in p for p in found)
    assert any("overlaps" in p for p in found)
    assert problems("<p>Nothing wrong here.</p>")[0] == []


def test_every_letter_and_dossier_page_is_laid_out_cleanly(demo):
    from patuh.audits.dossiers.layout_check import problems

    docs = sorted(demo.glob("surat/*/*/surat.html")) + sorted(demo.glob("dossiers/ke*/*/dossier.html"))
    assert len(docs) == 13
    for p in docs:
        found, pages = problems(p.read_text(encoding="utf-8"), base_url=str(p.parent))
        assert found == [], (p, found[:5])
        assert pages >= 1


def test_letters_are_the_same_on_the_configured_database(demo, db_url, tmp_path):
    """With PATUH_TEST_DB (PostgreSQL) the responsible person comes through migration 0005's columns and
    the letters and police dossiers are byte for byte those of the SQLite run."""
    from patuh.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(DEMO), "--out", str(out), "--db", db_url, "--no-pdf", "--draft"])
    assert res.exit_code == 0, res.output
    rels = sorted(p.relative_to(demo).as_posix() for p in demo.glob("surat/*/*/surat.html"))
    rels += ["dossiers/kepolisian/E19/dossier.html", "dossiers/kepolisian/E17/dossier.html"]
    for rel in rels:
        assert (out / rel).read_bytes() == (demo / rel).read_bytes(), rel
    assert "Sutrisno Halim" in _read(out, "dossiers/kepolisian/E19/dossier.html")
