"""How `patuh audit` uses the letters: find and check the office configuration before anything is
imported (a bad configuration stops the audit with every problem named, nothing half-written),
make it and the letter date known to the dossiers, and write the letters before the manifest.

The setting travels in a ContextVar rather than through every renderer's signature: the dossiers
read it (letterhead, numbers, signatory) when it is there and fall back to the plain form when not.
"""
from __future__ import annotations

import contextvars
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .office import OfficeConfig, OfficeConfigError, find_office_config, load_office_config


@dataclass(frozen=True)
class DocumentSetting:
    office: OfficeConfig | None
    letter_date: dt.date | None  # None: the run's as_of
    rules: str | None = None
    run_id: str | None = None  # the run whose documents it is for (set once the audit has run)


_SETTING: contextvars.ContextVar[DocumentSetting | None] = contextvars.ContextVar("patuh_document_setting", default=None)


def current() -> DocumentSetting | None:
    return _SETTING.get()


def use(setting: DocumentSetting | None) -> None:
    _SETTING.set(setting)


def prepare(package, office_file, letter_date: dt.date | None, rules=None) -> DocumentSetting:
    """Load the office configuration named by --office or package.yaml and make it current.
    Raises AuditError (the audit's own error, printed without a traceback) when it is invalid."""
    from patuh.audits.audit import AuditError

    path = find_office_config(package, office_file)
    office = None
    if path is not None:
        try:
            office = load_office_config(path)
        except OfficeConfigError as exc:
            raise AuditError("office configuration " + exc.path + " has errors:\n  " + "\n  ".join(exc.problems)) from None
    setting = DocumentSetting(office=office, letter_date=letter_date, rules=str(rules) if rules else None)
    use(setting)
    return setting


def write_run_letters(engine, result, out_dir: Path, setting: DocumentSetting | None, lang: str, pdf: bool,
                      echo: Callable[[str], None]) -> list[Path]:
    """Write the run's letters (nothing, with a warning, when no office is configured)."""
    from patuh.audits.audit import AuditError
    from .build import LetterError
    from .render import write_letters

    if setting is not None:
        from dataclasses import replace

        setting = replace(setting, run_id=result.run_id)
        use(setting)  # the dossiers of this run (and only of this run) take the form and numbers
    if setting is None or setting.office is None:
        echo("warning: no office configuration (--office FILE, or office: in package.yaml): letters not written")
        return []
    try:
        return write_letters(engine, result.run_id, setting.office, Path(out_dir), setting.letter_date, lang, pdf,
                             setting.rules, progress=lambda rel: echo(f"  … {rel}"), categories=result.categories)
    except (OfficeConfigError, LetterError) as exc:
        raise AuditError(f"letters: {exc}") from None
