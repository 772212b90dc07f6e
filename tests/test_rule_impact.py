"""`rules impact`: the snapshot gate fails on a parameter change and lists exactly the findings that
moved, `--update` makes it pass, and `--base` tells the same difference — on the demo and on a
generated package that crosses the March 2025 change of the JP wage cap. Also `rules sensitivity`
and parameters at their edges (`calc`)."""
from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import patuh.cli
from patuh.audits.impact import read_snapshot
from patuh.audits.rulebook import RULES_DIR
from patuh.engine.parameters import ParameterStore

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"
JPCAP = ROOT / "fixtures" / "impact" / "jp-cap-2025h1"


def _rules(tmp_path: Path, name: str = "rules") -> Path:
    dst = tmp_path / name
    shutil.copytree(RULES_DIR, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def _run(*args):
    return CliRunner().invoke(patuh.cli.main, [str(a) for a in args])


def _set_value(rules: Path, file: str, anchor: str, old: str, new: str) -> None:
    """Replace `old` by `new` in the first line after `anchor` that holds it."""
    path = rules / "parameters" / file
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if anchor in line)
    i = next(i for i in range(start, len(lines)) if old in lines[i])
    lines[i] = lines[i].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def _impact_json(*args) -> dict:
    r = _run("rules", "impact", *args, "--json")
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.output[r.output.index("{"):r.output.rindex("}") + 1]), r.exit_code


@pytest.fixture()
def snapshots(tmp_path):
    """A copy of the rulebook with fresh snapshots of both packages (whatever the working tree holds)."""
    rules = _rules(tmp_path)
    r = _run("rules", "impact", "--update", "--rules", rules, "--package", DEMO, "--package", JPCAP)
    assert r.exit_code == 0, r.output
    return rules


def test_late_fee_rate_change_on_the_demo(snapshots, tmp_path):
    rules = snapshots
    before = read_snapshot(rules / "impact" / "kalbar-demo.csv")
    base = _rules(tmp_path, "base")  # the rulebook before the change
    # the example: the late-fee rate from 2 % to 2.5 % (from February 2021 on)
    _set_value(rules, "pembayaran.yaml", "- id: late_fee_rate", "valid_from: 2021-02-01, value: 0.02",
               "valid_from: 2021-02-01, value: 0.025")

    report, code = _impact_json("--check", "--rules", rules, "--package", DEMO)
    assert code == 1
    pkg = report["packages"][0]
    assert not pkg["added"] and not pkg["removed"]
    changed = {r["finding_id"]: r for r in pkg["changed"]}
    # exactly the findings that carry a late fee move, each by a quarter (whole-Rupiah rounding aside)
    with_fee = {k for k, r in before.items() if r["late_fee"] not in ("", "0.00")}
    assert with_fee and set(changed) == with_fee
    for k, r in changed.items():
        old, new = Decimal(r["late_fee_before"]), Decimal(r["late_fee"])
        assert abs(new - old * Decimal("1.25")) <= 1, (k, old, new)
        assert r["amount"] == r["amount_before"]

    r = _run("rules", "impact", "--check", "--rules", rules, "--package", DEMO)
    assert r.exit_code == 1 and "--update" in r.output and sorted(changed)[0] in r.output

    # --base tells the same difference, and the parameter that changed
    report, code = _impact_json("--base", base, "--rules", rules, "--package", DEMO)
    assert code == 0
    pkg = report["packages"][0]
    assert {r["finding_id"] for r in pkg["changed"]} == set(changed) and not pkg["added"] and not pkg["removed"]
    assert [(p["id"], p["valid_from"]) for p in report["parameters"]] == [("late_fee_rate", "2021-02-01")]
    assert report["parameters"][0]["old"]["value"] == "0.02" and report["parameters"][0]["new"]["value"] == "0.025"
    fees = {c: t for c, t in pkg["totals"].items() if Decimal(str(t["late_fee_delta"]))}
    assert set(fees) == {before[k]["category"] for k in changed}

    assert _run("rules", "impact", "--update", "--rules", rules, "--package", DEMO).exit_code == 0
    r = _run("rules", "impact", "--check", "--rules", rules, "--package", DEMO)
    assert r.exit_code == 0, r.output


