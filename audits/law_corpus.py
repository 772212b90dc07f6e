"""The map of the law: `rules/law/<instrument>.yaml`, the one corpus of legal texts a rulebook cites.

Each file is one instrument (title, number, year, LN/TLN) with the articles that bear on the audit.
An article holds either the operative words as enacted (`kind: kutipan`, by ayat or as one text) or
our own paraphrase (`kind: ringkasan`), and says whether it was verified against the enacted text
and where it was read. Rules cite `instrument` + `article` ("Pasal 19 ayat (1)"); a rule's `quote`
must be words of the corpus, so a rule, a dossier and a letter can never quote the same article in
two wordings.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from patuh.engine.yaml_load import load as load_yaml

LAW_DIR = "law"
KINDS = ("kutipan", "ringkasan")
CONFIDENCE = ("P", "S2", "S1", "D", "UNCONFIRMED")
_INSTRUMENT_FIELDS = {"instrument", "type", "number", "year", "title", "ln", "tln", "bn", "promulgated",
                      "note", "articles", "amended_by", "source"}
_ARTICLE_FIELDS = {"article", "heading", "kind", "text", "ayat", "verified", "read_in", "confidence",
                   "sources", "en", "note"}
_PASAL = re.compile(r"^(Pasal\s+\d+[A-Z]?)\b\s*(.*)$")
_AYAT_RANGE = re.compile(r"\((\d+)\)\s*[–—-]\s*\((\d+)\)")
_AYAT = re.compile(r"\((\d+)\)")


class LawError(Exception):
    """A law file is malformed; the message names the file."""


@dataclass
class Article:
    instrument: str
    article: str                 # "Pasal 19", or a unit without a number ("Diktum KEDUA")
    kind: str
    verified: bool
    text: str = ""               # the whole article, or the ayat joined "(1) … (2) …"
    ayat: dict[str, str] = field(default_factory=dict)
    read_in: str = ""            # where the enacted text was read (verified articles)
    confidence: str = "P"        # for documents: P when verified, else S2/S1/UNCONFIRMED
    sources: str = ""
    en: str = ""
    heading: str = ""
    note: str = ""
    file: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.instrument, self.article)

    def words(self, ayat: Iterable[str] = ()) -> str:
        """The text of the given ayat (all when none), each with its number."""
        wanted = list(ayat)
        if not self.ayat:
            return self.text
        keys = wanted or list(self.ayat)
        return " ".join(f"({k}) {self.ayat[k]}" for k in keys if k in self.ayat)


@dataclass
class Instrument:
    instrument: str
    type: str
    number: str
    year: int
    title: str
    ln: str | None
    tln: str | None
    file: str
    articles: dict[str, Article] = field(default_factory=dict)
    note: str = ""
    bn: str | None = None
    promulgated: str | None = None
    amended_by: str | None = None


@dataclass
class Citation:
    """A parsed `article:` of a rule: the article unit and the ayat it names (maybe none)."""

    article: str
    ayat: list[str]
    rest: str  # what follows the ayat (huruf …), kept for display


def parse_article(text: str) -> Citation:
    text = " ".join(str(text or "").split())
    m = _PASAL.match(text)
    if not m:
        return Citation(text, [], "")
    unit, rest = m.group(1), m.group(2)
    ayat: list[str] = []
    if rest.startswith("ayat"):
        spec = rest[len("ayat"):]
        for a, b in _AYAT_RANGE.findall(spec):
            ayat.extend(str(i) for i in range(int(a), int(b) + 1))
        spec_wo_ranges = _AYAT_RANGE.sub("", spec)
        for a in _AYAT.findall(spec_wo_ranges):
            if a not in ayat:
                ayat.append(a)
        ayat.sort(key=int)
    return Citation(unit, ayat, rest)


def normalise(text: str) -> str:
    """Words for comparison: Unicode-normalised, one space, typographic quotes and dashes plain."""
    text = unicodedata.normalize("NFKC", str(text))
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2019", "'")
    return " ".join(text.split())


class LawCorpus:
    def __init__(self, instruments: Iterable[Instrument]):
        self.instruments: dict[str, Instrument] = {}
        for ins in instruments:
            if ins.instrument in self.instruments:
                raise LawError(f"{ins.file}: instrument {ins.instrument!r} is already defined in "
                               f"{self.instruments[ins.instrument].file}")
            self.instruments[ins.instrument] = ins

    @classmethod
    def load(cls, rules_dir: Path | str) -> "LawCorpus":
        directory = Path(rules_dir) / LAW_DIR
        files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
        return cls(parse_law_file(p.read_text(encoding="utf-8"), str(p)) for p in files)

    def __len__(self) -> int:
        return len(self.instruments)

    def articles(self) -> list[Article]:
        return [a for ins in self.instruments.values() for a in ins.articles.values()]

    def find(self, instrument: str, article: str) -> tuple[Article | None, Citation, str | None]:
        """The article a citation names, the parsed citation, and why it does not resolve."""
        cit = parse_article(article)
        ins = self.instruments.get(" ".join(str(instrument).split()))
        if ins is None:
            return None, cit, f"instrument {instrument!r} is not in rules/{LAW_DIR}/"
        art = ins.articles.get(cit.article)
        if art is None:
            return None, cit, f"{instrument} has no article {cit.article!r} in {Path(ins.file).name}"
        missing = [a for a in cit.ayat if art.ayat and a not in art.ayat]
        if missing:
            return art, cit, f"{instrument} {cit.article} has no ayat ({'), ('.join(missing)}) in the corpus"
        return art, cit, None

    def check_quote(self, art: Article, cit: Citation, quote: str) -> str | None:
        """None when the quote is words of the cited article (or ayat); else why not."""
        hay = normalise(art.words(cit.ayat))
        needle = normalise(quote).rstrip(".;: ")
        if needle and needle in hay:
            return None
        return (f"quote differs from the text of {art.instrument} {cit.article}"
                f"{(' ayat (' + '), ('.join(cit.ayat) + ')') if cit.ayat else ''} in rules/{LAW_DIR}/")


def _s(v: Any) -> str:
    return "" if v is None else " ".join(str(v).split())


def parse_law_file(text: str, file: str) -> Instrument:
    try:
        data = load_yaml(text, yaml.SafeLoader)  # libyaml's parser: read on every audit
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LawError(f"{file}{f' line {mark.line + 1}' if mark else ''}: not valid YAML") from None
    if not isinstance(data, dict):
        raise LawError(f"{file}: expected a mapping with instrument, title, articles")
    unknown = set(data) - _INSTRUMENT_FIELDS
    if unknown:
        raise LawError(f"{file}: unknown field(s) {', '.join(sorted(unknown))}")
    for req in ("instrument", "type", "number", "year", "title", "articles"):
        if data.get(req) in (None, ""):
            raise LawError(f"{file}: '{req}' is required")
    name = _s(data["instrument"])
    ins = Instrument(instrument=name, type=_s(data["type"]), number=_s(data["number"]), year=int(data["year"]),
                     title=_s(data["title"]), ln=_s(data.get("ln")) or None, tln=_s(data.get("tln")) or None,
                     file=file, note=_s(data.get("note")), bn=_s(data.get("bn")) or None,
                     promulgated=_s(data.get("promulgated")) or None, amended_by=_s(data.get("amended_by")) or None)
    if not isinstance(data["articles"], list) or not data["articles"]:
        raise LawError(f"{file}: 'articles' must be a non-empty list")
    for i, raw in enumerate(data["articles"]):
        where = f"{file}: article #{i + 1}"
        if not isinstance(raw, dict) or not raw.get("article"):
            raise LawError(f"{where}: needs 'article'")
        where = f"{file}: {raw['article']}"
        unknown = set(raw) - _ARTICLE_FIELDS
        if unknown:
            raise LawError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        kind = raw.get("kind")
        if kind not in KINDS:
            raise LawError(f"{where}: kind must be one of {', '.join(KINDS)}")
        verified = raw.get("verified")
        if not isinstance(verified, bool):
            raise LawError(f"{where}: 'verified' must be true or false")
        ayat = {str(k): _s(v) for k, v in (raw.get("ayat") or {}).items()}
        txt = _s(raw.get("text"))
        if not ayat and not txt:
            raise LawError(f"{where}: needs 'text' or 'ayat'")
        if ayat and kind != "kutipan":
            raise LawError(f"{where}: ayat are enacted words; a paraphrase goes in 'text' with kind ringkasan")
        if verified and not _s(raw.get("read_in")):
            raise LawError(f"{where}: a verified article says where it was read ('read_in')")
        if kind == "ringkasan" and not txt.startswith("(Ringkasan)"):
            # a summary is never mistaken for the law's words wherever it is printed
            raise LawError(f"{where}: a summary (kind ringkasan) starts its text with \"(Ringkasan)\"")
        if kind == "kutipan" and not verified:
            raise LawError(f"{where}: only a verified article may give enacted words (kind kutipan)")
        confidence = "P" if verified else _s(raw.get("confidence")) or "UNCONFIRMED"
        if confidence not in CONFIDENCE:
            raise LawError(f"{where}: confidence must be one of {', '.join(CONFIDENCE)}")
        if not verified and not _s(raw.get("sources")):
            raise LawError(f"{where}: an unverified article names its 'sources'")
        art = Article(instrument=name, article=_s(raw["article"]), kind=kind, verified=verified,
                      text=txt, ayat=ayat, read_in=_s(raw.get("read_in")), confidence=confidence,
                      sources=_s(raw.get("sources")), en=_s(raw.get("en")), heading=_s(raw.get("heading")),
                      note=_s(raw.get("note")), file=file)
        if ayat:
            art.text = art.words()
        if art.article in ins.articles:
            raise LawError(f"{where}: defined twice")
        ins.articles[art.article] = art
    return ins


def citation_problems(corpus: LawCorpus, instrument: str, article: str | None, quote: str | None) -> list[str]:
    """What is wrong with one citation of a rule (empty when it resolves and its quote matches)."""
    if not article:
        return [f"cites {instrument} without an article"]
    art, cit, why = corpus.find(instrument, article)
    if why:
        return [why]
    if quote and art is not None:
        bad = corpus.check_quote(art, cit, quote)
        return [bad] if bad else []
    return []


def law_problems(rules_dir: Path | str, ruleset) -> list[str]:
    """`rules lint`: every article a rule cites is in rules/law/, and every quote is its words."""
    try:
        corpus = LawCorpus.load(rules_dir)
    except LawError as exc:
        return [str(exc)]
    if not len(corpus):
        return [f"{Path(rules_dir) / LAW_DIR}: no law files — rules cite articles that are not in the corpus"]
    out = []
    for r in ruleset:
        for i, lb in enumerate(r.legal_basis):
            where = f"{r.path} line {r.line_of('legal_basis')}: legal_basis #{i + 1} ({lb.instrument} {lb.article or ''})".rstrip()
            for p in citation_problems(corpus, lb.instrument, lb.article, lb.quote):
                out.append(f"{where}: {p}")
            art, _cit, why = corpus.find(lb.instrument, lb.article or "")
            if not why and art is not None and lb.quote and art.kind != "kutipan":
                out.append(f"{where}: quotes an article the corpus holds only as a summary (ringkasan): "
                           f"drop the quote, or give the article's enacted words (kutipan, verified)")
    return out


def citation_words(rules_dir: Path | str):
    """For `rules show`: what to print under a citation without a quote — the corpus' own words
    (kutipan), or its summary marked as such (ringkasan). None where the corpus cannot be read
    (`rules lint` says why)."""
    try:
        corpus = LawCorpus.load(rules_dir)
    except LawError:
        return None

    def words(instrument: str, article: str) -> str | None:
        art, cit, why = corpus.find(instrument, article)
        if art is None or why:
            return None
        mark = "" if art.kind == "kutipan" else f" [ringkasan, belum diverifikasi ({art.confidence})]"
        return f"{art.words(cit.ayat) if art.kind == 'kutipan' else art.text}{mark}"

    return words
