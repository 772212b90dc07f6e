"""`patuh rules sensitivity`: what a run's findings would be if an unconfirmed value of the law were
otherwise.

A parameter value with status UNCONFIRMED or D (derived by us) may list `alternatives:`. For each
such value in force during the run, the run's import is audited again in a throw-away database —
once as it is, once per alternative in a copy of the rulebook — and the findings that move are the
findings resting on that value."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy import insert, select

from patuh.engine.parameters import ParameterStore, load_yaml

from .calc.calendar import period_end, period_start
from .impact import ImpactError, audit_with, diff_findings, scratch_store
from .rulebook import rules_dir as default_rules_dir

WATCHED = ("UNCONFIRMED", "D")
# rows that belong to no import but shape cases: recorded enforcement steps and reviews
SHARED_TABLES = ("recorded_actions", "reviews")


def pick_run(conn, run_id: str | None) -> dict:
    from .store.runs import StoreError, get_run

    try:
        return get_run(conn, run_id)
    except StoreError as exc:
        raise ImpactError(str(exc)) from None


def copy_import(src, dst, import_id: int) -> int:
    """The run's package rows (and the shared lifecycle rows) into the scratch database, same ids."""
    from .store import schema as s
    from .store.db import ensure_schema

    ensure_schema(dst)
    with src.connect() as a, dst.begin() as b:
        for t in s.metadata.sorted_tables:
            if t.name == "runs" or t.name in ("findings", "cases") or t.name.startswith("coverage"):
                continue
            if "import_id" in t.c:
                q = select(t).where(t.c.import_id == import_id)
            elif t.name in SHARED_TABLES:
                q = select(t)
            else:
                continue
            rows = [dict(r) for r in a.execute(q).mappings()]
            for i in range(0, len(rows), 5000):
                b.execute(insert(t), rows[i:i + 5000])
    return import_id


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))


def rulebook_with(rules_dir: Path, tmp: Path, param_id: str, valid_from: dt.date, value) -> Path:
    """A copy of the rulebook in which one parameter value is replaced."""
    dst = tmp / "rules"
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(rules_dir, dst, ignore=shutil.ignore_patterns("impact", "__pycache__"))
    for f in sorted((dst / "parameters").glob("*.yaml")):
        data = load_yaml(f.read_text(encoding="utf-8"))
        hit = False
        for p in data or []:
            if str(p.get("id")) != param_id:
                continue
            for v in p.get("values") or []:
                vf = v.get("valid_from")
                vf = vf if isinstance(vf, dt.date) else dt.date.fromisoformat(str(vf))
                if vf == valid_from:
                    v["value"] = value
                    v.pop("alternatives", None)
                    hit = True
        if hit:
            f.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
            return dst
    raise ImpactError(f"parameter {param_id} from {valid_from} not found in {rules_dir}/parameters")


def _money(rows, rules_dir: Path | None = None) -> Decimal:
    """Principal plus late fee, leaving out categories that are part of another's principal
    (IURAN-PEKERJA-TIDAK-DISETOR), as the case totals do."""
    from . import categories

    cats = categories.load(rules_dir)
    return sum((Decimal(r["amount"] or 0) + Decimal(r["late_fee"] or 0) for r in rows
                if cats.adds_to_total(r["category"])), Decimal(0))


