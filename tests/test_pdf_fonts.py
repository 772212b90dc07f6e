"""PDF font subsetting (audits/dossiers/pdf_fonts.py): HarfBuzz from the uharfbuzz wheel keeps each
used glyph as it was, and the fontTools fallback writes the same font bytes as fontTools' own
subsetter without reading the layout tables it drops."""
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


# --- HarfBuzz subsetting from the uharfbuzz wheel (pdf_fonts.harfbuzz_subset) ---------------------

def _glyph_outline(font: TTFont, gid: int):
    glyf = font["glyf"]
    glyph = glyf[font.getGlyphOrder()[gid]]
    coords, ends, _ = glyph.getCoordinates(glyf)
    return list(coords), list(ends), font["hmtx"][font.getGlyphOrder()[gid]]


@pytest.mark.parametrize("hinting", [False, True])
def test_harfbuzz_subset_keeps_used_glyphs_at_their_ids(hinting):
    """What a PDF needs of a font: each used glyph at its own id with its outline and advance, nothing
    after the last one, no layout tables (the text is shaped already), hinting only when asked for."""
    from patuh.audits.dossiers.render import FONT_DIR

    raw = (FONT_DIR / "LiberationSans-Regular.ttf").read_bytes()
    full = TTFont(io.BytesIO(raw))
    cmap = full.getBestCmap()
    text = "Rp 1.234.567 PT Maju Jaya — Tanjungpura § é Ω"
    gids = {full.getGlyphID(cmap[ord(ch)]) for ch in text}
    data = pdf_fonts.harfbuzz_subset(raw, 0, gids, hinting=hinting, notdef_outline=False)
    assert data is not None and len(data) < len(raw) / 5
    sub = TTFont(io.BytesIO(data))
    assert sub["maxp"].numGlyphs == max(gids) + 1
    for gid in gids:
        assert _glyph_outline(sub, gid) == _glyph_outline(full, gid), gid
    unused = next(g for g in range(1, max(gids)) if g not in gids and full["glyf"][full.getGlyphOrder()[g]].numberOfContours)
    assert sub["glyf"][sub.getGlyphOrder()[unused]].numberOfContours == 0
    assert "GSUB" not in sub and "GPOS" not in sub
    assert ("fpgm" in sub) == hinting


def test_harfbuzz_subset_is_deterministic_and_says_when_it_cannot():
    from patuh.audits.dossiers.render import FONT_DIR

    raw = (FONT_DIR / "LiberationMono-Bold.ttf").read_bytes()
    assert pdf_fonts.harfbuzz_subset(raw, 0, {3, 40, 41}, False, True) == pdf_fonts.harfbuzz_subset(raw, 0, {3, 40, 41}, False, True)
    assert pdf_fonts.harfbuzz_subset(b"not a font" * 10, 0, {1, 2}, False, False) is None


def _tiny_html():
    from patuh.audits.dossiers.render import _css

    return ('<html><head><meta name="dcterms.created" content="2025-09-30"><style>' + _css() + '</style></head><body>'
            '<h1>Judul</h1><p>Teks <b>tebal</b> <i>miring</i> Ελληνικά</p></body></html>')


def test_pdfs_are_subset_by_harfbuzz_not_fonttools(tmp_path, monkeypatch):
    """The subsetting never depends on the system: HarfBuzz from the wheel subsets every face
    (fontTools is not called, whether or not libharfbuzz-subset is installed)."""
    from patuh.audits.dossiers.render import html_to_pdf

    calls = []
    real = pdf_fonts.harfbuzz_subset
    monkeypatch.setattr(pdf_fonts, "harfbuzz_subset", lambda *a: calls.append(len(a[2])) or real(*a))
    monkeypatch.setattr(ft_subset.Subsetter, "subset", lambda *a, **k: pytest.fail("fontTools subsetting ran"))
    html_to_pdf(_tiny_html(), tmp_path / "a.pdf")
    assert len(calls) >= 3 and all(calls)  # serif, serif bold, serif italic, sans bold (h1)
    html_to_pdf(_tiny_html(), tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_weasyprints_own_subsetting_when_harfbuzz_fails(tmp_path, monkeypatch):
    from weasyprint.pdf.fonts import Font

    from patuh.audits.dossiers.render import html_to_pdf

    pdf_fonts.install()
    fallback = []
    monkeypatch.setattr(pdf_fonts, "harfbuzz_subset", lambda *a: None)
    monkeypatch.setattr(Font, "_fonttools_subset", lambda self, *a: fallback.append("fonttools"))
    monkeypatch.setattr(Font, "_harfbuzz_subset", lambda self, *a: fallback.append("harfbuzz-system"))
    html_to_pdf(_tiny_html(), tmp_path / "f.pdf")
    assert fallback and (tmp_path / "f.pdf").stat().st_size > 1000
