"""Dossiers: the law-enforcement dossiers, the provincial report, manifest and verify.

    from patuh.audits.dossiers import render_all, write_manifest, verify
    paths = render_all(engine, run_id, out_dir, lang="id", pdf=True)
    write_manifest(out_dir, run_id, revision, input_files)   # after every output is written
    problems = verify(out_dir)                                # [] when intact
"""
from .manifest import verify, write_manifest
from .render import render_all

__all__ = ["render_all", "write_manifest", "verify"]
