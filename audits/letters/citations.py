"""Citations for letters and dossiers, from the one legal corpus (rules/law/, audits.law_corpus).

A citation is the instrument's full title, number and year, its Lembaran Negara / Tambahan LN (or
Berita Negara) numbers, the article and ayat, and — when the article was read in the enacted text —
its words. An article the corpus does not hold, or holds only as a paraphrase, is *unverified*: the
document marks it on the page and counts it on the cover. A source of law is never a news site:
`lawful_sources` keeps only references to enacted texts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from patuh.audits.rulebook import rules_dir
from patuh.audits.law_corpus import LawCorpus, LawError

# Where an enacted text may be read: the gazette collections and official JDIH portals, or a
# reference to the instrument itself. Everything else (news, blogs, translations, document-sharing
# sites) may have led us to a text but is never printed as a source of law.
_OFFICIAL = re.compile(
    r"(peraturan\.info|peraturan\.go\.id|jdih|data-peraturan|pasal\.id|bpk\.go\.id|setneg|"
    r"salinan|enacted text|teks (resmi|sebagaimana diundangkan)|\bLN\b|Lembaran Negara|Berita Negara)",
    re.IGNORECASE)

# Short names of instruments the corpus may not hold yet, so a letter can still say what it is.
_FALLBACK_TITLES = {
    "PP 44/2015": "Peraturan Pemerintah Nomor 44 Tahun 2015 tentang Penyelenggaraan Program Jaminan Kecelakaan Kerja dan Jaminan Kematian",
    "PP 45/2015": "Peraturan Pemerintah Nomor 45 Tahun 2015 tentang Penyelenggaraan Program Jaminan Pensiun",
    "PP 46/2015": "Peraturan Pemerintah Nomor 46 Tahun 2015 tentang Penyelenggaraan Program Jaminan Hari Tua",
    "Permenaker 4/2018": "Peraturan Menteri Ketenagakerjaan Nomor 4 Tahun 2018",
    "Perpres 109/2013": "Peraturan Presiden Nomor 109 Tahun 2013 tentang Penahapan Kepesertaan Program Jaminan Sosial",
}


def lawful_sources(text: str | None) -> str:
    """The parts of a `;`-separated source line that point to an enacted text; '' when none do."""
    parts = [p.strip() for p in re.split(r";", str(text or "")) if p.strip()]
    return "; ".join(p for p in parts if _OFFICIAL.search(p))


@lru_cache(maxsize=4)
def corpus(directory: str | None = None) -> LawCorpus:
    try:
        return LawCorpus.load(rules_dir(directory) if directory else rules_dir(None))
    except LawError:
        # a broken corpus is reported by `patuh rules lint`; documents then cite nothing as verified
        return LawCorpus([])


@dataclass(frozen=True)
class Cite:
    instrument: str
    article: str  # as cited: "Pasal 10 ayat (4)"
    title: str  # full title, or the short name when unknown
    gazette: str  # "LN 2013 Nomor 238, TLN 5481" or ""
    words: str  # the enacted words of the cited ayat, or the corpus paraphrase, or ""
    verified: bool
    kind: str  # kutipan | ringkasan | "" (not in the corpus)

    @property
    def short(self) -> str:
        return f"{self.instrument} {self.article}"

    def full(self) -> str:
        gaz = f" ({self.gazette})" if self.gazette else ""
        return f"{self.article} {self.title}{gaz}"


def cite(instrument: str, article: str, lang: str = "id", directory: str | None = None) -> Cite:
    c = corpus(directory)
    ins = c.instruments.get(instrument)
    title = ins.title if ins else _FALLBACK_TITLES.get(instrument, instrument)
    gazette = ""
    if ins:
        gazette = ", ".join(x for x in (ins.ln, ins.tln, ins.bn) if x)
    art, cit, why = c.find(instrument, article) if ins else (None, None, "not in corpus")
    if art is None or why:
        return Cite(instrument, article, title, gazette, "", False, "")
    words = art.words(cit.ayat) if art.kind == "kutipan" else art.text
    if lang == "en" and art.en:
        words = art.en
    return Cite(instrument, article, title, gazette, words, bool(art.verified and art.kind == "kutipan"), art.kind)
