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


def _fixture_htmls(db_url, tmp_path) -> list:
    """The HTML of the fixture run's dossiers and provincial report."""
    engine = get_engine(db_url)
    try:
        run_id = build_store(engine)
        paths = render_all(engine, run_id, tmp_path / "out", pdf=False)
    finally:
        engine.dispose()
    return [p for p in paths if p.suffix == ".html"]


def test_same_pdf_bytes_as_with_weasyprints_own_stylesheet(db_url, tmp_path, monkeypatch):
    """A police and a prosecutor's dossier (numbered steps: list markers) and the provincial report,
    rendered with the trimmed and with WeasyPrint's own stylesheet: identical bytes."""
    from weasyprint import HTML

    htmls = _fixture_htmls(db_url, tmp_path)
    assert {"kepolisian", "kejaksaan", "pemprov"} <= {p.parent.parent.name for p in htmls} | {p.parent.name for p in htmls}
    for p in htmls:
        html = p.read_text(encoding="utf-8")
        render.html_to_pdf(html, tmp_path / "trimmed.pdf")
        with monkeypatch.context() as m:
            m.setattr(render, "pdf_html_class", lambda: HTML)
            render.html_to_pdf(html, tmp_path / "stock.pdf")
        assert (tmp_path / "trimmed.pdf").read_bytes() == (tmp_path / "stock.pdf").read_bytes(), p


def test_split_style_takes_out_only_a_stylesheet_that_can_be_shared():
    html = '<html><head><style>\np { color: red; }\n</style>\n</head><body><p style="color: blue">a</p></body></html>'
    rest, css = render._split_style(html)
    assert css == "\np { color: red; }\n" and "<style" not in rest and 'style="color: blue"' in rest
    for kept in (html.replace("red;", "red !important;"), html.replace("</head>", "<style>b {}</style></head>"),
                 html.replace("red;", "red; background: url(x.png);"), html.replace("<style>", '<style media="print">'),
                 html.replace("</head>", '<link rel="stylesheet" href="x.css"></head>')):
        assert render._split_style(kept) == (kept, None), kept


def test_a_style_attribute_still_outranks_the_shared_stylesheet(tmp_path):
    """The shared sheet is a user sheet: a style="" attribute (author) still wins over it, and a rule
    of it still wins over WeasyPrint's user-agent stylesheet."""
    from weasyprint.css import get_all_computed_styles

    html = ('<html><head><style>p { color: red; margin-top: 7px; } td { padding: 3px; }</style></head>'
            '<body><p style="color: blue">a</p><table><tr><td>x</td></tr></table></body></html>')
    rest, css = render._split_style(html)
    doc = render.pdf_html_class()(string=rest)
    styles = get_all_computed_styles(doc, user_stylesheets=[render._shared_sheet(css, str(render.HERE))])
    p = next(el for el in doc.etree_element.iter() if el.tag == "p")
    td = next(el for el in doc.etree_element.iter() if el.tag == "td")
    assert styles(p)["color"] == (0, 0, 1, 1) and styles(p)["margin_top"].value == 7
    assert styles(td)["padding_top"].value == 3


def test_same_pdf_bytes_with_the_stylesheet_parsed_once(db_url, tmp_path, monkeypatch):
    """The dossiers and the provincial report with their stylesheet inlined (author sheet, parsed for
    each document) and shared (parsed once per process): identical bytes."""
    for p in _fixture_htmls(db_url, tmp_path):
        html = p.read_text(encoding="utf-8")
        assert render._split_style(html)[1] is not None, p
        render.html_to_pdf(html, tmp_path / "shared.pdf")
        with monkeypatch.context() as m:
            m.setattr(render, "_split_style", lambda h: (h, None))
            render.html_to_pdf(html, tmp_path / "inline.pdf")
        assert (tmp_path / "shared.pdf").read_bytes() == (tmp_path / "inline.pdf").read_bytes(), p
