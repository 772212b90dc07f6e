"""Alembic environment for the patuh store (target: audits.store.schema.metadata)."""
from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from patuh.audits.store.schema import metadata

config = context.config
target_metadata = metadata


def _configure(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    from patuh.audits.store.db import resolve_url

    url = config.get_main_option("sqlalchemy.url") or resolve_url(None)
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    from patuh.audits.store.db import get_engine

    url = config.get_main_option("sqlalchemy.url") or None
    engine = get_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        _configure(conn)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
