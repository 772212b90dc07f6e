"""YAML through libyaml's C parser when PyYAML has it, with the loader's own constructors and
resolvers: the rulebook's rules and parameters are read on every run, and the pure-Python parser was
most of that fixed cost (about 8x slower on rules/). The pure-Python loader stays the reference:
whenever the C parser refuses a text, the text is read again by the pure-Python loader, so a broken
file is reported exactly as before (its messages quote the offending line; libyaml's do not).
tests/test_engine_yaml.py checks that both read every shipped YAML file identically."""
from __future__ import annotations

from typing import Any

import yaml

_TWINS: dict[type, type | None] = {}


def c_twin(loader: type) -> type | None:
    """The loader's constructors and resolvers over libyaml's parser; None without libyaml."""
    if loader not in _TWINS:
        if not getattr(yaml, "__with_libyaml__", False) or not issubclass(loader, yaml.SafeLoader):
            _TWINS[loader] = None
        else:
            twin = type(loader.__name__ + "C", (yaml.CSafeLoader,), {})
            twin.yaml_implicit_resolvers = loader.yaml_implicit_resolvers
            twin.yaml_path_resolvers = loader.yaml_path_resolvers
            twin.yaml_constructors = loader.yaml_constructors
            twin.yaml_multi_constructors = loader.yaml_multi_constructors
            _TWINS[loader] = twin
    return _TWINS[loader]


def load(text: str, loader: type) -> Any:
    """yaml.load(text, Loader=loader), through the C parser when there is one."""
    twin = c_twin(loader)
    if twin is not None:
        try:
            return yaml.load(text, Loader=twin)  # noqa: S506 - a SafeLoader's constructors
        except yaml.YAMLError:
            pass  # the pure-Python loader below reports it, in its own words
    return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader subclass
