"""PDF worker: `python -m audits.dossiers.pdf_worker` reads a JSON list of [html_path, pdf_path]
on stdin, renders each PDF with WeasyPrint and prints the pdf_path of each one done.

render_all starts a few of these so that PDFs are rendered on several CPUs; a separate process
(rather than multiprocessing) re-imports nothing of the caller and inherits none of its threads
or database connections.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .render import html_to_pdf


def main() -> int:
    jobs = json.load(sys.stdin)
    for html_path, pdf_path in jobs:
        html_to_pdf(Path(html_path).read_text(encoding="utf-8"), Path(pdf_path))
        print(pdf_path, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
