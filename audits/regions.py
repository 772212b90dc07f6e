"""Kabupaten/kota of Kalimantan Barat: Kemendagri code -> name (the Kemendagri codes, as listed in
python-stdnum's stdnum/id/loc.dat; the same codes key the UMK parameters). The one list of the
province's regencies: the importers read region names with it, the documents name regencies with
it, the generator draws from it.

6104 is Kabupaten Mempawah (formerly Kabupaten Pontianak; some code lists still say PONTIANAK).
The Kejaksaan Negeri is named after the regency's seat as in "Kejaksaan Negeri Sambas"; which
Kejari has jurisdiction over a regency is not checked against the Kejaksaan's own list.
"""
from __future__ import annotations

PROVINCE = {"id": "Provinsi Kalimantan Barat", "en": "West Kalimantan Province"}

# code: (kind, short name)
REGENCIES: dict[str, tuple[str, str]] = {
    "6101": ("kab", "Sambas"),
    "6102": ("kab", "Bengkayang"),
    "6103": ("kab", "Landak"),
    "6104": ("kab", "Mempawah"),
    "6105": ("kab", "Sanggau"),
    "6106": ("kab", "Ketapang"),
    "6107": ("kab", "Sintang"),
    "6108": ("kab", "Kapuas Hulu"),
    "6109": ("kab", "Sekadau"),
    "6110": ("kab", "Melawi"),
    "6111": ("kab", "Kayong Utara"),
    "6112": ("kab", "Kubu Raya"),
    "6171": ("kota", "Pontianak"),
    "6172": ("kota", "Singkawang"),
}

_KIND = {"id": {"kab": "Kabupaten", "kota": "Kota"}, "en": {"kab": "Regency", "kota": "City"}}


def regency_name(code: str | None, lang: str = "id") -> str:
    """`Kabupaten Mempawah` / `Mempawah Regency`; an unknown code is returned as `Kode 6199`."""
    if not code:
        return "–"
    entry = REGENCIES.get(str(code))
    if entry is None:
        return ("Code " if lang == "en" else "Kode ") + str(code)
    kind, short = entry
    word = _KIND.get(lang, _KIND["id"])[kind]
    return f"{short} {word}" if lang == "en" else f"{word} {short}"


def regency_short(code: str | None) -> str:
    entry = REGENCIES.get(str(code)) if code else None
    return entry[1] if entry else (str(code) if code else "–")
