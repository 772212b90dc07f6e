"""manifest.json: what an audit wrote and from what, so that anyone can check the files later.

    {
      "format": "patuh-manifest/1",
      "run_id": "R-…", "ruleset_revision": "…",
      "inputs":  [{"file", "sheet", "sha256"}],          # the data package files the run read
      "outputs": [{"path", "sha256", "bytes"}]           # every file under out_dir but the manifest
    }

`verify(out_dir)` recomputes every output hash and names each file that changed, is missing or was
added. Paths are relative with `/`, sorted; the JSON is written with sorted keys, so the manifest
itself is deterministic.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT = "patuh-manifest/1"


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _outputs(out_dir: Path) -> dict[str, Path]:
    files = {}
    for p in out_dir.rglob("*"):
        if p.is_file():
            rel = p.relative_to(out_dir).as_posix()
            if rel != MANIFEST:
                files[rel] = p
    return dict(sorted(files.items()))


def write_manifest(out_dir, run_id: str, revision: str, input_files: list[dict]) -> Path:
    """Write out_dir/manifest.json listing every file now under out_dir and the inputs given."""
    out_dir = Path(out_dir)
    outputs = [{"path": rel, "sha256": sha256_file(p), "bytes": p.stat().st_size} for rel, p in _outputs(out_dir).items()]
    inputs = sorted(
        ({"file": str(f["file"]), "sheet": f.get("sheet"), "sha256": str(f["sha256"])} for f in input_files),
        key=lambda f: (f["file"], f["sheet"] or "", f["sha256"]),
    )
    doc = {"format": FORMAT, "run_id": run_id, "ruleset_revision": revision, "inputs": inputs, "outputs": outputs}
    path = out_dir / MANIFEST
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def verify(out_dir) -> list[str]:
    """Problems found in out_dir against its manifest.json; an empty list means intact."""
    out_dir = Path(out_dir)
    path = out_dir / MANIFEST
    if not path.is_file():
        return [f"missing: {MANIFEST} (nothing to verify against)"]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        listed = {o["path"]: o for o in doc["outputs"]}
    except (ValueError, KeyError, TypeError) as exc:
        return [f"invalid: {MANIFEST} ({exc})"]
    problems = []
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
    return problems
