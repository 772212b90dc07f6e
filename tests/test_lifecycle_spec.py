"""docs/lifecycle.md read statement by statement: the places where patuh did not do what the
contract says (a review of issue 11). SQLite, and PostgreSQL with PATUH_TEST_DB."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, text

from patuh.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "kalbar-demo"
STATUSES = ["baru", "baru-dinilai", "tetap", "berubah", "selesai", "tidak-dinilai"]


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def invoke(*args, code: int = 0):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    return res


def audit(out, db, *extra, code: int = 0):
    return invoke("audit", DEMO, "--out", out, "--db", db, "--no-pdf", *extra, code=code)


def sql(db: str, statement: str) -> None:
    engine = create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def test_previous_is_the_earlier_recording_of_the_same_inputs(db_url, tmp_path):
    """"previous is the run recorded most recently before this one ... (an error when there is
    none)": auditing the same inputs again has one (its earlier recording, same findings). It was
    refused after findings.csv had been written, leaving a half-written output folder."""
    audit(tmp_path / "o1", db_url)
    n = len(rows(tmp_path / "o1" / "findings.csv"))
    res = audit(tmp_path / "o2", db_url, "--compare-with", "previous")
    changes = rows(tmp_path / "o2" / "changes.csv")
    assert len(changes) == n and {r["status"] for r in changes} == {"tetap"}
    assert ", ".join(f"{k} {n if k == 'tetap' else 0}" for k in STATUSES) in res.output
    assert (tmp_path / "o2" / "manifest.json").exists()


def test_a_refused_compare_with_leaves_the_earlier_output(db_url, tmp_path):
    """Bad input stops before anything is written: an unknown --compare-with run must not first
    clear the output folder of the earlier audit."""
    out = tmp_path / "o1"
    audit(out, db_url)
    before = sorted(p.name for p in out.iterdir())
    res = audit(out, db_url, "--compare-with", "R-000000000000", code=1)
    assert "R-000000000000" in res.output
    assert sorted(p.name for p in out.iterdir()) == before and (out / "findings.csv").exists()


def test_deleting_the_last_event_breaks_the_log(db_url, tmp_path):
    """"editing or deleting an event makes --verify fail and name the first broken event": the
    last event leaves no gap in the chain, but the run, action or review it logged is still there."""
    audit(tmp_path / "o1", db_url)
    invoke("action", "add", "E16", "teguran-1", "--issued-on", "2025-11-20", "--by", "Inspektur A", "--db", db_url)
    fid = rows(tmp_path / "o1" / "findings.csv")[0]["finding_id"]
    invoke("review", fid, "--decision", "setuju", "--by", "Kasi", "--db", db_url)
    events = json.loads(invoke("log", "--verify", "--json", "--db", db_url).stdout)
    assert events["verified"] is True
    kinds = [e["kind"] for e in events["events"]]
    assert kinds[-3:] == ["audit", "action", "review"]
    last = events["events"][-1]["event_id"]
    for kind, what in (("review", "review #1"), ("action", "action #1"), ("audit", "run ")):
        sql(db_url, f"DELETE FROM audit_log WHERE event_id = {last}")
        res = invoke("log", "--verify", "--db", db_url, code=1)
        assert f"event {last}" in res.output and what in res.output and "missing" in res.output, kind
        out = json.loads(invoke("log", "--verify", "--json", "--db", db_url, code=1).stdout)
        assert out["verified"] is False and out["first_broken"]["event_id"] == last
        last -= 1


def test_a_rejected_finding_counts_in_no_coverage_figure(db_url, tmp_path):
    """A rejected finding "counts in no case total, no ladder step and no dossier except in an
    annex": the provincial report's found_unregistered workers did still count it."""
    audit(tmp_path / "o1", db_url)
    cov1 = {(r["region_code"], r["sector"]): r for r in rows(tmp_path / "o1" / "coverage.csv")}
    e12 = [r for r in rows(tmp_path / "o1" / "findings.csv") if r["employer_id"] == "E12" and r["category"] == "PDS-TK"]
    assert e12 and int(cov1[("6103", "")]["found_unregistered"]) > 0  # E12 is in regency 6103, alone there
    niks = {w["nik"] for f in json.loads((tmp_path / "o1" / "findings.json").read_text(encoding="utf-8"))
            if f["employer_id"] == "E12" and f["category"] == "PDS-TK" for w in f.get("evidence", {}).get("workers", [])}
    for f in e12:
        invoke("review", f["finding_id"], "--decision", "tolak", "--reason", "terdaftar di NPP induk", "--by", "Kasi",
               "--db", db_url)
    audit(tmp_path / "o2", db_url)
    cov2 = {(r["region_code"], r["sector"]): r for r in rows(tmp_path / "o2" / "coverage.csv")}
    assert cov2[("6103", "")]["found_unregistered"] == "0"
    dropped = int(cov1[("61", "")]["found_unregistered"]) - int(cov2[("61", "")]["found_unregistered"])
    assert dropped == int(cov1[("6103", "")]["found_unregistered"])
    assert not niks or dropped == len(niks)
    assert {r["review"] for r in rows(tmp_path / "o2" / "findings.csv") if r["finding_id"] in
            {f["finding_id"] for f in e12}} == {"tolak"}
