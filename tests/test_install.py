"""The wheel is the package an inspector installs: it must carry the rulebook, add nothing to
site-packages but `patuh`, and audit the demo from a folder that is not the repository."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(ROOT)], check=True, cwd=out)
    (whl,) = out.glob("patuh-*.whl")
    return whl


def test_wheel_holds_only_patuh_and_the_rulebook(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"patuh"}
    rulebook = ROOT / "rules"
    for path in rulebook.rglob("*.yaml"):
        assert f"patuh/rules/{path.relative_to(rulebook).as_posix()}" in names
    assert "patuh/cli.py" in names
    assert any(n.startswith("patuh/audits/store/migrations/versions/0001") for n in names)
    assert any(n.startswith("patuh/audits/dossiers/templates/") for n in names)
    assert not any(n.startswith(("patuh/tests", "patuh/fixtures", "patuh/benchmarks")) for n in names)


def test_installed_wheel_audits_the_demo_from_elsewhere(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # The dependencies come from the test's own environment, added as a plain path: its .pth files
    # (the editable install of this checkout among them) are not processed, so only the wheel
    # provides `patuh`.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True) if _pip_knows_python() else _unzip(wheel, site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PATUH_DB")}
    env["PATUH_DB"] = f"sqlite:///{work / 'patuh.db'}"
    where = subprocess.run([str(py), "-c", "import patuh.cli, patuh.audits.rulebook as r; "
                            "print(patuh.cli.__file__); print(r.RULES_DIR)"],
                           capture_output=True, text=True, check=True, cwd=work, env=env).stdout.split()
    assert all(w.startswith(str(site)) for w in where), where
    done = subprocess.run([str(py), "-m", "patuh.cli", "audit", str(ROOT / "fixtures" / "kalbar-demo"),
                           "--out", "o", "--no-pdf"], capture_output=True, text=True, cwd=work, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (work / "o" / "findings.csv").read_text(encoding="utf-8").count("\n") > 1
    assert "TOTAL" in done.stdout


def _pip_knows_python() -> bool:
    """pip >= 22.3 installs into another interpreter with --python."""
    out = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True).stdout
    major, minor = (int(x) for x in out.split()[1].split(".")[:2])
    return (major, minor) >= (22, 3)


def _unzip(wheel: Path, site: Path) -> None:
    zipfile.ZipFile(wheel).extractall(site)


def test_every_python_package_of_the_repository_is_in_the_wheel_list():
    """pyproject.toml lists the packages by hand (setuptools cannot prefix found packages with
    patuh.): a new folder with an __init__.py must be added there, or the wheel lacks it."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    on_disk = {"patuh." + ".".join(p.parent.relative_to(ROOT).parts)
               for top in ("engine", "audits") for p in (ROOT / top).rglob("__init__.py")}
    missing = sorted(on_disk - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"
