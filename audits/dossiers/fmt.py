"""Formatting for the dossiers: Rupiah, dates, periods, rates, identifiers; labels per language.

Everything here is pure and deterministic (no locale, no clock): the same value always gives the
same text, in Indonesian by default or in English with lang="en".
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from patuh.audits.calc.money import rupiah_text
# the generic pieces live in audits.text; the renderer and templates use them through this module
from patuh.audits.text import DASH, MONTHS, _as_date, amount, date_text, number, period_text, to_decimal

__all__ = ["DASH", "MONTHS", "_as_date", "date_text", "number", "period_text", "to_decimal", "rupiah",
           "rupiah_exact", "percent", "mask_nik", "npwp_text", "nik_text", "label", "has_label"]

HERE = Path(__file__).resolve().parent
LANGS = ("id", "en")



def rupiah(value, lang: str = "id") -> str:
    """Whole Rupiah, `Rp 1.234.567` (half-up, via audits.calc.money.rupiah_text); `Rp 1,234,567` in English."""
    d = to_decimal(value)
    if d is None:
        return DASH
    text = rupiah_text(d)
    return text.replace(".", ",") if lang == "en" else text


def rupiah_exact(value, lang: str = "id") -> str:
    """Exact amount for computation sheets: `Rp 342.650,45` when there are sen, else as rupiah()."""
    d = to_decimal(value)
    if d is None:
        return DASH
    if d == d.to_integral_value():
        return rupiah(d, lang)
    return f"Rp {amount(d, lang)}"


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
