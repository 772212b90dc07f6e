"""WeasyPrint's resolve_percentages and Layout.setup, replaced by pdf_speedups with the same work done
faster: the same used values box by box and the same PDF bytes, on real dossiers and on a page that
uses what the dossiers do not (percentages, calc(), box-sizing, right-to-left text, other languages,
decorations, font features)."""
from __future__ import annotations

import copy

import pytest

from patuh.audits.dossiers import pdf_speedups, render, render_all
from patuh.audits.store.db import get_engine
from dossier_fixtures import build_store

ODD_PAGE = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>x</title><style>
@page { size: A5; margin: 10%; @top-center { content: "Judul"; width: 40%; } }
body { font-family: "Patuh Sans"; font-size: 10pt; }
.pct { width: 60%; margin: 2% 5%; padding: 1% 3% 0.5em; min-width: 10%; max-width: 90%; }
.calc { width: calc(50% - 12px); margin-left: calc(1em + 3%); height: 30%; min-height: 2em; }
.bb { box-sizing: border-box; width: 80%; padding: 12px; border: 3px solid #333; height: 40px; }
.pb { box-sizing: padding-box; width: 70%; padding: 5%; max-height: 50%; }
.abs { position: absolute; left: 10%; top: 5%; width: 20%; }
.float { float: right; width: 25%; margin: 1%; }
.u { text-decoration: underline; } .s { text-decoration: line-through; }
.sc { font-variant: small-caps; } .tn { font-variant-numeric: tabular-nums; font-kerning: none; }
.ff { font-feature-settings: "liga" 0, "kern" 1; } .lo { font-language-override: "TRK"; }
.ls { letter-spacing: 1px; word-spacing: 3px; } .ow { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; } td { border: 1px solid; padding: 2% 4px; width: 30%; }
.flex { display: flex; } .flex > div { flex: 1; margin: 0 2%; padding: 3%; }
.grid { display: grid; grid-template-columns: 30% 1fr; } .col { columns: 2; }
</style></head><body>
<div class="pct">Persen <span class="u">garis bawah</span> dan <span class="s">coret</span>.</div>
<div class="calc">calc() dengan <b>tebal</b> dan <i>miring</i></div>
<div class="bb">border-box</div><div class="pb">padding-box</div>
<div class="abs">mutlak</div><div class="float">mengambang, teks yang agak panjang untuk dipatahkan</div>
<p class="sc">Small Caps 0123</p><p class="tn">1111 2222</p><p class="ff">office affine</p>
<p class="lo">İstanbul ıi</p><p lang="en">English text, fi fl</p><p lang="ar" dir="rtl">مرحبا بالعالم</p><p dir="rtl">Rp 1.234 (neto)! abc?</p>
<p class="ls">jarak huruf dan kata</p><p class="ow">SHA256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</p>
<table><tr><td>a</td><td style="width: 50%">b c d</td><td>Rp 1.234.567,89</td></tr></table>
<div class="flex"><div>satu</div><div>dua tiga</div></div>
<div class="grid"><div>kiri</div><div>kanan</div></div>
<div class="col"><p>kolom satu</p><p>kolom dua</p></div>
<pre>	tab	dan spasi</pre>
<p style="font-variation-settings: 'wght' 0">variasi</p><p style="font-variation-settings: 'wght' -0">variasi nol negatif</p>
</body></html>"""


def test_the_speedups_apply_to_the_installed_weasyprint():
    """Both functions are replaced on the WeasyPrint this project installs; should WeasyPrint change
    one of them, its own is kept (slower, not wrong) and this test says so, so that pdf_speedups is
    brought up to date."""
    from weasyprint.layout import block, percent, table
    from weasyprint.text.line_break import Layout

    assert pdf_speedups.install() == ["Layout.setup", "resolve_percentages"]
    assert percent.resolve_percentages.__module__ == pdf_speedups.__name__
    assert block.resolve_percentages is table.resolve_percentages is percent.resolve_percentages
    assert Layout.setup.__module__ == pdf_speedups.__name__
    with pdf_speedups.stock():
        assert block.resolve_percentages.__module__ == "weasyprint.layout.percent"
        assert Layout.setup.__module__ == "weasyprint.text.line_break"
        assert pdf_speedups.install() == []  # render_document's call changes nothing inside the block
    assert block.resolve_percentages.__module__ == pdf_speedups.__name__


def test_a_changed_weasyprint_function_is_left_alone(monkeypatch):
    from weasyprint.layout import percent

    pdf_speedups.uninstall()
    try:
        monkeypatch.setitem(pdf_speedups.ORIGINAL_SOURCES, "resolve_percentages", "0" * 64)
        assert pdf_speedups.install() == ["Layout.setup"]
        assert percent.resolve_percentages.__module__ == "weasyprint.layout.percent"
    finally:
        pdf_speedups.uninstall()
        monkeypatch.undo()
        pdf_speedups.install()


def test_the_same_used_values_box_by_box():
    """Every box a page lays out, given as it was then to WeasyPrint's function and to its
    replacement: the same attributes, values and types."""
    from weasyprint.layout import percent

    calls = []
    with pdf_speedups.stock():
        original = percent.resolve_percentages

        def recording(box, containing_block):
            calls.append((copy.copy(box), containing_block))
            return original(box, containing_block)

        pdf_speedups.rebind_resolve_percentages(original, recording)
        try:
            render.render_document(ODD_PAGE)
        finally:
            pdf_speedups.rebind_resolve_percentages(recording, original)
    faster = pdf_speedups._replacements["resolve_percentages"]
    assert faster is not original
    kinds, auto_heights = set(), set()
    for box, containing_block in calls:
        theirs, ours = copy.copy(box), copy.copy(box)
        original(theirs, containing_block)
        faster(ours, containing_block)
        assert vars(ours) == vars(theirs), box
        assert [type(v) for v in vars(ours).values()] == [type(v) for v in vars(theirs).values()], box
        kinds.add(type(box).__name__)
        auto_heights.add((containing_block.height if hasattr(containing_block, "height") else containing_block[1]) == "auto")
    # the page reaches page and margin boxes, tables, flex, grid and block layout, and both height branches
    assert {"PageBox", "MarginBox", "TableCellBox", "FlexBox", "BlockBox", "LineBox"} <= kinds, kinds
    assert auto_heights == {True, False}


def _pdf(html: str, path) -> bytes:
    render.html_to_pdf(html, path)
    return path.read_bytes()


def test_the_same_pdf_bytes_on_an_odd_page(tmp_path):
    with pdf_speedups.stock():
        stock = _pdf(ODD_PAGE, tmp_path / "stock.pdf")
    assert pdf_speedups.install()
    assert _pdf(ODD_PAGE, tmp_path / "fast.pdf") == stock


def test_the_same_pdf_bytes_on_the_fixture_dossiers(db_url, tmp_path):
    engine = get_engine(db_url)
    try:
        run_id = build_store(engine)
        htmls = [p for p in render_all(engine, run_id, tmp_path / "out", pdf=False) if p.suffix == ".html"]
    finally:
        engine.dispose()
    assert {"kepolisian", "kejaksaan", "pemprov"} <= {p.parent.parent.name for p in htmls} | {p.parent.name for p in htmls}
    for p in htmls:
        html = p.read_text(encoding="utf-8")
        with pdf_speedups.stock():
            stock = _pdf(html, tmp_path / "stock.pdf")
        assert _pdf(html, tmp_path / "fast.pdf") == stock, p


def test_an_empty_language_override_fails_as_in_weasyprint(tmp_path):
    """WeasyPrint sets no language for `font-language-override: ""` and fails later; so does the
    replacement (equivalent, errors included)."""
    html = "<html><body style=\"font-family: 'Patuh Sans'\"><p style=\"font-language-override: ''\">Halo dunia</p></body></html>"
    with pdf_speedups.stock():
        with pytest.raises(AttributeError, match="language"):
            render.html_to_pdf(html, tmp_path / "stock.pdf")
    with pytest.raises(AttributeError, match="language"):
        render.html_to_pdf(html, tmp_path / "fast.pdf")
