"""Font subsetting for the PDFs: HarfBuzz from a pip wheel, the same on every machine.

WeasyPrint embeds in each PDF only the glyphs the document uses. It subsets with libharfbuzz-subset
when the system has that library and with fontTools otherwise. fontTools was about 8 % of a dossier's
CPU time with the shipped Liberation faces (about 0.2 s a dossier: with retain_gids it reads and
writes all ~2,600 glyph slots of each face, for each document), and which of the two ran depended
on a system package, so the bytes of a PDF depended on the machine.

`install()` makes WeasyPrint subset every font with the HarfBuzz that the `uharfbuzz` wheel (a
declared dependency) carries, with exactly the steps and flags of WeasyPrint's own HarfBuzz path
(`Font._harfbuzz_subset`, WeasyPrint 70): a first pass keeps the used glyphs at their ids and drops
the tables a PDF does not need, a second pass cuts the empty slots after the last used glyph and the
hinting. About 1 ms a font instead of 20–60 ms; the same glyph outlines and metrics, so the same
pages (tests/test_pdf_fonts.py). Should HarfBuzz fail on a font, WeasyPrint's own subsetting runs.

For that fallback, fontTools is kept from decompiling GSUB and GPOS before dropping them
(`Subsetter.subset` enters `_compact_layout_tables` first): the subsetter deletes, before anything
else, exactly the tables its own `_prune_pre_subset` would delete unread, with byte-identical output.
"""
from __future__ import annotations

_installed = False

# The tables WeasyPrint's HarfBuzz path drops (weasyprint/pdf/fonts.py, Font._harfbuzz_subset).
HB_DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")


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


def harfbuzz_subset(font_bytes: bytes, index: int, gids, hinting: bool, notdef_outline: bool) -> bytes | None:
    """`font_bytes` cut down to the glyph ids `gids` (kept at their ids), as WeasyPrint's HarfBuzz path
    does it; None if HarfBuzz cannot subset this font."""
    import uharfbuzz as hb

    flags = hb.SubsetFlags
    inp = hb.SubsetInput()
    inp.glyph_set.update(sorted(gids))
    drop = inp.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for tag in HB_DROP_TABLES:
        drop.add(int.from_bytes(tag, "big"))
    notdef = flags.NOTDEF_OUTLINE if notdef_outline else 0
    inp.flags = flags.RETAIN_GIDS | flags.PASSTHROUGH_UNRECOGNIZED | flags.DESUBROUTINIZE | notdef
    try:
        face = hb.subset(hb.Face(hb.Blob(font_bytes), index), inp)
        # second pass, same input: glyph ids 0..max used (all kept, so no id moves), no retained empty
        # slots after them, hinting dropped unless asked for
        inp.glyph_set.update(range(max(gids) + 1))
        inp.flags = (flags.PASSTHROUGH_UNRECOGNIZED | flags.DESUBROUTINIZE | notdef
                     | (0 if hinting else flags.NO_HINTING))
        data = hb.subset(face, inp).blob.data
    except RuntimeError:  # hb_subset_or_fail failed
        return None
    return data or None


def install() -> None:
    """Patch WeasyPrint's font subsetting and fontTools' Subsetter once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from fontTools.subset import Subsetter
    from weasyprint.pdf.fonts import Font

    original = Subsetter.subset

    def subset(self, font):
        for tag in tables_dropped_unread(font, self.options):
            del font[tag]
        return original(self, font)

    subset.__wrapped__ = original
    Subsetter.subset = subset

    weasy_subset = Font.subset

    def font_subset(self, to_unicode, hinting):
        if not to_unicode:
            return
        data = harfbuzz_subset(self.file_content, self.index, to_unicode, hinting, bool(self.missing))
        if data is None:
            return weasy_subset(self, to_unicode, hinting)
        self.file_content = data

    font_subset.__wrapped__ = weasy_subset
    Font.subset = font_subset
    _installed = True
