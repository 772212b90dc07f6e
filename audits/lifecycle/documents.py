"""What the lifecycle changes in a run's documents (docs/lifecycle.md):

- rejected (`tolak`) findings leave every total, step and document, except an annex "temuan yang
  dikesampingkan" with the reason and the reviewer;
- law-enforcement dossiers (skk, pidana) only for cases whose counted findings are all `setuju`;
  with --draft the others are written marked "DRAF — BELUM DITINJAU" on every page, and the
  provincial report lists the cases waiting for review;
- dossiers and the report say what is new and what was resolved since the previous audit.

The parts are rendered from templates/lifecycle.html and inserted into the finished HTML, so the
document templates themselves stay as they are."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Engine

from patuh.audits.store import runs as store
from patuh.audits.store import schema as s

from . import compare as cmp

DRAFT_MARK = {"id": "DRAF — BELUM DITINJAU", "en": "DRAF — BELUM DITINJAU (DRAFT — NOT REVIEWED)"}
LAW_ENFORCEMENT = ("skk", "pidana")


@dataclass
class Review:
    draft: bool
    set_aside: dict[str, list[dict]] = field(default_factory=dict)  # employer -> rejected findings
    unreviewed: dict[str, int] = field(default_factory=dict)  # employer -> counted findings not setuju
    base: dict | None = None  # the previous recorded run
    changes: list[dict] = field(default_factory=list)
    run: dict = field(default_factory=dict)  # the run's row (its warnings go into the report)

    def allows(self, case: dict, kind: str) -> bool:
        return kind not in LAW_ENFORCEMENT or self.reviewed(case) or self.draft

    def reviewed(self, case: dict) -> bool:
        return self.unreviewed.get(case["employer_id"], 0) == 0

    def waiting(self, cases: list[dict]) -> list[dict]:
        return [{"employer_id": c["employer_id"], "name": c.get("name") or "",
                 "steps": [k for k in c["steps"] if k in LAW_ENFORCEMENT], "open": self.unreviewed[c["employer_id"]]}
                for c in cases if any(k in LAW_ENFORCEMENT for k in c["steps"]) and not self.reviewed(c)]


def prepare(engine: Engine, data, draft: bool) -> Review:
    """Take the rejected findings out of `data.findings` (they count in no document) and gather
    the reviews and the changes since the previous run."""
    rv = Review(draft=draft, run=dict(data.run))
    with engine.connect() as conn:
        reasons = {}
        for r in conn.execute(select(s.reviews).order_by(s.reviews.c.review_id)).mappings():
            reasons[r["finding_id"]] = r
        kept = []
        for f in data.findings:
            if (f.get("review") or "") == "tolak":
                why = reasons.get(f["finding_id"])
                rv.set_aside.setdefault(f["employer_id"], []).append(dict(
                    f, reason=why["reason"] if why else None, reviewer=why["reviewer"] if why else "",
                    reviewed_on=why["recorded_at"].date() if why else None))
            else:
                kept.append(f)
                if (f.get("review") or "") != "setuju":
                    rv.unreviewed[f["employer_id"]] = rv.unreviewed.get(f["employer_id"], 0) + 1
        data.findings[:] = kept
        rv.base = store.previous_run(conn, data.run_id)
        if rv.base is not None:
            rv.changes = cmp.changes(conn, rv.base, store.get_run(conn, data.run_id))
    return rv


def _insert(html: str, *, css: str = "", top: str = "", end: str = "") -> str:
    if css:
        html = html.replace("</style>", css + "\n</style>", 1)
    if top:
        i = html.index("<body>") + len("<body>")
        html = html[:i] + "\n" + top + html[i:]
    if end:
        i = html.rindex("</body>")
        html = html[:i] + end + "\n" + html[i:]
    return html


def _part(lang: str, part: str, **ctx) -> str:
    from patuh.audits.dossiers.render import render_template

    return render_template("lifecycle.html", lang, part=part, mark=DRAFT_MARK[lang], **ctx)


def dossier(html: str, rv: Review, case: dict, kind: str, lang: str) -> str:
    """A rendered dossier with the draft mark (when not reviewed), the changes of its employer since
    the previous audit, and the annex of its set-aside findings."""
    emp = case["employer_id"]
    draft = kind in LAW_ENFORCEMENT and not rv.reviewed(case)
    css = _part(lang, "draft_css" if draft else "css")
    top = _part(lang, "banner") if draft else ""
    end = ""
    if rv.base is not None:
        mine = [r for r in rv.changes if r["employer_id"] == emp and r["status"] != "tetap"]
        end += _part(lang, "changes", base=rv.base, counts=cmp.counts([r for r in rv.changes if r["employer_id"] == emp]),
                     rows=mine)
    if rv.set_aside.get(emp):
        end += _part(lang, "annex", findings=rv.set_aside[emp])
    return _insert(html, css=css, top=top, end=end)


def report(html: str, rv: Review, cases: list[dict], lang: str) -> str:
    """The provincial report with the changes since the previous audit (counts, and what is new
    or resolved), the cases waiting for review and the set-aside findings."""
    end = ""
    warnings = (json.loads(rv.run.get("counts_json") or "{}") or {}).get("warnings") or []
    if warnings:
        end += _part(lang, "warnings", warnings=warnings)
    if rv.base is not None:
        moved = [r for r in rv.changes if r["status"] in ("baru", "selesai")]
        end += _part(lang, "changes", base=rv.base, counts=cmp.counts(rv.changes), rows=moved)
    waiting = rv.waiting(cases)
    if waiting:
        end += _part(lang, "waiting", waiting=waiting)
    aside = [f for emp in sorted(rv.set_aside) for f in rv.set_aside[emp]]
    if aside:
        end += _part(lang, "annex", findings=aside)
    return _insert(html, css=_part(lang, "css") if end else "", end=end)