def test_jp_cap_change_moves_only_months_from_march(snapshots, tmp_path):
    rules = snapshots
    base = _rules(tmp_path, "base")
    cap = ParameterStore.load(rules / "parameters").value("jp_wage_cap", dt.date(2025, 3, 1))
    assert cap == Decimal("10547400")
    # a higher cap from March: employers who paid the bill on the published cap now owe more JP
    _set_value(rules, "iuran.yaml", "valid_from: 2025-03-01, value: 10547400", "value: 10547400", "value: 15000000")

    report, code = _impact_json("--check", "--rules", rules, "--package", JPCAP)
    assert code == 1
    pkg = report["packages"][0]
    moved = pkg["added"] + pkg["removed"] + pkg["changed"]
    assert moved, "a higher JP cap from March must move some finding of a package with wages above it"
    # the cap in force in January and February is another value: nothing before March may move
    assert all((r["period"] or "9999") >= "2025-03" for r in moved), [r["period"] for r in moved]
    # each new arrears is the JP (3 %) on the declared wages between the old and the new cap
    with open(JPCAP / "declarations.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    old_cap, new_cap = Decimal("10547400"), Decimal("15000000")
    arrears = [r for r in pkg["added"] if r["rule_id"] == "TUNGGAKAN-01"]
    assert arrears
    for r in arrears:
        emp, period = r["subject_id"].split(":")
        extra = sum((Decimal("0.03") * (min(Decimal(d["reported_wage"]), new_cap) - min(Decimal(d["reported_wage"]), old_cap))
                     for d in rows if d["employer_id"] == emp and d["period"] == period), Decimal(0))
        assert abs(Decimal(r["amount"]) - extra) <= 1, (r, extra)

    b, _ = _impact_json("--base", base, "--rules", rules, "--package", JPCAP)
    bp = b["packages"][0]
    key = lambda rows: sorted(r["finding_id"] for r in rows)  # noqa: E731
    assert (key(bp["added"]), key(bp["removed"]), key(bp["changed"])) == \
           (key(pkg["added"]), key(pkg["removed"]), key(pkg["changed"]))
    # cases whose next steps changed belong to employers with a moved finding
    movers = {r["subject_id"].split(":")[0] for r in moved}
    assert bp["cases"] and {c["employer_id"] for c in bp["cases"]} <= movers
    assert all(c["steps_before"] != c["steps_after"] for c in bp["cases"])

    assert _run("rules", "impact", "--update", "--rules", rules, "--package", JPCAP).exit_code == 0
    assert _run("rules", "impact", "--check", "--rules", rules, "--package", JPCAP).exit_code == 0


def test_base_as_a_git_revision_and_markdown(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    rules = _rules(repo)
    git = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("add", "rules")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "rulebook")
    _set_value(rules, "iuran.yaml", "id: pds_upah_tolerance", "value: 0.99", "value: 0.9")
    r = _run("rules", "impact", "--base", "HEAD", "--rules", rules, "--package", DEMO, "--markdown")
    assert r.exit_code == 0, r.output
    assert "| pds_upah_tolerance | 2015-07-01 |" in r.output
    # a looser tolerance lowers or drops PDS-UPAH findings, and only those
    rows = [line for line in r.output.splitlines() if line.startswith(("| − |", "| ~ |", "| + |"))]
    assert rows and all("PDS-UPAH-01" in line for line in rows) and not any(line.startswith("| + |") for line in rows)
    r = _run("rules", "impact", "--base", "no-such-rev", "--rules", rules, "--package", DEMO)
    assert r.exit_code != 0 and "neither a folder nor a git revision" in r.output


def test_sensitivity_reruns_a_run_under_each_alternative(tmp_path):
    rules = _rules(tmp_path)
    _set_value(rules, "iuran.yaml", "id: pds_upah_tolerance", "status: D", "status: D\n      alternatives: [0.95, 1]")
    db = f"sqlite:///{tmp_path}/s.db"
    r = _run("audit", DEMO, "--out", tmp_path / "out", "--no-pdf", "--all-dossiers", "--draft", "--db", db, "--rules", rules)
    assert r.exit_code == 0, r.output
    # the dossier names, next to the figure, the derived value it rests on: E16's PWBD estimate uses the
    # assumed risk group (its group is unknown); E17's PWBD has its own group and no such note
    e16 = (tmp_path / "out" / "dossiers" / "kasus" / "E16" / "dossier.html").read_text(encoding="utf-8")
    assert "bergantung pada nilai yang belum pasti: pwbd_estimate_risk_group = 5 (D)" in e16
    e17 = next((tmp_path / "out" / "dossiers").glob("*/E17/dossier.html")).read_text(encoding="utf-8")
    assert "bergantung pada nilai yang belum pasti" not in e17
    r = _run("rules", "sensitivity", "--db", db, "--rules", rules, "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    p = next(x for x in report["parameters"] if x["id"] == "pds_upah_tolerance")
    assert p["status"] == "D" and [a["value"] for a in p["alternatives"]] == ["0.95", "1"]
    loose, strict = p["alternatives"]
    # a looser tolerance can only drop PDS-UPAH findings, a stricter one only add them
    assert loose["added"] == 0 and loose["removed"] + loose["changed"] >= 1
    assert strict["removed"] == 0 and strict["added"] + strict["changed"] >= 1
    with open(Path(tmp_path / "out" / "findings.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    found = {f["finding_id"]: f for f in (data["findings"] if isinstance(data, dict) else data)}
    assert all(found[fid]["category"] == "PDS-UPAH" for fid in loose["findings"])
    assert set(loose["findings"]) <= set(p["resting_findings"]) and Decimal(p["resting_rupiah"]) > 0
    r = _run("rules", "sensitivity", "--db", db, "--rules", rules)
    assert "pds_upah_tolerance" in r.output and "bila 0.95" in r.output


def test_alternatives_only_for_unconfirmed_or_derived(tmp_path):
    rules = _rules(tmp_path)
    _set_value(rules, "iuran.yaml", "id: mandatory_programs", "status: P", "status: P\n      alternatives: [1]")
    r = _run("rules", "lint", "--rules", rules)
    assert r.exit_code == 1 and "only an UNCONFIRMED or D value lists alternatives" in r.output


# ------------------------------------------------------------------------------------------ parameters at their edges
def test_lookup_past_the_expected_next_value_warns():
    p = ParameterStore.load(RULES_DIR / "parameters")
    p.lookup("jp_wage_cap", dt.date(2026, 5, 1))
    assert p.edge_warnings() == []  # the 2026 cap is the newest one and still current in May 2026
    p.lookup("jp_wage_cap", dt.date(2030, 3, 1))
    [w] = p.edge_warnings()
    assert "jp_wage_cap" in w and "2030-03-01" in w and "2027-03-01" in w


def test_calc_warns_past_the_last_published_cap_and_reads_commas():
    r = _run("calc", "iuran", "--wage", "12000000", "--period", "2030-03", "--risk-group", "1", "--json")
    assert r.exit_code == 0
    data = json.loads(r.output.splitlines()[0])
    assert any("jp_wage_cap" in w for w in data["warnings"])
    r = _run("calc", "iuran", "--wage", "5000000", "--period", "2025-03", "--risk-group", "1", "--programs", "JKK,JKM", "--json")
    data = json.loads(r.output)
    assert set(data) == {"JKK", "JKM", "total"}
    assert data["JKK"]["total"] == 12000 and data["JKM"]["total"] == 15000  # 0.24 % and 0.30 % of 5,000,000
    r = _run("calc", "iuran", "--wage", "1.200.000.000", "--period", "2025-03", "--risk-group", "1")
    assert r.exit_code == 2 and "write 1200000000" in r.output
    r = _run("calc", "jakon", "1200000000", "--on", "2025-03-01")
    assert "× 0,24 % = Rp 240.000" in r.output and "× 0,19 %" in r.output and "." + "24 %" not in r.output


def test_audit_warns_and_records_a_cap_used_past_its_expected_successor(tmp_path):
    """A rulebook whose newest JP cap is the March 2024 one, auditing 2025: the 2024 cap is used
    (the law has no gap), but the run says so and keeps the warning."""
    from sqlalchemy import select

    from patuh.audits.store import schema as s
    from patuh.audits.store.db import get_engine

    rules = _rules(tmp_path)
    path = rules / "parameters" / "iuran.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    kept = [line for line in lines if not ("valid_from: 2025-03-01, value: 10547400" in line
                                           or "valid_from: 2026-03-01, value: 11086300" in line)]
    assert len(kept) == len(lines) - 2
    path.write_text("\n".join(kept), encoding="utf-8")
    db = f"sqlite:///{tmp_path}/w.db"
    r = _run("audit", DEMO, "--out", tmp_path / "out", "--no-pdf", "--db", db, "--rules", rules)
    assert r.exit_code == 0, r.output
    assert "parameter jp_wage_cap: nilai terakhir (berlaku sejak 2024-03-01)" in r.output
    assert "nilai baru diharapkan sejak 2025-03-01" in r.output
    with get_engine(db).connect() as conn:
        counts = json.loads(conn.execute(select(s.runs.c.counts_json)).scalar())
    assert any(w.startswith("parameter jp_wage_cap:") for w in counts["warnings"])


def test_base_revision_is_read_on_a_python_without_tar_extraction_filters(monkeypatch):
    """Debian 12's python3.11 (3.11.2) has no `extractall(filter=…)`: HEAD's rules/ is read all the
    same, every member checked to be a plain file or folder inside the archive."""
    import tarfile

    from patuh.audits.impact import base_rulebook

    monkeypatch.delattr(tarfile, "data_filter", raising=False)  # absent already on 3.11.2
    with base_rulebook("HEAD", RULES_DIR) as base:
        assert (base / "parameters" / "pembayaran.yaml").read_bytes() == subprocess.run(
            ["git", "-C", str(RULES_DIR.parent), "show", "HEAD:rules/parameters/pembayaran.yaml"],
            capture_output=True, check=True).stdout
