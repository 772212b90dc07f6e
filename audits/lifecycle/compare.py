"""Changes between two recorded runs (`changes.csv`, `patuh compare`), as docs/lifecycle.md
defines them: a finding id in one run only is `baru`/`selesai` when the other run assessed it,
else `baru-dinilai`/`tidak-dinilai`."""
from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import Connection

from patuh.audits import categories as categories_of
from patuh.audits.store import runs as store

STATUSES = ("baru", "baru-dinilai", "tetap", "berubah", "selesai", "tidak-dinilai")
CHANGE_COLUMNS = ["finding_id", "rule_id", "category", "subject_id", "employer_id", "period", "status",
                  "amount_before", "amount_now", "late_fee_before", "late_fee_now"]


class Scope:
    """What a run assessed: its package's employers and contracts, and its month range."""

    def __init__(self, conn: Connection, run: dict):
        self.employers, self.contracts = store.package_scope(conn, run["import_id"])
        self.lo, self.hi = run["period_from"], run["period_to"]

    def assessed(self, f: dict) -> bool:
        subject_known = (f["contract_id"] in self.contracts) if f.get("contract_id") else (f["employer_id"] in self.employers)
        period = f.get("period")
        return subject_known and (not period or (self.lo or "") <= period <= (self.hi or "9999-99"))


def _money(v) -> str:
    return "" if v is None else str(int(v))


def changes(conn: Connection, base: dict, head: dict) -> list[dict]:
    before = {f["finding_id"]: f for f in store.run_findings(conn, base["run_id"])}
    now = {f["finding_id"]: f for f in store.run_findings(conn, head["run_id"])}
    base_scope, head_scope = Scope(conn, base), Scope(conn, head)
    rows = []
    for fid in before.keys() | now.keys():
        b, h = before.get(fid), now.get(fid)
        if b and h:
            same = b["amount"] == h["amount"] and b["late_fee"] == h["late_fee"]
            status = "tetap" if same else "berubah"
        elif h:
            status = "baru" if base_scope.assessed(h) else "baru-dinilai"
        else:
            status = "selesai" if head_scope.assessed(b) else "tidak-dinilai"
        f = h or b
        rows.append({
            "finding_id": fid, "rule_id": f["rule_id"], "category": f["category"], "subject_id": f["subject_id"],
            "employer_id": f["employer_id"] or "", "period": f["period"] or "", "status": status,
            "amount_before": _money(b["amount"]) if b else "", "amount_now": _money(h["amount"]) if h else "",
            "late_fee_before": _money(b["late_fee"]) if b else "", "late_fee_now": _money(h["late_fee"]) if h else "",
        })
    rank = {c: i for i, c in enumerate(categories_of.load().ids)}  # rules/categories.yaml
    rows.sort(key=lambda r: (r["employer_id"], rank.get(r["category"], len(rank)), r["subject_id"], r["period"],
                             r["finding_id"]))
    return rows


def counts(rows: list[dict]) -> dict[str, int]:
    c = Counter(r["status"] for r in rows)
    return {st: c.get(st, 0) for st in STATUSES}


def write_csv(path: Path, rows: list[dict]) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CHANGE_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
