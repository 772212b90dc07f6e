"""Issue 10, hostile input: each defect of the importer, with the package that showed it.

Every case ends in one of two ways: a clear error naming the file (and row and column where there
is one) with nothing imported, or a load whose rows are what the files hold.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
DEMO = ROOT / "fixtures" / "kalbar-demo"


@pytest.fixture
def engine(db_url):
    eng = get_engine(db_url)
    yield eng
    eng.dispose()


def mini(tmp_path: Path, name: str = "pkg") -> Path:
    dst = tmp_path / name
    shutil.copytree(MINI, dst)
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def imports(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(s.imports)).scalar()


def refused(engine, pkg: Path) -> list[str]:
    """The errors of a package that must not load; checks that nothing was written."""
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    assert imports(engine) == 0
    return info.value.errors


# ------------------------------------------------------------------- 1-5: silent wrong results


def test_unterminated_quote_is_an_error_with_its_row(engine, tmp_path):
    pkg = mini(tmp_path)
    edit(pkg / "payments.csv", "2025-02-14,VA-001", '2025-02-14,"VA-001')
    errors = refused(engine, pkg)
    assert errors[0].startswith("payments.csv row 2: a quoted value that starts in this row is never closed")


def test_text_after_a_closing_quote_is_an_error(engine, tmp_path):
    pkg = mini(tmp_path)
    edit(pkg / "payments.csv", "2025-02-14,VA-001", '2025-02-14,"VA"-001')
    assert refused(engine, pkg)[0].startswith("payments.csv row 2: text after the closing quote")


@pytest.mark.parametrize("digits", ["٢٠٢٥", "२०२५", "２０２５"])  # Arabic-Indic, Devanagari, full-width
def test_non_ascii_digits_in_a_period_are_refused(engine, tmp_path, digits):
    pkg = mini(tmp_path)
    edit(pkg / "payroll.csv", "E002,2025-01", f"E002,{digits}-01")
    errors = refused(engine, pkg)
    assert errors == [f'payroll.csv row 6, column period: "{digits}-01" is not a period — write YYYY-MM, e.g. 2025-03']


def test_non_ascii_digits_in_amounts_and_dates_are_refused(engine, tmp_path):
    pkg = mini(tmp_path)
    edit(pkg / "payroll.csv", "Dewi,,2500000,0", "Dewi,,٢٥٠٠٠٠٠,0")
    edit(pkg / "payments.csv", "300000,2025-03-14", "300000,２０２５-03-14")
    errors = refused(engine, pkg)
    assert any(e.startswith("payroll.csv row 6, column wage: ") for e in errors), errors
    assert any(e.startswith("payments.csv row 4, column paid_on: ") for e in errors), errors


def test_a_cut_last_row_is_an_error(engine, tmp_path):
    pkg = mini(tmp_path)
    p = pkg / "payroll.csv"
    data = p.read_bytes()
    assert data.endswith(b"Dewi,,2500000,0\n")
    p.write_bytes(data[: -len(b"00000,0\n")])  # the wage cut to 25, the last cell and the line break gone
    errors = refused(engine, pkg)
    assert errors == ["payroll.csv row 6: the file ends inside this row (6 of 7 cells and no line break at the end)"
                      " — the file seems cut off; export it again"]


def test_a_file_without_final_line_break_loads_with_a_warning(engine, tmp_path):
    pkg = mini(tmp_path)
    p = pkg / "payroll.csv"
    p.write_bytes(p.read_bytes().rstrip(b"\n"))
    r = load_package(pkg, engine)
    assert r.rows["payroll"] == 5
    assert "payroll.csv: the file does not end with a line break — check that its last row (6) is complete" \
           " and the file was not cut off" in r.warnings


def test_a_key_given_twice_in_package_yaml_is_an_error(engine, tmp_path):
    pkg = mini(tmp_path)
    (pkg / "package.yaml").write_text("name: mini\nas_of: 2025-06-30\nas_of: 2025-01-31\n", encoding="utf-8")
    assert refused(engine, pkg) == ["package.yaml: key 'as_of' given twice, in lines 2 and 3 — give each key once"]


def test_a_table_given_twice_by_case_is_an_error(engine, tmp_path):
    pkg = mini(tmp_path)
    shutil.copy(pkg / "payroll.csv", pkg / "PAYROLL.CSV")
    assert "payroll: table given twice, as PAYROLL.CSV and as payroll.csv — keep one of them" in refused(engine, pkg)


def test_a_table_named_in_capitals_is_read(engine, tmp_path):
    pkg = mini(tmp_path)
    (pkg / "payroll.csv").rename(pkg / "Payroll.CSV")
    assert load_package(pkg, engine).rows["payroll"] == 5


# --------------------------------------------------------------------- 6-12: bounds and limits


def test_amounts_are_bounded_with_file_and_row(engine, tmp_path):
    pkg = mini(tmp_path)
    edit(pkg / "payroll.csv", "Dewi,,2500000,0", "Dewi,,12345678901234567,0")  # 17 digits: OverflowError before
    edit(pkg / "declarations.csv", "6171014202850002,3000000", "6171014202850002,1234567890123456")  # 16 digits
    errors = refused(engine, pkg)
    assert 'payroll.csv row 6, column wage: "12345678901234567" is too large — an amount below' \
           " Rp 10.000.000.000.000 (10^13) expected" in errors
    assert any(e.startswith("declarations.csv row 3, column reported_wage: ") and "too large" in e for e in errors)


def test_a_column_whose_amounts_add_up_beyond_reason_is_refused(engine, tmp_path):
    pkg = mini(tmp_path)
    with open(pkg / "payments.csv", "a", encoding="utf-8") as fh:
        for i in range(60):
            fh.write(f"E001,2025-03,9999999999999,2025-04-{1 + i % 28:02d},R{i}\n")
    errors = refused(engine, pkg)
    assert errors == ["payments.csv, column amount: the amounts add up to more than Rp 500.000.000.000.000 (5 × 10^14)"
                      " — not a plausible package; is a column of sen read as Rupiah?"]


def test_integers_are_bounded(engine, tmp_path):
    pkg = mini(tmp_path)
    edit(pkg / "workforce.csv", "2650000", "26500000000000000000000")
    errors = refused(engine, pkg)
    assert errors[0].startswith('workforce.csv row 2, column workers: "26500000000000000000000" is too large')


@pytest.mark.parametrize("bad, shown", [("\x00", "U+0000 (NUL)"), ("\x1b[2J", "U+001B (ESC)"),
                                        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"), ("\x85", "U+0085")])
def test_control_characters_in_text_are_refused(engine, tmp_path, bad, shown):
    pkg = mini(tmp_path)
    edit(pkg / "payroll.csv", "Siti Aminah", f"Siti{bad}Aminah")
    errors = refused(engine, pkg)
    assert len(errors) == 1 and errors[0].startswith("payroll.csv row 3, column name: ")
    assert shown in errors[0] and bad not in errors[0]


def test_a_carriage_return_in_an_id_is_refused(engine, tmp_path):
    pkg = mini(tmp_path)
    edit(pkg / "employers.csv", "E002,CV", '"E00\r2",CV')
    errors = refused(engine, pkg)
    assert errors[0].startswith("employers.csv row 3, column employer_id: ") and "U+000D" in errors[0]


def test_load_escapes_control_characters_it_prints(db_url, tmp_path):
    pkg = mini(tmp_path)
    (pkg / "notes\x1b[2J.txt").write_text("x", encoding="utf-8")
    res = CliRunner().invoke(load_command, [str(pkg), "--db", db_url])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "notes\\x1b[2J.txt: not a data-package file" in res.output


@pytest.mark.parametrize("yaml_text, expected", [
    ("as_of: 2025-02-30\n", 'package.yaml, key as_of: "2025-02-30" is not a date that exists — write YYYY-MM-DD'),
    ("province: [61, 62]\n", 'package.yaml, key province: "[61, 62]" is not a single value — a province code of 2'
                             ' digits, e.g. "61" expected'),
    ("province: 6100\n", 'package.yaml, key province: "6100" is not a province code — 2 digits expected, e.g. "61"'),
    ("as_of: 9999-12-31\n", 'package.yaml, key as_of: "9999-12-31" is outside the years the audit covers — a year'
                            " from 2000 to 2100 expected"),
    ('a: &a ["x","x"]\nb: &b [*a,*a]\nname: *b\n',
     "package.yaml: an anchor (&a) — anchors and aliases are not allowed (line 1)"),
])
def test_package_yaml_is_read_with_types_and_limits(engine, tmp_path, yaml_text, expected):
    pkg = mini(tmp_path)
    (pkg / "package.yaml").write_text(yaml_text, encoding="utf-8")
    assert refused(engine, pkg) == [expected]


def test_a_large_package_yaml_is_refused(engine, tmp_path):
    pkg = mini(tmp_path)
    (pkg / "package.yaml").write_text("name: " + "x" * 70_000 + "\n", encoding="utf-8")
    assert refused(engine, pkg) == ["package.yaml: 70,007 bytes — larger than the 65,536 bytes a package file may have"]


@pytest.mark.parametrize("period", ["9999-12", "0000-01", "1999-12", "2101-01"])
def test_years_outside_2000_2100_are_refused(engine, tmp_path, period):
    pkg = mini(tmp_path)
    edit(pkg / "payroll.csv", "E002,2025-01", f"E002,{period}")
    assert refused(engine, pkg) == [f'payroll.csv row 6, column period: "{period}" is outside the years the audit'
                                    " covers — a year from 2000 to 2100 expected"]


def test_long_ids_are_refused(engine, tmp_path):
    pkg = mini(tmp_path)
    long_id = "E" * 300
    edit(pkg / "employers.csv", "E002,CV", f"{long_id},CV")
    errors = refused(engine, pkg)
    assert errors[0] == (f'employers.csv row 3, column employer_id: "{"E" * 60}…" (300 characters) is too long'
                         " for an identifier — at most 100 characters expected")


def _load_in_subprocess(pkg: Path, db_url: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "patuh.cli", "load", str(pkg), "--db", db_url],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero")
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_table_that_is_not_a_regular_file_is_refused_at_once(db_url, tmp_path, kind):
    pkg = mini(tmp_path)
    (pkg / "payroll.csv").unlink()
    if kind == "fifo":
        os.mkfifo(pkg / "payroll.csv")
    else:
        (pkg / "payroll.csv").symlink_to("/dev/zero")
    try:
        res = _load_in_subprocess(pkg, db_url, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("patuh load hangs on a table that is not a regular file")
    assert res.returncode == 1
    assert "payroll.csv: not a regular file (a device, pipe or socket) — give a plain file" in res.stderr


def test_not_utf8_far_into_a_file_names_its_row_and_column(engine, tmp_path):
    pkg = mini(tmp_path)
    p = pkg / "payroll.csv"
    lines = p.read_bytes().splitlines(keepends=True)
    # 300 rows (15 KB, past the first read buffer) before the byte that is not UTF-8
    body = [lines[0]] + [f"E001,{2001 + i // 12}-{1 + i % 12:02d},6171010101900001,Budi {i},pkwtt,3054552,\n"
                         .encode() for i in range(300)]
    body += [b"E001,2030-03,6171010101900001,Bud\xe9,pkwtt,3054552,\n"]
    p.write_bytes(b"".join(body))
    errors = refused(engine, pkg)
    assert errors[0] == ('payroll.csv row 302, column name: not UTF-8 text (byte 0xE9 in "Bud\\xe9") —'
                         ' save the file as "CSV UTF-8"')


def test_a_huge_cell_names_its_row(engine, tmp_path):
    pkg = mini(tmp_path)
    edit(pkg / "payments.csv", "VA-002", '"' + "x" * 200_000 + '"')
    errors = refused(engine, pkg)
    assert errors == ["payments.csv row 4: a value longer than 131,072 characters — not a data-package value;"
                      " is a quote missing?"]


def test_echoed_values_are_cut(engine, tmp_path):
    pkg = mini(tmp_path)
    edit(pkg / "payroll.csv", "3054552,91636.56\nE001,2025-01,6171014202850002",
         "3054552,91636.56\nE001,2025-01," + "9" * 100_000)
    errors = refused(engine, pkg)
    assert all(len(e) < 400 for e in errors), [len(e) for e in errors]
    assert any("(100,000 characters)" in e for e in errors)


def test_one_missing_column_is_one_error(engine):
    pkg = DEMO
    # the demo's employers without its scale column: every employer reference would fail after it
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "demo"
        shutil.copytree(pkg, dst)
        import csv

        with open(dst / "employers.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        cols = [c for c in rows[0] if c != "scale"]
        with open(dst / "employers.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        with pytest.raises(PackageError) as info:
            load_package(dst, engine)
    assert info.value.total == 1, info.value.errors[:5]
    assert info.value.errors[0].startswith("employers.csv: required column scale is missing")


def test_one_cause_in_many_rows_is_shown_a_few_times_and_counted(engine, tmp_path):
    pkg = mini(tmp_path)
    with open(pkg / "payments.csv", "a", encoding="utf-8") as fh:
        for i in range(500):
            fh.write(f"E999,2025-03,1000,2025-04-01,R{i}\n")
    with pytest.raises(PackageError) as info:
        load_package(pkg, engine)
    errors = info.value.errors
    assert info.value.total == 500
    assert len(errors) == 11
    assert errors[-1] == ('payments.csv, column employer_id: "E999" is not an employer_id in employers:'
                          " the same problem in 490 more row(s)")


def test_loaded_values_equal_the_source(engine, tmp_path):
    """The bounds do not touch what is valid: the largest amount and the edge years load exactly."""
    pkg = mini(tmp_path)
    edit(pkg / "payments.csv", "E001,2025-02,300000,2025-03-14", "E001,2025-02,9999999999999.99,2100-12-31")
    edit(pkg / "payroll.csv", "E002,2025-01", "E002,2000-01")
    load_package(pkg, engine)
    with engine.connect() as conn:
        amounts = sorted(conn.execute(select(s.payments.c.amount)).scalars())
        periods = sorted(conn.execute(select(s.payroll.c.period)).scalars())
    assert amounts[-1] == Decimal("9999999999999.99") and periods[0] == "2000-01"


@pytest.mark.parametrize("args, shown", [(["--to", "9999-12"], "'9999-12' is outside the years 2000–2100"),
                                         (["--from", "0000-01"], "'0000-01' is outside the years 2000–2100"),
                                         (["--from", "٢٠٢٥-01"], "is not a month YYYY-MM"),
                                         (["--as-of", "9999-12-31"], "'9999-12-31' is outside the years 2000–2100")])
def test_cli_months_and_dates_are_limited_to_2000_2100(db_url, tmp_path, args, shown):
    from patuh.cli import main

    res = CliRunner().invoke(main, ["audit", str(MINI), "--out", str(tmp_path / "out"), "--db", db_url,
                                    "--no-pdf", *args])
    assert res.exit_code == 2 and shown in res.output, res.output


def test_the_largest_amounts_audit_on_both_databases(db_url, tmp_path):
    """At the bounds, wage × 99 and the sums of the facts stay inside BIGINT (PostgreSQL stopped on a
    16-digit wage that the import had let through)."""
    from patuh.cli import main

    pkg = mini(tmp_path)
    p = pkg / "payroll.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    out = [lines[0]] + [",".join(ln.split(",")[:5] + ["9999999999999.99", "0"]) for ln in lines[1:]]
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["audit", str(pkg), "--out", str(tmp_path / "out"), "--db", db_url, "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output and "out of range" not in res.output


def test_a_sheet_named_in_capitals_beside_its_csv_is_given_twice(engine, tmp_path):
    from openpyxl import Workbook

    pkg = mini(tmp_path)
    wb = Workbook()
    ws = wb.active
    ws.title = "WORKFORCE"
    import csv

    with open(pkg / "workforce.csv", newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            ws.append(row)
    wb.save(pkg / "data.xlsx")
    assert "workforce: table given twice, as workforce.csv and as data.xlsx sheet WORKFORCE — keep one of them" \
           in refused(engine, pkg)
    (pkg / "workforce.csv").unlink()
    assert load_package(pkg, engine).rows["workforce"] == 2


def test_a_table_file_over_the_size_cap_is_refused(engine, tmp_path, monkeypatch):
    from patuh.audits.importer import reader

    monkeypatch.setattr(reader, "MAX_CSV_BYTES", 200)
    pkg = mini(tmp_path)
    size = (pkg / "payroll.csv").stat().st_size
    assert f"payroll.csv: {size:,} bytes — larger than the 200 bytes a package file may have" in refused(engine, pkg)
