"""Two of WeasyPrint's hottest functions, rewritten to do the same work with less Python.

A dossier's PDF is about 1.1 CPU-s of WeasyPrint, spread thin over its layout. Sampling it (py-spy,
20 dossiers of the 350k run) found two functions that cost far more than what they compute:

- `layout.percent.resolve_percentages` (about 10 % of a PDF: calling it twice per box made the
  PDFs 10 % slower) turns a box's computed margins, paddings, widths and heights into used values,
  through two small function calls per property, 14 properties per box, about 6,000 boxes per
  dossier. `resolve_percentages` below is the same sequence of lookups and assignments, with the
  common cases (a length in px, a percentage) inline and every other value through WeasyPrint's own
  `percentage`.
- `text.line_break.Layout.setup` runs for every piece of text laid out or drawn (about 12,000 per
  dossier) and made each time a new Pango context, a new font description and the same OpenType
  feature string. `setup` below keeps, per document (on its FontConfiguration), one Pango context
  per base direction and language and one font description per font, and the feature string per
  set of font-variant values. A Pango layout copies the font description it is given, and a context
  that nothing changes after it is made is what Pango expects layouts to share; the attributes set on
  a layout and its text are set per layout as before.

Together about 9 % less CPU per PDF (10 dossiers, old and new alternated four times: 40.8 → 37.2
CPU-s), byte-identical PDFs (tests/test_pdf_speedups.py renders real dossiers both ways and compares
the bytes, and compares the used values box by box).

`install()` replaces a function only if WeasyPrint's own is, character for character, the one
these were written from (WeasyPrint 70): a WeasyPrint that changed it keeps its own (slower, not
wrong), and a test says so.
"""
from __future__ import annotations

import hashlib
import inspect
import sys
from contextlib import contextmanager
from math import inf

# sha256 of inspect.getsource() of the functions these replace, as WeasyPrint 70 has them
ORIGINAL_SOURCES = {
    "resolve_percentages": "71673078096fcf8764e6412933288cc79ba956eae0d939deda27beaeac45acad",
    "Layout.setup": "fb227a55094f41d42fbd57f180d8b7a9a1e741969ec8ddb3fd5cd80920257442",
}

def source_hash(function) -> str | None:
    try:
        return hashlib.sha256(inspect.getsource(function).encode("utf-8")).hexdigest()
    except (OSError, TypeError):  # no source to compare (an install without .py files)
        return None


def _make_resolve_percentages():
    from weasyprint.css.functions import check_math
    from weasyprint.formatting_structure.boxes import Box, PageBox
    from weasyprint.layout.percent import adjust_box_sizing, percentage

    def resolve_percentages(box, containing_block):
        """Set used values as attributes of the box object (WeasyPrint's, see the module)."""
        if isinstance(containing_block, Box):
            cb_width = containing_block.width
            cb_height = containing_block.height
        else:
            cb_width, cb_height = containing_block
        maybe_height = cb_height if isinstance(box, PageBox) else cb_width
        style = box.style
        # the order of WeasyPrint's calls: margins, paddings, width, min, max; then the heights
        for name, refer_to in (
                ("margin_left", cb_width), ("margin_right", cb_width),
                ("margin_top", maybe_height), ("margin_bottom", maybe_height),
                ("padding_left", cb_width), ("padding_right", cb_width),
                ("padding_top", maybe_height), ("padding_bottom", maybe_height),
                ("width", cb_width), ("min_width", cb_width), ("max_width", cb_width)):
            value = style[name]
            unit = getattr(value, "unit", None)
            if unit == "px":
                value = value.value
            elif unit == "%":
                value = refer_to * value.value / 100
            else:  # 'auto', None, calc(): WeasyPrint's own
                value = percentage(value, style, refer_to)
                if value == "auto" and name == "min_width":
                    value = 0
            setattr(box, name, value)

        if cb_height == "auto":
            height = style["height"]
            if height == "auto" or check_math(height) or height.unit == "%":
                box.height = "auto"
            else:
                assert height.unit.lower() == "px"
                box.height = height.value
            heights = (("min_height", 0), ("max_height", inf))
        else:
            heights = (("height", cb_height), ("min_height", cb_height), ("max_height", cb_height))
        for name, refer_to in heights:  # the loop above again, inline: a call per property is the cost saved
            value = style[name]
            unit = getattr(value, "unit", None)
            if unit == "px":
                value = value.value
            elif unit == "%":
                value = refer_to * value.value / 100
            else:
                value = percentage(value, style, refer_to)
                if value == "auto" and name == "min_height":
                    value = 0
            setattr(box, name, value)

        collapse = style["border_collapse"] == "collapse"
        for prop in ("border_top_width", "border_right_width", "border_bottom_width", "border_left_width"):
            # resolved already by the collapsed-border resolution where it ran
            if not (collapse and hasattr(box, prop)):
                setattr(box, prop, style[prop])
        adjust_box_sizing(box, "width")
        adjust_box_sizing(box, "height")

    return resolve_percentages


