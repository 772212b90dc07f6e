"""Cell parsers: raw cell (CSV text or an XLSX cell value) -> Python value, or FieldError.

Every message names the value and says what was expected (and, where we can tell, how to write
it). The caller prefixes the place: ``payroll.csv row 41, column wage: <message>``.

XLSX cells arrive typed (str, int, float, datetime, date, bool); CSV cells are always str.
Choices for XLSX:
- money: numeric cells are taken as they are (float via ``Decimal(str(v))``); at most 2 decimals.
- dates: date/datetime cells are accepted (a datetime must be at midnight); for a period column a
  date cell on the 1st of a month is read as that month (Excel turns a typed ``2025-03`` into
  2025-03-01).
- identifiers (ids, NIK, NPWP, codes): a numeric cell is converted only if its value is a whole
  number (``6104014101000001`` -> ``"6104014101000001"``); any other number is rejected. Leading
  zeros a spreadsheet has already dropped cannot be recovered: store ids as text cells.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from stdnum.exceptions import InvalidLength, ValidationError as StdnumError
from stdnum.id import nik as _nik
from stdnum.id import npwp as _npwp

from patuh.audits.store.schema import PROGRAMS_ORDER


class FieldError(ValueError):
    """A cell that does not parse; ``str(err)`` is the message (without the place)."""


def show(raw) -> str:
    """A raw value quoted for a message."""
    if isinstance(raw, datetime):
        raw = raw.isoformat(sep=" ")
    elif isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return f'"{raw}"'


# ------------------------------------------------------------------------------------------ text


def text(raw) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        raise FieldError(f"{show(raw)} is a TRUE/FALSE cell — text expected")
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if raw.is_integer():
            return str(int(raw))
        raise FieldError(f"{show(raw)} is a number cell — text expected (format the column as Text)")
    if isinstance(raw, (datetime, date)):
        raise FieldError(f"{show(raw)} is a date cell — text expected (format the column as Text)")
    return str(raw)


identifier = text  # ids are text; whole-number XLSX cells are converted (see module doc)


def _digits(raw, n: int | tuple[int, ...], what: str) -> str:
    s = text(raw).strip()
    lengths = (n,) if isinstance(n, int) else n
    if not s.isdigit() or not s.isascii() or len(s) not in lengths:
        want = " or ".join(str(x) for x in lengths)
        raise FieldError(f"{show(raw)} is not {what} — {want} digits expected")
    return s


def regency_code(raw) -> str:
    return _digits(raw, 4, "a regency code (kabupaten/kota)")


def regency_or_province_code(raw) -> str:
    return _digits(raw, (2, 4), "a regency code (4 digits) or province code (2 digits)")


def village_code(raw) -> str:
    return _digits(raw, 10, "a village code")


def kpj(raw) -> str:
    return _digits(raw, 11, "a KPJ number")


def nib(raw) -> str:
    return _digits(raw, 13, "a NIB")


_ID_SEPARATORS = str.maketrans("", "", ".- ")


@lru_cache(maxsize=65536)
def _nik_cached(s: str) -> str | None:
    """digits -> None if valid, else the reason."""
    if not (len(s) == 16 and s.isdigit() and s.isascii()):
        return f"16 digits expected, got {sum(ch.isdigit() for ch in s)} digits" if s.isdigit() else "16 digits expected"
    try:
        _nik.validate(s)
    except StdnumError:
        return "its region or birth-date part is invalid (PPKKCC DDMMYY SSSS)"
    return None


def nik(raw) -> str:
    s = text(raw).strip().translate(_ID_SEPARATORS)
    reason = _nik_cached(s)
    if reason:
        raise FieldError(f"{show(raw)} is not a valid NIK — {reason}")
    return s


def npwp(raw) -> str:
    s = text(raw).strip().translate(_ID_SEPARATORS)
    if not (s.isdigit() and s.isascii() and len(s) in (15, 16)):
        raise FieldError(f"{show(raw)} is not a valid NPWP — 15 or 16 digits expected")
    try:
        _npwp.validate(s)
    except InvalidLength:
        raise FieldError(f"{show(raw)} is not a valid NPWP — 15 or 16 digits expected") from None
    except StdnumError:
        raise FieldError(f"{show(raw)} is not a valid NPWP — check digit does not match") from None
    return s


# ----------------------------------------------------------------------------------------- money

_PLAIN = re.compile(r"\d+(\.\d+)?\Z")
_PLAIN_SEN = re.compile(r"\d+(\.\d{1,2})?\Z")  # the common case: nothing more to check
_CURRENCY = re.compile(r"^\s*(rp\.?|idr)\s*|\s*(rp\.?|idr)\s*$", re.IGNORECASE)


def _suggest_money(s: str) -> str | None:
    """Best guess at the plain form of a formatted amount, or None."""
    t = _CURRENCY.sub("", s).replace(" ", "").replace("\u00a0", "")
    neg = t.startswith("-")
    if neg:
        return None
    t = t.rstrip(",-")  # "3.054.552,-" is a common Indonesian way of writing whole Rupiah
    if not t or not re.fullmatch(r"[\d.,]+", t) or not t[0].isdigit():
        return None
    last_dot, last_comma = t.rfind("."), t.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        dec = max(last_dot, last_comma)
        intpart, frac = t[:dec], t[dec + 1:]
        intpart = intpart.replace(".", "").replace(",", "")
    elif last_dot >= 0 or last_comma >= 0:
        sep = "." if last_dot >= 0 else ","
        parts = t.split(sep)
        if len(parts) > 2 or len(parts[-1]) == 3:
            intpart, frac = "".join(parts), ""  # thousands separators
        else:
            intpart, frac = parts[0], parts[1]  # a decimal separator
    else:
        intpart, frac = t, ""
    if not intpart.isdigit() or (frac and not frac.isdigit()):
        return None
    if len(frac) > 2:
        return None
    return intpart + (("." + frac) if frac else "")


def money(raw) -> Decimal:
    if isinstance(raw, bool):
        raise FieldError(f"{show(raw)} is a TRUE/FALSE cell — an amount in Rupiah expected")
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        s = raw.strip()
        if _PLAIN_SEN.match(s):
            return Decimal(s)
        if not _PLAIN.match(s):
            if s.startswith("-") and _PLAIN.match(s[1:]):
                raise FieldError(f"{show(raw)} is negative — an amount of 0 or more expected")
            hint = _suggest_money(s)
            how = f"write {hint}" if hint else "write a plain number such as 3054552 or 3054552.50"
            raise FieldError(f"{show(raw)} is not a plain number — {how}")
        value = Decimal(s)
    else:
        raise FieldError(f"{show(raw)} is not an amount — a plain number of Rupiah expected")
    if not value.is_finite():
        raise FieldError(f"{show(raw)} is not an amount — a plain number of Rupiah expected")
    if value < 0:
        raise FieldError(f"{show(raw)} is negative — an amount of 0 or more expected")
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise FieldError(f"{show(raw)} has more than 2 decimals — Rupiah with at most 2 decimals (sen) expected")
    return value


# ------------------------------------------------------------------------------- dates, numbers

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])\Z")


def _cell_date(raw) -> date | None:
    if isinstance(raw, datetime):
        if raw.time() != datetime.min.time():
            raise FieldError(f"{show(raw)} has a time of day — a date YYYY-MM-DD expected")
        return raw.date()
    if isinstance(raw, date):
        return raw
    return None


def iso_date(raw) -> date:
    d = _cell_date(raw)
    if d is not None:
        return d
    if isinstance(raw, str):
        s = raw.strip()
        if _DATE.match(s):
            try:
                return date.fromisoformat(s)
            except ValueError:
                raise FieldError(f"{show(raw)} is not a date that exists — write YYYY-MM-DD") from None
    raise FieldError(f"{show(raw)} is not a date — write YYYY-MM-DD, e.g. 2025-03-21")


def period(raw) -> str:
    d = _cell_date(raw)
    if d is not None:
        if d.day == 1:
            return f"{d.year:04d}-{d.month:02d}"
        raise FieldError(f"{show(raw)} is not a period — write YYYY-MM, e.g. 2025-03")
    s = raw.strip() if isinstance(raw, str) else None
    if s is not None and _PERIOD.match(s):
        return s
    raise FieldError(f"{show(raw)} is not a period — write YYYY-MM, e.g. 2025-03")


def integer(raw) -> int:
    if isinstance(raw, bool):
        raise FieldError(f"{show(raw)} is not a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    s = raw.strip() if isinstance(raw, str) else ""
    if s.isdigit() and s.isascii():
        return int(s)
    raise FieldError(f"{show(raw)} is not a whole number — write digits only, e.g. 1250")


def risk_group(raw) -> int:
    try:
        v = integer(raw)
    except FieldError:
        v = None
    if v is None or not 1 <= v <= 5:
        raise FieldError(f"{show(raw)} is not a JKK risk group — 1, 2, 3, 4 or 5 expected")
    return v


def enum(*allowed: str):
    allowed_set = frozenset(allowed)
    listing = ", ".join(allowed)

    def parse(raw) -> str:
        s = text(raw).strip() if not isinstance(raw, str) else raw.strip()
        if s in allowed_set:
            return s
        raise FieldError(f"{show(raw)} is not one of {listing}")

    parse.__name__ = "enum"
    return parse


def programs(raw) -> str:
    s = text(raw)
    items = [p.strip() for p in s.split(";") if p.strip()]
    bad = [p for p in items if p not in PROGRAMS_ORDER]
    if bad:
        raise FieldError(
            f"{show(raw)} is not a list of programmes — {', '.join(bad)} unknown; "
            f"expected JKK, JKM, JHT, JP separated by ;"
        )
    if not items:
        raise FieldError(f"{show(raw)} is not a list of programmes — expected JKK, JKM, JHT, JP separated by ;")
    present = set(items)
    return ";".join(p for p in PROGRAMS_ORDER if p in present)
