"""patuh ocds (docs/intake.md): OCDS releases and records to contracts, amendments and suppliers.

The expected rows below were read off fixtures/ocds-kalbar/ by hand (see its README): the value at
signing is the contract release's, not the compiled (amended) one; timestamps are WIB dates; the
supplier is found by NPWP in identifier or additionalIdentifiers; what cannot be mapped is left out
with its OCDS path."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from patuh.audits.intake import ocds as o
from patuh.cli import main
from cli_helpers import rows

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "ocds-kalbar"
DEMO = ROOT / "fixtures" / "kalbar-demo"
P = "ocds-pth1kb-"


def demo_employers() -> dict[str, str]:
    return o.read_employers(DEMO)[2]


def test_fixture_converts_as_read_by_hand():
    conv = o.convert([FIX], demo_employers())
    assert (conv.files, conv.releases, conv.records, conv.processes, conv.contracts_seen) == (3, 22, 1, 7, 7)
    got = {r["contract_id"]: r for r in conv.contracts}
    assert set(got) == {
        "602.1/117/SPK-BM/PUPR-KB/2025", "620/244/SPK-SDA/PUPR-PTK/2025",
        "HK.02.01/BPJN-KB/PJN2/021/2025", "412.2/19/SPK/DS-SKL/2025",
    }
    road = got["602.1/117/SPK-BM/PUPR-KB/2025"]
    assert road == {
        "contract_id": "602.1/117/SPK-BM/PUPR-KB/2025",
        "title": "Peningkatan Jalan Sanggau – Tayan Ruas Km 12–18",
        "contractor_id": "E14",  # NPWP 01.972.091.1-701.000 in parties[].identifier
        "owner": "Dinas Pekerjaan Umum dan Penataan Ruang Provinsi Kalimantan Barat",
        "funding": "apbd-provinsi",
        "ppk": "Rudi Hartono, S.T., M.T.",
        "value": "1850000000",  # at signing; the amendment's 2.035.000.000 is the compiled value
        "spk_date": "2025-07-14", "start_date": "2025-07-21", "end_date": "2025-12-15",
        "regency_code": "6105", "parent_contract_id": "",
    }
    # 17:30 UTC on 20 October is 00:30 WIB on the 21st
    assert conv.amendments == [{"contract_id": road["contract_id"], "amended_on": "2025-10-21", "value": "2035000000"}]
    drain = got["620/244/SPK-SDA/PUPR-PTK/2025"]
    assert drain["title"] == "Pembangunan Drainase Jalan Gajah Mada"  # contract has no title: tender.title
    assert drain["contractor_id"] == "E15"  # NPWP in additionalIdentifiers
    assert drain["spk_date"] == "2025-09-01"  # signed 2025-08-31T18:15:00Z
    assert drain["funding"] == "apbd-kabupaten" and drain["regency_code"] == "6171"  # gazetteer KEMENDAGRI
    national = got["HK.02.01/BPJN-KB/PJN2/021/2025"]
    assert national["funding"] == "apbn" and national["ppk"] == "Ir. Markus Tanjung, M.T."
    assert national["contractor_id"] == "024567893701000"
    village = got["412.2/19/SPK/DS-SKL/2025"]  # from the record package
    assert (village["funding"], village["contractor_id"], village["regency_code"]) == ("apbdes", "E08", "6104")

    assert conv.not_works == [P + "KB-2025-0103"]
    left = {lo.ocid: lo.problems for lo in conv.left_out}
    assert set(left) == {P + "KB-2025-0104", P + "KB-2025-0106"}
    assert left[P + "KB-2025-0104"][0][0] == "parties/1/identifier"
    assert "no identifier of scheme ID-NPWP" in left[P + "KB-2025-0104"][0][1]
    assert left[P + "KB-2025-0106"] == [(
        "planning/budget/description",
        'does not decide the source of funds ("APBD TA 2025"): APBN, APBD provinsi, APBD kabupaten/kota or APBDes expected',
    )]
    assert conv.suppliers == [{
        "employer_id": "024567893701000", "name": "PT Sambas Karya Utama", "npwp": "024567893701000",
        "scale": "besar", "sector": "konstruksi", "regency_code": "6101", "address": "Jl. Pembangunan No. 5, Sambas",
    }]
    assert "must be completed from BPJS" in conv.warnings[0]


def test_never_reaches_for_the_schema(monkeypatch):
    """ocdsmerge downloads the release schema when given no merge rules: patuh always gives them."""
    import ocdsmerge.merge
    import ocdsmerge.rules

    def no(*a, **k):
        raise AssertionError("the release schema was asked for")

    monkeypatch.setattr(ocdsmerge.rules, "get_merge_rules", no)
    monkeypatch.setattr(ocdsmerge.merge, "get_merge_rules", no)
    assert len(o.convert([FIX], demo_employers()).contracts) == 4


def test_wib_dates():
    assert o.wib_date("2026-06-30T23:59:00Z").isoformat() == "2026-07-01"
    assert o.wib_date("2026-06-30T16:59:59Z").isoformat() == "2026-06-30"
    assert o.wib_date("2026-06-30T23:59:00+07:00").isoformat() == "2026-06-30"
    assert o.wib_date("2026-06-30").isoformat() == "2026-06-30"
    assert o.wib_date("30/06/2026") is None


def test_regions_are_read_only_where_they_are_unambiguous():
    assert o.regency_of("Kabupaten Sanggau") == o.regency_of("Kab. Sanggau") == o.regency_of("Sanggau") == "6105"
    assert o.regency_of("Kota Pontianak") == "6171" == o.regency_of("61.71")
    assert o.regency_of("Pontianak") is None  # the city, or the regency it was until 2014
    assert o.regency_of("Kabupaten Pontianak") is None
    assert o.regency_of("Kabupaten Kubu Raya") == "6112"
    assert o.regency_of("6201") is None  # not Kalbar


@pytest.mark.parametrize("text, want", [
    ("APBN TA 2025", "apbn"),
    ("APBD Provinsi Kalimantan Barat", "apbd-provinsi"),
    ("APBD Kab. Sanggau TA 2025", "apbd-kabupaten"),
    ("APBD Kota Singkawang", "apbd-kabupaten"),
    ("APBDes Desa Antibar", "apbdes"),
    ("Dana Desa 2025", "apbdes"),
    ("APBD TA 2025", None),
    ("APBN dan APBD Provinsi (sharing)", None),
    ("PHLN", None),
])
def test_funding_is_read_from_the_budget_or_not_at_all(text, want):
    assert o.funding_of({"planning": {"budget": {"description": text}}})[0] == want


def _release(ocid, rid, date, **kw):
    return {"ocid": ocid, "id": rid, "date": date, "tag": ["contract"], "initiationType": "tender", **kw}


def _works_release(ocid, cid, *, currency="IDR", amount=100000000, region="Kabupaten Landak"):
    return _release(
        ocid, f"{ocid}-1", "2025-05-01T09:00:00+07:00",
        parties=[{"id": "S", "name": "CV Uji", "roles": ["supplier"],
                  "identifier": {"scheme": "ID-NPWP", "id": "012140737701000"}}],
        buyer={"id": "B", "name": "Dinas PUPR Kabupaten Landak"},
        planning={"budget": {"description": "APBD Kabupaten Landak"}},
        tender={"id": "T", "title": "Jalan", "mainProcurementCategory": "works",
                "items": [{"id": "1", "deliveryAddress": {"region": region}}]},
        awards=[{"id": "A", "suppliers": [{"id": "S", "name": "CV Uji"}]}],
        contracts=[{"id": cid, "awardID": "A", "value": {"amount": amount, "currency": currency},
                    "dateSigned": "2025-05-01", "period": {"startDate": "2025-05-05", "endDate": "2025-08-01"}}],
    )


def test_json_lines_of_bare_releases_non_idr_and_colliding_ids(tmp_path):
    lines = [
        _works_release("ocds-a-1", "SPK/001"),
        _works_release("ocds-a-2", "SPK/001"),  # the same contract number in another process
        _works_release("ocds-a-3", "SPK/003", currency="USD"),
        _works_release("ocds-a-4", "SPK/004", region="Pontianak"),
    ]
    (tmp_path / "r.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    conv = o.convert([tmp_path], {"012140737701000": "E08"})
    assert sorted(r["contract_id"] for r in conv.contracts) == ["ocds-a-1#SPK/001", "ocds-a-2#SPK/001"]
    left = {lo.ocid: lo.problems for lo in conv.left_out}
    assert left["ocds-a-3"] == [("contracts/0/value/currency", '"USD" — the value is not in IDR and is not converted')]
    assert left["ocds-a-4"][0][0] == "tender/items/0/deliveryAddress/region"


def test_compiled_release_only_with_amendments_is_left_out(tmp_path):
    rel = _works_release("ocds-b-1", "SPK/9")
    rel["tag"] = ["compiled"]
    rel["contracts"][0]["amendments"] = [{"date": "2025-07-01", "releaseID": "x"}]
    rec = {"records": [{"ocid": "ocds-b-1", "releases": [{"url": "https://example.invalid/r.json", "date": "2025-05-01",
                                                      "tag": ["contract"]}],
                        "compiledRelease": rel}]}
    (tmp_path / "rec.json").write_text(json.dumps(rec), encoding="utf-8")
    conv = o.convert([tmp_path], {"012140737701000": "E08"})
    assert conv.contracts == []
    assert conv.left_out[0].problems[0][0] == "contracts/0/amendments"
    assert conv.skipped == []  # a linked release (url, date, tag) is not an error


def test_an_item_that_is_not_a_release_is_skipped_and_listed(tmp_path):
    good = _works_release("ocds-c-1", "SPK/1")
    (tmp_path / "r.jsonl").write_text(json.dumps(good) + "\n" + json.dumps({"ocid": "ocds-c-2", "tag": ["tender"]})
                                      + "\n", encoding="utf-8")
    conv = o.convert([tmp_path], {"012140737701000": "E08"})
    assert [r["contract_id"] for r in conv.contracts] == ["SPK/1"]
    assert conv.skipped == ["r.jsonl value 2: neither an OCDS release nor a record, nor a package of them"]


def test_unreadable_source_writes_nothing(tmp_path):
    (tmp_path / "bad.json").write_text('{"releases": [', encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["ocds", str(tmp_path / "bad.json"), "--out", str(out)])
    assert res.exit_code == 1
    assert "not readable JSON" in res.output and "nothing was written" in res.output
    assert not out.exists()


def test_convert_then_audit(tmp_path, db_url):
    """The fixture converted into the demo (its own contracts taken out) loads and is audited:
    every contract from OCDS is found not registered with BPJS, at its amended value."""
    from patuh.audits.audit import run_audit
    from patuh.audits.importer.load import load_package
    from patuh.audits.store.db import get_engine

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for p in DEMO.glob("*.csv"):
        if p.stem not in ("contracts", "contract_amendments", "project_registrations") and not p.stem.startswith("expected"):
            shutil.copy(p, pkg / p.name)
    meta = yaml.safe_load((DEMO / "package.yaml").read_text(encoding="utf-8"))
    meta.pop("office", None)
    (pkg / "package.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    before = rows(pkg / "employers.csv")

    res = CliRunner().invoke(main, ["ocds", str(FIX), "--out", str(pkg), "--employers", str(pkg)])
    assert res.exit_code == 0, res.output
    assert "works contracts written: 4, amendments: 1; left out: 2" in res.output
    assert f"left out: {P}KB-2025-0106 contract 620/071/SPK-BM/PUPR-LDK/2025: planning/budget/description" in res.output
    after = rows(pkg / "employers.csv")
    assert after[:-1] == before and after[-1]["employer_id"] == "024567893701000"
    again = CliRunner().invoke(main, ["ocds", str(FIX), "--out", str(pkg)])
    assert again.exit_code == 1 and "--replace" in again.output

    engine = get_engine(db_url)
    loaded = load_package(pkg, engine)
    assert loaded.rows["contracts"] == 4 and loaded.rows["contract_amendments"] == 1
    result = run_audit(engine, loaded.import_id)
    jakon = {f.subject_id: f for f in result.findings if f.category == "JAKON-BELUM-DAFTAR"}
    assert set(jakon) == {r["contract_id"] for r in rows(pkg / "contracts.csv")}
    assert "Rp 2.035.000.000" in jakon["602.1/117/SPK-BM/PUPR-KB/2025"].message
    assert jakon["HK.02.01/BPJN-KB/PJN2/021/2025"].employer_id == "024567893701000"
    engine.dispose()


def test_employers_package_without_canonical_employers_is_refused(tmp_path):
    res = CliRunner().invoke(main, ["ocds", str(FIX), "--out", str(tmp_path / "o"),
                                    "--employers", str(ROOT / "fixtures" / "kalbar-demo-id")])
    assert res.exit_code == 1 and "no employers.csv" in res.output
    assert not (tmp_path / "o").exists()