def _make_layout_setup():
    from weasyprint.text.constants import LST_TO_ISO, PANGO_DIRECTION
    from weasyprint.text.ffi import FROM_UNITS, ffi, gobject, pango, unicode_to_char_p
    from weasyprint.text.fonts import font_features, get_font_description

    feature_strings: dict[tuple, bytes | dict] = {}

    def setup(self, style):
        """WeasyPrint's Layout.setup with the document's Pango contexts and font descriptions reused."""
        self.style = style
        self.first_line_direction = 0
        font_config = style.font_config
        state = font_config.__dict__
        contexts = state.get("_patuh_pango_contexts")
        if contexts is None:
            contexts = state["_patuh_pango_contexts"] = {}
            state["_patuh_font_descriptions"] = {}
        descriptions = state["_patuh_font_descriptions"]

        if style["font_language_override"] != "normal":
            lang = LST_TO_ISO.get(style["font_language_override"].lower(), style["font_language_override"])
        elif style["lang"]:
            lang = style["lang"]
        else:
            lang = None
        key = (style["direction"], lang)
        entry = contexts.get(key)
        if entry is None:
            pango_context = ffi.gc(pango.pango_font_map_create_context(font_config.font_map), gobject.g_object_unref)
            pango.pango_context_set_round_glyph_positions(pango_context, False)
            pango.pango_context_set_base_dir(pango_context, PANGO_DIRECTION[style["direction"]])
            if lang:
                lang_p, _ = unicode_to_char_p(lang)
                language = pango.pango_language_from_string(lang_p)
                pango.pango_context_set_language(pango_context, language)
            elif lang is None:
                language = pango.pango_language_get_default()
            else:  # an empty font-language-override: WeasyPrint sets no language (and fails later)
                language = None
            entry = contexts[key] = (pango_context, language)
        pango_context, language = entry
        if language is not None:
            self.language = language

        assert not isinstance(style["font_family"], str), "font_family should be a list"
        # the variation settings as the description's text has them: 0.0 and -0.0 are equal keys but
        # different descriptions, hence different fonts in the PDF
        font_key = (style["font_family"], style["font_style"], style["font_stretch"], style["font_weight"],
                    style["font_size"], style["font_variant_caps"], str(style["font_variation_settings"]))
        try:
            font_description = descriptions.get(font_key)
        except TypeError:  # a value that cannot be a key: made each time, as WeasyPrint does
            font_key, font_description = None, None
        if font_description is None:
            font_description = get_font_description(style)
            if font_key is not None:
                descriptions[font_key] = font_description
        self.layout = ffi.gc(pango.pango_layout_new(pango_context), gobject.g_object_unref)
        pango.pango_layout_set_auto_dir(self.layout, False)
        pango.pango_layout_set_font_description(self.layout, font_description)

        if style["text_decoration_line"] != "none":
            metrics = ffi.gc(pango.pango_context_get_metrics(pango_context, font_description, self.language),
                             pango.pango_font_metrics_unref)
            self.ascent = FROM_UNITS * pango.pango_font_metrics_get_ascent(metrics)
            self.underline_position = FROM_UNITS * pango.pango_font_metrics_get_underline_position(metrics)
            self.strikethrough_position = FROM_UNITS * pango.pango_font_metrics_get_strikethrough_position(metrics)
            self.underline_thickness = FROM_UNITS * pango.pango_font_metrics_get_underline_thickness(metrics)
            self.strikethrough_thickness = FROM_UNITS * pango.pango_font_metrics_get_strikethrough_thickness(metrics)
        else:
            self.ascent = None
            self.underline_position = None
            self.strikethrough_position = None

        variants = (style["font_kerning"], style["font_variant_ligatures"], style["font_variant_position"],
                    style["font_variant_caps"], style["font_variant_numeric"], style["font_variant_alternates"],
                    style["font_variant_east_asian"], style["font_feature_settings"])
        try:
            features, cacheable = feature_strings.get(variants), True
        except TypeError:  # a value that cannot be a key: made each time
            features, cacheable = None, False
        if features is None:
            features = font_features(*variants)
            if features:
                features = ",".join(f"{key} {value}" for key, value in features.items()).encode()
            if cacheable:
                feature_strings[variants] = features
        if features:
            # WeasyPrint keeps one Pango attribute per feature string, per document
            attr = font_config.font_features.setdefault(features, pango.pango_attr_font_features_new(features))
            attr_list = pango.pango_attr_list_new()
            pango.pango_attr_list_insert(attr_list, attr)
            pango.pango_layout_set_attributes(self.layout, attr_list)

    return setup


