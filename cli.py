"""patuh — the command line front door.

Each command lives in the module that owns its job; this file only wires them together so that
`patuh --help` reads as one tool to a new inspector.
"""
from __future__ import annotations

import sys

import click

from audits.version import __version__

HELP = """patuh — audit kepatuhan BPJS Ketenagakerjaan / BPJS Ketenagakerjaan compliance audit.

\b
Alur kerja / typical workflow:
  patuh load PAKET              periksa & muat paket data / check and load a data package
  patuh audit PAKET --out DIR   audit lengkap: temuan, kasus, dosir / full audit
  patuh findings                daftar temuan / list findings of the last run
  patuh explain ID_TEMUAN       mengapa temuan ini / why this finding (rule, article, data)
  patuh rules lint|test         periksa aturan / check the rulebook
  patuh calc jakon|iuran|denda  simulator iuran & denda / contribution simulators

Basis data / database: --db URL or PATUH_DB (default sqlite:///patuh.db).
"""


@click.group(help=HELP, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="patuh")
def main() -> None:
    pass


def _register() -> None:
    """Attach every command group that exists; modules own their commands."""
    import importlib

    for module_name, attr in [
        ("audits.importer.command", "load"),
        ("audits.generate", "generate"),
        ("audits.audit_command", "audit"),
        ("audits.audit_command", "findings"),
        ("audits.audit_command", "explain"),
        ("audits.audit_command", "cases"),
        ("audits.dossiers.command", "verify"),
        ("audits.calc.command", "calc"),
        ("engine.cli", "rules"),
    ]:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # not built yet
            raise
        if hasattr(module, attr):
            main.add_command(getattr(module, attr))


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
