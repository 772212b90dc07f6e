"""Write a run's letters: OUT/surat/<step>/<employer_id>/surat.html and .pdf.

Same machinery as the dossiers (audits.dossiers.render): Jinja2 templates from
audits/dossiers/templates, stylesheet inlined, WeasyPrint for the PDF, nothing read from the
clock (the letter date is given), so the same audit writes byte-identical letters.
"""
from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Callable

from markupsafe import Markup

from patuh.audits.dossiers.data import RunData, load_run
from patuh.audits.dossiers.render import HERE as DOSSIER_DIR, html_to_pdf, make_env

from .build import label, letter_context, plan
from .office import OfficeConfig


@lru_cache(maxsize=None)
def _letter_css() -> str:
    return (DOSSIER_DIR / "templates" / "letter.css").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def letter_env(lang: str):
    env = make_env(lang).overlay()
    env.globals.update(lt=lambda key: label(key, lang), letter_css=Markup(_letter_css()))
    return env


def render_letter_html(ctx: dict, lang: str) -> str:
    return letter_env(lang).get_template("letter.html").render(s=ctx)


def render_letters(data: RunData, office: OfficeConfig, out_dir: Path, letter_date: dt.date, lang: str = "id",
                   pdf: bool = True, rules=None, progress: Callable[[str], None] | None = None,
                   timings: dict | None = None) -> list[Path]:
    """Write every letter of the run; return the paths written, in a fixed order."""
    import time

    letters, numbers = plan(data, office, letter_date, rules)
    written: list[Path] = []
    jobs: list[tuple[str, Path, Path]] = []
    for letter in letters:
        t0 = time.perf_counter()
        html = render_letter_html(letter_context(letter, data, office, numbers, lang, rules), lang)
        base = Path(out_dir) / letter.rel
        base.parent.mkdir(parents=True, exist_ok=True)
        base.with_suffix(".html").write_bytes(html.encode("utf-8"))
        written.append(base.with_suffix(".html"))
        if pdf:
            written.append(base.with_suffix(".pdf"))
            jobs.append((letter.rel, base.with_suffix(".html"), base.with_suffix(".pdf")))
        if timings is not None:
            timings[letter.rel] = time.perf_counter() - t0
        if progress and not pdf:
            progress(letter.rel)
    if jobs:
        # the same worker processes as the dossiers (PATUH_PDF_WORKERS); serially when one
        from patuh.audits.dossiers.render import _pdf_workers, _pdfs_in_workers

        workers = _pdf_workers(len(jobs)) if os.name == "posix" else 1
        if workers == 1:
            for rel, html_path, pdf_path in jobs:
                html_to_pdf(html_path.read_text(encoding="utf-8"), pdf_path)
                if progress:
                    progress(rel)
        else:
            _pdfs_in_workers(jobs, workers, progress or (lambda rel: None))
    return written


def write_letters(engine, run_id: str, office: OfficeConfig, out_dir: Path, letter_date: dt.date | None = None,
                  lang: str = "id", pdf: bool = True, rules=None, progress=None, categories=None) -> list[Path]:
    data = load_run(engine, run_id, categories)
    return render_letters(data, office, out_dir, letter_date or data.as_of, lang, pdf, rules, progress)
