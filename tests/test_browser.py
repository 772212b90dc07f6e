"""The HTML dossiers in a real browser (headless Chromium): they load standalone, show what they
should, and markup injected through the data does not run."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from patuh.audits.dossiers import render_all
from patuh.audits.store.db import get_engine
from dossier_fixtures import build_store

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "chrome") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")

PAYLOAD = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\"><script>document.body.setAttribute('data-pwned','2')</script>"


def _chromium(*args, timeout=90):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--disable-extensions", "--virtual-time-budget=2000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def rendered(db_url, tmp_path):
    engine = get_engine(db_url)
    run_id = build_store(engine, employer_name="PT Uji " + PAYLOAD)
    render_all(engine, run_id, tmp_path, pdf=False)
    engine.dispose()
    return tmp_path


def test_dossier_dom_in_chromium(rendered):
    page = rendered / "dossiers/kejaksaan/E001/dossier.html"
    res = _chromium("--dump-dom", page.as_uri())
    dom = res.stdout
    assert "Kepala Kejaksaan Negeri Mempawah" in dom, res.stderr[-2000:]
    assert "Lembar perhitungan" in dom and "Rp 5.783.637" in dom
    # the injected markup is text in the page, and none of it ran
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "&lt;script&gt;document.body.setAttribute" in dom
    assert "<script>document.body" not in dom and "<img src=\"x\"" not in dom


def test_report_screenshot_in_chromium(rendered, tmp_path):
    from PIL import Image

    page = rendered / "dossiers/pemprov/laporan.html"
    png = tmp_path / "laporan.png"
    res = _chromium(f"--screenshot={png}", "--window-size=1000,1400", "--hide-scrollbars", page.as_uri())
    assert png.is_file(), res.stderr[-2000:]
    img = Image.open(png).convert("RGB")
    assert img.size == (1000, 1400)
    # the page is drawn: the grey screen background, a white sheet and dark ink are all there
    colours = img.resize((100, 140)).getcolors(100 * 140)
    assert colours and len(colours) > 20
    assert img.getpixel((5, 700)) != (255, 255, 255)          # background around the sheet
    assert img.getpixel((500, 200)) != img.getpixel((5, 700))  # the sheet
    dom = _chromium("--dump-dom", page.as_uri()).stdout
    assert "Gubernur Kalimantan Barat" in dom and "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
