"""fields.nik remembers stdnum's answer per NIK part (region number[:4], birth date number[6:12])
instead of asking ``stdnum.id.nik.validate`` for every distinct NIK. These tests hold that
shortcut to ``validate`` itself: same value for a valid NIK, same message for an invalid one, on
random 16-digit strings and on strings built from real regions and plausible birth dates (random
digits are almost never valid), in whatever order the memos fill."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import nik as stdnum_nik

from patuh.audits.importer import fields
from patuh.audits.importer.fields import FieldError, show


def reference(raw: str) -> str:
    """fields.nik as it was before the memo: stdnum's validate on every NIK."""
    s = fields.text(raw).strip().translate(fields._ID_SEPARATORS)
    if not (len(s) == 16 and s.isdigit() and s.isascii()):
        reason = (f"16 digits expected, got {sum(ch.isdigit() for ch in s)} digits" if s.isdigit()
                  else "16 digits expected")
        raise FieldError(f"{show(raw)} is not a valid NIK — {reason}")
    try:
        stdnum_nik.validate(s)
    except StdnumError:
        raise FieldError(
            f"{show(raw)} is not a valid NIK — its region or birth-date part is invalid (PPKKCC DDMMYY SSSS)"
        ) from None
    return s


def outcome(fn, raw: str):
    try:
        return ("ok", fn(raw))
    except FieldError as exc:
        return ("error", str(exc))


def agree(raw: str) -> None:
    assert outcome(fields.nik, raw) == outcome(reference, raw), raw


# regions stdnum knows (from the benchmark and demo packages) and a few it does not
REGIONS = ["6171", "6104", "6107", "6101", "3171", "1101", "9471", "6172", "0000", "9999", "6199", "6100"]


@st.composite
def built_nik(draw) -> str:
    region = draw(st.sampled_from(REGIONS) | st.text(alphabet="0123456789", min_size=4, max_size=4))
    district = draw(st.text(alphabet="0123456789", min_size=2, max_size=2))
    day = draw(st.integers(0, 79))  # women: day + 40; 0, 32–40 and 72+ do not exist
    month = draw(st.integers(0, 13))
    year = draw(st.integers(0, 99))
    serial = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    return f"{region}{district}{day:02d}{month:02d}{year:02d}{serial}"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_random_digits_agree_with_stdnum(raw):
    agree(raw)


@settings(max_examples=3000, deadline=None)
@given(built_nik())
def test_built_niks_agree_with_stdnum(raw):
    agree(raw)


@settings(max_examples=500, deadline=None)
@given(built_nik(), st.sampled_from(["", " ", "-", "."]), st.integers(0, 16))
def test_written_forms_agree_with_stdnum(raw, sep, at):
    agree(raw[:at] + sep + raw[at:])
    agree(f" {raw} ")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=20))
def test_any_text_agrees_with_stdnum(raw):
    agree(raw)


def test_both_verdicts_occur():
    """The strategies above reach valid and invalid NIKs of each kind (or they would prove little)."""
    assert outcome(fields.nik, "6171040101870476")[0] == "ok"
    assert "region or birth-date" in outcome(fields.nik, "9971040101870476")[1]  # no such region
    assert "region or birth-date" in outcome(fields.nik, "6171043202870476")[1]  # 32 February
    assert "16 digits expected, got 15" in outcome(fields.nik, "617104010187047")[1]


@pytest.mark.parametrize("order", ["place first", "birth first"])
def test_fresh_memos_in_either_order(monkeypatch, order):
    """A part remembered as valid from one NIK never lets another NIK's bad part through."""
    monkeypatch.setattr(fields, "_NIK_PLACE", {})
    monkeypatch.setattr(fields, "_NIK_BIRTH", {})
    niks = ["6171040101870476", "9971040101870476", "6171043202870476", "9971043202870476", "6171044202870476"]
    if order == "birth first":
        niks.reverse()
    for raw in niks:
        agree(raw)


def test_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(fields, "_NIK_PLACE", {})
    monkeypatch.setattr(fields, "_NIK_BIRTH", {})
    monkeypatch.setattr(fields, "NIK_PART_MEMO", 2)
    for day in range(1, 29):
        agree(f"617104{day:02d}0187{day:04d}")
    assert len(fields._NIK_BIRTH) == 2
    agree("6171043202870476")
