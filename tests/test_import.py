"""Importer: the invalid fixtures, all-or-nothing, XLSX = CSV, reloading, warnings, limits."""
from __future__ import annotations

import csv
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from patuh.audits.importer import PackageError, load_package
from patuh.audits.importer.command import load as load_command
from patuh.audits.store import schema as s
from patuh.audits.store.db import get_engine

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini"
INVALID = ROOT / "fixtures" / "invalid"
INVALID_CASES = sorted(p.name for p in INVALID.iterdir() if (p / "EXPECTED").is_file())

MINI_ROWS = {
    "employers": 2,
    "contracts": 2,
    "contract_amendments": 1,
    "project_registrations": 1,
    "enforcement_actions": 1,
    "participants": 2,
    "declarations": 3,
    "payments": 3,
    "payroll": 5,
    "villages": 1,
    "workforce": 2,
}


@pytest.fixture
def engine(db_url):
    eng = get_engine(db_url)
    yield eng
    eng.dispose()


def table_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in s.metadata.sorted_tables
        }


def copy_mini(tmp_path: Path, name: str = "pkg") -> Path:
    dst = tmp_path / name
    shutil.copytree(MINI, dst)
    return dst


def rewrite_csv(path: Path, fn) -> None:
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows = fn(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


# ------------------------------------------------------------------------------------ fixtures


def test_every_kind_of_error_has_a_fixture():
    assert len(INVALID_CASES) >= 16


@pytest.mark.parametrize("case", INVALID_CASES)
def test_invalid_fixture_gives_its_error_and_leaves_db_empty(case, engine):
    expected = (INVALID / case / "EXPECTED").read_text(encoding="utf-8").strip()
    with pytest.raises(PackageError) as info:
        load_package(INVALID / case, engine)
    assert info.value.errors == [expected]
    assert set(table_counts(engine).values()) == {0}


def test_error_only_in_last_table_rolls_back_everything(engine):
    # workforce is the last table read: all other tables were already inserted when it failed
    with pytest.raises(PackageError):
        load_package(INVALID / "error-in-last-table", engine)
    assert set(table_counts(engine).values()) == {0}
    # and the same database still takes the valid package afterwards
    assert load_package(MINI, engine).rows == MINI_ROWS


# ---------------------------------------------------------------------------------- valid load


def test_mini_package_loads(engine):
    r = load_package(MINI, engine)
    assert not r.already_loaded
    assert r.rows == MINI_ROWS
    assert r.warnings == []
    with engine.connect() as conn:
        imp = conn.execute(select(s.imports)).one()
        assert (imp.name, imp.source, imp.as_of, imp.province) == (
            "mini", "hand-written test package", date(2025, 6, 30), "61",
        )
        e1 = conn.execute(select(s.employers).where(s.employers.c.employer_id == "E001")).one()
        assert e1.npwp == "013000666091000"
        assert e1.programs == "JKK;JKM;JHT;JP"
        assert e1.registered_on == date(2020, 1, 15)
        assert e1.jkk_risk_group == 3
        assert (e1.src_file, e1.src_sheet, e1.src_row) == ("employers.csv", None, 2)
        pay = conn.execute(select(s.payroll).order_by(s.payroll.c.src_row)).all()
        assert pay[1].wage == Decimal("4000000.50")
        assert pay[2].nik == "6171010103900003"  # separators removed
        assert pay[2].bpjs_deduction == Decimal("0")  # default
        assert pay[3].employment == "pkwtt"  # default
        total = conn.execute(select(func.sum(s.payroll.c.wage))).scalar()
        assert total == Decimal("15509104.50") and isinstance(total, Decimal)
        files = conn.execute(select(s.import_files.c.file, s.import_files.c.rows)).all()
        assert ("payroll.csv", 5) in files and ("package.yaml", None) in files
        assert all(len(h) == 64 for h in conn.execute(select(s.import_files.c.sha256)).scalars())


def test_loading_twice_changes_nothing(engine):
    first = load_package(MINI, engine)
    before = table_counts(engine)
    second = load_package(MINI, engine)
    assert second.already_loaded
    assert second.import_id == first.import_id
    assert second.rows == first.rows
    assert table_counts(engine) == before


def test_changed_package_is_a_new_import(engine, tmp_path):
    first = load_package(MINI, engine)
    pkg = copy_mini(tmp_path)
    with (pkg / "payments.csv").open("a") as fh:
        fh.write("E001,2025-03,1000,2025-04-15,\n")
    second = load_package(pkg, engine)
    assert not second.already_loaded and second.import_id != first.import_id


def test_unknown_column_file_and_sheet_give_warnings(engine, tmp_path):
    from openpyxl import Workbook

    pkg = copy_mini(tmp_path)
    rewrite_csv(pkg / "payroll.csv", lambda rows: [r + (["bonus"] if i == 0 else ["5"]) for i, r in enumerate(rows)])
    (pkg / "notes.txt").write_text("hello")
    (pkg / "README.md").write_text("# what this package is")
    wb = Workbook()
    wb.active.title = "catatan"
    wb.save(pkg / "extra.xlsx")
    r = load_package(pkg, engine)
    assert "payroll.csv: column 'bonus' is not part of the data package, ignored" in r.warnings
    assert "notes.txt: not a data-package file, ignored" in r.warnings
    assert not [w for w in r.warnings if w.startswith("README.md")]  # a package's README is not data
    assert "extra.xlsx sheet catatan: not a data-package table, ignored" in r.warnings
    assert r.rows["payroll"] == 5


def test_error_limit(engine, tmp_path):
    pkg = copy_mini(tmp_path)
    with (pkg / "payroll.csv").open("a") as fh:
        for i in range(250):
            fh.write(f"E001,2024-{1 + i % 12:02d},6171010101900001,X,,\"1.000.{i:03d}\",0\n")
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    errors = info.value.errors
    assert len(errors) == 201
    assert errors[0] == 'payroll.csv row 7, column wage: "1.000.000" is not a plain number — write 1000000'
    assert errors[-1] == "… and 50 more"
    assert set(table_counts(engine).values()) == {0}


def test_all_errors_of_a_package_are_reported_together(engine, tmp_path):
    pkg = copy_mini(tmp_path)
    rewrite_csv(pkg / "payroll.csv", lambda rows: rows[:1] + [r[:5] + ["Rp 3054552"] + r[6:] for r in rows[1:3]] + rows[3:])
    with (pkg / "employers.csv").open("a") as fh:
        fh.write("E003,PT Tiga,,,,,besar,,,,61710,\n")
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    assert info.value.errors == [
        'employers.csv row 4, column regency_code: "61710" is not a regency code (kabupaten/kota) — 4 digits expected',
        'payroll.csv row 2, column wage: "Rp 3054552" is not a plain number — write 3054552',
        'payroll.csv row 3, column wage: "Rp 3054552" is not a plain number — write 3054552',
    ]


@pytest.mark.parametrize(
    "raw, hint",
    [
        ("3.054.552", "write 3054552"),
        ("3,054,552", "write 3054552"),
        ("Rp 3054552", "write 3054552"),
        ("Rp3.054.552,50", "write 3054552.50"),
        ("3,054,552.50", "write 3054552.50"),
        ("Rp 3.054.552,-", "write 3054552"),
        ("tiga juta", "write a plain number such as 3054552 or 3054552.50"),
    ],
)
def test_money_messages_say_how_to_write_it(raw, hint):
    from patuh.audits.importer.fields import FieldError, money

    with pytest.raises(FieldError) as info:
        money(raw)
    assert str(info.value) == f'"{raw}" is not a plain number — {hint}'


def test_money_accepts_plain_and_numeric_cells():
    from patuh.audits.importer.fields import FieldError, money

    assert money("3054552") == Decimal("3054552")
    assert money("3054552.50") == Decimal("3054552.50")
    assert money(3054552) == Decimal("3054552")
    assert money(3054552.5) == Decimal("3054552.5")
    with pytest.raises(FieldError, match="more than 2 decimals"):
        money("1.005")


def test_missing_required_table(engine, tmp_path):
    pkg = copy_mini(tmp_path)
    (pkg / "payroll.csv").unlink()
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    assert info.value.errors == [
        "package: table payroll is missing — give payroll.csv or a sheet payroll in the workbook"
    ]


def test_csv_with_bom_and_blank_lines(engine, tmp_path):
    pkg = copy_mini(tmp_path)
    p = pkg / "payroll.csv"
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes() + b"\n,,,,,,\n")
    assert load_package(pkg, engine).rows["payroll"] == 5


