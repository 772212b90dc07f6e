"""What a rule or parameter change does to real findings: `patuh rules impact` and its CI gate.

Both rulebooks audit the same packages (same as_of, same months) in a throw-away database; the
difference is told finding by finding (same finding_id: other amount or late fee), as totals per
category, as cases whose next steps changed, and as the parameter values that changed. The snapshot
`rules/impact/<package>.csv` holds what the current rulebook finds on each reference package, so a
change that moves findings cannot land without its effect written into the change itself.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import tarfile
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from patuh.engine.parameters import ParameterStore
from patuh.engine.trace import jsonable

from .rulebook import RULES_DIR, rules_dir as default_rules_dir

IMPACT_DIR = "impact"
SNAPSHOT_FIELDS = ["finding_id", "rule_id", "category", "subject_id", "period", "amount", "late_fee"]
ZERO = Decimal(0)


class ImpactError(Exception):
    """A base that cannot be read, a package that does not load: the message says which."""


# --------------------------------------------------------------------------------------------- packages
@dataclass
class Package:
    name: str
    path: Path
    as_of: dt.date | None = None


def repo_root(rules_dir: Path) -> Path:
    """The folder the reference packages are named from: the rulebook's parent (the repository)."""
    return Path(rules_dir).resolve().parent


def reference_packages(rules_dir: Path) -> list[Package]:
    """The demo, then every package of `<rules>/impact/packages.yaml` (paths from the repository)."""
    root = repo_root(rules_dir)
    out = [Package("kalbar-demo", root / "fixtures" / "kalbar-demo")]
    listing = Path(rules_dir) / IMPACT_DIR / "packages.yaml"
    if listing.is_file():
        data = yaml.safe_load(listing.read_text(encoding="utf-8")) or {}
        for item in data.get("packages") or []:
            out.append(Package(str(item["name"]), root / str(item["path"]),
                               dt.date.fromisoformat(str(item["as_of"])) if item.get("as_of") else None))
    # A rulebook copied out of the repository (a rule author's scratch copy, CI's) still names its
    # packages from the repository: a path missing beside the copy is read from the project's root.
    project = repo_root(RULES_DIR)
    for p in out:
        if not p.path.is_dir() and root != project:
            p.path = project / p.path.relative_to(root)
        if not p.path.is_dir():
            raise ImpactError(f"reference package {p.name}: {p.path} is not a folder")
    return out


def named_packages(paths: list[str]) -> list[Package]:
    out = []
    for raw in paths:
        p = Path(raw)
        if not p.is_dir():
            raise ImpactError(f"{raw}: not a package folder")
        out.append(Package(p.resolve().name, p))
    return out


# --------------------------------------------------------------------------------------------- base rulebook
def _git_rules(rules: Path) -> tuple[str, str]:
    """(work tree, rules folder inside it) of the git repository holding `rules`."""
    rules = Path(rules).resolve()
    top = subprocess.run(["git", "-C", str(rules), "rev-parse", "--show-toplevel"], check=True,
                         capture_output=True, text=True).stdout.strip()
    return top, rules.relative_to(Path(top).resolve()).as_posix()


