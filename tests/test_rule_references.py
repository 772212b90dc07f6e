"""Lint catches broken references (law, quotes, subjects, fields, calculators); the law corpus and its
coverage; every rule example in docs/ is a real rule that lints and whose examples pass; the audit
refuses a broken rulebook unless forced, and records the override."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import patuh.cli  # noqa: F401  - registers the domain's lint checks with the engine
from patuh.audits.rulebook import RULES_DIR
from patuh.engine.cli import lint_problems
from patuh.audits.law_coverage import coverage_map
from patuh.engine.examples import ExampleRunner
from patuh.audits.law_corpus import LawCorpus, parse_article

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _copy_rules(tmp_path: Path) -> Path:
    dst = tmp_path / "rules"
    shutil.copytree(RULES_DIR, dst, ignore=shutil.ignore_patterns("__pycache__", "impact"))
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_rulebook_lints_clean():
    assert lint_problems(RULES_DIR) == []


# ------------------------------------------------------------------------------------------ the law corpus
def test_corpus_holds_every_instrument_the_audit_rests_on():
    law = LawCorpus.load(RULES_DIR)
    needed = {"UU 24/2011", "UU 40/2004", "PP 44/2015", "PP 45/2015", "PP 46/2015", "PP 86/2013",
              "Perpres 109/2013", "Permenaker 44/2015", "Permenaker 5/2021", "Permenaker 4/2018", "PP 49/2020",
              "PP 36/2021", "PP 51/2023", "Inpres 2/2021", "UU 16/2004"}
    assert needed <= set(law.instruments)
    for ins in law.instruments.values():
        assert ins.title and ins.number and ins.year, ins.instrument
        assert ins.title.startswith(("Undang-Undang", "Peraturan", "Instruksi")), ins.title
        for art in ins.articles.values():
            # enacted words only where the enacted text was read; summaries say so in their words
            assert art.kind == "ringkasan" or (art.verified and art.read_in), art.key
            assert art.verified or art.text.startswith("(Ringkasan)"), art.key
            assert art.verified or art.sources, art.key


def test_verified_wording_is_the_enacted_text():
    """Spot checks against the gazetted texts, copied by hand from the salinan (not from our files)."""
    law = LawCorpus.load(RULES_DIR)
    p55 = law.instruments["UU 24/2011"].articles["Pasal 55"]
    assert "dipidana dengan pidana penjara paling lama 8 (delapan) tahun atau pidana denda paling banyak" in p55.text
    jp = law.instruments["PP 45/2015"].articles["Pasal 31"]
    assert jp.ayat["1"].startswith("Keterlambatan penyetoran Iuran") and "2% (dua persen)" in jp.ayat["1"]
    fine = law.instruments["PP 86/2013"].articles["Pasal 10"]
    assert "0,1% (nol koma satu persen) setiap bulan" in fine.ayat["4"]
    assert "Izin Mendirikan Bangunan (IMB)" in law.instruments["PP 86/2013"].articles["Pasal 9"].ayat["1"]


def test_article_citations_parse():
    c = parse_article("Pasal 17 ayat (1)–(3)")
    assert (c.article, c.ayat) == ("Pasal 17", ["1", "2", "3"])
    c = parse_article("Pasal 33 ayat (3) dan (5)")
    assert (c.article, c.ayat) == ("Pasal 33", ["3", "5"])
    c = parse_article("Pasal 3 ayat (3) (nomor pasal disimpulkan)")
    assert (c.article, c.ayat) == ("Pasal 3", ["3"])
    assert parse_article("Diktum KEDUA").article == "Diktum KEDUA"


def test_coverage_lists_every_article_with_its_state():
    cov = coverage_map(RULES_DIR)
    law = LawCorpus.load(RULES_DIR)
    assert len(cov["articles"]) == len(law.articles())
    t = cov["totals"]
    assert t["diuji"] + t["dikutip"] + t["belum"] == t["articles"] == t["verified"] + t["not_verified"]
    by = {(a["instrument"], a["article"]): a for a in cov["articles"]}
    # Pasal 55 is cited by IURAN-PEKERJA-01, which has firing and silent examples
    assert by[("UU 24/2011", "Pasal 55")]["state"] == "diuji"
    assert "IURAN-PEKERJA-01" in {r["rule"] for r in by[("UU 24/2011", "Pasal 55")]["rules"]}
    # no rule cites Pasal 14 (the duty to be a participant is judged through Pasal 15)
    assert by[("UU 24/2011", "Pasal 14")]["state"] == "belum"


def test_coverage_command_json():
    r = CliRunner().invoke(patuh.cli.main, ["rules", "coverage", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["totals"]["articles"] == len(data["articles"])


def test_a_rule_cited_only_without_examples_is_dikutip(tmp_path):
    rules = _copy_rules(tmp_path)
    path = rules / "upah" / "UPAH-UMK-01.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("examples:")] + "examples: []\n", encoding="utf-8")
    by = {(a["instrument"], a["article"]): a for a in coverage_map(rules)["articles"]}
    assert by[("UU 13/2003", "Pasal 88E")]["state"] == "dikutip"


# ------------------------------------------------------------------------------------------ lint references
@pytest.mark.parametrize("old,new,expected", [
    ('article: "Pasal 19 ayat (1)"', 'article: "Pasal 91 ayat (1)"', "has no article 'Pasal 91'"),
    ("instrument: UU 24/2011", "instrument: UU 24/2012", "instrument 'UU 24/2012' is not in rules/law/"),
    ('article: "Pasal 19 ayat (1)"', 'article: "Pasal 19 ayat (7)"', "has no ayat (7)"),
    ("Pemberi Kerja wajib memungut Iuran", "Pemberi Kerja dapat memungut Iuran", "quote differs from the text"),
    ("subject: employer_month", "subject: worker_month", "unknown subject 'worker_month'"),
    ("{field: deductions, gt: 0}", "{field: deduction, gt: 0}", "field 'deduction' is not a field"),
    ("calculator: unremitted_deductions", "calculator: umk_shortfall", "calculator 'umk_shortfall' does not exist"),
    ("evidence: [", "evidence: [wage_paid, ", "evidence 'wage_paid' is not a field"),
])
def test_lint_catches_a_broken_reference(tmp_path, old, new, expected):
    rules = _copy_rules(tmp_path)
    path = rules / "iuran" / "IURAN-PEKERJA-01.yaml"
    _edit(path, old, new)
    problems = lint_problems(rules)
    assert any(expected in p and "IURAN-PEKERJA-01.yaml" in p for p in problems), problems


def test_lint_refuses_a_quote_of_a_summary(tmp_path):
    rules = _copy_rules(tmp_path)
    _edit(rules / "upah" / "UPAH-UMK-01.yaml", 'article: "Pasal 88E ayat (2)"',
          'article: "Pasal 88E ayat (2)"\n    quote: "Pengusaha dilarang membayar Upah lebih rendah dari Upah minimum"')
    assert any("only as a summary" in p for p in lint_problems(rules))


def test_lint_catches_an_unknown_message_placeholder(tmp_path):
    rules = _copy_rules(tmp_path)
    _edit(rules / "upah" / "UPAH-UMK-01.yaml", "kekurangan Rp {amount}", "kekurangan Rp {shortfall}")
    assert any("prints {shortfall}" in p for p in lint_problems(rules))


def test_subject_fields_are_those_the_audit_builds(tmp_path):
    """audits/facts/subjects.py must list exactly the fields the facts carry, or lint would judge
    rules against a list that drifted from the code."""
    import patuh.audits.audit as audit
    from patuh.audits.facts.subjects import SUBJECT_FIELDS
    from patuh.audits.importer.load import load_package
    from patuh.audits.store.db import get_engine

    seen: dict[str, set] = {}
    real = audit.Evaluator

    class Spy(real):
        def evaluate(self, facts, *a, **k):
            for f in facts:
                seen.setdefault(f["type"], set()).update(f)
            return super().evaluate(facts, *a, **k)

    engine = get_engine(f"sqlite:///{tmp_path}/f.db")
    iid = load_package(ROOT / "fixtures" / "kalbar-demo", engine).import_id
    audit.Evaluator = Spy
    try:
        audit.run_audit(engine, iid)
    finally:
        audit.Evaluator = real
    for subject, fields in seen.items():
        assert fields == SUBJECT_FIELDS[subject], (subject, fields ^ SUBJECT_FIELDS[subject])


# ------------------------------------------------------------------------------------------ docs examples
def _doc_rules() -> list[tuple[str, str]]:
    out = []
    for md in sorted(DOCS.glob("*.md")):
        for block in re.findall(r"```yaml\n(.*?)```", md.read_text(encoding="utf-8"), flags=re.S):
            data = yaml.safe_load(block)
            if isinstance(data, dict) and {"id", "when", "examples"} <= set(data):
                out.append((f"{md.name}:{data['id']}", block))
    return out


def test_docs_hold_at_least_the_rules_md_example():
    assert any(name.startswith("rules.md:") for name, _ in _doc_rules())


@pytest.mark.parametrize("name,block", _doc_rules(), ids=[n for n, _ in _doc_rules()])
def test_every_rule_example_in_docs_lints_and_passes(tmp_path, name, block):
    rules = _copy_rules(tmp_path)
    rid = yaml.safe_load(block)["id"]
    (rules / "docs").mkdir()
    (rules / "docs" / f"{rid}.yaml").write_text(block, encoding="utf-8")
    assert lint_problems(rules) == []
    runner = ExampleRunner.for_dir(rules)
    results = [r for r in runner.run_all() if r.rule_id == rid]
    assert results and all(r.ok for r in results), [(r.name, r.problems) for r in results]
    assert any(r.fired for r in results) and any(r.fired is False for r in results)


# ------------------------------------------------------------------------------------------ the audit refuses
def test_audit_refuses_a_rulebook_that_does_not_lint_and_records_an_override(tmp_path):
    from sqlalchemy import inspect, select

    from patuh.audits.store import schema as s
    from patuh.audits.store.db import get_engine

    rules = _copy_rules(tmp_path)
    _edit(rules / "iuran" / "IURAN-PEKERJA-01.yaml", "Pemberi Kerja wajib memungut Iuran", "Pemberi Kerja dapat memungut Iuran")
    db = f"sqlite:///{tmp_path}/a.db"
    args = ["audit", str(ROOT / "fixtures" / "kalbar-demo"), "--out", str(tmp_path / "out"), "--no-pdf",
            "--db", db, "--rules", str(rules)]
    r = CliRunner().invoke(patuh.cli.main, args)
    assert r.exit_code == 1
    assert "quote differs" in r.output and "nothing was audited" in r.output
    engine = get_engine(db)
    assert "runs" not in inspect(engine).get_table_names()  # refused before anything was written
    r = CliRunner().invoke(patuh.cli.main, args + ["--force-rules"])
    assert r.exit_code == 0, r.output
    with engine.connect() as conn:
        counts = json.loads(conn.execute(select(s.runs.c.counts_json)).scalar())
    assert any("quote differs" in w for w in counts["rulebook_forced"])
    assert any("--force-rules" in w for w in counts["warnings"])
