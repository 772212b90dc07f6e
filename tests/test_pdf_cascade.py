"""The PDFs are rendered with WeasyPrint's user-agent stylesheet less the pseudo-element rules these
documents never show (render.UA_TRIMS): the same PDF bytes, half the style cascade."""
from __future__ import annotations

from patuh.audits.dossiers import render, render_all
from patuh.audits.store.db import get_engine
from dossier_fixtures import build_store


def test_the_trim_applies_to_the_installed_weasyprint():
    """If WeasyPrint's stylesheet changes, the PDFs fall back to it untrimmed (slower, not wrong):
    this test says so, so that UA_TRIMS is brought up to date."""
    from weasyprint import HTML
    from weasyprint.html import UA

    trimmed = render.trimmed_ua_stylesheet(UA)
    assert trimmed is not None and render.pdf_html_class() is not HTML
    assert "::footnote" not in trimmed and "::note" not in trimmed and "li::marker {" in trimmed
    assert trimmed.count("{") == UA.count("{") - 5  # five rules gone, nothing else
    assert render.trimmed_ua_stylesheet(UA.replace("\n::note-call {", "\n::note-call, x {")) is None


def test_only_list_items_get_a_marker_style():
    from weasyprint.css import get_all_computed_styles

    doc = render.pdf_html_class()(string="<html><body><p>a</p><ol><li>one</li></ol><table><tr><td>x</td></tr></table></body></html>")
    styles = get_all_computed_styles(doc)
    pseudo = {(el.tag, pseudo) for (el, pseudo) in styles._computed_styles if pseudo}
    assert pseudo == {("li", "marker")}, pseudo


def test_same_pdf_bytes_as_with_weasyprints_own_stylesheet(db_url, tmp_path, monkeypatch):
    """A police and a prosecutor's dossier (numbered steps: list markers) and the provincial report,
    rendered with the trimmed and with WeasyPrint's own stylesheet: identical bytes."""
    from weasyprint import HTML

    engine = get_engine(db_url)
    try:
        run_id = build_store(engine)
        paths = render_all(engine, run_id, tmp_path / "out", pdf=False)
    finally:
        engine.dispose()
    htmls = [p for p in paths if p.suffix == ".html"]
    assert {"kepolisian", "kejaksaan", "pemprov"} <= {p.parent.parent.name for p in htmls} | {p.parent.name for p in htmls}
    for p in htmls:
        html = p.read_text(encoding="utf-8")
        render.html_to_pdf(html, tmp_path / "trimmed.pdf")
        with monkeypatch.context() as m:
            m.setattr(render, "pdf_html_class", lambda: HTML)
            render.html_to_pdf(html, tmp_path / "stock.pdf")
        assert (tmp_path / "trimmed.pdf").read_bytes() == (tmp_path / "stock.pdf").read_bytes(), p
