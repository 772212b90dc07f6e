"""Formatting for the dossiers: Rupiah, dates, periods, rates, identifiers; labels per language.

Everything here is pure and deterministic (no locale, no clock): the same value always gives the
same text, in Indonesian by default or in English with lang="en".
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import yaml

from audits.calc.money import rupiah_text

HERE = Path(__file__).resolve().parent
LANGS = ("id", "en")

MONTHS = {
    "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
}
DASH = "–"


def to_decimal(value) -> Decimal | None:
    """Money/number from the store or from evidence JSON (str, int, Decimal) -> Decimal; else None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def rupiah(value) -> str:
    """Whole Rupiah, `Rp 1.234.567` (half-up, via audits.calc.money.rupiah_text)."""
    d = to_decimal(value)
    return DASH if d is None else rupiah_text(d)


def rupiah_exact(value, lang: str = "id") -> str:
    """Exact amount for computation sheets: `Rp 342.650,45` when there are sen, else as rupiah()."""
    d = to_decimal(value)
    if d is None:
        return DASH
    if d == d.to_integral_value():
        return rupiah_text(d)
    q = d.quantize(Decimal("0.01"))
    sign = "-" if q < 0 else ""
    whole, frac = f"{abs(q):.2f}".split(".")
    whole = f"{int(whole):,}".replace(",", ".")
    return f"Rp {sign}{whole},{frac}"


def number(value, lang: str = "id") -> str:
    d = to_decimal(value)
    if d is None:
        return DASH
    if d == d.to_integral_value():
        s = f"{int(d):,}"
        return s.replace(",", ".") if lang != "en" else s
    s = f"{d.normalize():,f}"
    if lang != "en":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s


def percent(value, lang: str = "id") -> str:
    """A fraction as a percentage: 0.0089 -> `0,89 %` (id) / `0.89%` (en)."""
    d = to_decimal(value)
    if d is None:
        return DASH
    p = (d * 100).normalize()
    s = f"{p:f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if lang == "en":
        return f"{s}%"
    return s.replace(".", ",") + "\u00a0%"


def _as_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def date_text(value, lang: str = "id") -> str:
    """`30 September 2025` (Indonesian month names; English with lang="en")."""
    d = _as_date(value)
    if d is None:
        return DASH if value in (None, "") else str(value)
    return f"{d.day} {MONTHS[lang if lang in MONTHS else 'id'][d.month - 1]} {d.year}"


def period_text(value, lang: str = "id") -> str:
    """`2025-03` -> `Maret 2025`."""
    if not value:
        return DASH
    if ".." in str(value):  # a range of months, `2025-01..2025-09`
        a, b = str(value).split("..", 1)
        return f"{period_text(a, lang)} – {period_text(b, lang)}"
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(value))
    if not m:
        return str(value)
    return f"{MONTHS[lang if lang in MONTHS else 'id'][int(m.group(2)) - 1]} {m.group(1)}"


def mask_nik(value) -> str:
    """`6171012345670123` -> `6171********0123`: regency code and last four digits only."""
    digits = re.sub(r"\D", "", str(value or ""))
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def npwp_text(value, mask_personal: bool = False) -> str:
    """NPWP as usually written. A 16-digit NPWP not starting with 0 is a person's NIK (PMK
    112/2022): masked like a NIK when mask_personal (reports outside law enforcement)."""
    digits = re.sub(r"\D", "", str(value or ""))
    if not digits:
        return DASH
    if len(digits) == 15:
        d = digits
        return f"{d[0:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:15]}"
    if len(digits) == 16 and not digits.startswith("0") and mask_personal:
        return mask_nik(digits)
    return digits


def nik_text(value) -> str:
    digits = re.sub(r"\D", "", str(value or ""))
    return digits or DASH


@lru_cache(maxsize=None)
def _labels() -> dict:
    with open(HERE / "labels.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    for key, entry in data.items():
        if not isinstance(key, str):  # YAML 1.1 reads a bare `no:` / `on:` as a boolean
            raise ValueError(f"labels.yaml: key {key!r} is not text; quote it")
        if not isinstance(entry, dict) or set(entry) != set(LANGS):
            raise ValueError(f"labels.yaml: {key} needs exactly the languages {LANGS}")
    return data


def label(key: str, lang: str = "id") -> str:
    """The text of a label in `lang`; an unknown key is a programming error (KeyError)."""
    return _labels()[key][lang]


def has_label(key: str) -> bool:
    return key in _labels()
