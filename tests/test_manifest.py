"""manifest.json and `patuh verify`: passes on fresh output, names the file after any change."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from patuh.audits.dossiers import render_all, verify, write_manifest
from patuh.audits.dossiers.command import verify as verify_command
from patuh.audits.dossiers.manifest import sha256_file
from patuh.audits.store.db import get_engine
from dossier_fixtures import REVISION, build_store, input_files

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def out(db_url, tmp_path):
    engine = get_engine(db_url)
    run_id = build_store(engine)
    out = tmp_path / "out"
    render_all(engine, run_id, out, pdf=False)
    (out / "findings.csv").write_text("finding_id,rule_id\nF-1,tunggakan\n", encoding="utf-8")  # as the audit writes
    write_manifest(out, run_id, REVISION, input_files())
    engine.dispose()
    return out, run_id


def test_manifest_lists_every_output_and_input(out):
    out, run_id = out
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert doc["run_id"] == run_id and doc["ruleset_revision"] == REVISION and doc["format"] == "patuh-manifest/1"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert [o["path"] for o in doc["outputs"]] == files
    for o in doc["outputs"]:
        assert o["sha256"] == sha256_file(out / o["path"]) and o["bytes"] == (out / o["path"]).stat().st_size
    assert {(i["file"], i["sheet"]) for i in doc["inputs"]} == {(f["file"], f["sheet"]) for f in input_files()}
    assert all(len(i["sha256"]) == 64 for i in doc["inputs"])


def test_manifest_is_deterministic(out, tmp_path):
    out, run_id = out
    first = (out / "manifest.json").read_bytes()
    write_manifest(out, run_id, REVISION, list(reversed(input_files())))
    assert (out / "manifest.json").read_bytes() == first


def test_verify_passes_on_fresh_output(out):
    out, _ = out
    assert verify(out) == []


def test_verify_names_a_file_changed_by_one_byte(out):
    out, _ = out
    target = out / "dossiers/kejaksaan/E001/dossier.html"
    data = bytearray(target.read_bytes())
    i = data.index(b"Rp 5.783.637") + 3
    data[i] = ord("6")  # Rp 5.783.637 -> Rp 6.783.637, same length
    target.write_bytes(bytes(data))
    problems = verify(out)
    assert len(problems) == 1 and problems[0].startswith("changed: dossiers/kejaksaan/E001/dossier.html")


def test_verify_names_missing_and_unexpected_files(out):
    out, _ = out
    (out / "dossiers/pemprov/laporan.html").unlink()
    (out / "dossiers/kepolisian/E003/catatan.txt").write_text("x", encoding="utf-8")
    problems = verify(out)
    assert problems == ["unexpected: dossiers/kepolisian/E003/catatan.txt (not in manifest.json)",
                        "missing: dossiers/pemprov/laporan.html"]


def test_verify_without_manifest(tmp_path):
    assert verify(tmp_path) == ["missing: manifest.json (nothing to verify against)"]
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert verify(tmp_path)[0].startswith("invalid: manifest.json")


def test_verify_command_exit_codes(out):
    out, _ = out
    runner = CliRunner()
    ok = runner.invoke(verify_command, [str(out)])
    assert ok.exit_code == 0 and "OK" in ok.output
    (out / "findings.csv").write_text("finding_id,rule_id\nF-1,tunggakan-x\n", encoding="utf-8")
    bad = runner.invoke(verify_command, [str(out)])
    assert bad.exit_code == 1 and "changed: findings.csv" in bad.output


def test_patuh_verify_through_the_cli(out):
    """`patuh verify DIR` as cli.py wires it (audits.dossiers.command:verify)."""
    out, _ = out
    run = lambda: subprocess.run([sys.executable, "-c", "import sys; from cli import main; sys.exit(main())", "verify", str(out)],  # noqa: E731
                                 cwd=ROOT, capture_output=True, text=True)
    ok = run()
    assert ok.returncode == 0, ok.stderr
    shutil.copy(out / "findings.csv", out / "findings-copy.csv")
    bad = run()
    assert bad.returncode == 1 and "unexpected: findings-copy.csv" in bad.stdout
