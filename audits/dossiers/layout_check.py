"""A check that a rendered document's text stays inside its boxes and never overlaps other text.

WeasyPrint lays each page out as a tree of boxes (`page._page_box`). Every piece of text is a
TextBox; its container is the nearest block-level box above it (a paragraph, a table cell, a page
margin box; its padding counts as inside), skipping inline boxes, lines and inline-blocks (a badge that is wider than its cell is
exactly what must be caught). A page fails when

- a text box reaches outside its container's content box (a number wider than its column, a label
  running into the next cell), or
- two text boxes on the same page overlap (a badge over a date, a header over a header).

Tolerances are a fraction of a point so that rounding never trips the check. Used by the tests on
every document of the demo; `problems(html)` can be run on any document.
"""
from __future__ import annotations

from dataclasses import dataclass

TOLERANCE = 0.75  # CSS px (≈ 0.56 pt)


@dataclass(frozen=True)
class Text:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def _boxes():
    from weasyprint.formatting_structure import boxes

    return boxes


def _walk(box, container, out: list, page: int, B) -> None:
    if isinstance(box, B.TextBox):
        text = box.text.strip()
        # a list marker sits outside its item by design; it is still checked for overlaps
        marker = str(getattr(box, "element_tag", "")).endswith("::marker")
        if text:
            # the glyphs: trailing spaces are part of the box but draw nothing
            width = box.width
            if box.text != box.text.rstrip() and len(box.text):
                width = box.width * len(box.text.rstrip()) / len(box.text)
            t = Text(page, text, box.position_x, box.position_y, box.position_x + width, box.position_y + box.height)
            out.append((t, None if marker else container))
        return
    is_container = (isinstance(box, (B.BlockBox, B.TableCellBox, B.MarginBox, B.PageBox))
                    and not isinstance(box, B.InlineBlockBox))
    inner = box if is_container else container
    for child in getattr(box, "children", ()) or ():
        _walk(child, inner, out, page, B)


def _content_edges(box) -> tuple[float, float]:
    """The box's padding box: text may use a cell's padding, never its border or beyond."""
    x = box.padding_box_x()
    return x, x + box.padding_width()


def page_problems(page, number: int) -> list[str]:
    B = _boxes()
    found: list[tuple[Text, object]] = []
    _walk(page._page_box, page._page_box, found, number, B)
    problems = []
    for t, c in found:
        if c is None:
            continue
        left, right = _content_edges(c)
        if t.x1 > right + TOLERANCE or t.x0 < left - TOLERANCE:
            problems.append(f"page {number}: text {t.text[:40]!r} outside its box "
                            f"(x {t.x0:.1f}–{t.x1:.1f}, box {left:.1f}–{right:.1f})")
    texts = sorted((t for t, _ in found), key=lambda t: t.y0)
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if b.y0 >= a.y1 - TOLERANCE:
                break
            w = min(a.x1, b.x1) - max(a.x0, b.x0)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)
            if w > TOLERANCE and h > TOLERANCE:
                problems.append(f"page {number}: text {a.text[:30]!r} overlaps {b.text[:30]!r}")
    return problems


def document_problems(document) -> list[str]:
    """Problems of a rendered weasyprint Document, page by page."""
    out = []
    for i, page in enumerate(document.pages, 1):
        out += page_problems(page, i)
    return out


def problems(html: str, base_url: str | None = None) -> tuple[list[str], int]:
    """Render `html` with the fonts of the PDFs and return (problems, number of pages)."""
    from .render import render_document

    doc = render_document(html, base_url=base_url)
    return document_problems(doc), len(doc.pages)
