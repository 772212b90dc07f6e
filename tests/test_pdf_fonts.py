"""The faster font subsetting (audits/dossiers/pdf_fonts.py) writes the same font bytes as fontTools'
own subsetter, and does not read the layout tables it drops."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import pytest
from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables import G_P_O_S_, G_S_U_B_

from patuh.audits.dossiers import pdf_fonts

# a real font with GSUB, GPOS and kern, shipped by a dependency (no system font needed)
FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _options(hinting: bool) -> ft_subset.Options:
    """The options WeasyPrint's fontTools path uses (weasyprint/pdf/fonts.py _fonttools_subset)."""
    options = ft_subset.Options(retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True,
                                hinting=hinting, desubroutinize=True, notdef_outline=False)
    options.drop_tables += ["GSUB", "GPOS", "SVG"]
    return options


def _subset_bytes(subset_fn, hinting: bool, gids: set[int]) -> bytes:
    subsetter = ft_subset.Subsetter(_options(hinting))
    subsetter.populate(gids=gids)
    font = TTFont(io.BytesIO(FONT.read_bytes()))
    subset_fn(subsetter, font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@pytest.fixture()
def original_subset():
    pdf_fonts.install()
    fn = ft_subset.Subsetter.subset
    return getattr(fn, "__wrapped__", fn)


@pytest.mark.parametrize("hinting", [False, True])
def test_same_font_bytes_as_fonttools_own_subsetter(original_subset, hinting, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1772323200")  # head.modified, as html_to_pdf sets it
    font = TTFont(str(FONT))
    cmap = font.getBestCmap()
    # the glyphs of an ordinary line of a dossier, plus a ligature-prone pair and a kerned pair
    gids = {font.getGlyphID(cmap[ord(ch)]) for ch in "Rp 1.234.567 PT Maju Jaya ffi AV Tanjungpura §"}
    fast = _subset_bytes(ft_subset.Subsetter.subset, hinting, gids)
    slow = _subset_bytes(original_subset, hinting, gids)
    assert fast == slow
    kept = TTFont(io.BytesIO(fast))
    assert "GSUB" not in kept and "GPOS" not in kept and "glyf" in kept


def test_drops_exactly_what_fonttools_would_drop_unread():
    font = TTFont(str(FONT))
    dropped = set(pdf_fonts.tables_dropped_unread(font, _options(hinting=False)))
    # GSUB/GPOS are asked for; kern goes because GPOS is there; hinting tables because hinting is off
    assert {"GSUB", "GPOS", "kern", "fpgm", "prep", "cvt "} <= dropped
    assert not dropped & {"glyf", "loca", "cmap", "hmtx", "head", "name", "post", "GlyphOrder"}
    with_hinting = set(pdf_fonts.tables_dropped_unread(font, _options(hinting=True)))
    assert "fpgm" not in with_hinting and "GSUB" in with_hinting


def test_layout_tables_are_not_decompiled(monkeypatch):
    pdf_fonts.install()
    calls = []
    for cls in (G_S_U_B_.table_G_S_U_B_, G_P_O_S_.table_G_P_O_S_):
        original = cls.decompile
        monkeypatch.setattr(cls, "decompile", lambda self, *a, _o=original, **k: (calls.append(self.tableTag), _o(self, *a, **k))[1])
    _subset_bytes(ft_subset.Subsetter.subset, False, {1, 2, 3})
    assert calls == []
    # and the unpatched subsetter does read them (so the check above can fail)
    _subset_bytes(ft_subset.Subsetter.subset.__wrapped__, False, {1, 2, 3})
    assert set(calls) == {"GSUB", "GPOS"}


def test_pdfs_embed_only_the_fonts_the_package_ships(tmp_path):
    """Every face the stylesheets use comes from audits/dossiers/fonts (Liberation, with its licence),
    never from the machine: a PDF names no other font, whatever is installed."""
    import re
    import zlib

    from patuh.audits.dossiers.render import FONT_DIR, PDF_FONTS, _css, html_to_pdf

    assert (FONT_DIR / "LICENSE-OFL.txt").read_text(encoding="utf-8").count("SIL OPEN FONT LICENSE Version 1.1") == 1
    for _, _, _, name in PDF_FONTS:
        assert (FONT_DIR / name).stat().st_size > 100_000, name
    html = ('<html><head><meta name="dcterms.created" content="2025-09-30"><style>' + _css() + '</style></head><body>'
            '<h1>Judul</h1><p>Teks <b>tebal</b> <i>miring</i></p>'
            '<table class="data"><tr class="sub"><td>miring <b>tebal</b></td></tr><tr><td>biasa</td><td class="mono">6101234567890123 '
            '<b>tebal</b></td></tr></table></body></html>')
    html_to_pdf(html, tmp_path / "f.pdf")
    raw = (tmp_path / "f.pdf").read_bytes()
    plain = raw + b"".join(zlib.decompress(m.group(1)) for m in re.finditer(rb"stream\r?\n(.*?)endstream", raw, re.S)
                           if m.group(1)[:1] == b"x")
    names = set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([\w-]+)", plain))
    assert names == {b"Patuh-Serif", b"Patuh-Serif-Bold", b"Patuh-Serif-Italic", b"Patuh-Sans", b"Patuh-Sans-Bold",
                     b"Patuh-Sans-Italic", b"Patuh-Sans-Bold-Italic", b"Patuh-Mono", b"Patuh-Mono-Bold"}, names
