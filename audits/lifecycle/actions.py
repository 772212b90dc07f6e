"""Enforcement actions recorded in the store (`patuh action add/list`). Audits read them together
with the package's enforcement_actions, under the same rules (cases.case_facts: only issued_on ≤
as_of counts; the latest of a kind governs)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from patuh.audits.importer.models import ACTIONS
from patuh.audits.store import runs as store
from patuh.audits.store import schema as s

from . import log

# the ladder's steps: exactly what a package's enforcement_actions.action may say (one list)
STEPS = ACTIONS


class ActionError(ValueError):
    """An action that cannot be recorded; the message says why."""


def add(conn: Connection, employer_id: str, step: str, issued_on: dt.date, *, reference: str | None = None,
        by: str | None = None, note: str | None = None, today: dt.date | None = None) -> dict:
    today = today or dt.date.today()
    if step not in STEPS:
        raise ActionError(f'"{step}" is not a step of the enforcement ladder; steps: {", ".join(STEPS)}')
    if issued_on > today:
        raise ActionError(f"--issued-on {issued_on.isoformat()} is in the future (today is {today.isoformat()})")
    known = store.known_employers(conn)
    if employer_id not in known:
        hint = sorted(k for k in known if k.upper().startswith(employer_id[:2].upper()))[:10]
        raise ActionError(f'employer "{employer_id}" is in no loaded package'
                          + (f"; similar: {', '.join(hint)}" if hint else ""))
    row = {"employer_id": employer_id, "step": step, "issued_on": issued_on, "reference": reference, "note": note,
           "recorded_by": log.actor(by), "recorded_at": dt.datetime.now().replace(microsecond=0)}
    action_id = conn.execute(insert(s.recorded_actions).values(**row)).inserted_primary_key[0]
    row["action_id"] = action_id
    log.append(conn, "action", f"{step} {employer_id} {issued_on.isoformat()}" + (f" {reference}" if reference else ""),
               {"action_id": action_id, "employer_id": employer_id}, by)
    return row


def listed(conn: Connection, employer_id: str | None = None) -> list[dict]:
    ra = s.recorded_actions
    q = select(ra).order_by(ra.c.employer_id, ra.c.issued_on, ra.c.action_id)
    if employer_id:
        q = q.where(ra.c.employer_id == employer_id)
    return [dict(r) for r in conn.execute(q).mappings()]


def history(conn: Connection, employers: set[str]) -> dict[str, list[dict]]:
    """Recorded actions of these employers in the shape of the package's enforcement_actions rows."""
    out: dict[str, list[dict]] = defaultdict(list)
    for r in listed(conn):
        if r["employer_id"] in employers:
            out[r["employer_id"]].append({"employer_id": r["employer_id"], "action": r["step"],
                                          "issued_on": r["issued_on"], "reference": r["reference"],
                                          "source": f"patuh action #{r['action_id']}"})
    return out
