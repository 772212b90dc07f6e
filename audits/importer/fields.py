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

Limits (docs/data-package.md, "Limits"): digits are ASCII ``0-9`` only (``\\d`` would also match
Arabic-Indic, Devanagari or full-width digits); years are 2000–2100; an amount is below
Rp 10.000.000.000.000 (10^13, so that ``wage × 100`` and every sum of a plausible package stay
inside a 64-bit integer on both databases); a whole number is at most 1.000.000.000; an identifier
is at most 100 characters and any other text at most 1,000; no text may hold a control character
(C0, DEL, C1) or a bidirectional override, which could hide or reorder what an inspector reads.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import unicodedata
from stdnum.exceptions import InvalidLength, ValidationError as StdnumError
from stdnum.id import nik as _nik
from stdnum.id import npwp as _npwp

from patuh.audits.store.schema import PROGRAMS_ORDER


class FieldError(ValueError):
    """A cell that does not parse; ``str(err)`` is the message (without the place)."""


MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_RUPIAH = 10**13  # exclusive: at most 13 digits before the point
MAX_INTEGER = 10**9
MAX_ID = 100
MAX_TEXT = 1000
SHOWN = 60  # characters of a value echoed in a message

# C0, DEL and C1 control characters, bidirectional embeddings/overrides/isolates, and the lone
# surrogates a file that is not UTF-8 leaves behind (read with errors="surrogateescape")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\udc80-\udcff]")


def escape_controls(s: str) -> str:
    """Control characters made visible (``\\x1b``, ``\\u202e``) and undecodable bytes as ``\\xe9``."""
    def one(m):
        ch = m.group()
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            return f"\\x{o - 0xDC00:02x}"
        return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"

    return _CONTROL.sub(one, s)


def show(raw) -> str:
    """A raw value quoted for a message: control characters escaped, long values cut."""
    if isinstance(raw, datetime):
        raw = raw.isoformat(sep=" ")
    elif isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    s = str(raw)
    if len(s) > SHOWN:
        return f'"{escape_controls(s[:SHOWN])}…" ({len(s):,} characters)'
    return f'"{escape_controls(s)}"'


def not_utf8(s: str) -> str | None:
    """The message for a cell that holds bytes that are not UTF-8, or None."""
    m = _SURROGATE.search(s) if not s.isascii() else None
    if m is None:
        return None
    return (f"not UTF-8 text (byte 0x{ord(m.group()) - 0xDC00:02X} in {show(s)}) — "
            'save the file as "CSV UTF-8"')


def _control_name(ch: str) -> str:
    o = ord(ch)
    name = {0: "NUL", 9: "tab", 10: "line break", 13: "carriage return", 27: "ESC"}.get(o)
    if name is None:
        name = unicodedata.name(ch, "control character")
    return f"U+{o:04X} ({name})"


# ------------------------------------------------------------------------------------------ text


def text(raw) -> str:
    """Text of one line: no control characters, at most MAX_TEXT characters."""
    s = _as_text(raw)
    if not s.isascii() or not s.isprintable():  # the common case is decided by two C calls
        bad = not_utf8(s)
        if bad:
            raise FieldError(bad)
        m = _CONTROL.search(s)
        if m:
            raise FieldError(f"{show(s)} contains the control character {_control_name(m.group())}"
                             " — write the value as one line of plain text")
    if len(s) > MAX_TEXT:
        raise FieldError(f"{show(s)} is too long — at most {MAX_TEXT:,} characters expected")
    return s


def _as_text(raw) -> str:
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


def identifier(raw) -> str:
    """Ids are text; whole-number XLSX cells are converted (see module doc). At most MAX_ID
    characters: an id names a dossier folder and appears in every message about its rows."""
    s = text(raw)
    if len(s) > MAX_ID:
        raise FieldError(f"{show(s)} is too long for an identifier — at most {MAX_ID} characters expected")
    return s


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


NIK_PART_MEMO = 100_000  # distinct region / birth-date parts remembered (each table has ~10^4)
_NIK_PLACE: dict[str, bool] = {}  # number[:4] -> stdnum accepts it as a place of registration
_NIK_BIRTH: dict[str, bool] = {}  # number[6:12] -> stdnum reads a birth date from it
NIK_INVALID = "its region or birth-date part is invalid (PPKKCC DDMMYY SSSS)"


def _stdnum_accepts(check, number: str) -> bool:
    try:
        check(number)
    except StdnumError:
        return False
    return True


