"""Text for people: numbers, dates and months in Indonesian (default) or English.

Pure and deterministic (no locale, no clock): the same value always gives the same text. Used by
findings messages and by the dossiers alike, so both write a date or an amount the same way."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

DASH = "–"
MONTHS = {
    "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
}


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


def amount(value: Decimal, lang: str = "id") -> str:
    """An amount of Rupiah without the sign: whole as `1.234.567`, with sen always as two digits
    `560.000,25` (id) / `560,000.25` (en)."""
    if value == value.to_integral_value():
        return number(value, lang)
    en = f"{value.quantize(Decimal('0.01')):,}"
    return en if lang == "en" else en.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


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