def test_not_utf8_is_an_error(engine, tmp_path):
    pkg = copy_mini(tmp_path)
    p = pkg / "workforce.csv"
    p.write_bytes(p.read_bytes().replace(b"konstruksi", b"konstruks\xe9"))
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    # the row and column of the byte (issue 10: not an offset into the read buffer)
    assert info.value.errors[0].startswith('workforce.csv row 3, column sector: not UTF-8 text (byte 0xE9 ')


# ----------------------------------------------------------------------------------------- XLSX

MONEY_COLS = {"wage", "bpjs_deduction", "reported_wage", "amount", "value", "declared_value", "contribution_paid"}
INT_COLS = {"jkk_risk_group", "officials", "officials_registered", "bpd_members", "year", "workers", "participants"}


def write_workbook(src: Path, dst: Path) -> None:
    """The mini package as one workbook: numeric money/integer cells, real date cells."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for csv_path in sorted(src.glob("*.csv")):
        ws = wb.create_sheet(csv_path.stem)
        rows = list(csv.reader(csv_path.open(encoding="utf-8", newline="")))
        header = rows[0]
        ws.append(header)
        for r in rows[1:]:
            out = []
            for col, v in zip(header, r):
                if v == "":
                    out.append(None)
                elif col in MONEY_COLS:
                    out.append(float(v) if "." in v else int(v))
                elif col in INT_COLS and csv_path.stem != "participants.csv":
                    out.append(int(v))
                elif col.endswith("_date") or col.endswith("_on"):
                    out.append(date.fromisoformat(v))  # a real date cell
                else:
                    out.append(v)
            ws.append(out)
    wb.save(dst)


def data_rows(engine, import_id: int) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for name, t in s.DATA_TABLES.items():
            cols = [t.c[c] for c in s.package_columns(t)] + [t.c.src_row]
            out[name] = conn.execute(select(*cols).where(t.c.import_id == import_id).order_by(t.c.src_row)).all()
    return out


def test_xlsx_package_loads_identically_to_csv(engine, tmp_path):
    xlsx_pkg = tmp_path / "xlsx"
    xlsx_pkg.mkdir()
    shutil.copy(MINI / "package.yaml", xlsx_pkg / "package.yaml")
    write_workbook(MINI, xlsx_pkg / "mini.xlsx")

    from openpyxl import load_workbook

    ws = load_workbook(xlsx_pkg / "mini.xlsx")["payroll"]
    assert ws["F2"].data_type == "n" and ws["F3"].value == 4000000.5  # numeric money cells
    assert load_workbook(xlsx_pkg / "mini.xlsx")["payments"]["D2"].is_date  # a real date cell

    a = load_package(MINI, engine)
    b = load_package(xlsx_pkg, engine)
    assert b.rows == a.rows == MINI_ROWS
    assert data_rows(engine, a.import_id) == data_rows(engine, b.import_id)
    with engine.connect() as conn:
        src = conn.execute(
            select(s.payroll.c.src_file, s.payroll.c.src_sheet).where(s.payroll.c.import_id == b.import_id)
        ).first()
    assert tuple(src) == ("mini.xlsx", "payroll")


def test_xlsx_errors_name_file_and_sheet(engine, tmp_path):
    from openpyxl import load_workbook

    pkg = tmp_path / "x"
    pkg.mkdir()
    write_workbook(MINI, pkg / "data.xlsx")
    wb = load_workbook(pkg / "data.xlsx")
    wb["payroll"]["F4"] = "2.900.000"
    wb["payroll"]["C5"] = 12.5  # a number in an identifier column that is not a whole number
    wb.save(pkg / "data.xlsx")
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    assert info.value.errors == [
        'data.xlsx sheet payroll row 4, column wage: "2.900.000" is not a plain number — write 2900000',
        'data.xlsx sheet payroll row 5, column nik: "12.5" is a number cell — text expected (format the column as Text)',
    ]


def test_xlsx_whole_number_id_cell_is_converted(engine, tmp_path):
    from openpyxl import load_workbook

    pkg = tmp_path / "x"
    pkg.mkdir()
    write_workbook(MINI, pkg / "data.xlsx")
    wb = load_workbook(pkg / "data.xlsx")
    wb["payroll"]["C6"] = 6101010505950004  # NIK typed as a number
    wb.save(pkg / "data.xlsx")
    r = load_package(pkg, engine)
    with engine.connect() as conn:
        niks = set(conn.execute(select(s.payroll.c.nik).where(s.payroll.c.import_id == r.import_id)).scalars())
    assert "6101010505950004" in niks


# ------------------------------------------------------------------------------------------ CLI


def test_cli_load_prints_rows_and_errors(db_url):
    runner = CliRunner()
    ok = runner.invoke(load_command, [str(MINI), "--db", db_url])
    assert ok.exit_code == 0, ok.output
    assert "payroll" in ok.output and "rows/s" in ok.output
    again = runner.invoke(load_command, [str(MINI), "--db", db_url])
    assert again.exit_code == 0 and "already loaded as import 1" in again.output

    bad = runner.invoke(load_command, [str(INVALID / "bad-money"), "--db", db_url])
    assert bad.exit_code == 1
    assert (INVALID / "bad-money" / "EXPECTED").read_text(encoding="utf-8").strip() in bad.output
    assert "Traceback" not in bad.output and bad.exception is None or isinstance(bad.exception, SystemExit)

    missing = runner.invoke(load_command, [str(INVALID / "no-such-folder"), "--db", db_url])
    assert missing.exit_code == 1 and "not a folder" in missing.output