def _nik_reason(s: str) -> str | None:
    """digits -> None if valid, else the reason.

    For 16 ASCII digits ``stdnum.id.nik.validate`` only asks two questions: is ``number[6:12]`` a
    birth date (``get_birth_date``) and is ``number[:4]`` a place of registration (a numdb look-up,
    most of its cost). Each answer is stdnum's own, remembered per part: a province has ~10^4
    distinct birth dates and a few dozen regencies against ~10^5 distinct NIKs, so stdnum runs once
    per new part instead of once per NIK. tests/test_import_nik_memo.py checks that this agrees
    with ``validate`` itself (should a stdnum release add a check, that test fails)."""
    if not (len(s) == 16 and s.isdigit() and s.isascii()):
        return f"16 digits expected, got {sum(ch.isdigit() for ch in s)} digits" if s.isdigit() else "16 digits expected"
    birth = s[6:12]
    ok = _NIK_BIRTH.get(birth)
    if ok is None:
        ok = _stdnum_accepts(_nik.get_birth_date, s)
        if len(_NIK_BIRTH) < NIK_PART_MEMO:
            _NIK_BIRTH[birth] = ok
    if not ok:
        return NIK_INVALID
    place = s[:4]
    ok = _NIK_PLACE.get(place)
    if ok is None:
        ok = _stdnum_accepts(_nik._check_registration_place, s)
        if len(_NIK_PLACE) < NIK_PART_MEMO:
            _NIK_PLACE[place] = ok
    return None if ok else NIK_INVALID


def nik(raw) -> str:
    s = text(raw).strip()
    if not (s.isdigit() and s.isascii()):  # plain digits (nearly every NIK) have no separator to drop
        s = s.translate(_ID_SEPARATORS)
    reason = _nik_reason(s)
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

_PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?\Z")
_PLAIN_SEN = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?\Z")  # the common case: nothing more to check
_CURRENCY = re.compile(r"^\s*(rp\.?|idr)\s*|\s*(rp\.?|idr)\s*$", re.IGNORECASE)


def _suggest_money(s: str) -> str | None:
    """Best guess at the plain form of a formatted amount, or None."""
    t = _CURRENCY.sub("", s).replace(" ", "").replace("\u00a0", "")
    neg = t.startswith("-")
    if neg:
        return None
    t = t.rstrip(",-")  # "3.054.552,-" is a common Indonesian way of writing whole Rupiah
    if not t or not re.fullmatch(r"[0-9.,]+", t) or not t[0].isdigit():
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
    if not (intpart.isdigit() and intpart.isascii()) or (frac and not (frac.isdigit() and frac.isascii())):
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
        bad = not_utf8(s)
        if bad:
            raise FieldError(bad)
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
    if value >= MAX_RUPIAH:
        raise FieldError(f"{show(raw)} is too large — an amount below Rp 10.000.000.000.000 (10^13) expected")
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise FieldError(f"{show(raw)} has more than 2 decimals — Rupiah with at most 2 decimals (sen) expected")
    return value


# ------------------------------------------------------------------------------- dates, numbers

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])\Z")
YEARS = f"a year from {MIN_YEAR} to {MAX_YEAR} expected"


def _in_years(d: date, raw) -> date:
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise FieldError(f"{show(raw)} is outside the years the audit covers — {YEARS}")
    return d


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
        return _in_years(d, raw)
    if isinstance(raw, str):
        s = raw.strip()
        if _DATE.match(s):
            try:
                d = date.fromisoformat(s)
            except ValueError:
                raise FieldError(f"{show(raw)} is not a date that exists — write YYYY-MM-DD") from None
            return _in_years(d, raw)
    raise FieldError(f"{show(raw)} is not a date — write YYYY-MM-DD, e.g. 2025-03-21")


def period(raw) -> str:
    d = _cell_date(raw)
    if d is not None:
        if d.day == 1:
            _in_years(d, raw)
            return f"{d.year:04d}-{d.month:02d}"
        raise FieldError(f"{show(raw)} is not a period — write YYYY-MM, e.g. 2025-03")
    s = raw.strip() if isinstance(raw, str) else None
    if s is not None and _PERIOD.match(s):
        if not MIN_YEAR <= int(s[:4]) <= MAX_YEAR:
            raise FieldError(f"{show(raw)} is outside the years the audit covers — {YEARS}")
        return s
    raise FieldError(f"{show(raw)} is not a period — write YYYY-MM, e.g. 2025-03")


def integer(raw) -> int:
    if isinstance(raw, bool):
        raise FieldError(f"{show(raw)} is not a whole number")
    if isinstance(raw, int):
        v = raw
    elif isinstance(raw, float) and raw.is_integer():
        v = int(raw)
    else:
        s = raw.strip() if isinstance(raw, str) else ""
        if not (s.isdigit() and s.isascii()):
            raise FieldError(f"{show(raw)} is not a whole number — write digits only, e.g. 1250")
        if len(s) > 10:
            raise FieldError(f"{show(raw)} is too large — a whole number up to {MAX_INTEGER:,} expected")
        v = int(s)
    if v < 0:
        raise FieldError(f"{show(raw)} is negative — a whole number of 0 or more expected")
    if v > MAX_INTEGER:
        raise FieldError(f"{show(raw)} is too large — a whole number up to {MAX_INTEGER:,} expected")
    return v


def year(raw) -> int:
    try:
        v = integer(raw)
    except FieldError:
        v = None
    if v is None or not MIN_YEAR <= v <= MAX_YEAR:
        raise FieldError(f"{show(raw)} is not a year — {YEARS}")
    return v


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
