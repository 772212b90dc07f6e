"""Which articles ground each enforcement step and finding category in the documents
(legal_texts.yaml), in the words of the law corpus rules/law/ — the same words the rules quote."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def legal_texts() -> dict:
    from patuh.audits.law import dossier_texts

    return dossier_texts(HERE / "legal_texts.yaml")
