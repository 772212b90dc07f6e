"""Reviewers' decisions on findings (`patuh review`). A decision holds for its finding id in every
later run until a new one replaces it — unless that run's amount or late fee differs from the
amounts the decision was made on: then the finding is `perlu-tinjau-ulang` and counts as
unreviewed (docs/lifecycle.md)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from patuh.audits.store import runs as store
from patuh.audits.store import schema as s

from . import log

DECISIONS = ("setuju", "tolak")
AGAIN = "perlu-tinjau-ulang"


class ReviewError(ValueError):
    """A decision that cannot be recorded; the message says why."""


def add(conn: Connection, finding_id: str, decision: str, reason: str | None, by: str | None,
        run_id: str | None = None) -> dict:
    if decision not in DECISIONS:
        raise ReviewError(f'--decision must be one of {", ".join(DECISIONS)}, not "{decision}"')
    if decision == "tolak" and not (reason or "").strip():
        raise ReviewError("a rejection (tolak) needs --reason")
    if not (by or "").strip():
        raise ReviewError("--by NAME is required: a decision is signed by its reviewer")
    rows = store.finding_in_runs(conn, finding_id, run_id)
    if not rows:
        where = f"run {run_id}" if run_id else "any recorded run"
        raise ReviewError(f"finding {finding_id} is not in {where}")
    f = rows[-1]  # the amounts of the latest recorded run with this finding are the ones decided on
    row = {"finding_id": f["finding_id"], "decision": decision, "reason": (reason or "").strip() or None,
           "reviewer": by.strip(), "run_id": f["run_id"], "amount": f["amount"], "late_fee": f["late_fee"],
           "recorded_at": dt.datetime.now().replace(microsecond=0)}
    row["review_id"] = conn.execute(insert(s.reviews).values(**row)).inserted_primary_key[0]
    log.append(conn, "review", f"{decision} {f['finding_id']} ({f['category']} {f['subject_id']})"
               + (f": {row['reason']}" if row["reason"] else ""),
               {"review_id": row["review_id"], "finding_id": f["finding_id"], "run_id": f["run_id"]}, by)
    row["category"], row["subject_id"] = f["category"], f["subject_id"]
    return row


def decisions(conn: Connection) -> dict[str, dict]:
    """The decision in force for each reviewed finding id: the latest recorded."""
    rv = s.reviews
    out: dict[str, dict] = {}
    for r in conn.execute(select(rv).order_by(rv.c.review_id)).mappings():
        out[r["finding_id"]] = dict(r)
    return out


def _same(a: Decimal | None, b: Decimal | None) -> bool:
    return (a or Decimal(0)) == (b or Decimal(0)) and (a is None) == (b is None)


def status(decision: dict | None, amount: Decimal | None, late_fee: Decimal | None) -> str:
    """'' (unreviewed), 'setuju', 'tolak' or 'perlu-tinjau-ulang' for a finding with these amounts."""
    if decision is None:
        return ""
    if _same(decision["amount"], amount) and _same(decision["late_fee"], late_fee):
        return decision["decision"]
    return AGAIN
