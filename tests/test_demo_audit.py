"""`patuh audit fixtures/kalbar-demo` writes exactly the findings and cases its README promises,
to the Rupiah, and the simulators agree with the audit on the same inputs."""
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from patuh.audits.calc.calendar import period_start
from patuh.cli import main
from patuh.engine.parameters import ParameterStore
from fresh_db import fresh_db_url
from tests.test_demo_fixture import markdown_table
from cli_helpers import rows

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"
README = (DEMO / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    url = fresh_db_url(out)
    res = CliRunner().invoke(main, ["audit", str(DEMO), "--out", str(out / "out"), "--db", url, "--no-pdf"])
    assert res.exit_code == 0, res.output
    (out / "terminal.txt").write_text(res.output, encoding="utf-8")  # beside out/, not in it
    return out / "out", url


def test_findings_are_the_readme_table(demo_out):
    out, _ = demo_out
    promised = {(r["category"], r["subject_id"]): (r["amount"], r["late_fee"])
                for r in markdown_table(README, "Expected findings")}
    got = {(r["category"], r["subject_id"]): (r["amount"], r["late_fee"]) for r in rows(out / "findings.csv")}
    assert got == promised


def test_terminal_total_does_not_bill_unremitted_shares_twice(demo_out):
    from patuh.audits.calc.money import rupiah_text
    from patuh.audits import categories as categories_of
    NOT_ADDITIVE = categories_of.load().not_added

    out, _ = demo_out
    terminal = (out.parent / "terminal.txt").read_text(encoding="utf-8")
    promised = markdown_table(README, "Expected findings")
    total = sum(int(r["amount"]) for r in promised if r["category"] not in NOT_ADDITIVE)
    assert total < sum(int(r["amount"]) for r in promised)  # the demo has unremitted shares
    total_line = next(line for line in terminal.splitlines() if line.startswith("TOTAL"))
    assert rupiah_text(total) in total_line
    cases = markdown_table(README, "Expected cases")
    assert total == sum(int(c["total_amount"]) for c in cases)  # the same total as the cases'


def test_package_folder_holds_only_data(demo_out):
    # the answer key is in fixtures/kalbar-demo.expected/, so importing the demo warns about nothing
    out, _ = demo_out
    assert "not a data-package file" not in (out.parent / "terminal.txt").read_text(encoding="utf-8")


def test_every_category_occurs(demo_out):
    from patuh.audits import categories as categories_of
    CATEGORIES = categories_of.load().ids

    out, _ = demo_out
    assert {r["category"] for r in rows(out / "findings.csv")} == set(CATEGORIES)


def test_cases_are_the_readme_table(demo_out):
    out, _ = demo_out
    keys = ("categories", "total_amount", "total_late_fee", "next_steps", "wait_until")
    promised = {r["employer_id"]: tuple(r[k] for k in keys) for r in markdown_table(README, "Expected cases")}
    got = {r["employer_id"]: tuple(r[k] for k in keys) for r in rows(out / "cases.csv")}
    assert got == promised


def test_json_carries_the_same_content(demo_out):
    out, _ = demo_out
    as_csv = rows(out / "findings.csv")
    as_json = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert [r["finding_id"] for r in as_csv] == [r["finding_id"] for r in as_json]
    assert all(str(j["amount"]) == c["amount"] for c, j in zip(as_csv, as_json))


def _calc(args):
    res = CliRunner().invoke(main, ["calc", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_simulators_agree_with_the_audit(demo_out):
    out, url = demo_out
    findings = rows(out / "findings.csv")
    from sqlalchemy import create_engine, select
    from patuh.audits.store import schema as s

    eng = create_engine(url)
    with eng.connect() as conn:
        ev = {r.finding_id: (json.loads(r.evidence_json), json.loads(r.trace_json))
              for r in conn.execute(select(s.findings.c.finding_id, s.findings.c.evidence_json, s.findings.c.trace_json))}
    eng.dispose()
    params = ParameterStore.load(ROOT / "rules" / "parameters")
    checked = set()
    for f in findings:
        evidence, trace = ev[f["finding_id"]]
        fields = trace["fields"] | trace.get("evidence_fields", {})
        if f["category"] == "JAKON-BELUM-DAFTAR":
            contract = evidence["contracts"][0]
            sim = _calc(["jakon", contract["current_value"], "--on", contract["spk_date"]])
            assert sim["total"] == int(f["amount"])
            checked.add(f["category"])
        wages = [Decimal(w["wage"]) for w in evidence.get("workers", [])]
        if f["category"] == "PDS-TK" and sum(wages) <= params.value("jp_wage_cap", period_start(f["period"])):
            # below the JP cap dues are linear in the wage: the sum of the wages gives the finding's dues
            group = next(p["key"] for p in trace["parameters"] if p["id"] == "jkk_rate")
            progs = ";".join(r["program"] for r in evidence["computation"])
            sim = _calc(["iuran", "--wage", str(sum(wages)), "--period", f["period"], "--risk-group", group,
                         "--programs", progs])
            assert sim["total"] == int(f["amount"])
            checked.add(f["category"])
        if f["category"] == "TUNGGAKAN" and not evidence["payments"]:
            comp = {r["program"]: r for r in evidence["computation"]}
            jp = comp["JP"]["due"] if "JP" in comp else "0"
            sim = _calc(["denda", "--period", f["period"], "--paid-on", fields["as_of"], "--amount", f["amount"],
                         "--jp-amount", jp])
            assert sim["fee"] == int(f["late_fee"])
            checked.add(f["category"])
    assert {"JAKON-BELUM-DAFTAR", "PDS-TK"} <= checked
