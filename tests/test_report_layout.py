"""The provincial report is a document the province files: every figure stays inside its column and
no text overlaps another, in Bahasa Indonesia and in English (the coverage tables carry figures up to
Rp 102.446.467.200 and English column heads are longer than Indonesian ones)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_provincial_report_pages_are_laid_out_cleanly(tmp_path, lang):
    from patuh.audits.dossiers.layout_check import problems
    from patuh.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(DEMO), "--out", str(out), "--db", f"sqlite:///{tmp_path / 'p.db'}",
                                    "--no-pdf", "--lang", lang])
    assert res.exit_code == 0, res.output
    report = out / "dossiers" / "pemprov" / "laporan.html"
    found, pages = problems(report.read_text(encoding="utf-8"), base_url=str(report.parent))
    assert pages >= 8  # coverage, findings, regencies, TMP2T, construction, UMK, annexes
    assert found == []
