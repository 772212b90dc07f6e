"""The law corpus (`rules/law/`) as the dossiers and letters print it.

`audits/dossiers/legal_texts.yaml` only says WHICH articles ground each enforcement step and each
finding category; the words come from the corpus, the same words `rules lint` holds every rule's
quote to. An entry is printed with the corpus' own kind (kutipan: enacted words; ringkasan: our
summary) and confidence (P when verified against the enacted text)."""
from __future__ import annotations

from pathlib import Path

import yaml

from .law_corpus import LawCorpus, LawError

from .rulebook import rules_dir as default_rules_dir


def corpus(rules_dir: Path | str | None = None) -> LawCorpus:
    return LawCorpus.load(default_rules_dir(rules_dir))


def entry(law: LawCorpus, ref: str, instrument: str, article: str) -> dict:
    """One dossier text: where it is in the corpus, its words (only the cited ayat) and standing."""
    art, cit, why = law.find(instrument, article)
    if why or art is None:
        raise LawError(f"legal_texts.yaml: {ref} ({instrument} {article}): {why}")
    en = art.en
    return {
        "instrument": instrument,
        "article": article,
        "kind": art.kind,
        "status": art.confidence,
        "verified": art.verified,
        "source": art.read_in if art.verified else art.sources,
        "text": {"id": art.words(cit.ayat), "en": en},
        "title": law.instruments[instrument].title,
    }


_RANK = {"P": 0, "S2": 1, "S1": 2, "D": 3, "UNCONFIRMED": 4}


def joined(law: LawCorpus, ref: str, cites: list) -> dict:
    """A ref that spans two articles (Pasal 8 and Pasal 9): one entry, each part under its article,
    as strong as its weakest part."""
    parts = [entry(law, ref, str(c["instrument"]), str(c["article"])) for c in cites]
    if len({p["instrument"] for p in parts}) != 1:
        raise LawError(f"legal_texts.yaml: {ref} joins articles of different instruments")
    one = len(parts) == 1
    return {
        "instrument": parts[0]["instrument"],
        "article": " dan ".join(p["article"] for p in parts),
        "kind": "kutipan" if all(p["kind"] == "kutipan" for p in parts) else "ringkasan",
        "status": max((p["status"] for p in parts), key=_RANK.__getitem__),
        "verified": all(p["verified"] for p in parts),
        "source": "; ".join(dict.fromkeys(p["source"] for p in parts)),
        "text": {lang: " ".join(p["text"][lang] if one else f"{p['article']}: {p['text'][lang]}" for p in parts)
                 for lang in ("id", "en")},
        "title": parts[0]["title"],
    }


def dossier_texts(map_file: Path, rules_dir: Path | str | None = None) -> dict:
    """{texts: {ref: entry}, steps: {step: [ref]}, categories: {category: [ref]}} for the dossiers."""
    with open(map_file, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    law = corpus(rules_dir)
    texts = {ref: joined(law, ref, v if isinstance(v, list) else [v]) for ref, v in data["texts"].items()}
    for ref in [r for refs in data["steps"].values() for r in refs] + [r for refs in data["categories"].values() for r in refs]:
        if ref not in texts:
            raise ValueError(f"legal_texts.yaml: {ref} is referred to but not defined")
    return {"texts": texts, "steps": data["steps"], "categories": data["categories"]}
