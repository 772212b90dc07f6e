"""docs/intake.md read statement by statement where the other tests leave a gap.

`patuh ocds SOURCE… --out PKG_DIR` "adds suppliers missing from the package's employers.csv": when
--out is a package that has an employers.csv, its employers are matched by NPWP and kept — never
replaced by the supplier rows alone."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

from click.testing import CliRunner

from patuh.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "ocds-kalbar"
DEMO = ROOT / "fixtures" / "kalbar-demo"


def test_ocds_into_a_package_keeps_its_employers_and_matches_them(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for p in DEMO.glob("*.csv"):
        if p.stem not in ("contracts", "contract_amendments", "project_registrations"):
            shutil.copy(p, pkg / p.name)
    before = rows(pkg / "employers.csv")
    res = CliRunner().invoke(main, ["ocds", str(FIX), "--out", str(pkg)])  # no --employers
    assert res.exit_code == 0, res.output
    after = rows(pkg / "employers.csv")
    assert after[:len(before)] == before  # the package's 20 employers are still there, unchanged
    # only the supplier that is not in the demo (PT Sambas Karya Utama) is added
    assert [r["employer_id"] for r in after[len(before):]] == ["024567893701000"]
    contractors = {r["contract_id"]: r["contractor_id"] for r in rows(pkg / "contracts.csv")}
    assert contractors["602.1/117/SPK-BM/PUPR-KB/2025"] == "E14"  # matched by NPWP to the demo's E14


# ------------------------------------------------------------------ every error names the column as written

import yaml  # noqa: E402
from patuh.audits.importer.load import PackageError, load_package  # noqa: E402
from patuh.audits.store.db import get_engine  # noqa: E402

DEMO_ID = ROOT / "fixtures" / "kalbar-demo-id"


def _demo_id(tmp_path: Path) -> Path:
    pkg = tmp_path / "id"
    shutil.copytree(DEMO_ID, pkg)
    meta = yaml.safe_load((pkg / "package.yaml").read_text(encoding="utf-8"))
    meta["office"] = str((DEMO_ID / meta["office"]).resolve())
    (pkg / "package.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return pkg


def _set(path: Path, row: int, header: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    rows[row - 1][rows[0].index(header)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)


def _errors(pkg: Path, db_url: str) -> list[str]:
    engine = get_engine(db_url)
    try:
        load_package(pkg, engine)
    except PackageError as exc:
        return exc.errors
    finally:
        engine.dispose()
    raise AssertionError("the package loaded")


def test_a_doubled_row_of_a_declared_file_names_the_key_columns_as_written(tmp_path, db_url):
    pkg = _demo_id(tmp_path)
    p = pkg / "daftar_gaji.csv"
    with p.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    _set(p, 3, "Bulan", rows[1][rows[0].index("Bulan")])
    _set(p, 3, "NIK", rows[1][rows[0].index("NIK")])
    _set(p, 3, "Kode Perusahaan", rows[1][rows[0].index("Kode Perusahaan")])
    errs = _errors(pkg, db_url)
    want = ('daftar_gaji.csv row 3, columns "Kode Perusahaan" (employer_id), "Bulan" (period), "NIK" (nik):')
    assert any(e.startswith(want) and "already given in row 2" in e for e in errs), errs


def test_an_unknown_parent_contract_of_a_declared_file_names_the_column_as_written(tmp_path, db_url):
    pkg = _demo_id(tmp_path)
    _set(pkg / "kontrak.csv", 2, "Kontrak Induk", "NOPE/1")
    errs = _errors(pkg, db_url)
    assert 'kontrak.csv row 2, column "Kontrak Induk" (parent_contract_id): "NOPE/1" is not a contract_id in contracts' in errs, errs


def test_a_row_longer_than_the_header_in_a_semicolon_file_speaks_of_the_declared_separator(tmp_path, db_url):
    pkg = _demo_id(tmp_path)
    p = pkg / "daftar_gaji.csv"
    lines = p.read_text(encoding="utf-8").split("\n")
    lines[2] += ";x"
    p.write_text("\n".join(lines), encoding="utf-8")
    errs = _errors(pkg, db_url)
    msg = next(e for e in errs if e.startswith("daftar_gaji.csv row 3: 8 cells but the header has 7 columns"))
    assert "';' inside a text" in msg and "comma" not in msg  # the file has no comma separator to blame


# ------------------------------------------------------------------ OCDS, field by field

import copy  # noqa: E402
import json  # noqa: E402

from patuh.audits.intake import ocds as o  # noqa: E402
from cli_helpers import rows


def _works(ocid: str, cid: str, value: dict, when: str = "2025-05-01T09:00:00+07:00", rid: str = "1") -> dict:
    return {
        "ocid": ocid, "id": f"{ocid}-{rid}", "date": when, "tag": ["contract"], "initiationType": "tender",
        "parties": [{"id": "S", "name": "CV Uji", "roles": ["supplier"],
                     "identifier": {"scheme": "ID-NPWP", "id": "012140737701000"}},
                    {"id": "P", "name": "Dinas PUPR Kabupaten Landak", "roles": ["procuringEntity", "buyer"],
                     "contactPoint": {"name": "Ir. Yohanes, M.T."}}],
        "buyer": {"id": "P", "name": "Dinas PUPR Kabupaten Landak"},
        "planning": {"budget": {"description": "APBD Kabupaten Landak TA 2025"}},
        "tender": {"id": "T", "title": "Jalan Ngabang", "mainProcurementCategory": "works",
                   "items": [{"id": "1", "deliveryAddress": {"region": "Kabupaten Landak"}}]},
        "awards": [{"id": "A", "suppliers": [{"id": "S", "name": "CV Uji"}]}],
        "contracts": [{"id": cid, "awardID": "A", "value": value, "dateSigned": "2025-04-30T18:00:00Z",
                       "period": {"startDate": "2025-05-05", "endDate": "2025-08-01"}}],
    }


def test_ocds_row_is_mapped_as_the_table_says(tmp_path):
    signed = _works("ocds-x-1", "SPK/1", {"amount": 100000000, "currency": "IDR"})
    later = copy.deepcopy(signed)
    later["id"], later["date"] = "ocds-x-1-2", "2025-08-10T20:00:00Z"  # 11 August in WIB
    later["contracts"][0]["value"]["amount"] = 120000000
    (tmp_path / "x.jsonl").write_text(json.dumps(signed) + "\n" + json.dumps(later) + "\n", encoding="utf-8")
    conv = o.convert([tmp_path], {"012140737701000": "E08"})
    assert not conv.left_out, [lo.lines() for lo in conv.left_out]
    assert conv.contracts == [{
        "contract_id": "SPK/1", "title": "Jalan Ngabang",  # no contracts[].title: tender.title
        "contractor_id": "E08", "owner": "Dinas PUPR Kabupaten Landak", "funding": "apbd-kabupaten",
        "ppk": "Ir. Yohanes, M.T.", "value": "100000000",  # at signing, not the amended value
        "spk_date": "2025-05-01",  # 2025-04-30T18:00Z is 1 May in WIB
        "start_date": "2025-05-05", "end_date": "2025-08-01", "regency_code": "6103", "parent_contract_id": ""}]  # Kemendagri: Landak
    assert conv.amendments == [{"contract_id": "SPK/1", "amended_on": "2025-08-11", "value": "120000000"}]


def test_ocds_value_without_a_currency_is_left_out_and_said_so(tmp_path):
    rel = _works("ocds-y-1", "SPK/2", {"amount": 100000000})
    (tmp_path / "y.json").write_text(json.dumps({"uri": "u", "publishedDate": "2025-05-02T00:00:00Z",
                                                 "releases": [rel]}), encoding="utf-8")
    conv = o.convert([tmp_path], {"012140737701000": "E08"})
    assert not conv.contracts
    [lo] = conv.left_out
    assert lo.problems[0][0] == "contracts/0/value/currency" and lo.problems[0][1].startswith("missing")


def test_a_declaration_that_cannot_be_used_is_the_only_thing_reported(tmp_path, db_url):
    """A package declaring `delimiter: ";"` with one wrong key must not be told to declare ';'."""
    pkg = _demo_id(tmp_path)
    meta = yaml.safe_load((pkg / "package.yaml").read_text(encoding="utf-8"))
    meta["format"]["encoding"] = "utf-16"
    (pkg / "package.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    errs = _errors(pkg, db_url)
    assert errs[0] == "package.yaml, format.encoding: 'utf-16' — utf-8, cp1252 or latin-1 expected"
    assert not any("splits on" in e or e.startswith(("data_", "daftar_", "kontrak")) for e in errs), errs


# ------------------------------------------------------------------ XLSX: `values` maps typed cells too

MINI = ROOT / "tests" / "data" / "mini"


def _mini_workbook(tmp_path: Path, code: dict[str, object], values: dict | None) -> Path:
    """tests/data/mini as one workbook; payroll's employment written as the codes in `code`."""
    from openpyxl import Workbook

    pkg = tmp_path / "book"
    pkg.mkdir(parents=True)
    wb = Workbook(write_only=True)
    for p in sorted(MINI.glob("*.csv")):
        with p.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        ws = wb.create_sheet(p.stem)
        ws.append(rows[0])
        for r in rows[1:]:
            if p.stem == "payroll":
                k = rows[0].index("employment")
                r = list(r)
                r[k] = code.get(r[k], r[k])
            ws.append(r)
    wb.save(pkg / "paket.xlsx")
    meta = yaml.safe_load((MINI / "package.yaml").read_text(encoding="utf-8"))
    if values is not None:
        meta["tables"] = {"payroll": {"values": {"employment": values}}}
    (pkg / "package.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return pkg


def test_values_map_a_typed_number_cell_of_a_workbook(tmp_path, db_url):
    from sqlalchemy import select

    from patuh.audits.store import schema as s

    codes = {"pkwtt": 1, "pkwt": 2, "harian": 3, "borongan": 4}  # a status column coded as numbers
    pkg = _mini_workbook(tmp_path / "a", codes, {v: k for k, v in codes.items()})
    engine = get_engine(db_url)

    def employment(package: Path) -> list[tuple]:
        r = load_package(package, engine)
        with engine.connect() as conn:
            return [tuple(x) for x in conn.execute(
                select(s.payroll.c.src_row, s.payroll.c.employment)
                .where(s.payroll.c.import_id == r.import_id).order_by(s.payroll.c.src_row))]

    try:
        got, want = employment(pkg), employment(MINI)  # the workbook reads as the canonical CSV does
    finally:
        engine.dispose()
    assert got == want and {"pkwt", "pkwtt"} <= {e for _, e in want}
    # undeclared, the codes are refused under their column, never guessed
    errs = _errors(_mini_workbook(tmp_path / "b", codes, None), db_url)
    assert any("column employment" in e and '"1" is not one of' in e for e in errs), errs
