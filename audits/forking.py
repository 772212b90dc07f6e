"""Forking with the parent's objects frozen: shared by the load's children (importer/ahead.py) and
the audit's workers (audit.py)."""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def frozen():
    """Fork inside this block: what a child inherits is never collected there (gc.freeze). A
    collection in the child would walk, and so copy page by page, the parent's objects (a load
    child's CPU: payments 0.17 → 0.09 s, declarations 0.65 → 0.58 s). Objects the host application
    froze itself stay frozen."""
    already = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not already:
            gc.unfreeze()
