"""Faster font subsetting for the PDFs, with the same bytes out.

Without libharfbuzz-subset WeasyPrint subsets each embedded font with fontTools and asks it to drop
GSUB and GPOS (the PDF needs only outlines: the text is already shaped). fontTools (4.68) still
decompiles both tables before it drops them (`Subsetter.subset` enters `_compact_layout_tables`
first), and for DejaVu fonts that was about 40 % of the subsetting and 15 % of a dossier's PDF.
`install()` makes the subsetter delete, before anything else, exactly the tables its own
`_prune_pre_subset` would delete unread; the subset font, and so the PDF, is byte for byte what it
was (tests/test_pdf_fonts.py compares both subsetters on a real font).

With libharfbuzz-subset installed WeasyPrint does not use fontTools and this changes nothing; the
two subsetters write different (equally valid) font bytes, so PDFs made with and without that
library differ, while each environment stays reproducible (docs/performance.md).
"""
from __future__ import annotations

_installed = False


def tables_dropped_unread(font, options) -> list[str]:
    """The tables `Subsetter._prune_pre_subset` deletes without reading them, by its own rules
    (the `kern` rule looks at GPOS as it is before anything is dropped)."""
    has_gpos = "GPOS" in font
    out = []
    for tag in font.keys():
        if tag == "GlyphOrder":
            continue
        name = tag.strip()
        if (name in options.drop_tables
                or (name in options.hinting_tables and not options.hinting)
                or (tag == "kern" and not options.legacy_kern and has_gpos)):
            out.append(tag)
    return out


def install() -> None:
    """Patch fontTools' Subsetter once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from fontTools.subset import Subsetter

    original = Subsetter.subset

    def subset(self, font):
        for tag in tables_dropped_unread(font, self.options):
            del font[tag]
        return original(self, font)

    subset.__wrapped__ = original
    Subsetter.subset = subset
    _installed = True
