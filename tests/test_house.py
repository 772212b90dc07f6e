"""The house (docs/house.json) holds: every module of the product belongs to a part, and no import
runs along an arrow the house says must never exist.

Imports are read from the source with `ast` (every import statement, also those inside functions),
and resolved to files: `patuh.audits.x.y` → audits/x/y.py (or audits/x/y/__init__.py),
`patuh.engine.x` → engine/x.py, `patuh.cli` → cli.py, relative imports from the importing file's
folder; `from P import name` is the module P/name.py when there is one, else P itself. A file belongs
to the part whose `is` entry names it most precisely (a file before its folder)."""
from __future__ import annotations

import ast
import json
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOUSE = json.loads((ROOT / "docs" / "house.json").read_text(encoding="utf-8"))
PRODUCT = ("engine", "audits")  # with cli.py; benchmarks/ is Tooling and read too
READ = PRODUCT + ("benchmarks",)
TOP = {"audits": "audits", "engine": "engine"}  # patuh.<top> -> folder


def _files() -> list[str]:
    out = [p.relative_to(ROOT).as_posix() for d in READ for p in sorted((ROOT / d).rglob("*.py"))
           if "__pycache__" not in p.parts]
    return out + ["cli.py"]


def part_of(rel: str) -> str | None:
    best: tuple[str, int] | None = None
    for name, part in HOUSE["parts"].items():
        for entry in part["is"]:
            hit = rel.startswith(entry) if entry.endswith("/") else rel == entry
            if hit and (best is None or len(entry) > best[1]):
                best = (name, len(entry))
    return best[0] if best else None


def _module_file(base: Path) -> str | None:
    """A dotted path already turned into a path without suffix -> the file it names, if any."""
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py").relative_to(ROOT).as_posix()
    if (base / "__init__.py").is_file():
        return (base / "__init__.py").relative_to(ROOT).as_posix()
    return None


def _absolute(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] != "patuh":
        return None
    if parts[1:] == ["cli"]:
        return ROOT / "cli"
    if len(parts) < 2 or parts[1] not in TOP:
        return None
    return ROOT.joinpath(TOP[parts[1]], *parts[2:])


@lru_cache(maxsize=None)
def imports_of(rel: str) -> tuple[tuple[str, int], ...]:
    """(file imported, line) for every import of a product module in `rel`."""
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"), rel)
    out = []
    for node in ast.walk(tree):
        targets: list[Path] = []
        if isinstance(node, ast.Import):
            targets = [t for t in (_absolute(a.name) for a in node.names) if t is not None]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = (ROOT / rel).parent
                for _ in range(node.level - 1):
                    base = base.parent
                pkg = base.joinpath(*node.module.split(".")) if node.module else base
            else:
                pkg = _absolute(node.module or "")
                if pkg is None:
                    continue
            for alias in node.names:
                targets.append(pkg / alias.name if _module_file(pkg / alias.name) else pkg)
        for t in targets:
            f = _module_file(t)
            if f is not None and f != rel:
                out.append((f, node.lineno))
    return tuple(out)


def test_every_module_of_the_product_belongs_to_a_part():
    empty_init = lambda rel: rel.endswith("__init__.py") and not (ROOT / rel).read_text(encoding="utf-8").strip()
    homeless = [rel for rel in _files() if part_of(rel) is None and not empty_init(rel)]
    assert not homeless, f"modules in no part of docs/house.json: {homeless}"


def test_the_parts_named_by_the_rules_exist():
    names = set(HOUSE["parts"])
    for a, b, *_why in HOUSE["never"] + HOUSE["arrows"]:
        assert a in names and b in names, (a, b)


def test_no_import_runs_along_a_never():
    never = {(a, b): why for a, b, why in HOUSE["never"]}
    broken = []
    for rel in _files():
        src = part_of(rel)
        for target, line in imports_of(rel):
            dst = part_of(target)
            if src and dst and src != dst and (src, dst) in never:
                broken.append(f"{rel}:{line} imports {target} ({src} -> {dst}: {never[(src, dst)]})")
    assert not broken, "\n".join(broken)


def test_every_arrow_the_code_has_is_drawn():
    """house.json's `arrows` are the arrows the code has: a new kind of dependency is drawn (or removed)."""
    drawn = {(a, b) for a, b in HOUSE["arrows"]}
    real = {}
    for rel in _files():
        src = part_of(rel)
        for target, line in imports_of(rel):
            dst = part_of(target)
            if src and dst and src != dst:
                real.setdefault((src, dst), f"{rel}:{line} imports {target}")
    missing = sorted(f"{a} -> {b} ({where})" for (a, b), where in real.items() if (a, b) not in drawn)
    assert not missing, "arrows the code has that docs/house.json does not draw:\n" + "\n".join(missing)


def test_the_product_imports_itself_only_as_patuh():
    """`import audits` / `from engine import …` would find the repository's folders only by luck."""
    bad = []
    for rel in _files():
        if rel.startswith("benchmarks/"):
            continue
        for node in ast.walk(ast.parse((ROOT / rel).read_text(encoding="utf-8"), rel)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
            bad += [f"{rel}:{node.lineno} {n}" for n in names if n.split(".")[0] in ("audits", "engine", "cli", "rules")]
    assert not bad, bad


@pytest.mark.parametrize("rel, target", [
    ("audits/letters/build.py", "audits/letters/citations.py"),  # relative: from .citations import cite
    ("audits/letters/build.py", "audits/dossiers/data.py"),  # absolute: from patuh.audits.dossiers.data import …
    ("audits/generate.py", "audits/regions.py"),  # from patuh.audits import oracle, regions
])
def test_imports_are_resolved_to_files(rel, target):
    assert target in {t for t, _line in imports_of(rel)}
