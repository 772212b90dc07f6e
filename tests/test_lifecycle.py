"""Enforcement across audits (docs/lifecycle.md), played on the demo package as an inspector would:
audit; the employer pays; re-audit with --compare-with previous; narrow and widen the range;
record actions; reject a finding; check the audit log. SQLite, and PostgreSQL with PATUH_TEST_DB."""
from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from patuh.audits.calc.calendar import add_working_days
from patuh.cli import main
from cli_helpers import invoke, rows

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "kalbar-demo"
AS_OF_2 = dt.date(2025, 12, 31)


def audit(pkg, out, db, *extra, code: int = 0):
    return invoke("audit", pkg, "--out", out, "--db", db, "--no-pdf", *extra, code=code)


def by_key(path: Path) -> dict[tuple[str, str], dict]:
    return {(r["category"], r["subject_id"]): r for r in rows(path)}


def copy_demo(target: Path) -> Path:
    """The demo package elsewhere; a relative reference in package.yaml (office: …) still resolves."""
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("expected_*", "README.md"))
    lines = []
    for line in (target / "package.yaml").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if key == "office" and value.strip() and not Path(value.strip()).is_absolute():
            line = f"office: {(DEMO / value.strip()).resolve()}"
        lines.append(line)
    (target / "package.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def second_package(tmp: Path, first: dict[tuple[str, str], dict]) -> Path:
    """The next snapshot: as_of a month later; E19 pays its July and August arrears (the amounts
    the first audit found) and E18 pays the late fee of April (kind denda)."""
    pkg = copy_demo(tmp / "pkg2")
    yml = (pkg / "package.yaml").read_text(encoding="utf-8")
    assert "as_of: 2025-11-28" in yml
    (pkg / "package.yaml").write_text(yml.replace("as_of: 2025-11-28", f"as_of: {AS_OF_2}"), encoding="utf-8")
    pays = rows(pkg / "payments.csv")
    for r in pays:
        r["kind"] = "iuran"
    pays += [
        {"employer_id": "E19", "period": p, "amount": first[("TUNGGAKAN", f"E19:{p}")]["amount"],
         "paid_on": "2025-12-10", "reference": f"VA-E19-{p}", "kind": "iuran"} for p in ("2025-07", "2025-08")
    ] + [{"employer_id": "E18", "period": "2025-04", "amount": first[("TELAT-BAYAR", "E18:2025-04")]["late_fee"],
          "paid_on": "2025-12-12", "reference": "DENDA-E18-2025-04", "kind": "denda"}]
    with open(pkg / "payments.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(pays[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(pays)
    return pkg


def status_of(changes: list[dict]) -> dict[tuple[str, str], str]:
    return {(r["category"], r["subject_id"]): r["status"] for r in changes}


def test_the_story_between_two_audits(db_url, tmp_path):
    db = db_url
    # 1. the first audit
    audit(DEMO, tmp_path / "o1", db)
    first = by_key(tmp_path / "o1" / "findings.csv")
    assert first[("TUNGGAKAN", "E19:2025-07")] and first[("TELAT-BAYAR", "E18:2025-04")]
    assert rows(tmp_path / "o1" / "findings.csv")[0]["review"] == ""

    # 2. the employer pays two arrears months and one late fee; re-audit against the previous run
    pkg2 = second_package(tmp_path, first)
    res = audit(pkg2, tmp_path / "o2", db, "--compare-with", "previous")
    changes = rows(tmp_path / "o2" / "changes.csv")
    assert list(changes[0]) == ["finding_id", "rule_id", "category", "subject_id", "employer_id", "period", "status",
                                "amount_before", "amount_now", "late_fee_before", "late_fee_now"]
    st = status_of(changes)
    for p in ("2025-07", "2025-08"):
        assert st[("TUNGGAKAN", f"E19:{p}")] == "selesai"  # paid
        assert st[("TELAT-BAYAR", f"E19:{p}")] == "baru"  # paid late: the late fee is now owed as such
    assert st[("TELAT-BAYAR", "E18:2025-04")] == "selesai"  # the late fee was paid (kind denda)
    sept = next(r for r in changes if r["category"] == "TUNGGAKAN" and r["subject_id"] == "E19:2025-09")
    # still unpaid a month later: the same principal, a larger late fee
    assert sept["status"] == "berubah" and sept["amount_before"] == sept["amount_now"]
    assert int(sept["late_fee_now"]) > int(sept["late_fee_before"])
    # the missing side is empty
    gone = next(r for r in changes if r["status"] == "selesai")
    assert gone["amount_now"] == "" and gone["late_fee_now"] == "" and gone["amount_before"] != ""
    counts = {k: sum(1 for r in changes if r["status"] == k) for k in
              ("baru", "baru-dinilai", "tetap", "berubah", "selesai", "tidak-dinilai")}
    assert "perubahan / changes" in res.output
    assert ", ".join(f"{k} {v}" for k, v in counts.items()) in res.output
    # the same changes from the store, for two recorded runs
    runs = json.loads(invoke("runs", "--db", db, "--json").stdout)["runs"]
    assert [r["seq"] for r in runs] == [1, 2]
    run1, run2 = runs[0]["run_id"], runs[1]["run_id"]
    cj = json.loads(invoke("compare", run1, run2, "--db", db, "--json").stdout)
    assert cj["changes"] == changes and cj["counts"] == counts
    # findings/cases default to the latest RECORDED run and say which
    out = invoke("findings", "--db", db, "--category", "telat-bayar").output
    assert run2 in out.splitlines()[0] and "E18:2025-04" not in out and "E19:2025-07" in out

    # 3. narrow the range: what the narrower run did not look at is not "resolved"
    audit(pkg2, tmp_path / "o3", db, "--to", "2025-06", "--compare-with", "previous")
    narrow = rows(tmp_path / "o3" / "changes.csv")
    later = {(r["category"], r["subject_id"]) for r in rows(tmp_path / "o2" / "findings.csv") if r["period"] > "2025-06"}
    assert later and {k for k, v in status_of(narrow).items() if v == "tidak-dinilai"} == later
    assert "selesai" not in status_of(narrow).values()

    # 4. widen again: the months come back as new to the record, not as new violations
    audit(pkg2, tmp_path / "o4", db, "--compare-with", "previous")
    wide = status_of(rows(tmp_path / "o4" / "changes.csv"))
    assert {k for k, v in wide.items() if v == "baru-dinilai"} == later
    assert "baru" not in wide.values()
    cases4 = {c["employer_id"]: c for c in rows(tmp_path / "o4" / "cases.csv")}
    assert cases4["E14"]["next_steps"] == "teguran-1" and cases4["E15"]["next_steps"] == "teguran-1"
    run4 = json.loads(invoke("runs", "--db", db, "--json").stdout)["runs"][-1]["run_id"]

    # 5. actions taken: a first warning 11 working days ago, another 3 days ago
    old = next(AS_OF_2 - dt.timedelta(days=n) for n in range(1, 30)
               if add_working_days(AS_OF_2 - dt.timedelta(days=n), 11) == AS_OF_2)
    recent = AS_OF_2 - dt.timedelta(days=3)
    invoke("action", "add", "E14", "teguran-1", "--issued-on", old, "--reference", "0901/T1/2025", "--by", "Inspektur A",
           "--db", db)
    invoke("action", "add", "E15", "teguran-1", "--issued-on", recent, "--by", "Inspektur A", "--db", db)
    listed = json.loads(invoke("action", "list", "--db", db, "--json").stdout)["actions"]
    assert [(a["employer_id"], a["step"], a["recorded_by"]) for a in listed] == [
        ("E14", "teguran-1", "Inspektur A"), ("E15", "teguran-1", "Inspektur A")]
    audit(pkg2, tmp_path / "o5", db)
    cases5 = {c["employer_id"]: c for c in rows(tmp_path / "o5" / "cases.csv")}
    assert cases5["E14"]["next_steps"] == "teguran-2"  # its 10 working days are over
    assert cases5["E15"]["next_steps"] == "tunggu"
    assert cases5["E15"]["wait_until"] == add_working_days(recent, 10).isoformat()
    # the second warning refers to the first one as recorded (documents read recorded actions too)
    letter = tmp_path / "o5" / "surat" / "teguran-2" / "E14" / "surat.html"
    if "office:" in (DEMO / "package.yaml").read_text(encoding="utf-8"):  # letters need an office configuration
        assert "0901/T1/2025" in letter.read_text(encoding="utf-8")
    run5 = json.loads(invoke("runs", "--db", db, "--json").stdout)["runs"][-1]["run_id"]
    assert run5 != run4  # recorded actions change the outcome: a new run, the earlier one kept
    assert run4 in {r["run_id"] for r in json.loads(invoke("runs", "--db", db, "--json").stdout)["runs"]}

    # 6. a reviewer rejects a finding: it stays listed, but leaves the case total
    f5 = rows(tmp_path / "o5" / "findings.csv")
    target = next(r for r in f5 if r["employer_id"] == "E16" and r["category"] == "UPAH-DI-BAWAH-UMK")
    invoke("review", target["finding_id"], "--decision", "tolak", "--by", "Kasi Pengawasan", "--db", db, code=1)
    invoke("review", target["finding_id"], "--decision", "tolak", "--reason", "masa percobaan yang sah",
           "--by", "Kasi Pengawasan", "--db", db)
    audit(pkg2, tmp_path / "o6", db)
    f6 = {r["finding_id"]: r for r in rows(tmp_path / "o6" / "findings.csv")}
    assert f6[target["finding_id"]]["review"] == "tolak"
    assert f6[target["finding_id"]]["amount"] == target["amount"]
    cases6 = {c["employer_id"]: c for c in rows(tmp_path / "o6" / "cases.csv")}
    assert int(cases6["E16"]["total_amount"]) == int(cases5["E16"]["total_amount"]) - int(target["amount"])
    assert all(r["review"] == "" for fid, r in f6.items() if fid != target["finding_id"])

    # 7. the audit log holds, and breaks where it is edited
    log = json.loads(invoke("log", "--db", db, "--json", "--verify").stdout)
    kinds = [e["kind"] for e in log["events"]]
    assert log["verified"] is True
    assert kinds.count("load") == 2 and kinds.count("audit") == 6 and kinds.count("action") == 2
    assert kinds.count("review") == 1
    engine = create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET summary = 'tidak ada apa-apa' WHERE event_id = 3"))
    engine.dispose()
    res = invoke("log", "--db", db, "--verify", code=1)
    assert "event 3" in res.output


def test_reading_commands_never_create_a_database(tmp_path):
    missing = tmp_path / "nowhere" / "patuh.db"
    for cmd in (["findings"], ["cases"], ["runs"], ["explain", "F-0000000000"], ["log"], ["compare", "previous"],
                ["action", "list"]):
        res = CliRunner().invoke(main, cmd + ["--db", f"sqlite:///{missing}"])
        assert res.exit_code == 1, (cmd, res.output)
        assert str(missing) in res.output and "no database" in res.output
    assert not missing.exists() and not missing.parent.exists()


def test_unknown_filters_actions_and_reviews_are_refused(db_url, tmp_path):
    audit(DEMO, tmp_path / "o", db_url)
    res = invoke("findings", "--db", db_url, "--category", "TUNGGAK", code=1)
    assert 'unknown category "TUNGGAK"' in res.output and "TELAT-BAYAR" in res.output
    res = invoke("findings", "--db", db_url, "--employer", "E99", code=1)
    assert '"E99"' in res.output and "E01, E02" in res.output
    res = invoke("action", "add", "E99", "teguran-1", "--issued-on", "2025-11-01", "--db", db_url, code=1)
    assert "E99" in res.output and "no loaded package" in res.output
    res = invoke("action", "add", "E14", "surat-cinta", "--issued-on", "2025-11-01", "--db", db_url, code=1)
    assert "not a step" in res.output and "teguran-2" in res.output
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    res = invoke("action", "add", "E14", "teguran-1", "--issued-on", tomorrow, "--db", db_url, code=1)
    assert "future" in res.output
    res = invoke("review", "F-0000000000", "--decision", "setuju", "--by", "X", "--db", db_url, code=1)
    assert "not in any recorded run" in res.output
    assert json.loads(invoke("action", "list", "--db", db_url, "--json").stdout)["actions"] == []


def test_a_decision_on_other_amounts_needs_review_again(db_url, tmp_path):
    """setuju on the first audit's amounts; a month later the late fee has grown: perlu-tinjau-ulang."""
    audit(DEMO, tmp_path / "o1", db_url)
    first = by_key(tmp_path / "o1" / "findings.csv")
    sept, paid = first[("TUNGGAKAN", "E19:2025-09")], first[("TUNGGAKAN", "E19:2025-07")]
    invoke("review", sept["finding_id"], "--decision", "setuju", "--by", "Kasi", "--db", db_url)
    invoke("review", paid["finding_id"], "--decision", "setuju", "--by", "Kasi", "--db", db_url)
    audit(DEMO, tmp_path / "o1b", db_url)  # same amounts: the decisions hold
    again = by_key(tmp_path / "o1b" / "findings.csv")
    assert again[("TUNGGAKAN", "E19:2025-09")]["review"] == "setuju"
    audit(second_package(tmp_path, first), tmp_path / "o2", db_url)
    now = by_key(tmp_path / "o2" / "findings.csv")
    assert now[("TUNGGAKAN", "E19:2025-09")]["review"] == "perlu-tinjau-ulang"
    assert ("TUNGGAKAN", "E19:2025-07") not in now  # paid: nothing left to review


def test_explain_speaks_the_users_language(db_url, tmp_path):
    audit(DEMO, tmp_path / "o", db_url)
    fid = by_key(tmp_path / "o" / "findings.csv")[("TUNGGAKAN", "E19:2025-07")]["finding_id"]
    out_id = invoke("explain", fid, "--db", db_url).output
    out_en = invoke("explain", fid, "--db", db_url, "--lang", "en").output
    for out in (out_id, out_en):
        assert "{'day'" not in out and "798720.00" not in out
    assert "Rp 798.720" in out_id and "tanggal 15 bulan berikutnya" in out_id
    assert "Rp 798,720" in out_en and "day 15 of the following month" in out_en
    assert "Aturan" not in out_en and "Rule:" in out_en and "Parameters:" in out_en
    assert out_id.splitlines()[0].startswith("basis data ") and " run R-" in out_id.splitlines()[0]


def test_warnings_an_inspector_needs(db_url, tmp_path):
    res = audit(DEMO, tmp_path / "o", db_url, "--as-of", "2025-03-01")
    assert "before the due date of the last audited month (2025-09, due" in res.output
    assert "including 2025-04..2025-09, after as_of itself" in res.output  # wages judged after as_of
    assert "differs from the package's as_of 2025-11-28" in res.output
    report = (tmp_path / "o" / "dossiers" / "pemprov" / "laporan.html").read_text(encoding="utf-8")
    assert "Peringatan yang direkam dengan run ini" in report and "before the due date of the last" in report
    res = audit(DEMO, tmp_path / "o2", db_url, "--from", "2024-01", "--to", "2024-03")
    assert "no payroll in 2024-01..2024-03" in res.output
    run = json.loads(invoke("runs", "--db", db_url, "--json").stdout)["runs"][-1]
    assert any("no payroll" in w for w in run["counts"]["warnings"])


def test_late_fee_paid_closes_telat_bayar(db_url, tmp_path):
    """Without the kind column the findings are today's; a denda payment of the whole fee clears
    TELAT-BAYAR, part of it leaves the rest."""
    audit(DEMO, tmp_path / "o1", db_url)
    first = by_key(tmp_path / "o1" / "findings.csv")
    fee = int(first[("TELAT-BAYAR", "E20:2025-05")]["late_fee"])
    pkg = copy_demo(tmp_path / "pkg")
    with open(pkg / "payments.csv", "a", encoding="utf-8") as fh:
        fh.write("E20,2025-05,1000,2025-11-20,DENDA-1\n")
    (pkg / "payments.csv").write_text((pkg / "payments.csv").read_text().replace(
        "employer_id,period,amount,paid_on,reference", "employer_id,period,amount,paid_on,reference,kind", 1)
        .replace("DENDA-1\n", "DENDA-1,denda\n"), encoding="utf-8")
    audit(pkg, tmp_path / "o2", db_url)
    part = by_key(tmp_path / "o2" / "findings.csv")
    assert int(part[("TELAT-BAYAR", "E20:2025-05")]["late_fee"]) == fee - 1000
    # the computation sheet shows the fee paid, so that its fee total is the late fee still owed
    fid = part[("TELAT-BAYAR", "E20:2025-05")]["finding_id"]
    ev = json.loads(invoke("explain", fid, "--db", db_url, "--json").stdout)["finding"]["evidence"]
    fee_rows = [r for r in ev["computation"] if r["program"] == "DENDA"]
    assert fee_rows[-1]["paid"] == "1000.00" and fee_rows[-1]["fee"] == "-1000.00"
    owed = sum(Decimal(r["fee"]) for r in fee_rows)
    assert owed.quantize(Decimal(1), rounding=ROUND_HALF_UP) == fee - 1000
    # only contribution payments count as paid: nothing else moved
    assert {k: (v["amount"], v["late_fee"]) for k, v in part.items() if k != ("TELAT-BAYAR", "E20:2025-05")} == \
        {k: (v["amount"], v["late_fee"]) for k, v in first.items() if k != ("TELAT-BAYAR", "E20:2025-05")}
    (pkg / "payments.csv").write_text((pkg / "payments.csv").read_text().replace(
        "E20,2025-05,1000,", f"E20,2025-05,{fee},"), encoding="utf-8")
    audit(pkg, tmp_path / "o3", db_url)
    assert ("TELAT-BAYAR", "E20:2025-05") not in by_key(tmp_path / "o3" / "findings.csv")


def test_law_enforcement_dossiers_wait_for_review(db_url, tmp_path):
    """skk/pidana dossiers only for cases whose counted findings are all `setuju`; --draft marks
    the others; a rejected finding appears only in the annex, with reason and reviewer."""
    audit(DEMO, tmp_path / "o1", db_url)
    assert not (tmp_path / "o1" / "dossiers" / "kepolisian").exists()
    assert not (tmp_path / "o1" / "dossiers" / "kejaksaan").exists()
    report = (tmp_path / "o1" / "dossiers" / "pemprov" / "laporan.html").read_text(encoding="utf-8")
    assert "Kasus menunggu tinjauan" in report and "E17" in report and "E19" in report

    e17 = [r for r in rows(tmp_path / "o1" / "findings.csv") if r["employer_id"] == "E17"]
    pwbd = next(r for r in e17 if r["category"] == "PWBD")
    for r in e17:
        if r is not pwbd:
            invoke("review", r["finding_id"], "--decision", "setuju", "--by", "Kasi", "--db", db_url)
    invoke("review", pwbd["finding_id"], "--decision", "tolak", "--reason", "sudah didaftarkan per 1 Oktober",
           "--by", "Kasi Pengawasan", "--db", db_url)
    audit(DEMO, tmp_path / "o2", db_url)
    dossier = tmp_path / "o2" / "dossiers" / "kepolisian" / "E17" / "dossier.html"
    html = dossier.read_text(encoding="utf-8")
    assert "DRAF — BELUM DITINJAU" not in html
    annex = html[html.index("temuan yang dikesampingkan"):]
    assert pwbd["finding_id"] in annex and "sudah didaftarkan per 1 Oktober" in annex and "Kasi Pengawasan" in annex
    assert html.count(pwbd["finding_id"]) == 1  # nowhere else in the dossier
    assert not (tmp_path / "o2" / "dossiers" / "kepolisian" / "E19").exists()

    res = audit(DEMO, tmp_path / "o3", db_url, "--draft")
    assert "E19" in res.output and "waiting for review" in res.output
    draft = (tmp_path / "o3" / "dossiers" / "kejaksaan" / "E19" / "dossier.html").read_text(encoding="utf-8")
    assert "DRAF — BELUM DITINJAU" in draft and "@top-center" in draft  # on every printed page
    assert "DRAF — BELUM DITINJAU" not in (tmp_path / "o3" / "dossiers" / "kepolisian" / "E17" /
                                           "dossier.html").read_text(encoding="utf-8")


def test_load_and_verify_speak_json(db_url, tmp_path):
    first = json.loads(invoke("load", DEMO, "--db", db_url, "--json", "--by", "Operator").stdout)
    assert first["loaded"] and not first["already_loaded"] and first["rows"]["payroll"] > 0
    again = json.loads(invoke("load", DEMO, "--db", db_url, "--json").stdout)
    assert again["already_loaded"] and again["import_id"] == first["import_id"]
    events = json.loads(invoke("log", "--db", db_url, "--json").stdout)["events"]
    assert [(e["kind"], e["actor"]) for e in events] == [("load", "Operator")]  # a package loaded once, logged once
    out = tmp_path / "o"
    summary = json.loads(invoke("audit", DEMO, "--out", out, "--db", db_url, "--no-pdf", "--json").stdout)
    assert summary["run"]["run_id"] and summary["changes"] is None and summary["database"]
    ok = json.loads(invoke("verify", out, "--json").stdout)
    assert ok["ok"] is True and ok["problems"] == []
    (out / "findings.csv").write_text("tampered\n", encoding="utf-8")
    bad = json.loads(invoke("verify", out, "--json", code=1).stdout)
    assert bad["ok"] is False and any("findings.csv" in p for p in bad["problems"])


def test_explain_uses_the_rulebook_the_run_used(db_url, tmp_path):
    """A run keeps the titles and legal basis of its rules: after the rulebook moves on, explain
    still shows what the run applied."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    rule = rules / "iuran" / "TUNGGAKAN-01.yaml"
    text_ = rule.read_text(encoding="utf-8")
    assert "  id: Tunggakan iuran\n" in text_
    rule.write_text(text_.replace("  id: Tunggakan iuran\n", "  id: Tunggakan iuran (rumusan lama)\n", 1),
                    encoding="utf-8")
    audit(DEMO, tmp_path / "o", db_url, "--rules", rules)
    fid = by_key(tmp_path / "o" / "findings.csv")[("TUNGGAKAN", "E19:2025-07")]["finding_id"]
    out = invoke("explain", fid, "--db", db_url).stdout
    assert "Tunggakan iuran (rumusan lama)" in out  # the run's rulebook, not the installed one
    shutil.rmtree(rules)  # the rulebook the run used is gone: the explanation does not depend on it
    assert "Tunggakan iuran (rumusan lama)" in invoke("explain", fid, "--db", db_url).stdout


def test_an_employer_who_paid_everything_has_no_case(db_url, tmp_path):
    """E19 pays its three arrears months, then the late fees they leave: no finding, no case — not
    a tmp2t request over 'TELAT-BAYAR Rp 0'."""
    audit(DEMO, tmp_path / "o1", db_url)
    first = by_key(tmp_path / "o1" / "findings.csv")
    assert {c["employer_id"] for c in rows(tmp_path / "o1" / "cases.csv")} >= {"E19"}
    pkg = copy_demo(tmp_path / "pkg")
    lines = [f"E19,{p},{first[('TUNGGAKAN', f'E19:{p}')]['amount']},2025-11-20,VA-{p}"
             for p in ("2025-07", "2025-08", "2025-09")]
    with open(pkg / "payments.csv", "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    audit(pkg, tmp_path / "o2", db_url)
    paid = by_key(tmp_path / "o2" / "findings.csv")
    fees = {k: v for k, v in paid.items() if k[1].startswith("E19:")}
    assert {k[0] for k in fees} == {"TELAT-BAYAR"} and len(fees) == 3  # only the late fees are left
    e19 = next(c for c in rows(tmp_path / "o2" / "cases.csv") if c["employer_id"] == "E19")
    assert int(e19["total_amount"]) == 0 and int(e19["total_late_fee"]) > 0
    body = (pkg / "payments.csv").read_text(encoding="utf-8").splitlines()
    body[0] += ",kind"
    body = [body[0]] + [line + ",iuran" for line in body[1:]]
    body += [f"E19,{k[1][4:]},{v['late_fee']},2025-11-25,DENDA-{k[1][4:]},denda" for k, v in sorted(fees.items())]
    (pkg / "payments.csv").write_text("\n".join(body) + "\n", encoding="utf-8")
    audit(pkg, tmp_path / "o3", db_url)
    assert not [k for k in by_key(tmp_path / "o3" / "findings.csv") if k[1].startswith("E19")]
    assert "E19" not in {c["employer_id"] for c in rows(tmp_path / "o3" / "cases.csv")}


def test_concurrent_actions_keep_one_chain(db_url):
    """Two inspectors recording at once: every event lands, and the chain has no fork."""
    import threading

    from patuh.audits.importer.load import load_package
    from patuh.audits.lifecycle import actions as act
    from patuh.audits.lifecycle import log as audit_log
    from patuh.audits.store.db import get_engine, write_transaction

    engine = get_engine(db_url)
    load_package(str(DEMO), engine)
    errors = []

    def record(who: str) -> None:
        try:
            for i in range(5):
                with write_transaction(engine, "record") as conn:
                    act.add(conn, "E14", "teguran-1", dt.date(2025, 11, 1 + i), by=who)
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(w,)) for w in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        events = audit_log.events(conn)
    assert [e["event_id"] for e in events] == list(range(1, 11))
    assert audit_log.verify(events) is None
    engine.dispose()


def test_columns_stay_aligned_with_long_contract_ids(db_url, tmp_path):
    audit(DEMO, tmp_path / "o", db_url)
    out = invoke("findings", "--db", db_url, "--category", "JAKON-KURANG-BAYAR").stdout.splitlines()
    head, body = out[2], out[3:]
    assert body and any("/" in line for line in body)  # contract ids such as SPK/PT-BPS/2025/011
    # right-aligned money: every amount ends where the header's amount column ends
    end = head.index("pokok") + len("pokok")
    assert all(line[:end].endswith(tuple("0123456789")) and line[end:end + 1] == " " for line in body)


def test_runs_recorded_before_the_lifecycle_stay_readable(db_url):
    """A store at migration 0002 with a run: upgraded, the run is still the latest, unreviewed."""
    from alembic import command

    from patuh.audits.store import runs as store
    from patuh.audits.store.db import alembic_config, ensure_schema, get_engine

    engine = get_engine(db_url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO imports (import_id, package_hash, name) VALUES (1, 'h', 'p')"))
        conn.execute(text("INSERT INTO runs (run_id, import_id, package_hash, ruleset_revision, as_of) "
                          "VALUES ('R-OLD', 1, 'h', 'rev', '2025-01-31')"))
        conn.execute(text("INSERT INTO findings (run_id, finding_id, rule_id, category, subject_type, subject_id, "
                          "amount) VALUES ('R-OLD', 'F-1', 'X', 'TUNGGAKAN', 'employer', 'E1', 10000)"))
    ensure_schema(engine)
    with engine.connect() as conn:
        run = store.get_run(conn)
        found = store.run_findings(conn, run["run_id"])
    assert run["run_id"] == "R-OLD" and run["seq"] is None
    assert [(f["finding_id"], f["review"], f["amount"]) for f in found] == [("F-1", None, Decimal("100.00"))]
    engine.dispose()
