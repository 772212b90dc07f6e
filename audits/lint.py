"""`rules lint`, the domain's part: every name a rule uses must exist in patuh.

Registered with the engine's lint (engine.lint.register_lint): the engine knows no subjects, fields
or calculators of its own."""
from __future__ import annotations

import string
from pathlib import Path

from .law_corpus import law_problems

from .calculators import CALCULATORS
from .facts.subjects import HIT_FIELDS, SUBJECT_FIELDS


def _placeholders(template: str) -> set[str]:
    out = set()
    for _lit, name, _spec, _conv in string.Formatter().parse(template or ""):
        if name:
            out.add(name.split(".")[0].split("[")[0])
    return out


def reference_problems(rules_dir: Path, ruleset, params) -> list[str]:
    # the law corpus is part of patuh's rulebook (rules/law/): every citation and quote against it
    out: list[str] = law_problems(rules_dir, ruleset)
    for r in ruleset:
        at = f"{r.path} line"
        fields = SUBJECT_FIELDS.get(r.subject)
        if fields is None:
            out.append(f"{at} {r.line_of('subject')}: unknown subject {r.subject!r} "
                       f"(one of {', '.join(sorted(SUBJECT_FIELDS))})")
            continue
        for name in r.fields_used():
            if name not in fields:
                out.append(f"{at} {r.line_of('when')}: field {name!r} is not a field of a {r.subject} fact")
        for lang in ("id", "en"):
            for name in sorted(_placeholders(getattr(r.message, lang))):
                if name not in fields | HIT_FIELDS:
                    out.append(f"{at} {r.line_of('message')}: message ({lang}) prints {{{name}}}, "
                               f"not a field of a {r.subject} fact")
        for name in r.evidence:
            if name not in fields:
                out.append(f"{at} {r.line_of('evidence')}: evidence {name!r} is not a field of a {r.subject} fact")
        for what in ("amount", "late_fee"):
            ref = getattr(r, what)
            if ref is not None and ref.calculator not in CALCULATORS:
                out.append(f"{at} {r.line_of(what)}: {what} calculator {ref.calculator!r} does not exist "
                           f"(one of {', '.join(sorted(CALCULATORS))})")
        for ex in r.examples:
            extra = sorted(set(ex.fact) - fields)
            if extra:
                out.append(f"{at} {r.line_of('examples')}: example {ex.name!r} gives field(s) "
                           f"{', '.join(extra)} that a {r.subject} fact does not have")
    return out
