"""Text for a terminal: control characters made visible before anything from the data is printed.

A name or file name in a package can hold ``ESC [2J`` (clear the screen), a carriage return that
overwrites the line, or a bidirectional override that reorders it: printed as such they change
what the inspector sees. ``clean`` shows them as ``\\x1b``, ``\\r``, ``\\u202e``; line breaks and tabs
of our own messages are kept.
"""
from __future__ import annotations

import re

import click

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _visible(m: re.Match) -> str:
    o = ord(m.group())
    if 0xDC80 <= o <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{o - 0xDC00:02x}"
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def clean(text) -> str:
    """``text`` with every control character but newline and tab shown as an escape."""
    s = str(text)
    return _UNSAFE.sub(_visible, s) if not s.isprintable() else s


def echo(message="", err: bool = False, **kwargs) -> None:
    """``click.echo`` of a cleaned message."""
    click.echo(clean(message), err=err, **kwargs)
