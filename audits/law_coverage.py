"""`patuh rules coverage`: which articles of the law (rules/law/) have a rule, and which are tested.

An article is `diuji` when a rule with firing and silent examples cites it, `dikutip` when only rules
without both kinds of example cite it, and `belum` when no rule cites it."""
from __future__ import annotations

import json
from pathlib import Path

import click

from patuh.engine.ruleset import Ruleset

from .law_corpus import LawCorpus, LawError, parse_article

STATES = ("diuji", "dikutip", "belum")


def coverage_map(rules_dir: Path) -> dict:
    corpus = LawCorpus.load(rules_dir)
    ruleset = Ruleset.load(rules_dir)
    cited: dict[tuple[str, str], list[dict]] = {}
    for r in ruleset:
        for lb in r.legal_basis:
            key = (" ".join(lb.instrument.split()), parse_article(lb.article or "").article)
            entry = {"rule": r.id, "article": lb.article, "examples_firing": r.examples_firing(),
                     "examples_silent": r.examples_silent()}
            if entry not in cited.setdefault(key, []):
                cited[key].append(entry)
    articles = []
    for ins in corpus.instruments.values():
        for art in ins.articles.values():
            rules = cited.get(art.key, [])
            tested = any(x["examples_firing"] and x["examples_silent"] for x in rules)
            state = "diuji" if tested else "dikutip" if rules else "belum"
            articles.append({
                "instrument": ins.instrument, "article": art.article, "title": ins.title, "kind": art.kind,
                "verified": art.verified, "read_in": art.read_in or None, "confidence": art.confidence,
                "state": state, "rules": rules,
            })
    totals = {s: sum(1 for a in articles if a["state"] == s) for s in STATES}
    totals.update(articles=len(articles), instruments=len(corpus),
                  verified=sum(1 for a in articles if a["verified"]),
                  not_verified=sum(1 for a in articles if not a["verified"]))
    by_state_verified = {s: {"verified": sum(1 for a in articles if a["state"] == s and a["verified"]),
                             "not_verified": sum(1 for a in articles if a["state"] == s and not a["verified"])}
                         for s in STATES}
    return {"revision": ruleset.revision, "articles": articles, "totals": totals, "by_state": by_state_verified}


def coverage_command(default_rules_dir):
    @click.command("coverage")
    @click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="rules directory (default: the rulebook installed with patuh)")
    @click.option("--json", "as_json", is_flag=True, help="JSON output")
    def coverage(rules_dir: Path | None, as_json: bool) -> None:
        """Peta hukum / which articles of the law have a rule and a test: diuji, dikutip, belum."""
        try:
            cov = coverage_map(rules_dir or default_rules_dir())
        except LawError as exc:
            raise click.ClickException(str(exc))
        if as_json:
            click.echo(json.dumps(cov, ensure_ascii=False, indent=2))
            return
        current = None
        for a in cov["articles"]:
            if a["instrument"] != current:
                current = a["instrument"]
                click.echo(f"\n{current} — {a['title']}")
            mark = "terverifikasi" if a["verified"] else f"belum diverifikasi ({a['confidence']})"
            rules = ", ".join(f"{x['rule']} (+{x['examples_firing']}/−{x['examples_silent']})" for x in a["rules"]) or "-"
            click.echo(f"  {a['article']:<34} {a['state']:<8} {mark:<28} {rules}")
        t = cov["totals"]
        click.echo(f"\n{t['articles']} pasal dari {t['instruments']} peraturan: diuji {t['diuji']}, dikutip {t['dikutip']}, "
                   f"belum {t['belum']}; terverifikasi {t['verified']}, belum diverifikasi {t['not_verified']}")
    return coverage
