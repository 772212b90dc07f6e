"""manifest.json: what an audit wrote and from what, so that anyone can check the files later.

    {
      "format": "patuh-manifest/1",
      "run_id": "R-…", "ruleset_revision": "…",
      "run": {"package_hash", "as_of", "period_from", "period_to", "state_hash"},   # what the id is made of
      "inputs":  [{"file", "sheet", "sha256"}],          # the data package files the run read
      "outputs": [{"path", "sha256", "bytes"}]           # every file this run wrote, but the manifest
    }

`verify(out_dir, package=None)` recomputes every output hash and names each file that changed, is
missing or was added; it checks that the run id follows from the package hash, ruleset revision,
as_of and months the manifest names, and that the package hash follows from the inputs; with a
package folder it also checks each input file against its recorded hash. Paths are relative with
`/`, sorted; the JSON is written with sorted keys, so the manifest itself is deterministic.

What a passing check proves, and what it does not (``WHAT_IT_PROVES``): the files are the ones
listed, unchanged since the manifest was written, and the manifest is consistent in itself. It is
not a signature: whoever can change the files can write a new manifest, so keep a copy of
manifest.json (or its hash) where the recipient can compare it; and it says nothing about whether
the findings are right.

The output folder (``--out``) is prepared before a run (:func:`check_out_dir`,
:func:`clear_previous`): it must be writable, and either empty or the output of an earlier run,
whose listed files are removed, so that no dossier of an earlier run is left beside the new ones
and certified by the new manifest.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path, PurePosixPath

MANIFEST = "manifest.json"
FORMAT = "patuh-manifest/1"
WHAT_IT_PROVES = (
    "Manifest yang cocok membuktikan berkas-berkas ini sama dengan yang ditulis run tersebut dan belum "
    "berubah sejak itu; bukan tanda tangan (siapa pun yang dapat mengubah berkas dapat menulis manifest "
    "baru) dan tidak membuktikan bahwa temuan benar. / A matching manifest proves these files are the ones "
    "the run wrote, unchanged since; it is not a signature (whoever can change the files can write a new "
    "manifest: compare manifest.json with a copy kept elsewhere) and it does not prove the findings right."
)


class OutDirError(Exception):
    """--out cannot be used; the message says why and what to do."""


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _outputs(out_dir: Path) -> dict[str, Path]:
    files = {}
    for p in out_dir.rglob("*"):
        if p.is_file() or p.is_symlink():
            rel = p.relative_to(out_dir).as_posix()
            if rel != MANIFEST:
                files[rel] = p
    return dict(sorted(files.items()))


def package_hash(inputs: list[dict]) -> str:
    """The package hash of the importer (``importer.load.package_hash``) from a manifest's inputs."""
    lines = sorted({f"{i['file']}:{i['sha256']}" for i in inputs})
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


def expected_run_id(run: dict, revision: str) -> str:
    """The run id that ``run`` (package_hash, as_of, period_from, period_to, state_hash) and the
    ruleset revision give (``audits.model.run_id``, and the lifecycle state when there is one)."""
    from patuh.audits.model import run_id

    rid = run_id(run["package_hash"], revision, dt.date.fromisoformat(run["as_of"]), run["period_from"],
                 run["period_to"])
    if run.get("state_hash"):
        rid = "R-" + hashlib.sha256(f"{rid}|{run['state_hash']}".encode()).hexdigest()[:12].upper()
    return rid


def write_manifest(out_dir, run_id: str, revision: str, input_files: list[dict], outputs=None,
                   run: dict | None = None) -> Path:
    """Write out_dir/manifest.json listing ``outputs`` (the paths this run wrote; default: every
    file now under out_dir) and the inputs given. ``run``: what the run id is made of."""
    out_dir = Path(out_dir)
    if outputs is None:
        files = _outputs(out_dir)
    else:
        files = {}
        for p in map(Path, outputs):
            try:
                rel = p.relative_to(out_dir).as_posix()
            except ValueError:  # the same folder written another way (absolute, via a link)
                rel = p.resolve().relative_to(out_dir.resolve()).as_posix()
            if rel != MANIFEST:
                files[rel] = out_dir / rel
        files = dict(sorted(files.items()))
    listed = [{"path": rel, "sha256": sha256_file(p), "bytes": p.stat().st_size} for rel, p in files.items()]
    inputs = sorted(
        ({"file": str(f["file"]), "sheet": f.get("sheet"), "sha256": str(f["sha256"])} for f in input_files),
        key=lambda f: (f["file"], f["sheet"] or "", f["sha256"]),
    )
    doc = {"format": FORMAT, "run_id": run_id, "ruleset_revision": revision, "inputs": inputs, "outputs": listed}
    if run is not None:
        doc["run"] = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in run.items()}
    path = out_dir / MANIFEST
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------- verifying

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_RUN_ID = re.compile(r"R-[0-9A-F]{12}\Z")


def _read(path: Path) -> tuple[dict | None, str | None]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"invalid: {MANIFEST} ({exc})"
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return None, f"invalid: {MANIFEST} (not a {FORMAT} manifest)"
    try:
        listed = {o["path"]: o for o in doc["outputs"]}
        inputs = [dict(file=str(i["file"]), sheet=i.get("sheet"), sha256=str(i["sha256"])) for i in doc["inputs"]]
    except (KeyError, TypeError) as exc:
        return None, f"invalid: {MANIFEST} (outputs or inputs malformed: {exc})"
    doc["_listed"], doc["_inputs"] = listed, inputs
    return doc, None


