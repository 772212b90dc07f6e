"""Reading ``package.yaml`` without trusting it.

The file is small and written by hand, so it is read strictly: at most ``MAX_BYTES``; no anchors or
aliases (a 404-byte alias bomb expands to a name of 88 MB); a key given twice is an error, never
"the last one wins" (``as_of`` twice would silently change the audit); dates are not turned into
``date`` objects by YAML (``2025-02-30`` would raise a bare ValueError) but left as text for
``fields.iso_date`` to check, with the message every other date gets.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, ScalarNode

MAX_BYTES = 64 * 1024
TIMESTAMP = "tag:yaml.org,2002:timestamp"


class PackageYamlError(ValueError):
    """package.yaml cannot be used; ``str(err)`` says why (without the file name)."""


class _StrictLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise ComposerError(None, None, f"an alias (*{event.anchor}) — anchors and aliases are not allowed",
                                event.start_mark)
        if isinstance(event, (ScalarEvent, CollectionStartEvent)) and event.anchor is not None:
            raise ComposerError(None, None, f"an anchor (&{event.anchor}) — anchors and aliases are not allowed",
                                event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen: dict[str, int] = {}
            for key_node, _ in node.value:
                if isinstance(key_node, ScalarNode):
                    line = key_node.start_mark.line + 1
                    if key_node.value in seen:
                        raise PackageYamlError(f"key {key_node.value!r} given twice, in lines {seen[key_node.value]}"
                                               f" and {line} — give each key once")
                    seen[key_node.value] = line
        return super().construct_mapping(node, deep)


# dates stay text: fields.iso_date checks them (and their years) like any other date
_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != TIMESTAMP]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_text(text: str):
    """The YAML document in ``text``, read strictly; PackageYamlError for anything refused."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        where = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark is not None else ""
        what = exc.problem or exc.context or "not readable YAML"
        raise PackageYamlError(f"{what}{where}") from None
    except yaml.YAMLError as exc:
        raise PackageYamlError(f"not readable YAML ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise PackageYamlError("nested too deeply") from None


def read(path: Path):
    """The parsed ``package.yaml`` at ``path``; PackageYamlError when it is too large, not UTF-8
    or refused by :func:`load_text`."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise PackageYamlError(f"{size:,} bytes — at most {MAX_BYTES:,} expected")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackageYamlError(f"not UTF-8 text (byte {exc.start})") from None
    return load_text(text)
