"""Progress of a long stage: a tqdm bar with rate and ETA on a terminal, plain lines otherwise
(logs, CI, pipes), so that a redirected run stays readable line by line."""
from __future__ import annotations

import shutil
import sys
from typing import Callable

import click


def progress_for(desc: str, stream=None) -> Callable[[int, int, str], None]:
    """A `progress(done, total, item)` callback for stages that report each finished item."""
    stream = stream or sys.stderr
    if not stream.isatty():
        def plain(done: int, total: int, item: str) -> None:
            click.echo(f"  … {done:,}/{total:,} {item}".replace(",", "."), err=True)
        return plain

    from tqdm import tqdm

    state: dict = {}

    def bar(done: int, total: int, item: str) -> None:
        b = state.get("bar")
        if b is None:
            # a terminal that reports no width (some pseudo-terminals) would get an empty bar
            width = shutil.get_terminal_size((100, 20)).columns or 100
            b = state["bar"] = tqdm(total=total, desc=f"  {desc}", unit="dok", file=stream, leave=True,
                                    ncols=min(width, 120), nrows=max(shutil.get_terminal_size((100, 20)).lines, 5))
        b.set_postfix_str(item[-40:], refresh=False)
        b.update(done - b.n)
        if done >= total:
            b.close()
    return bar