def sensitivity(engine, run_id: str | None = None, rules_dir: Path | None = None) -> dict:
    rules_dir = Path(default_rules_dir(rules_dir))
    from .store import schema as s

    with engine.connect() as conn:
        run = pick_run(conn, run_id)
        traces = conn.execute(select(s.findings.c.trace_json).where(s.findings.c.run_id == run["run_id"])).scalars().all()
    # used by the run: what the facts looked up (the run's record) and what each finding's
    # calculators looked up (its trace)
    used = {(u["id"], u["valid_from"]) for u in json.loads(run.get("parameters_json") or "[]")}
    for raw in traces:
        for u in (json.loads(raw or "{}").get("parameters") or []):
            if isinstance(u, dict) and u.get("id") and u.get("valid_from"):
                used.add((u["id"], str(u["valid_from"])))
    params = ParameterStore.load(rules_dir / "parameters")
    lo = period_start(run["period_from"])
    hi = max(period_end(run["period_to"]), run["as_of"])
    candidates = []
    for pid in params.ids():
        for v in params.get(pid).values:
            if v.status not in WATCHED or v.valid_from > hi or (v.valid_until and v.valid_until < lo):
                continue
            recorded = (pid, v.valid_from.isoformat()) in used
            if recorded or v.alternatives:
                candidates.append((pid, v, recorded))
    report = {"run_id": run["run_id"], "as_of": run["as_of"].isoformat(), "period_from": run["period_from"],
              "period_to": run["period_to"], "rules": str(rules_dir), "parameters": []}
    if not candidates:
        return report
    with scratch_store() as scratch, tempfile.TemporaryDirectory(prefix="patuh-sens-") as tmp:
        iid = copy_import(engine, scratch, run["import_id"])
        kw = dict(as_of=run["as_of"], period_from=run["period_from"], period_to=run["period_to"])
        base = audit_with(scratch, iid, rules_dir, **kw)
        report["findings"] = len(base.findings)
        if run.get("ruleset_revision") and base.revision != run["ruleset_revision"]:
            # the figures below are this rulebook's on the run's data, not the run's own findings
            report["warnings"] = [
                f"aturan berbeda dari run / the rulebook ({base.revision[:12]}) is not the one the run used "
                f"({run['ruleset_revision'][:12]}): the findings compared are this rulebook's on the run's data"]
        for pid, v, recorded in candidates:
            entry = {"id": pid, "valid_from": v.valid_from.isoformat(), "status": v.status, "value": str(v.value)
                     if not isinstance(v.value, (dict, list)) else v.value, "instrument": v.instrument,
                     "source": v.source, "recorded_in_run": recorded, "alternatives": []}
            resting: dict[str, dict] = {}
            for alt in v.alternatives:
                alt_rules = rulebook_with(rules_dir, Path(tmp), pid, v.valid_from, alt)
                out = audit_with(scratch, iid, alt_rules, **kw)
                d = diff_findings(base.findings, out.findings)
                moved = d["removed"] + d["changed"]
                for r in moved:
                    resting[r["finding_id"]] = base.findings[r["finding_id"]]
                entry["alternatives"].append({
                    "value": str(alt) if not isinstance(alt, (dict, list)) else alt,
                    "added": len(d["added"]), "removed": len(d["removed"]), "changed": len(d["changed"]),
                    "total_before": str(_money(base.findings.values(), rules_dir)),
                    "total_after": str(_money(out.findings.values(), rules_dir)),
                    "findings": [r["finding_id"] for r in d["added"] + d["removed"] + d["changed"]],
                    "totals": d["totals"],
                })
            entry["resting_findings"] = sorted(resting)
            entry["resting_rupiah"] = str(_money(resting.values(), rules_dir))
            report["parameters"].append(entry)
    return report


def render(report: dict) -> str:
    from .text import amount

    rp = lambda v: "Rp " + amount(Decimal(v), "id")  # noqa: E731
    lines = [f"run {report['run_id']} · as_of {report['as_of']} · {report['period_from']}..{report['period_to']}"]
    if not report["parameters"]:
        lines.append("tidak ada parameter UNCONFIRMED/D yang dipakai / no UNCONFIRMED or D parameter used by this run")
        return "\n".join(lines) + "\n"
    lines += [f"peringatan / warning: {w}" for w in report.get("warnings", [])]
    for p in report["parameters"]:
        head = f"\n{p['id']} (sejak {p['valid_from']}, status {p['status']}) = {p['value']}"
        lines.append(head + ("" if p["recorded_in_run"] else "  [tidak tercatat di run; punya alternatif]"))
        lines.append(f"  sumber: {p['instrument']} — {p['source']}")
        if not p["alternatives"]:
            lines.append("  tidak ada alternatif / no alternatives listed: the run rests on this value as given")
            continue
        lines.append(f"  temuan yang bergantung / findings resting on it: {len(p['resting_findings'])}, "
                     f"{rp(p['resting_rupiah'])} (pokok + denda)")
        for a in p["alternatives"]:
            lines.append(f"  bila {a['value']}: +{a['added']} −{a['removed']} ~{a['changed']} temuan; "
                         f"jumlah pokok + denda {rp(a['total_before'])} → {rp(a['total_after'])}")
    return "\n".join(lines) + "\n"