def _check_fields(doc: dict) -> list[str]:
    problems = []
    run_id, revision = doc.get("run_id"), doc.get("ruleset_revision")
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        problems.append(f"invalid: run_id {run_id!r} (R- and 12 hex digits expected)")
    if not isinstance(revision, str) or not revision:
        problems.append(f"invalid: ruleset_revision {revision!r}")
    if not doc["_inputs"]:
        problems.append("invalid: inputs is empty (a run reads at least one package file)")
    for i in doc["_inputs"]:
        if not _HEX64.match(i["sha256"]):
            problems.append(f"invalid: inputs {i['file']} sha256 {i['sha256']!r}")
    run = doc.get("run")
    if isinstance(run, dict) and not problems:
        if run.get("package_hash") != package_hash(doc["_inputs"]):
            problems.append("inconsistent: run.package_hash does not follow from the inputs listed")
        try:
            want = expected_run_id(run, revision)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"invalid: run ({exc})")
        else:
            if want != run_id:
                problems.append(f"inconsistent: run_id {run_id} does not follow from its package, ruleset, as_of"
                                f" and months (they give {want})")
    return problems


def _check_package(doc: dict, package: Path) -> list[str]:
    problems = []
    want = {i["file"]: i["sha256"] for i in doc["_inputs"]}
    folder = Path(package)
    present = {p.name: p for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
    for name, digest in sorted(want.items()):
        p = present.get(name)
        if p is None:
            problems.append(f"input missing: {name} (not in {package})")
        elif sha256_file(p) != digest:
            problems.append(f"input changed: {name} (sha256 {sha256_file(p)[:12]}…, manifest says {digest[:12]}…)")
    from patuh.audits.importer.reader import discover

    d = discover(folder)
    try:
        for p in d.data_files:
            if p.name not in want:
                problems.append(f"input unexpected: {p.name} (a package file the run did not read)")
    finally:
        d.close()
    return problems


def verify(out_dir, package=None) -> list[str]:
    """Problems found in out_dir against its manifest.json (and, with ``package``, in the package
    folder's files against the inputs it lists); an empty list means intact."""
    out_dir = Path(out_dir)
    path = out_dir / MANIFEST
    if not path.is_file():
        return [f"missing: {MANIFEST} (nothing to verify against)"]
    doc, bad = _read(path)
    if bad:
        return [bad]
    listed = doc["_listed"]
    problems = _check_fields(doc)
    present = _outputs(out_dir)
    for rel in sorted(set(listed) | set(present)):
        if rel not in present:
            problems.append(f"missing: {rel}")
        elif rel not in listed:
            problems.append(f"unexpected: {rel} (not in {MANIFEST})")
        else:
            want = listed[rel]
            got = sha256_file(present[rel])
            size = present[rel].stat().st_size
            if got != want.get("sha256") or size != want.get("bytes"):
                problems.append(f"changed: {rel} (sha256 {got[:12]}…, manifest says {str(want.get('sha256'))[:12]}…)")
    if package is not None:
        problems += _check_package(doc, Path(package))
    return problems


# ---------------------------------------------------------------------------------- --out folder


def check_out_dir(out_dir) -> Path:
    """Create ``out_dir`` if needed and make sure files can be written in it — before any work."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".patuh-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutDirError(f"--out {out_dir}: cannot write there ({exc.strerror or type(exc).__name__})") from None
    return out_dir


def _safe_rel(rel) -> PurePosixPath | None:
    p = PurePosixPath(str(rel))
    if p.is_absolute() or not p.parts or any(part in ("", ".", "..") for part in p.parts) or "\\" in str(rel):
        return None
    return p


def clear_previous(out_dir) -> int:
    """Make ``out_dir`` ready for a run: it is empty, or it is the output of an earlier run
    (a manifest.json, and no file the manifest does not list): then the files that manifest lists
    and the manifest are removed, with the folders they leave empty. Anything else: OutDirError,
    and nothing is removed. Returns the number of files removed."""
    out_dir = Path(out_dir)
    if not any(out_dir.iterdir()):
        return 0
    path = out_dir / MANIFEST
    if not path.is_file():
        raise OutDirError(f"--out {out_dir}: the folder is not empty and holds no {MANIFEST} of an earlier patuh"
                          " run — give a new or empty folder (patuh removes only files it wrote itself)")
    doc, bad = _read(path)
    if bad:
        raise OutDirError(f"--out {out_dir}: {bad} — give a new or empty folder")
    listed = {}
    for rel in doc["_listed"]:
        safe = _safe_rel(rel)
        if safe is None:
            raise OutDirError(f"--out {out_dir}: {MANIFEST} lists {rel!r}, not a path inside the folder")
        listed[safe.as_posix()] = safe
    foreign = [rel for rel, p in _outputs(out_dir).items() if rel not in listed or p.is_symlink()]
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise OutDirError(f"--out {out_dir}: holds files the earlier run did not write ({shown}) — move them"
                          " or give a new or empty folder")
    removed = 0
    for rel in listed:
        target = out_dir / rel
        if target.is_file():
            target.unlink()
            removed += 1
    path.unlink()
    for d in sorted((p for p in out_dir.rglob("*") if p.is_dir() and not p.is_symlink()),
                    key=lambda p: len(p.parts), reverse=True):
        try:
            d.rmdir()  # only when empty
        except OSError:
            pass
    return removed
