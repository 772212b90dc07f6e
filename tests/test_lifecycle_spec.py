"""docs/lifecycle.md read statement by statement: the places where patuh did not do what the
contract says (a review of issue 11). SQLite, and PostgreSQL with PATUH_TEST_DB."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import create_engine, text

from cli_helpers import invoke, rows

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "kalbar-demo"
STATUSES = ["baru", "baru-dinilai", "tetap", "berubah", "selesai", "tidak-dinilai"]


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


def test_a_late_fee_paid_is_not_evidence_of_a_contribution(db_url, tmp_path):
    """"Only iuran payments count in Paid(E,P,d)": the dossier's "contribution payments received"
    (and the pidana element built on them) listed a late-fee payment (kind denda) as a contribution."""
    import shutil

    pkg = tmp_path / "pkg"
    shutil.copytree(DEMO, pkg, ignore=shutil.ignore_patterns("expected_*", "README.md"))
    yml = (pkg / "package.yaml").read_text(encoding="utf-8")
    (pkg / "package.yaml").write_text("\n".join(line for line in yml.splitlines() if not line.startswith("office:"))
                                      + "\n", encoding="utf-8")
    pays = rows(pkg / "payments.csv")
    for r in pays:
        r["kind"] = ""
    pays.append({"employer_id": "E19", "period": "2025-09", "amount": "30000", "paid_on": "2025-11-21",
                 "reference": "DENDA-E19-2025-09", "kind": "denda"})
    with open(pkg / "payments.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(pays[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(pays)
    invoke("audit", DEMO, "--out", tmp_path / "o0", "--db", db_url, "--no-pdf")
    before = {r["subject_id"]: r for r in rows(tmp_path / "o0" / "findings.csv") if r["category"] == "TUNGGAKAN"}
    invoke("audit", pkg, "--out", tmp_path / "o1", "--db", db_url, "--no-pdf", "--draft")
    now = {r["subject_id"]: r for r in rows(tmp_path / "o1" / "findings.csv") if r["category"] == "TUNGGAKAN"}
    sept = now["E19:2025-09"]
    assert int(sept["late_fee"]) == int(before["E19:2025-09"]["late_fee"]) - 30000  # the remainder is reported
    assert sept["amount"] == before["E19:2025-09"]["amount"]  # the fee paid is no contribution
    ev = json.loads(invoke("explain", sept["finding_id"], "--db", db_url, "--json").stdout)["finding"]["evidence"]
    assert all(p["reference"] != "DENDA-E19-2025-09" for p in ev["payments"])
    assert [p["reference"] for p in ev["late_fee_payments"]] == ["DENDA-E19-2025-09"]
    dossier = (tmp_path / "o1" / "dossiers" / "kepolisian" / "E19" / "dossier.html").read_text(encoding="utf-8")
    assert "DENDA-E19-2025-09" not in dossier  # not among the contribution payments received
    text_out = invoke("explain", sept["finding_id"], "--db", db_url).output
    assert "bayar denda keterlambatan Rp 30.000" in text_out
