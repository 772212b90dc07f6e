"""engine/yaml_load.py: libyaml's parser under our loaders reads exactly what the pure-Python
loaders read (values, types, line numbers), and a broken text is reported by the pure-Python loader."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from patuh.audits.rulebook import rules_dir
from patuh.engine import yaml_load
from patuh.engine.parameters import _DecimalLoader
from patuh.engine.ruleset import _Loader

ROOT = Path(__file__).parent.parent
FILES = sorted({*Path(rules_dir()).rglob("*.yaml"), *(ROOT / "tests" / "data").rglob("*.yaml"),
                *(ROOT / "fixtures").rglob("*.yaml")})
LOADERS = [_Loader, _DecimalLoader]


def deep(x):
    """Values with their types and the line numbers LineDict/LineList keep."""
    if isinstance(x, dict):
        return ("d", type(x).__name__, getattr(x, "line", None), getattr(x, "lines", None),
                [(deep(k), deep(v)) for k, v in x.items()])
    if isinstance(x, list):
        return ("l", type(x).__name__, getattr(x, "line", None), getattr(x, "lines", None), [deep(v) for v in x])
    return (type(x).__name__, x)


def outcome(fn):
    try:
        return deep(fn())
    except Exception as exc:  # noqa: BLE001 - the error is the outcome compared
        return (type(exc).__name__, str(exc))


def test_libyaml_is_used_when_present():
    assert (yaml_load.c_twin(_Loader) is not None) == bool(getattr(yaml, "__with_libyaml__", False))


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_every_shipped_yaml_file_reads_the_same(loader):
    assert len(FILES) > 40
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        assert outcome(lambda: yaml_load.load(text, loader)) == outcome(lambda: yaml.load(text, Loader=loader)), path


BROKEN = [
    "a: 1\na: 2\n",  # a duplicate key (our constructor)
    "a: [1, 2\n",
    "a:\n  - 1\n - 2\n",
    "a: 'open\n",
    "a: \"x\\qy\"\n",
    "a:\tb\n\tc: d\n",
    "a: b\x07\n",
    "- a\nb: c\n",
    "a: &x 1\nb: *y\n",
    "a: !!python/object:os.system x\n",
    "{a: 1, a: 1}\n",
    "a: 1.5e\n",
    "on: yes\nno: off\nx: 0.0024\ny: 1_000.5\n",  # not broken: YAML 1.2 booleans, Decimals
    "--- a\n--- b\n",
    "",
]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("text", BROKEN)
def test_broken_texts_are_reported_as_the_pure_loader_reports_them(loader, text):
    assert outcome(lambda: yaml_load.load(text, loader)) == outcome(lambda: yaml.load(text, Loader=loader))
