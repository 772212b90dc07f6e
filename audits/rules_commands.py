"""`patuh rules impact` and `patuh rules sensitivity`: the rulebook commands that run audits.

They join the engine's `rules` group (list, show, lint, test, coverage) from `cli.py`; the engine
itself never runs an audit."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_types import DATE

RULES_HELP = "Rules folder (default: the rulebook installed with patuh)."


@click.command("impact")
@click.option("--base", default=None, metavar="REV|DIR",
              help="The rulebook before the change: a git revision (its rules/ is read with git) or a folder.")
@click.option("--package", "packages", multiple=True, type=click.Path(file_okay=False),
              help="Audit this package (repeatable; default: the demo and rules/impact/packages.yaml).")
@click.option("--as-of", "as_of", default=None, type=DATE, help="Reference date (default: each package's as_of).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.option("--markdown", is_flag=True, help="Tables for a review comment.")
@click.option("--check", is_flag=True, help="Compare with the snapshots rules/impact/<package>.csv; exit 1 on a difference.")
@click.option("--update", is_flag=True, help="Rewrite the snapshots rules/impact/<package>.csv.")
@click.option("--rules", "rules_dir", default=None, type=click.Path(file_okay=False, path_type=Path), help=RULES_HELP)
def impact_cmd(base, packages, as_of, as_json, markdown, check, update, rules_dir):
    """Dampak perubahan aturan / which findings a rule or parameter change adds, removes or changes."""
    from .impact import ImpactError, as_json as to_json, check as run_check, impact, named_packages, render_text

    if sum(bool(x) for x in (base, check, update)) != 1:
        raise click.UsageError("give exactly one of --base REV|DIR, --check, --update")
    if as_json and markdown:
        raise click.UsageError("--json and --markdown exclude each other")
    try:
        pkgs = named_packages(list(packages)) if packages else None
        if base:
            report = impact(base, rules_dir, pkgs, as_of)
        else:
            report = run_check(rules_dir, pkgs, update=update, as_of=as_of)
    except ImpactError as exc:
        raise click.ClickException(str(exc))
    except Exception as exc:  # a user never sees a traceback
        raise click.ClickException(f"{type(exc).__name__}: {exc}")
    if update and not as_json:
        for p in report["packages"]:
            click.echo(f"{p['snapshot']}: {p['findings']} temuan / findings (as_of {p['as_of']}, "
                       f"{p['period_from']}..{p['period_to']})")
    else:
        click.echo(to_json(report) if as_json else render_text(report, markdown=markdown), nl=as_json)
    if check and report["differs"]:
        click.echo("rules impact --check: findings differ from the snapshot — look at the difference above, "
                   "then record it with `patuh rules impact --update`", err=True)
        sys.exit(1)
    if check:
        click.echo(f"rules impact --check: ok ({len(report['packages'])} package(s), {report['seconds']} s)", err=True)
    if update:
        click.echo(f"rules impact --update: {len(report['packages'])} snapshot(s) written", err=True)


@click.command("sensitivity")
@click.option("--run", "run_id", default=None, help="Run id (default: the latest run).")
@click.option("--db", default=None, metavar="URL", help="Database URL (default: PATUH_DB or sqlite:///patuh.db).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.option("--rules", "rules_dir", default=None, type=click.Path(file_okay=False, path_type=Path), help=RULES_HELP)
def sensitivity_cmd(run_id, db, as_json, rules_dir):
    """Kepekaan terhadap hukum yang belum pasti / findings resting on UNCONFIRMED or derived values."""
    from .impact import ImpactError, as_json as to_json
    from .sensitivity import render, sensitivity
    from .store.runs import StoreError, open_store

    try:
        engine, _where = open_store(db)  # never creates an empty database
        report = sensitivity(engine, run_id, rules_dir)
    except StoreError as exc:
        raise click.ClickException(str(exc))
    except ImpactError as exc:
        raise click.ClickException(str(exc))
    except Exception as exc:  # a user never sees a traceback
        raise click.ClickException(f"{type(exc).__name__}: {exc}")
    click.echo(to_json(report) if as_json else render(report), nl=as_json)
