"""The element tree of a document this package wrote, built without an HTML5 parser where that gives
exactly the HTML5 parser's tree.

WeasyPrint parses HTML with tinyhtml5, a pure-Python HTML5 parser that reads the text character by
character: about 4 % of a dossier's PDF CPU (6 % of the largest, 476 kB). The documents here come
from our own templates (autoescaped): every element is closed explicitly and nested properly, so
the tree is what any tag-matching parser finds, once the few things an HTML5 parser adds are added
the same way. `parse` builds that tree with the standard library's tokenizer (html.parser) and
returns None — the caller then uses tinyhtml5 — as soon as the document holds anything for which
HTML5 tree construction would do more than nest elements as tagged:

- an end tag that does not close the element last opened (implied end tags, misnesting, the
  adoption agency), an element left open at the end;
- a start tag that closes an open <p>, <li>, <dd>/<dt>, heading, <a>, table row or cell, or any
  element foreign to where it stands in a table (foster parenting), in <head> or outside <body>;
- text other than whitespace outside <body> or directly in a table, a table section, row or
  column group;
- elements parsed differently (<pre>, <textarea>, <listing>, <script> or <style> in the body,
  forms, frames, <template>, SVG and MathML, …), comments, processing instructions, a second
  <html>, <head> or <body>, a character reference not written out in full (`&name;`, `&#n;`),
  a CR or NUL character.

What it adds as HTML5 does: a <tbody> around rows written directly in a <table>, and the
whitespace that HTML5 moves — between </head> and <body> onto the head's tail, after </body> and
</html> to the end of the body. tests/test_html_tree.py compares both trees on every document of
the fixture run, in both languages.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from xml.etree import ElementTree

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements whose start tag may stand inside an open <p> without closing it (phrasing content HTML5
# handles as ordinary elements); any other start tag while a <p> is open means "not ours".
PHRASING = {"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "dfn", "em", "i", "img", "kbd", "mark",
            "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr"}
# Start tags HTML5 treats in a way of their own (beyond nesting), anywhere.
SPECIAL = {"html", "head", "body", "pre", "listing", "textarea", "xmp", "plaintext", "script", "style", "noscript",
           "noembed", "noframes", "iframe", "frameset", "frame", "template", "svg", "math", "form", "button",
           "select", "option", "optgroup", "input", "keygen", "image", "isindex", "applet", "marquee", "object",
           "nobr", "ruby", "rb", "rp", "rt", "rtc", "menuitem", "param", "source", "track", "embed", "area",
           "base", "basefont", "bgsound", "command", "caption", "search", "font", "center", "big", "strike", "tt"}
HEAD_CHILDREN = {"meta", "title", "style", "link"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# In a table, only these children (anything else is foster-parented out of it).
TABLE_CHILDREN = {"table": {"colgroup", "thead", "tbody", "tfoot", "tr"}, "thead": {"tr"}, "tbody": {"tr"},
                  "tfoot": {"tr"}, "tr": {"td", "th"}, "colgroup": {"col"}}
# Elements that close themselves when the same (or a sibling kind) starts while they are open.
SELF_CLOSING = {"li": {"li"}, "dd": {"dd", "dt"}, "dt": {"dd", "dt"}, "a": {"a"}}
_WS = " \t\n\f"
_BAD_CHARS = re.compile(r"[\r\x00]")
# A character reference written out in full; any other `&` (a bare ampersand, a reference without
# its semicolon) is left to the HTML5 parser's rules.
_AMP = re.compile(r"&(?![A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")


class NotOurs(Exception):
    """The document holds something HTML5 tree construction treats beyond nesting."""


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root: ElementTree.Element | None = None
        self.head = self.body = None
        self.stack: list[ElementTree.Element] = []
        self.implied: set[int] = set()  # ids of the <tbody> elements HTML5 would add
        self.phase = "start"  # start, html, head, after-head, body, after-body, after-html
        self.p_open = 0

    # -- text

    def _append_text(self, parent, text: str) -> None:
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + text
        else:
            parent.text = (parent.text or "") + text

    def handle_data(self, data: str) -> None:
        ws = not data.strip(_WS)
        if self.phase in ("start", "html"):  # before <head>: HTML5 drops whitespace
            if not ws:
                raise NotOurs("text before <head>")
            return
        if self.phase == "after-head":
            if not ws:
                raise NotOurs("text between </head> and <body>")
            self._append_text(self.root, data)
            return
        if self.phase in ("after-body", "after-html"):
            if not ws:
                raise NotOurs("text after </body>")
            self._append_text(self.body, data)
            return
        current = self.stack[-1]
        if current.tag in TABLE_CHILDREN and not ws:
            raise NotOurs(f"text directly in <{current.tag}>")
        if self.phase == "head" and current is self.head and not ws:
            raise NotOurs("text in <head>")
        self._append_text(current, data)

    # -- tags

    def handle_starttag(self, tag: str, attrs) -> None:
        if self.phase == "start":
            if tag != "html":
                raise NotOurs("no <html>")
            self.root = ElementTree.Element("html", self._attrib(attrs))
            self.stack = [self.root]
            self.phase = "html"
            return
        if self.phase == "html":
            if tag != "head":
                raise NotOurs("no <head>")
            self.head = self._open(tag, attrs)
            self.phase = "head"
            return
        if self.phase == "after-head":
            if tag != "body":
                raise NotOurs("no <body>")
            self.body = self._open(tag, attrs)
            self.phase = "body"
            return
        if self.phase == "head":
            if self.stack[-1] is not self.head or tag not in HEAD_CHILDREN:
                raise NotOurs(f"<{tag}> in <head>")
            element = self._open(tag, attrs)
            if tag in VOID:
                self.stack.pop()
            return
        if self.phase != "body":
            raise NotOurs(f"<{tag}> after </body>")
        if tag in SPECIAL:
            raise NotOurs(f"<{tag}>")
        current = self.stack[-1]
        if self.p_open and tag not in PHRASING:
            raise NotOurs(f"<{tag}> in an open <p>")
        if tag in HEADINGS and current.tag in HEADINGS:
            raise NotOurs("a heading in a heading")
        for open_tag, closes in SELF_CLOSING.items():
            if tag in closes and any(e.tag == open_tag for e in self.stack):
                if open_tag == "a" or current.tag == open_tag:
                    raise NotOurs(f"<{tag}> in an open <{open_tag}>")
        if tag in ("li", "dd", "dt") and any(e.tag in ("li", "dd", "dt") for e in self.stack):
            # HTML5 closes an open item unless a list (or other special element) stands between
            if current.tag not in ("ul", "ol", "dl"):
                raise NotOurs(f"<{tag}> in an open list item")
        if current.tag in TABLE_CHILDREN:
            if tag == "tr" and current.tag == "table":
                tbody = self._open("tbody", [])
                self.implied.add(id(tbody))
                current = tbody
            elif tag not in TABLE_CHILDREN[current.tag]:
                raise NotOurs(f"<{tag}> directly in <{current.tag}>")
        elif tag in ("tr", "td", "th", "tbody", "thead", "tfoot", "colgroup", "col"):
            raise NotOurs(f"<{tag}> outside its table element")
        self._open(tag, attrs)
        if tag in VOID:
            self.stack.pop()
        elif tag == "p":
            self.p_open += 1
        elif tag in ("table", "td", "th") and self.p_open:
            raise NotOurs("a table inside <p>")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag not in VOID:
            raise NotOurs(f"<{tag}/>")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.phase == "head":
            if tag == "head" and self.stack[-1] is self.head:
                self.stack.pop()
                self.phase = "after-head"
                return
        elif self.phase == "body":
            if tag == "body" and self.stack[-1] is self.body:
                self.stack.pop()
                self.phase = "after-body"
                return
        elif self.phase == "after-body" and tag == "html":
            self.stack.pop()
            self.phase = "after-html"
            return
        if self.phase not in ("head", "body") or tag in VOID:
            raise NotOurs(f"</{tag}>")
        current = self.stack[-1]
        if current.tag == "tbody" and id(current) in self.implied and tag == "table":
            self.stack.pop()
            current = self.stack[-1]
        if current.tag != tag or current is self.head or current is self.body:
            raise NotOurs(f"</{tag}> closing <{current.tag}>")
        self.stack.pop()
        if tag == "p":
            self.p_open -= 1

    def _attrib(self, attrs) -> dict:
        out = {}
        for name, value in attrs:
            out.setdefault(name, "" if value is None else value)  # HTML5 keeps the first of a duplicate
        return out

    def _open(self, tag: str, attrs) -> ElementTree.Element:
        element = ElementTree.SubElement(self.stack[-1], tag, self._attrib(attrs))
        self.stack.append(element)
        return element

    # -- what HTML5 would not just nest

    def handle_comment(self, data):
        raise NotOurs("comment")

    def handle_pi(self, data):
        raise NotOurs("processing instruction")

    def unknown_decl(self, data):
        raise NotOurs("declaration")

    def handle_decl(self, decl: str) -> None:
        if self.phase != "start" or decl.lower() != "doctype html":
            raise NotOurs("doctype")


def parse(html: str) -> ElementTree.Element | None:
    """The <html> element of `html` as tinyhtml5.parse(html, namespace_html_elements=False) builds
    it, or None where that is not sure (see the module's docstring)."""
    if _BAD_CHARS.search(html) or _AMP.search(html):
        return None
    builder = _Builder()
    try:
        builder.feed(html)
        builder.close()
    except NotOurs:
        return None
    if builder.phase not in ("after-body", "after-html") or builder.rawdata:
        return None
    return builder.root