def rebind_resolve_percentages(old, new) -> None:
    """Every WeasyPrint module's `resolve_percentages` that is `old`, made `new`: each layout module
    bound the function when it was imported (`from .percent import resolve_percentages`)."""
    import weasyprint.layout  # noqa: F401  (imports every layout module)

    for module in list(sys.modules.values()):
        if (getattr(module, "__name__", "") or "").startswith("weasyprint") and getattr(module, "resolve_percentages", None) is old:
            module.resolve_percentages = new


def _current() -> dict:
    import weasyprint.layout  # noqa: F401
    from weasyprint.layout import percent
    from weasyprint.text.line_break import Layout

    return {"resolve_percentages": percent.resolve_percentages, "Layout.setup": Layout.setup}


def _put(name: str, old, new) -> None:
    if name == "resolve_percentages":
        rebind_resolve_percentages(old, new)
    else:
        from weasyprint.text.line_break import Layout

        Layout.setup = new


_MAKERS = {"resolve_percentages": _make_resolve_percentages, "Layout.setup": _make_layout_setup}
_replacements: dict[str, object] = {}
_saved: dict[str, object] = {}  # WeasyPrint's own, while replaced
_refused: set[str] = set()  # WeasyPrint's own differs from what these were written from: left alone
_off = False


def install() -> list[str]:
    """Replace the functions whose WeasyPrint source is the expected one (idempotent); return the
    names of those replaced."""
    if _off:
        return []
    if len(_replacements) + len(_refused) == len(_MAKERS):  # every document calls this
        return sorted(_replacements)
    for name, current in _current().items():
        if name in _replacements or name in _refused:
            continue
        if source_hash(current) != ORIGINAL_SOURCES[name]:
            _refused.add(name)
            continue
        _saved[name] = current
        _replacements[name] = _MAKERS[name]()
        _put(name, current, _replacements[name])
    return sorted(_replacements)


def uninstall() -> None:
    """WeasyPrint's own functions again; the next install() checks their source anew."""
    for name in list(_replacements):
        _put(name, _replacements.pop(name), _saved.pop(name))
    _refused.clear()


@contextmanager
def stock():
    """WeasyPrint's own functions within the block (the tests compare both), the replacements after."""
    global _off
    uninstall()
    _off = True
    try:
        yield
    finally:
        _off = False
        install()
