"""Issue 17: late fees as enacted, 2 % a month for every programme (PP 44/2015 Pasal 22 ayat (1),
PP 45/2015 Pasal 31 ayat (1), PP 46/2015 Pasal 20 ayat (1)). Going from the old 0.5 % on JP to 2 %
moves late fees of months with JP contributions and nothing else."""
import shutil
from pathlib import Path

from click.testing import CliRunner

from patuh.audits import oracle
from patuh.audits.rulebook import parameters_dir
from patuh.cli import main
from patuh.engine.parameters import ParameterStore

# late_fee_rate_jp as it stood before issue 17: 0.5 % for JP all the time, a figure found in no regulation
OLD_JP_RATE = """- id: late_fee_rate_jp
  title: {id: "Denda keterlambatan JP per bulan", en: "Late fee on JP per month"}
  unit: fraction
  values:
    - {valid_from: 2015-07-01, value: 0.005, instrument: PP 45/2015, article: UNCONFIRMED, source: "widely repeated; no primary source seen", status: UNCONFIRMED}
"""


def _old_params(tmp_path: Path) -> ParameterStore:
    folder = tmp_path / "parameters"
    shutil.copytree(parameters_dir(None), folder)
    text = (folder / "pembayaran.yaml").read_text(encoding="utf-8")
    head, sep, _ = text.partition("- id: late_fee_rate_jp\n")
    assert sep, "pembayaran.yaml defines late_fee_rate_jp last"
    (folder / "pembayaran.yaml").write_text(head + OLD_JP_RATE, encoding="utf-8")
    return ParameterStore.load(folder)


def test_only_late_fees_of_jp_months_move(tmp_path):
    pkg = tmp_path / "pkg"
    # seed 7: a medium employer with JP pays three months late (60 employers, 2025)
    res = CliRunner().invoke(main, ["generate", str(pkg), "--employers", "60", "--months", "2025-01:2025-12",
                                    "--seed", "7"])
    assert res.exit_code == 0, res.output
    new = oracle.audit_package(pkg, ParameterStore.load(parameters_dir(None)))
    old = oracle.audit_package(pkg, _old_params(tmp_path))
    programs = {e["employer_id"]: oracle.canonical_programs(e["programs"] or "")
                for e in oracle.read_package(pkg)[0]["employers"]}

    before = {f.finding_id: f.row() for f in old.findings}
    after = {f.finding_id: f.row() for f in new.findings}
    assert set(before) == set(after)
    moved = [fid for fid in after if after[fid] != before[fid]]
    assert moved, "the package should have a late JP payment"
    for fid in moved:
        a, b = after[fid], before[fid]
        assert [k for k in a if a[k] != b[k] and k != "message"] == ["late_fee"], fid
        assert a["category"] in ("TUNGGAKAN", "TELAT-BAYAR") and "JP" in programs[a["employer_id"]]
        # 2 % instead of 0.5 % on the JP share only: more, but less than 4 times as much
        assert int(b["late_fee"]) < int(a["late_fee"]) < 4 * int(b["late_fee"])
    for fid in set(after) - set(moved):
        row = after[fid]
        if row["category"] in ("TUNGGAKAN", "TELAT-BAYAR"):
            assert "JP" not in programs[row["employer_id"]]
    cases_before = {c.employer_id: c.row() for c in old.cases}
    for c in new.cases:
        changed = [k for k, v in c.row().items() if v != cases_before[c.employer_id][k]]
        assert changed in ([], ["total_late_fee"])
