from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
ONE_RUPIAH = Decimal(1)


def round_rupiah(value: Decimal) -> Decimal:
    """Half-up to whole Rupiah: done once per finding or bill, never per worker."""
    return Decimal(value).quantize(ONE_RUPIAH, rounding=ROUND_HALF_UP)


def rupiah_text(value: Decimal | int | None) -> str:
    """`Rp 1.234.567` as Indonesian documents write it."""
    if value is None:
        return "–"
    v = round_rupiah(Decimal(value))
    sign = "-" if v < 0 else ""
    return f"Rp {sign}{abs(int(v)):,}".replace(",", ".")
