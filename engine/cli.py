"""`patuh rules list|show|lint|test` — the rulebook's own commands."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from patuh.engine.compiler import CompileError
from patuh.engine.examples import ExampleRunner, coverage, load_calculators, load_params
from patuh.engine.lint import lint_problems, register_lint  # noqa: F401 - the domain registers through here
from patuh.engine.ruleset import (
    AllOf,
    Comparison,
    FieldRef,
    NotOf,
    ParamRef,
    Ruleset,
    RuleLoadError,
)
from patuh.engine.trace import jsonable

_DEFAULT_RULES_DIR: Path | None = None


def configure(default_rules_dir: Path) -> None:
    """The domain says where its rulebook is; the engine knows none of its own."""
    global _DEFAULT_RULES_DIR
    _DEFAULT_RULES_DIR = Path(default_rules_dir)


def default_rules_dir() -> Path:
    if _DEFAULT_RULES_DIR is None:
        raise click.UsageError("no rulebook configured: give --rules DIR")
    return _DEFAULT_RULES_DIR


def _rules_option(f):
    return click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="rules directory (default: the rulebook installed with patuh)")(f)


_CITATION_WORDS: list = []


def register_citation_words(words) -> None:
    """The domain says what to print under a citation that has no quote of its own (e.g. the words
    of its law corpus): `words(rules_dir) -> fn(instrument, article) -> str | None`."""
    _CITATION_WORDS[:] = [words]


def _load(rules_dir: Path | None) -> Ruleset:
    try:
        return Ruleset.load(rules_dir or default_rules_dir())
    except RuleLoadError as exc:
        for e in exc.errors:
            click.echo(e, err=True)
        raise SystemExit(2)


@click.group("rules", help="Aturan / the rulebook: list, show, lint, test, coverage, impact, sensitivity.")
def rules() -> None:
    pass



# ---------------------------------------------------------------------------------------------
@rules.command("list")
@_rules_option
@click.option("--json", "as_json", is_flag=True, help="JSON output")
def list_cmd(rules_dir: Path | None, as_json: bool) -> None:
    """Daftar aturan / list the rules."""
    rs = _load(rules_dir)
    rows = [
        {
            "id": r.id,
            "category": r.category,
            "title": r.title.model_dump(),
            "legal_basis": [lb.model_dump(exclude_none=True) for lb in r.legal_basis],
            "examples_firing": r.examples_firing(),
            "examples_silent": r.examples_silent(),
        }
        for r in rs
    ]
    if as_json:
        click.echo(json.dumps({"revision": rs.revision, "rules": rows}, ensure_ascii=False, indent=2))
        return
    for r in rs:
        basis = "; ".join(f"{lb.instrument} {lb.article or ''}".strip() for lb in r.legal_basis) or "-"
        click.echo(f"{r.id:<16} {r.severity:<8} {r.title.get(_languages(rs, r)[0], '')}  [{basis}]  "
                   f"examples +{r.examples_firing()}/-{r.examples_silent()}")
    click.echo(f"{len(rs)} rules, revision {rs.short_revision}")


def _languages(rs: Ruleset, rule) -> list[str]:
    """The rulebook's languages (rulebook.yaml), else those the rule's title is written in."""
    return list(rs.declaration.languages) or rule.title.languages or [""]


# ---------------------------------------------------------------------------------------------
_OPS = {
    "id": {"eq": "sama dengan", "neq": "tidak sama dengan", "lt": "kurang dari", "lte": "paling banyak",
           "gt": "lebih dari", "gte": "paling sedikit", "in": "salah satu dari", "contains": "memuat"},
    "en": {"eq": "equals", "neq": "does not equal", "lt": "is less than", "lte": "is at most",
           "gt": "is more than", "gte": "is at least", "in": "is one of", "contains": "contains"},
}
_WORDS = {
    "id": {"all": "semua berikut benar", "any": "salah satu berikut benar", "not": "TIDAK benar bahwa",
           "exists": ("ada", "tidak ada"), "field": "kolom", "param": "parameter", "key": "kunci"},
    "en": {"all": "all of the following hold", "any": "any of the following holds", "not": "it is NOT the case that",
           "exists": ("is present", "is absent"), "field": "field", "param": "parameter", "key": "key"},
}


def _operand(v, lang: str) -> str:
    w = _WORDS[lang]
    if isinstance(v, FieldRef):
        return f"{w['field']} {v.field}"
    if isinstance(v, ParamRef):
        key = ""
        if v.key is not None:
            key = f" ({w['key']}: {_operand(v.key, lang)})"
        return f"{w['param']} {v.param}{key}"
    if isinstance(v, tuple):
        return "[" + ", ".join(_operand(x, lang) for x in v) + "]"
    if isinstance(v, bool):
        return ("benar" if v else "salah") if lang == "id" else ("true" if v else "false")
    return str(jsonable(v))


def condition_in_words(cond, lang: str = "en", indent: int = 0) -> list[str]:
    pad = "  " * indent
    w = _WORDS[lang]
    if isinstance(cond, Comparison):
        if cond.op == "exists":
            return [f"{pad}- {w['field']} {cond.field} {w['exists'][0 if cond.value else 1]}"]
        return [f"{pad}- {cond.field} {_OPS[lang][cond.op]} {_operand(cond.value, lang)}"]
    if isinstance(cond, NotOf):
        return [f"{pad}- {w['not']}:"] + condition_in_words(cond.item, lang, indent + 1)
    head = w["all"] if isinstance(cond, AllOf) else w["any"]
    lines = [f"{pad}- {head}:"]
    for item in cond.items:
        lines += condition_in_words(item, lang, indent + 1)
    return lines


@rules.command("show")
@click.argument("rule_id")
@_rules_option
def show_cmd(rule_id: str, rules_dir: Path | None) -> None:
    """Tampilkan satu aturan / show one rule: title, law, condition in words, examples."""
    rs = _load(rules_dir)
    if rule_id not in rs:
        raise click.ClickException(f"no rule {rule_id!r}")
    r = rs.get(rule_id)
    click.echo(f"{r.id}  ({r.category}, {r.severity}, subject: {r.subject})  {r.path}")
    langs = _languages(rs, r)
    click.echo("\n".join(f"  {lang.upper()}: {r.title.get(lang)}" for lang in langs))
    click.echo("\nDasar hukum / legal basis:")
    words = _CITATION_WORDS[0](rules_dir or default_rules_dir()) if _CITATION_WORDS else None
    for lb in r.legal_basis:
        click.echo(f"  {lb.instrument} {lb.article or ''}".rstrip())
        if lb.quote:
            click.echo(f"    \u201c{lb.quote.strip()}\u201d")
        elif words is not None:  # no quote: what the domain has to say about the article
            text = words(lb.instrument, lb.article or "")
            if text:
                click.echo(f"    {text}")
    for lang, label in (("id", "Kondisi"), ("en", "Condition")):
        click.echo(f"\n{label}:")
        for line in condition_in_words(r.when, lang, 1):
            click.echo(line)
    if r.calculators():
        click.echo("\nJumlah / amounts: " + "; ".join(f"{name}: {ref.calculator}" for name, ref in r.calculators().items()))
    click.echo("\nPesan / message:\n" + "\n".join(f"  {lang.upper()}: {r.message.get(lang)}" for lang in langs))
    click.echo("\nContoh / examples:")
    for ex in r.examples:
        expect = "FIRES" if ex.fires else "silent"
        extra = "".join(f", {k}={v}" for k, v in {"amount": ex.amount, **ex.expected}.items() if v is not None)
        click.echo(f"  [{expect}{extra}] {ex.name}")
        click.echo(f"      {json.dumps(jsonable(ex.fact), ensure_ascii=False)}")


@rules.command("lint")
@_rules_option
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="date for the staleness check (default: today)")
def lint_cmd(rules_dir: Path | None, today) -> None:
    """Periksa aturan / check every rule and parameter file."""
    rules_dir = rules_dir or default_rules_dir()
    problems = lint_problems(rules_dir, today.date() if today else None)
    for p in problems:
        click.echo(p)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo("rules lint: ok")


# ---------------------------------------------------------------------------------------------
@rules.command("test")
@_rules_option
@click.option("--json", "as_json", is_flag=True, help="JSON output")
def test_cmd(rules_dir: Path | None, as_json: bool) -> None:
    """Uji contoh aturan / run every example through the real durable-rules engine."""
    rs = _load(rules_dir)
    params, perr = load_params(rs)
    calculators = load_calculators()
    runner = ExampleRunner(rs, params, calculators, perr)
    try:
        results = runner.run_all()
    except CompileError as exc:
        raise click.ClickException(str(exc))
    cov = coverage(rs, results)
    failures = [r for r in results if not r.ok]
    uncovered = [rid for rid, fired in cov.items() if not fired]
    ok = bool(results) and not failures and not uncovered
    if as_json:
        click.echo(json.dumps({
            "ok": ok, "revision": rs.revision, "examples": len(results), "failures": len(failures),
            "coverage": {"rules": len(cov), "fired": sum(cov.values()), "per_rule": cov},
            "uncovered": uncovered, "results": [r.as_dict() for r in results],
        }, ensure_ascii=False, indent=2))
    else:
        for f in failures:
            click.echo(f"FAIL {f.rule_id} :: {f.name}")
            for p in f.problems:
                click.echo(f"     {p}")
        for rid in uncovered:
            click.echo(f"UNCOVERED {rid}: no example fired")
        if not results:
            click.echo("no example ran")
        click.echo(f"{len(results)} examples, {len(failures)} failed; coverage {sum(cov.values())}/{len(cov)} rules "
                   f"fired in at least one example; revision {rs.short_revision}")
    if not ok:
        sys.exit(1)
