"""What the BPJS domain tells the generic engine: the lint checks that know the law corpus and the
categories, and the calculators that run rule examples.

One function, called by the command line at start and by anything that lints the rulebook outside
it (the audit's rulebook check), so no module of the domain has to import the command line. What
only the rulebook commands need (where the rulebook is, how a citation reads) the command line tells
them itself.
"""
from __future__ import annotations

_configured = False


def _calculators():
    """The domain's calculators, loaded when examples run, not at every start."""
    from .calculators import CALCULATORS

    return CALCULATORS


def configure_engine() -> None:
    global _configured
    if _configured:
        return
    from patuh.engine.examples import register_calculators
    from patuh.engine.lint import register_lint

    from . import categories
    from .lint import reference_problems

    register_lint(reference_problems)
    register_lint(categories.lint)
    register_calculators(_calculators)
    _configured = True
