"""PDF worker: `python -m audits.dossiers.pdf_worker` reads jobs from stdin, one JSON
[html_path, pdf_path] per line, renders each PDF with WeasyPrint and prints the pdf_path of each one
done; it stops when stdin is closed.

render_all starts a few of these so that PDFs are rendered on several CPUs, and hands each worker its
next job when it reports the last one done (the largest documents first), so that no worker is left
alone with a long tail. A separate process (rather than multiprocessing) re-imports nothing of the
caller and inherits none of its threads or database connections.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .render import html_to_pdf


def main() -> int:
    # What is imported now lives as long as the worker: out of the garbage collector's sight
    # (gc.freeze), the full collection html_to_pdf runs after each document does not walk it again.
    import gc

    import weasyprint  # noqa: F401  (html_to_pdf imports it on first use)

    from .render import pdf_html_class

    pdf_html_class()
    gc.collect()
    gc.freeze()
    for line in sys.stdin:
        if not line.strip():
            continue
        html_path, pdf_path = json.loads(line)
        html_to_pdf(Path(html_path).read_text(encoding="utf-8"), Path(pdf_path))
        print(pdf_path, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
