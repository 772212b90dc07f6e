"""Declared forms (docs/intake.md): the demo written the Indonesian way, or as a typed workbook,
loads to the canonical demo's rows and gives byte-identical findings; parsing a declared form is
strict and every error names file, row, the column as written and its canonical name."""
from __future__ import annotations

import csv
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from patuh.audits.importer.load import PackageError, load_package
from patuh.audits.importer.models import SPECS
from patuh.audits.store import schema as s
from patuh.audits.store.db import get_engine

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"
DEMO_ID = ROOT / "fixtures" / "kalbar-demo-id"
MINI = ROOT / "tests" / "data" / "mini"
sys.path.insert(0, str(ROOT / "fixtures"))

import build_demo_id  # noqa: E402


def canonical_copy(src: Path, dst: Path) -> Path:
    """The package's tables and package.yaml only (an answer key beside them is not data)."""
    dst.mkdir(parents=True)
    for p in src.iterdir():
        if p.suffix == ".csv" and p.stem in SPECS:
            shutil.copy(p, dst / p.name)
    meta = yaml.safe_load((src / "package.yaml").read_text(encoding="utf-8")) or {}
    if isinstance(meta.get("office"), str):
        meta["office"] = str((src / meta["office"]).resolve())
    (dst / "package.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return dst


def audit_findings(pkg: Path, engine, out: Path) -> bytes:
    from patuh.audits.audit import run_audit
    from patuh.audits.outputs import write_results

    loaded = load_package(pkg, engine)
    result = run_audit(engine, loaded.import_id)
    write_results(out, result)
    return (out / "findings.csv").read_bytes()


def stored_rows(engine, import_id: int) -> dict[str, list[tuple]]:
    """Every stored row of an import, without the bookkeeping that names the source file."""
    out = {}
    with engine.connect() as conn:
        for name, t in s.DATA_TABLES.items():
            cols = [c for c in t.c if c.name not in ("import_id", "src_file", "src_sheet") and not c.primary_key]
            out[name] = sorted(tuple(r) for r in conn.execute(select(*cols).where(t.c.import_id == import_id)))
    return out


@pytest.fixture
def engine(db_url):
    e = get_engine(db_url)
    yield e
    e.dispose()


# ----------------------------------------------------------------------------- the demo, three forms


def test_committed_indonesian_demo_is_the_script_output(tmp_path):
    """fixtures/kalbar-demo-id is fixtures/build_demo_id.py run on the demo: rerun it when the demo changes."""
    build_demo_id.main(DEMO, tmp_path / "id")
    made = sorted(p.name for p in (tmp_path / "id").iterdir())
    assert made == sorted(p.name for p in DEMO_ID.iterdir() if p.name != "README.md")
    for name in made:
        if name == "package.yaml":
            continue
        assert (tmp_path / "id" / name).read_bytes() == (DEMO_ID / name).read_bytes(), (
            f"fixtures/kalbar-demo-id/{name} is out of date: run .venv/bin/python fixtures/build_demo_id.py")

    def meta(folder):  # the office file is named relative to where the package is
        m = yaml.safe_load((folder / "package.yaml").read_text(encoding="utf-8"))
        if "office" in m:
            m["office"] = (folder / m["office"]).resolve()
        return m

    assert meta(tmp_path / "id") == meta(DEMO_ID)


def test_indonesian_form_gives_identical_rows_and_findings(tmp_path, engine):
    canon = canonical_copy(DEMO, tmp_path / "canon")
    indo = tmp_path / "id"
    build_demo_id.main(canon, indo)
    text = (indo / "daftar_gaji.csv").read_text(encoding="utf-8")
    # it really is the Indonesian form: ; cells, grouped amounts, dd/mm/yyyy, mm/yyyy, Tetap/Kontrak
    assert text.startswith("Kode Perusahaan;Bulan;NIK;Nama;Status;Gaji Pokok;Potongan BPJS TK")
    assert ";01/2025;" in text and ";Tetap;" in text and ";Kontrak;" in text and ";15.000.000;" in text
    assert "10 Februari 2025" in (indo / "pembayaran_iuran.csv").read_text(encoding="utf-8")
    assert ";Teguran I;" in (indo / "tindakan_penegakan.csv").read_text(encoding="utf-8")
    assert not any((indo / f"{t}.csv").exists() for t in SPECS)

    a = load_package(canon, engine)
    b = load_package(indo, engine)
    assert a.import_id != b.import_id
    assert a.rows == b.rows
    assert stored_rows(engine, a.import_id) == stored_rows(engine, b.import_id)
    assert not [w for w in b.warnings if "column" in w]  # every header was declared

    f1 = audit_findings(canon, engine, tmp_path / "o1")
    f2 = audit_findings(indo, engine, tmp_path / "o2")
    assert f1.count(b"\n") > 10
    assert f1 == f2


def test_xlsx_form_gives_identical_rows_and_findings(tmp_path, engine):
    """One typed workbook: numbers as number cells, dates as date cells, ids as text; payroll on a
    sheet "Daftar Gaji" with Indonesian headers and values, declared in package.yaml."""
    from openpyxl import Workbook

    canon = canonical_copy(DEMO, tmp_path / "canon")
    book_dir = tmp_path / "xlsx"
    book_dir.mkdir()
    wb = Workbook(write_only=True)
    headers_id = build_demo_id.TABLES["payroll"][1]
    status = {"pkwtt": "Tetap", "pkwt": "Kontrak", "harian": "Harian", "borongan": "Borongan"}
    for table in SPECS:
        path = canon / f"{table}.csv"
        if not path.exists():
            continue
        spec = SPECS[table]
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header = rows[0]
        ws = wb.create_sheet("Daftar Gaji" if table == "payroll" else table)
        ws.append([headers_id[h] for h in header] if table == "payroll" else header)
        for r in rows[1:]:
            cells = [build_demo_id.typed_cell(spec, h, v) for h, v in zip(header, r)]
            if table == "payroll":
                k = header.index("employment")
                cells[k] = status.get(cells[k], cells[k])
            ws.append(cells)
    wb.save(book_dir / "paket.xlsx")
    meta = yaml.safe_load((canon / "package.yaml").read_text(encoding="utf-8"))
    meta["tables"] = {"payroll": {"sheet": "Daftar Gaji", "columns": {v: k for k, v in headers_id.items()},
                                  "values": {"employment": {v: k for k, v in status.items()}}}}
    (book_dir / "package.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")

    a = load_package(canon, engine)
    b = load_package(book_dir, engine)
    assert a.rows == b.rows
    assert stored_rows(engine, a.import_id) == stored_rows(engine, b.import_id)
    assert audit_findings(canon, engine, tmp_path / "o1") == audit_findings(book_dir, engine, tmp_path / "o2")


# ----------------------------------------------------------------------------- strict parsing, messages


def _indonesian_mini(tmp_path: Path) -> Path:
    """The mini package with payroll in the Indonesian form (only payroll declared)."""
    pkg = canonical_copy(MINI, tmp_path / "mini")
    with (pkg / "payroll.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    heads = build_demo_id.TABLES["payroll"][1]
    (pkg / "payroll.csv").unlink()
    with (pkg / "daftar_gaji.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        cols = list(rows[0])
        w.writerow([heads[c] for c in cols])
        for r in rows:
            w.writerow([build_demo_id.convert_cell("payroll", c, build_demo_id._kinds("payroll")[c], r[c], r)
                        for c in cols])
    meta = yaml.safe_load((pkg / "package.yaml").read_text(encoding="utf-8")) or {}
    meta["tables"] = {"payroll": build_demo_id.declaration({}, ["payroll"])["tables"]["payroll"]}
    meta["tables"]["payroll"]["format"] = build_demo_id.declaration({}, ["payroll"])["format"]
    (pkg / "package.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return pkg


def _set_cell(path: Path, row: int, header: str, value: str, delimiter=";") -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=delimiter))
    rows[row - 1][rows[0].index(header)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)


def test_declared_mini_loads(tmp_path, engine):
    pkg = _indonesian_mini(tmp_path)
    r = load_package(pkg, engine)
    assert r.rows["payroll"] > 0


@pytest.mark.parametrize(
    "header, value, message",
    [
        ("Gaji Pokok", "3.054.552,5x", '"3.054.552,5x" is not a number'),
        ("Gaji Pokok", "3,054,552", '"3,054,552" is not a number'),  # commas: not the declared form, never guessed
        ("Gaji Pokok", "3054552.50", '"3054552.50" is not a number'),  # a canonical number is not the declared form
        ("Gaji Pokok", "3.05.552", '"3.05.552" is not a number'),
        ("Gaji Pokok", "3.054.552,505", '"3.054.552,505" is not a number'),
        ("Potongan BPJS TK", "-1.000", '"-1.000" is negative'),
        ("Bulan", "2025-01", "\"2025-01\" is not a period in the declared form '%m/%Y'"),
        ("Bulan", "13/2025", '"13/2025" is not a period that exists'),
        ("Status", "Tetep", '"Tetep" is not one of pkwtt, pkwt, harian, borongan'),
    ],
)
def test_declared_form_errors_name_file_row_source_and_canonical_column(tmp_path, engine, header, value, message):
    pkg = _indonesian_mini(tmp_path)
    _set_cell(pkg / "daftar_gaji.csv", 3, header, value)
    canon = dict((v, k) for k, v in build_demo_id.TABLES["payroll"][1].items())[header]
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    want = f'daftar_gaji.csv row 3, column "{header}" ({canon}): {message}'
    assert any(e.startswith(want) for e in info.value.errors), info.value.errors


def test_rupiah_sign_and_whole_rupiah_dash_are_read_when_thousands_are_declared(tmp_path, engine):
    pkg = _indonesian_mini(tmp_path)
    _set_cell(pkg / "daftar_gaji.csv", 2, "Gaji Pokok", "Rp 3.054.552,-")
    _set_cell(pkg / "daftar_gaji.csv", 3, "Gaji Pokok", "Rp. 2.500.000,50")
    r = load_package(pkg, engine)
    t = s.payroll
    with engine.connect() as conn:
        got = dict(conn.execute(select(t.c.src_row, t.c.wage).where(t.c.import_id == r.import_id, t.c.src_row <= 3)).all())
    assert got == {2: Decimal("3054552"), 3: Decimal("2500000.50")}


def test_indonesian_dates_and_periods(tmp_path, engine):
    from patuh.audits.importer.forms import _compile, _dater

    date_conv = _dater(_compile("indonesian", "date"), "indonesian")
    assert date_conv("17 Februari 2025") == "2025-02-17"
    assert date_conv("17 Feb 2025") == "2025-02-17"
    assert date_conv("1 Agustus 2025") == "2025-08-01" == date_conv("01 Agt 2025")
    assert date_conv("30 Februari 2025").endswith("is not a date that exists")
    per = _dater(_compile("%b-%y", "period"), "%b-%y")
    assert per("Jan-25") == "2025-01" and per("Des-25") == "2025-12" and per("Dec-25") == "2025-12"
    assert _dater(_compile("indonesian", "period"), "indonesian")("Mei 2025") == "2025-05"


# ----------------------------------------------------------------------------- hints without a declaration


def test_semicolon_file_without_declaration_is_refused_with_the_line_to_add(tmp_path, engine):
    pkg = canonical_copy(MINI, tmp_path / "mini")
    text = (pkg / "payroll.csv").read_text(encoding="utf-8")
    (pkg / "payroll.csv").write_text(text.replace(",", ";"), encoding="utf-8")
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    msg = next(e for e in info.value.errors if e.startswith("payroll.csv row 1"))
    assert "splits on ';'" in msg and 'format: {delimiter: ";"}' in msg
    assert not any("required column" in e for e in info.value.errors)  # not the misleading old message


def test_missing_column_lists_headers_and_the_closest(tmp_path, engine):
    pkg = canonical_copy(MINI, tmp_path / "mini")
    text = (pkg / "payroll.csv").read_text(encoding="utf-8")
    (pkg / "payroll.csv").write_text(text.replace("employer_id,", "Employer ID,", 1), encoding="utf-8")
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    msg = next(e for e in info.value.errors if "required column employer_id" in e)
    assert "the header has: Employer ID, period" in msg
    assert "closest: 'Employer ID'" in msg and "columns: {Employer ID: employer_id}" in msg


def test_declaration_mistakes_are_reported(tmp_path, engine):
    pkg = _indonesian_mini(tmp_path)
    meta = yaml.safe_load((pkg / "package.yaml").read_text(encoding="utf-8"))
    meta["tables"]["payroll"]["columns"]["Gaji Pokok"] = "wages"
    meta["format"] = {"decimal_separator": ",", "thousands_separator": ","}
    (pkg / "package.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    errs = "\n".join(info.value.errors)
    assert "'wages' is not a column of payroll — did you mean wage?" in errs
    assert "thousands_separator and decimal_separator are both ','" in errs


def test_declared_file_that_is_missing_and_doubled_tables(tmp_path, engine):
    pkg = _indonesian_mini(tmp_path)
    shutil.copy(MINI / "payroll.csv", pkg / "payroll.csv")
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    assert any(e.startswith("payroll: table given twice") for e in info.value.errors), info.value.errors
    (pkg / "payroll.csv").unlink()
    (pkg / "daftar_gaji.csv").rename(pkg / "gaji.csv")
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    assert any("daftar_gaji.csv is not in the package folder" in e for e in info.value.errors), info.value.errors


def test_declared_cp1252_encoding(tmp_path, engine):
    pkg = _indonesian_mini(tmp_path)
    p = pkg / "daftar_gaji.csv"
    with p.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    k = rows[0].index("Nama")
    rows[1][k] = "Renée Pangalila"
    with p.open("w", encoding="cp1252", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    with pytest.raises(PackageError) as info:  # undeclared: the é byte is not UTF-8
        load_package(pkg, engine)
    assert any("daftar_gaji.csv" in e and "UTF-8" in e for e in info.value.errors), info.value.errors
    meta = yaml.safe_load((pkg / "package.yaml").read_text(encoding="utf-8"))
    meta["tables"]["payroll"]["format"]["encoding"] = "cp1252"
    (pkg / "package.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    r = load_package(pkg, engine)
    with engine.connect() as conn:
        name = conn.execute(select(s.payroll.c.name).where(s.payroll.c.import_id == r.import_id,
                                                           s.payroll.c.src_row == 2)).scalar()
    assert name == "Renée Pangalila"
