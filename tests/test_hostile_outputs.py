"""Issue 10, outputs that mislead: a reused --out, CSV formula injection, what verify checks."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, inspect, select

from patuh.audits.dossiers import verify
from patuh.audits.outputs import _write_csv
from patuh.audits.store import schema as s
from patuh.cli import main

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini"


def audit(pkg: Path, out: Path, db_url: str, *extra: str):
    return CliRunner().invoke(main, ["audit", str(pkg), "--out", str(out), "--db", db_url, "--no-pdf", *extra])


def files_under(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def imports(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        if "imports" not in inspect(engine).get_table_names():
            return 0
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(s.imports)).scalar()
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------ 13: reused --out


def test_a_rerun_into_the_same_out_drops_the_previous_runs_dossiers(db_url, tmp_path):
    out = tmp_path / "out"
    res = audit(MINI, out, db_url, "--all-dossiers")
    assert res.exit_code == 0, res.output
    assert "dossiers/kasus/E002/dossier.html" in files_under(out)
    res = audit(MINI, out, db_url)  # no --all-dossiers: E002 gets no dossier this time
    assert res.exit_code == 0, res.output
    assert "dossiers/kasus/E002/dossier.html" not in files_under(out)
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [o["path"] for o in doc["outputs"]] == [f for f in files_under(out) if f != "manifest.json"]
    assert verify(out) == []


def test_an_out_folder_with_other_files_is_refused_and_left_alone(db_url, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    res = audit(MINI, out, db_url)
    assert res.exit_code == 1
    assert "is not empty and holds no manifest.json of an earlier patuh run" in res.output
    assert files_under(out) == ["notes.txt"] and (out / "notes.txt").read_text(encoding="utf-8") == "my notes"


def test_files_added_to_an_earlier_output_are_not_certified(db_url, tmp_path):
    out = tmp_path / "out"
    assert audit(MINI, out, db_url).exit_code == 0
    (out / "dossiers" / "extra.html").write_text("<p>not from patuh</p>", encoding="utf-8")
    res = audit(MINI, out, db_url)
    assert res.exit_code == 1 and "holds files the earlier run did not write (dossiers/extra.html)" in res.output
    assert (out / "dossiers" / "extra.html").is_file()


def test_an_unwritable_out_is_refused_before_any_work(db_url, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    res = audit(MINI, blocker / "out", db_url)
    assert res.exit_code == 1 and "cannot write there" in res.output
    assert imports(db_url) == 0  # nothing was imported, audited or written


def test_a_manifest_listing_paths_outside_the_folder_removes_nothing(db_url, tmp_path):
    out = tmp_path / "out"
    assert audit(MINI, out, db_url).exit_code == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    doc["outputs"].append({"path": "../victim.txt", "sha256": "0" * 64, "bytes": 7})
    (out / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    res = audit(MINI, out, db_url)
    assert res.exit_code == 1 and "'../victim.txt', not a path inside the folder" in res.output
    assert victim.read_text(encoding="utf-8") == "keep me" and (out / "findings.csv").is_file()


# -------------------------------------------------------------------------- 14: CSV injection


FORMULA_NAMES = {"E001": '=HYPERLINK("http://x.example","klik")', "E002": "@SUM(1+1)"}


def test_no_cell_of_the_csv_outputs_starts_a_formula(db_url, tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(MINI, pkg)
    emp = pkg / "employers.csv"
    text = emp.read_text(encoding="utf-8")
    text = text.replace("PT Sungai Kapuas Konstruksi", '"=HYPERLINK(""http://x.example"",""klik"")"', 1)
    text = text.replace("CV Warung Sambas", "@SUM(1+1)", 1)
    emp.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    res = audit(pkg, out, db_url)
    assert res.exit_code == 0, res.output
    for name in ("findings.csv", "cases.csv"):
        with open(out / name, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        cells = [c for r in rows[1:] for c in r]
        risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert not [c for c in risky if not c.lstrip("-").replace(".", "", 1).isdigit()], (name, risky)
        if name == "cases.csv":
            assert "'" + FORMULA_NAMES["E001"] in cells and "'" + FORMULA_NAMES["E002"] in cells
    # JSON is data, not a spreadsheet: the names stay exactly as given
    cases = json.loads((out / "cases.json").read_text(encoding="utf-8"))
    assert {c["name"] for c in cases} >= {FORMULA_NAMES["E001"]}


def test_a_carriage_return_in_a_value_keeps_its_row(tmp_path):
    path = tmp_path / "x.csv"
    rows = [{"a": "PT Satu\rBaris", "b": "1"}, {"a": "-12", "b": "+62 812"}]
    _write_csv(path, ["a", "b"], rows)
    with open(path, newline="", encoding="utf-8") as fh:
        back = list(csv.DictReader(fh))
    assert back == [{"a": "PT Satu\rBaris", "b": "1"}, {"a": "-12", "b": "'+62 812"}]


# ------------------------------------------------------------------------------------ 15: verify


def test_verify_checks_the_package_and_the_run_fields(db_url, tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(MINI, pkg)
    out = tmp_path / "out"
    assert audit(pkg, out, db_url).exit_code == 0
    runner = CliRunner()
    res = runner.invoke(main, ["verify", str(out), "--package", str(pkg)])
    assert res.exit_code == 0, res.output
    assert "match its inputs" in res.output and "not a signature" in res.output

    with open(pkg / "payments.csv", "a", encoding="utf-8") as fh:
        fh.write("E001,2025-02,1,2025-03-15,\n")
    (pkg / "workforce.csv").unlink()
    res = runner.invoke(main, ["verify", str(out), "--package", str(pkg)])
    assert res.exit_code == 1
    assert "input changed: payments.csv" in res.output and "input missing: workforce.csv" in res.output

    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    doc["run"]["as_of"] = "2025-12-31"  # the run id no longer follows from what the manifest says
    (out / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    problems = verify(out)
    assert len(problems) == 1 and problems[0].startswith(f"inconsistent: run_id {doc['run_id']} does not follow")

    doc["run_id"] = "not-a-run"
    (out / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    assert verify(out)[0] == "invalid: run_id 'not-a-run' (R- and 12 hex digits expected)"
