"""html_tree builds the element tree of our own documents without tinyhtml5, and must build exactly
tinyhtml5's tree or none at all (then WeasyPrint parses as usual)."""
from __future__ import annotations

import pytest
import tinyhtml5

from patuh.audits.dossiers import html_tree, render, render_all
from patuh.audits.store.db import get_engine
from dossier_fixtures import build_store


def _diff(a, b, path="html"):
    """Where two element trees differ (tag, attributes, text, tail, children), or None."""
    if (a.tag, a.attrib, a.text or None, a.tail or None, len(a)) != (b.tag, b.attrib, b.text or None, b.tail or None, len(b)):
        return f"{path}: {a.tag!r} {a.attrib} {a.text!r} {a.tail!r} {len(a)} / {b.tag!r} {b.attrib} {b.text!r} {b.tail!r} {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        if d := _diff(x, y, f"{path}/{x.tag}[{i}]"):
            return d
    return None


def _html5(html):
    return tinyhtml5.parse(html, namespace_html_elements=False)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_same_tree_as_tinyhtml5_for_every_document_of_a_run(db_url, tmp_path, lang):
    engine = get_engine(db_url)
    try:
        run_id = build_store(engine)
        paths = render_all(engine, run_id, tmp_path / "out", lang=lang, pdf=False, all_cases=True)
    finally:
        engine.dispose()
    htmls = [p for p in paths if p.suffix == ".html"]
    assert len(htmls) >= 3
    for p in htmls:
        html = p.read_text(encoding="utf-8")
        tree = html_tree.parse(html)
        assert tree is not None, p  # our own documents never need the HTML5 parser
        assert _diff(_html5(html), tree) is None, p


DOC = "<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n<title>t</title>\n</head>\n<body>\n{}\n</body>\n</html>\n"
TRICKY = [
    "<p>a</p>",
    "<table>\n<tr><td>a</td></tr>\n</table>",  # tbody implied
    "<table><thead><tr><th>a</th></tr></thead><tbody>\n<tr><td>b</td></tr></tbody></table>",
    "<p>a<div>b</div></p>",  # <div> closes the <p>
    "<p>a<table><tr><td>x</td></tr></table></p>",
    "<ul><li>a<li>b</ul>",  # implied </li>
    "<ul><li>a<div><li>b</div></li></ul>",
    "<dl><dt>a<dd>b</dl>",
    "<b>a<i>b</b>c</i>",  # misnested formatting
    "<a href='x'>a<a href='y'>b</a></a>",
    "<table><tr><td>a</td>text</tr></table>",  # foster parenting
    "<table><td>a</td></table>",  # implied <tr>
    "<table><col><tr><td>a</td></tr></table>",  # implied <colgroup>
    "<table><tr><td>a</td></tr><tfoot><tr><td>b</td></tr></tfoot></table>",
    "<h2>a<h3>b</h3></h2>",
    "</p>",
    "a</br>b",
    "<pre>\nx</pre>",
    "<textarea>\nx</textarea>",
    "<!-- c --><p>a</p>",
    "<svg><rect/></svg>",
    "<p>a &amp b &copy c &#65 d</p>",
    "<p title='&amp;x=1&copy=2'>a</p>",
    "<p>a\r\nb</p>",
    "<p>a\x00b</p>",
    "<span>a</span></body>\n<p>after body</p>",
    "<div>unclosed",
    "<p>a<br/>b<img src='x.png'/>c</p>",
    "<p class='a' class='b'>dup</p>",
    "<p hidden>attr without value</p>",
    "<script>var a = '<p>';</script>",
    "<select><option>a<option>b</select>",
]


@pytest.mark.parametrize("body", TRICKY)
def test_anything_else_gives_tinyhtml5s_tree_or_none(body):
    html = DOC.format(body)
    tree = html_tree.parse(html)
    assert tree is None or _diff(_html5(html), tree) is None


@pytest.mark.parametrize("html", [
    "<p>no html element</p>",
    "<!DOCTYPE html><html><body><p>no head</p></body></html>",
    "<!DOCTYPE html><html><head><title>t</title><p>in head</p></head><body></body></html>",
    "<!DOCTYPE html><html><head></head>text<body></body></html>",
    DOC.replace("</html>\n", "</html>\ntrailing text"),
])
def test_documents_not_written_by_our_templates_are_left_to_tinyhtml5(html):
    tree = html_tree.parse(html)
    assert tree is None or _diff(_html5(html), tree) is None


def test_pdf_html_is_the_document_weasyprint_would_make():
    """render.pdf_html sets up the document as HTML.__init__ does after its parse (WeasyPrint 70):
    should HTML gain or change an attribute, this says so."""
    html = DOC.format("<table class='data'><tr><td>a</td></tr></table>")
    cls = render.pdf_html_class()
    theirs, ours = cls(string=html, base_url=str(render.HERE)), render.pdf_html(html, str(render.HERE))
    assert type(ours) is type(theirs) and sorted(vars(ours)) == sorted(vars(theirs))
    assert (ours.base_url, ours.media_type, type(ours.url_fetcher)) == (theirs.base_url, theirs.media_type, type(theirs.url_fetcher))
    assert _diff(theirs.etree_element, ours.etree_element) is None
    assert html_tree.parse(html) is not None  # the fast path was taken
