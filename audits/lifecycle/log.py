"""The audit log: every load, audit, action and review appends an event carrying the SHA-256 of
the previous one, so that editing or deleting an event breaks the chain from there on.

What is hashed is the event exactly as stored (the time is ISO text, the ids a JSON string), so
the check gives the same answer on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from patuh.audits.store import schema as s
from patuh.audits.store.db import take_lock

GENESIS = "0" * 64
KINDS = ("load", "audit", "action", "review")


def actor(by: str | None) -> str:
    """Who: `--by`, else the operating-system user."""
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (containers)
        return "unknown"


def event_hash(event_id: int, at: str, who: str, kind: str, summary: str, ids_json: str, prev_hash: str) -> str:
    payload = json.dumps([event_id, at, who, kind, summary, ids_json, prev_hash], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(conn: Connection, kind: str, summary: str, ids: dict, by: str | None = None) -> dict:
    """Append one event in the caller's transaction (so an event exists iff its change does)."""
    take_lock(conn, "audit_log")  # two appends at once would both read the same last event
    log = s.audit_log
    last = conn.execute(select(log.c.event_id, log.c.hash).order_by(log.c.event_id.desc()).limit(1)).first()
    event_id = (last.event_id + 1) if last else 1
    prev = last.hash if last else GENESIS
    at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    who = actor(by)
    ids_json = json.dumps(ids, ensure_ascii=False, sort_keys=True, default=str)
    row = {"event_id": event_id, "at": at, "actor": who, "kind": kind, "summary": summary, "ids_json": ids_json,
           "prev_hash": prev, "hash": event_hash(event_id, at, who, kind, summary, ids_json, prev)}
    conn.execute(insert(log).values(**row))
    return row


def events(conn: Connection) -> list[dict]:
    log = s.audit_log
    out = []
    for r in conn.execute(select(log).order_by(log.c.event_id)).mappings():
        d = dict(r)
        d["ids"] = json.loads(d["ids_json"]) if d["ids_json"] else {}
        out.append(d)
    return out


@dataclass
class Broken:
    event_id: int
    why: str


def verify(rows: list[dict]) -> Broken | None:
    """The first event whose place in the chain does not hold, or None when the chain holds."""
    prev, expected_id = GENESIS, 1
    for r in rows:
        if r["event_id"] != expected_id:
            return Broken(r["event_id"], f"event {expected_id} is missing (deleted?)")
        if r["prev_hash"] != prev:
            return Broken(r["event_id"], "its link to the previous event does not match (an earlier event "
                                         "was edited or deleted)")
        if event_hash(r["event_id"], r["at"], r["actor"], r["kind"], r["summary"], r["ids_json"],
                      r["prev_hash"]) != r["hash"]:
            return Broken(r["event_id"], "its content does not match its hash (edited)")
        prev, expected_id = r["hash"], expected_id + 1
    return None


def unlogged(conn: Connection, rows: list[dict]) -> Broken | None:
    """A deleted LAST event leaves the chain itself intact, but the change it logged is still in
    the store: every run recorded since the log exists (seq set), every recorded action and every
    review was written in one transaction with its event, so one without its event means that
    event was deleted. Named as the event after the last one left."""
    logged: dict[str, set] = {"audit": set(), "action": set(), "review": set()}
    key = {"audit": "run_id", "action": "action_id", "review": "review_id"}
    for r in rows:
        if r["kind"] in key and key[r["kind"]] in r["ids"]:
            logged[r["kind"]].add(str(r["ids"][key[r["kind"]]]))
    missing = [f"run {v}" for v in conn.execute(select(s.runs.c.run_id).where(s.runs.c.seq.isnot(None))
                                                .order_by(s.runs.c.seq)).scalars() if v not in logged["audit"]]
    missing += [f"action #{v}" for v in conn.execute(select(s.recorded_actions.c.action_id)
                                                     .order_by(s.recorded_actions.c.action_id)).scalars()
                if str(v) not in logged["action"]]
    missing += [f"review #{v}" for v in conn.execute(select(s.reviews.c.review_id).order_by(s.reviews.c.review_id))
                .scalars() if str(v) not in logged["review"]]
    if not missing:
        return None
    gone = (rows[-1]["event_id"] + 1) if rows else 1
    return Broken(gone, f"event {gone} is missing (deleted?): the store holds "
                        + ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "") + " but the log has no event of it")


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(s.audit_log)).scalar() or 0


def record_load(engine, loaded, package: str, by: str | None = None) -> None:
    """The load event of a package newly written to the store (a package already loaded is not
    loaded again, so it logs nothing)."""
    if loaded.already_loaded:
        return
    from patuh.audits.store.db import write_transaction

    with write_transaction(engine, "record") as conn:  # the lock every append of the chain takes
        append(conn, "load", f"import {loaded.import_id}: {package} ({sum(loaded.rows.values())} rows)",
               {"import_id": loaded.import_id}, by)
