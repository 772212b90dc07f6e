"""Enforcement between audits (docs/lifecycle.md): changes between runs, actions taken, reviews,
and the hash-chained audit log."""