@contextmanager
def base_rulebook(base: str, head_rules: Path):
    """BASE as a folder: a rulebook directory (or a checkout holding rules/), or a git revision whose
    rules/ is read with `git archive` — nothing is checked out."""
    p = Path(base)
    if p.is_dir():
        yield p / "rules" if (p / "rules" / "parameters").is_dir() and not (p / "parameters").is_dir() else p
        return
    head_rules = Path(head_rules).resolve()
    try:
        # the revision is one of the repository's: HEAD's own, or — for a rulebook copied out of any
        # repository (a rule author's scratch copy) — the project's, whose rules/ it was copied from
        try:
            top, prefix = _git_rules(head_rules)
        except (subprocess.CalledProcessError, ValueError, FileNotFoundError):
            top, prefix = _git_rules(RULES_DIR)
        data = subprocess.run(["git", "-C", top, "archive", "--format=tar", base, prefix], check=True,
                              capture_output=True).stdout
    except (subprocess.CalledProcessError, ValueError, FileNotFoundError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        err = err.decode(errors="replace").strip() if isinstance(err, bytes) else str(err).strip()
        raise ImpactError(f"--base {base}: neither a folder nor a git revision of {head_rules} ({err or exc})") from None
    with tempfile.TemporaryDirectory(prefix="patuh-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmp, filter="data")
            else:  # Python before 3.11.4 (Debian 12's 3.11.2) has no extraction filters: the same rule
                for member in tar.getmembers():
                    if not (member.isfile() or member.isdir()) or Path(member.name).is_absolute() \
                            or ".." in Path(member.name).parts:
                        raise ImpactError(f"--base {base}: git archive holds {member.name!r}, not a plain file")
                tar.extractall(tmp)  # noqa: S202 - every member checked above
        yield Path(tmp) / prefix


# --------------------------------------------------------------------------------------------- one audit
@dataclass
class Outcome:
    findings: dict[str, dict]              # finding_id -> snapshot row (+ rule title for display)
    cases: dict[str, list[str]]            # employer_id -> next steps
    as_of: dt.date
    period_from: str
    period_to: str
    revision: str
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _row(f) -> dict:
    return {"finding_id": f.finding_id, "rule_id": f.rule_id, "category": f.category, "subject_id": f.subject_id,
            "period": f.period or "", "amount": _money(f.amount), "late_fee": _money(f.late_fee)}


def _money(v) -> str:
    return "" if v is None else f"{Decimal(v):.2f}"


@contextmanager
def scratch_store():
    """A throw-away SQLite database for auditing with two rulebooks; nothing of the user's is touched."""
    from .store.db import get_engine

    with tempfile.TemporaryDirectory(prefix="patuh-impact-") as tmp:
        engine = get_engine(f"sqlite:///{tmp}/impact.db")
        try:
            yield engine
        finally:
            engine.dispose()


def load(engine, package: Package) -> int:
    from .importer.load import PackageError, load_package

    try:
        return load_package(package.path, engine).import_id
    except PackageError as exc:
        raise ImpactError(f"package {package.name} ({package.path}) does not load: " + "; ".join(exc.errors[:5])) from None


def audit_with(engine, import_id: int, rules_dir: Path, *, as_of=None, period_from=None, period_to=None) -> Outcome:
    from .audit import run_audit

    t = time.perf_counter()
    r = run_audit(engine, import_id, rules_dir=rules_dir, as_of=as_of, period_from=period_from, period_to=period_to)
    return Outcome({f.finding_id: _row(f) for f in r.findings}, {c.employer_id: list(c.next_steps) for c in r.cases},
                   r.as_of, r.period_from, r.period_to, r.revision, list(r.warnings), time.perf_counter() - t)


# --------------------------------------------------------------------------------------------- differences
def _dec(v: str) -> Decimal:
    return Decimal(v) if v not in (None, "") else ZERO


def diff_findings(before: dict[str, dict], after: dict[str, dict]) -> dict:
    added = [after[k] for k in sorted(set(after) - set(before))]
    removed = [before[k] for k in sorted(set(before) - set(after))]
    changed = []
    for k in sorted(set(before) & set(after)):
        b, a = before[k], after[k]
        if (b["amount"], b["late_fee"]) != (a["amount"], a["late_fee"]):
            changed.append({**a, "amount_before": b["amount"], "late_fee_before": b["late_fee"]})
    totals = {}
    for side, rows in (("before", before), ("after", after)):
        for r in rows.values():
            t = totals.setdefault(r["category"], {f"{x}_{s}": ZERO for x in ("count", "amount", "late_fee")
                                                 for s in ("before", "after")})
            t[f"count_{side}"] += 1
            t[f"amount_{side}"] += _dec(r["amount"])
            t[f"late_fee_{side}"] += _dec(r["late_fee"])
    for t in totals.values():
        for x in ("count", "amount", "late_fee"):
            t[f"{x}_delta"] = t[f"{x}_after"] - t[f"{x}_before"]
        t["count_before"], t["count_after"], t["count_delta"] = (int(t[k]) for k in ("count_before", "count_after", "count_delta"))
    return {"added": added, "removed": removed, "changed": changed,
            "totals": {c: totals[c] for c in sorted(totals)},
            "differs": bool(added or removed or changed)}


def diff_cases(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[dict]:
    out = []
    for eid in sorted(set(before) | set(after)):
        b, a = before.get(eid), after.get(eid)
        if b != a:
            out.append({"employer_id": eid, "steps_before": b, "steps_after": a})
    return out


def diff_parameters(base_dir: Path, head_dir: Path) -> list[dict]:
    """Parameter values added, removed or changed, by id and validity date, with status and source."""
    def values(d: Path) -> dict:
        store = ParameterStore.load(Path(d) / "parameters")
        out = {}
        for pid in store.ids():
            for v in store.get(pid).values:
                out[(pid, v.valid_from.isoformat())] = {
                    "value": jsonable(v.value), "valid_until": v.valid_until.isoformat() if v.valid_until else None,
                    "status": v.status, "source": v.source, "instrument": v.instrument, "article": v.article}
        return out

    old, new = values(base_dir), values(head_dir)
    out = []
    for key in sorted(set(old) | set(new)):
        o, n = old.get(key), new.get(key)
        if o != n:
            out.append({"id": key[0], "valid_from": key[1], "old": o, "new": n})
    return out


# --------------------------------------------------------------------------------------------- impact
@contextmanager
def _side(which: str):
    """A rulebook this version of patuh cannot use (an old format, a broken file) is named, not traced."""
    try:
        yield
    except ImpactError:
        raise
    except Exception as exc:  # ParameterError, RuleLoadError, AuditError, LawError, …
        raise ImpactError(f"{which}: this rulebook cannot be audited with this version of patuh "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None


def impact(base: str, head_rules: Path | None, packages: list[Package] | None, as_of: dt.date | None = None) -> dict:
    head_rules = Path(default_rules_dir(head_rules))
    t0 = time.perf_counter()
    with base_rulebook(base, head_rules) as base_rules:
        pkgs = packages or reference_packages(head_rules)
        with _side("--base " + base):
            params = diff_parameters(base_rules, head_rules)
        report = {"base": base, "head": str(head_rules), "parameters": params, "packages": []}
        for pkg in pkgs:
            with scratch_store() as engine:
                iid = load(engine, pkg)
                when = as_of or pkg.as_of
                with _side("--base " + base):
                    b = audit_with(engine, iid, base_rules, as_of=when)
                with _side(f"the rulebook {head_rules}"):
                    h = audit_with(engine, iid, head_rules, as_of=b.as_of, period_from=b.period_from,
                                   period_to=b.period_to)
            entry = {"package": pkg.name, "path": str(pkg.path), "as_of": h.as_of.isoformat(),
                     "period_from": h.period_from, "period_to": h.period_to,
                     "revision_base": b.revision, "revision_head": h.revision,
                     **diff_findings(b.findings, h.findings), "cases": diff_cases(b.cases, h.cases)}
            report["packages"].append(entry)
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return report


# --------------------------------------------------------------------------------------------- snapshots
def snapshot_path(rules_dir: Path, pkg: Package) -> Path:
    return Path(rules_dir) / IMPACT_DIR / f"{pkg.name}.csv"


def read_snapshot(path: Path) -> dict[str, dict] | None:
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["finding_id"]: r for r in csv.DictReader(fh)}


def write_snapshot(path: Path, findings: dict[str, dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, SNAPSHOT_FIELDS, lineterminator="\n")
    w.writeheader()
    for k in sorted(findings):
        w.writerow({f: findings[k][f] for f in SNAPSHOT_FIELDS})
    path.write_text(buf.getvalue(), encoding="utf-8")


def check(head_rules: Path | None, packages: list[Package] | None, update: bool, as_of: dt.date | None = None) -> dict:
    """Audit the reference packages with the working tree's rules; compare with (or rewrite) the snapshots."""
    head_rules = Path(default_rules_dir(head_rules))
    t0 = time.perf_counter()
    out = {"head": str(head_rules), "packages": [], "update": update}
    for pkg in packages or reference_packages(head_rules):
        with scratch_store() as engine, _side(f"the rulebook {head_rules}"):
            h = audit_with(engine, load(engine, pkg), head_rules, as_of=as_of or pkg.as_of)
        path = snapshot_path(head_rules, pkg)
        snap = read_snapshot(path)
        entry = {"package": pkg.name, "snapshot": str(path), "as_of": h.as_of.isoformat(),
                 "period_from": h.period_from, "period_to": h.period_to, "missing": snap is None,
                 "findings": len(h.findings), "seconds": round(h.seconds, 2)}
        entry.update(diff_findings(snap or {}, h.findings))
        entry["cases"] = []
        if update:
            write_snapshot(path, h.findings)
        out["packages"].append(entry)
    out["differs"] = any(p["differs"] or p["missing"] for p in out["packages"]) and not update
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


# --------------------------------------------------------------------------------------------- text
def _rp(v) -> str:
    from .text import amount

    return "–" if v in (None, "") else "Rp " + amount(Decimal(v), "id")


def _value(v) -> str:
    """A parameter value as written in the parameter file: 0.02, 10547400, or compact JSON for tables."""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    return str(v)


def _signed(v: Decimal) -> str:
    return ("+" if v > 0 else "−" if v < 0 else "±") + _rp(abs(v))[3:] if v else "0"


def render_text(report: dict, markdown: bool = False) -> str:
    lines: list[str] = []
    say = lines.append
    params = report.get("parameters") or []
    if "base" in report:
        say(f"{'## ' if markdown else ''}Dampak perubahan aturan / rule-change impact: {report['base']} → {report['head']}")
        say("")
    if params:
        say(f"{'### ' if markdown else ''}Parameter berubah / changed parameters ({len(params)})")
        if markdown:
            say("| parameter | berlaku sejak | lama / old | baru / new | status | sumber / source |")
            say("|---|---|---|---|---|---|")
        for p in params:
            o, n = p["old"] or {}, p["new"] or {}
            ov, nv = (_value(x["value"]) if x else "–" for x in (o, n))
            if o and n and o.get("value") == n.get("value"):
                nv = f"{nv} (nilai sama / same value)"
            st = f"{o.get('status', '–')} → {n.get('status', '–')}" if o.get("status") != n.get("status") else n.get("status", "–")
            src = n.get("source") or o.get("source") or "–"
            say(f"| {p['id']} | {p['valid_from']} | {ov} | {nv} | {st} | {src} |" if markdown else
                f"  {p['id']} dari {p['valid_from']}: {ov} → {nv}  [{st}] {src}")
        say("")
    for pkg in report["packages"]:
        head = f"{pkg['package']} (as_of {pkg['as_of']}, {pkg['period_from']}..{pkg['period_to']})"
        n_add, n_rem, n_chg = len(pkg["added"]), len(pkg["removed"]), len(pkg["changed"])
        state = " — SNAPSHOT MISSING" if pkg.get("missing") else ""
        say(f"{'### ' if markdown else ''}{head}: +{n_add} −{n_rem} ~{n_chg} temuan / findings{state}")
        rows = ([("+", r, None) for r in pkg["added"]] + [("−", r, None) for r in pkg["removed"]]
                + [("~", r, r) for r in pkg["changed"]])
        if rows:
            if markdown:
                say("| | finding | rule | subject | pokok sebelum | pokok sesudah | denda sebelum | denda sesudah |")
                say("|---|---|---|---|---|---|---|---|")
            for mark, r, chg in rows:
                if mark == "+":
                    ab, aa, fb, fa = "", r["amount"], "", r["late_fee"]
                elif mark == "−":
                    ab, aa, fb, fa = r["amount"], "", r["late_fee"], ""
                else:
                    ab, aa, fb, fa = chg["amount_before"], r["amount"], chg["late_fee_before"], r["late_fee"]
                if markdown:
                    say(f"| {mark} | {r['finding_id']} | {r['rule_id']} | {r['subject_id']} | {_rp(ab)} | {_rp(aa)} | {_rp(fb)} | {_rp(fa)} |")
                else:
                    say(f"  {mark} {r['finding_id']} {r['rule_id']:<22} {r['subject_id']:<28} pokok {_rp(ab)} → {_rp(aa)}; "
                        f"denda {_rp(fb)} → {_rp(fa)}")
        moved = {c: t for c, t in pkg["totals"].items()
                 if t["count_delta"] or t["amount_delta"] or t["late_fee_delta"]}
        if moved:
            say("")
            if markdown:
                say("| kategori | temuan sebelum → sesudah | pokok sebelum → sesudah (Δ) | denda sebelum → sesudah (Δ) |")
                say("|---|---|---|---|")
            for c, t in moved.items():
                cnt = f"{t['count_before']} → {t['count_after']}"
                amt = f"{_rp(t['amount_before'])} → {_rp(t['amount_after'])} ({_signed(t['amount_delta'])})"
                fee = f"{_rp(t['late_fee_before'])} → {_rp(t['late_fee_after'])} ({_signed(t['late_fee_delta'])})"
                say(f"| {c} | {cnt} | {amt} | {fee} |" if markdown else f"  {c:<28} {cnt:<10} pokok {amt}; denda {fee}")
        if pkg.get("cases"):
            say("")
            for c in pkg["cases"]:
                b = ", ".join(c["steps_before"] or ["–"])
                a = ", ".join(c["steps_after"] or ["–"])
                say(f"{'- ' if markdown else '  '}kasus / case {c['employer_id']}: langkah {b} → {a}")
        say("")
    return "\n".join(lines).rstrip() + "\n"


def as_json(report: dict) -> str:
    return json.dumps(jsonable(report), ensure_ascii=False, indent=2, default=str)
