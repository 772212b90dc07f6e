"""patuh — the command line front door.

Each command lives in the module that owns its job; this file only wires them together so that
`patuh --help` reads as one tool to a new inspector.
"""
from __future__ import annotations

import sys

import click

from patuh.audits.version import __version__

HELP = """patuh — audit kepatuhan BPJS Ketenagakerjaan / BPJS Ketenagakerjaan compliance audit.

\b
Alur kerja / typical workflow:
  patuh load PAKET              periksa & muat paket data / check and load a data package
  patuh ocds SUMBER --out PAKET kontrak dari OCDS / construction contracts from OCDS
  patuh audit PAKET --out DIR   audit lengkap: temuan, kasus, dosir / full audit
  patuh findings                daftar temuan / list findings of the last run
  patuh explain ID_TEMUAN       mengapa temuan ini / why this finding (rule, article, data)
  patuh coverage                cakupan vs target UCJ, desa / coverage against the UCJ target, villages
  patuh runs | compare A B      run yang direkam, perubahan / recorded runs, changes between two
  patuh action | review | log   tindakan, tinjauan, log audit / actions, reviews, audit log
  patuh rules lint|test         periksa aturan / check the rulebook
  patuh calc jakon|iuran|denda  simulator iuran & denda / contribution simulators

Basis data / database: --db URL or PATUH_DB (default sqlite:///patuh.db).
"""


@click.group(help=HELP, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="patuh")
def main() -> None:
    pass


def _register() -> None:
    """Attach every command; each module owns its commands. A missing module is a broken install
    and must fail loudly, never shrink `patuh --help` silently."""
    from patuh.audits.audit_command import audit, cases, explain, findings
    from patuh.audits.calc.command import calc
    from patuh.audits.coverage_command import coverage
    from patuh.audits.domain import configure_engine
    from patuh.audits.dossiers.command import verify
    from patuh.audits.generate import generate
    from patuh.audits.importer.command import load
    from patuh.audits.law_coverage import coverage_command as law_coverage
    from patuh.audits.intake.command import ocds
    from patuh.audits.lifecycle.commands import action, log, review
    from patuh.audits.read_commands import compare, runs
    from patuh.audits.rules_commands import impact_cmd, sensitivity_cmd
    from patuh.engine import cli as engine_cli

    from patuh.audits.law_corpus import citation_words
    from patuh.audits.rulebook import RULES_DIR

    configure_engine()
    engine_cli.configure(RULES_DIR)
    engine_cli.register_citation_words(citation_words)
    # rulebook commands that know the law corpus or run audits live in audits/
    for command in (law_coverage(engine_cli.default_rules_dir), impact_cmd, sensitivity_cmd):
        engine_cli.rules.add_command(command)
    for command in (load, ocds, generate, audit, runs, findings, explain, cases, compare, action, review, log, verify,
                    calc, engine_cli.rules):
        main.add_command(command)
    main.add_command(coverage)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
