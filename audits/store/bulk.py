"""Writing many rows: tuples of database-ready values, no per-value SQLAlchemy type processing.

Used by the loader for a package's rows and by the facts for their lookup tables. Rows come as
tuples in the order of ``columns`` whose values are already what SQLAlchemy's bind processors
would have sent to the driver for the typed ``audits.store.schema`` column (:func:`bind_processors`):
money as integer sen (``Money``), dates as ``date`` objects on PostgreSQL and as SQLAlchemy's
``YYYY-MM-DD`` text on SQLite. So the rows are inserted without
types and read back through the typed schema exactly as before.

- SQLite: ``INSERT … VALUES (…), (…), …`` of up to ``SQLITE_ROWS`` rows per statement through
  ``exec_driver_sql`` (the driver's ``executemany`` over those statements). The leading values every
  row shares (``constant``: import_id, src_file, src_sheet) are bound once per statement as
  ``?1, ?2, ?3`` and named again in each row (the row's own values are bare ``?``). Half the
  CPU of one ``INSERT`` per row: SQLite steps one statement per 500 rows and the driver binds 5
  to 8 values per row instead of 8 to 11.
- PostgreSQL with psycopg 3: ``COPY … FROM STDIN`` on the connection's own DBAPI connection,
  inside the load's transaction, so a later error still rolls everything back.
- Any other database: a typeless ``sqlalchemy.table()/column()`` insert (no type processing).
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Callable, Iterator, Sequence

from sqlalchemy import column as sa_column
from sqlalchemy import insert
from sqlalchemy import table as sa_table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import Table

Write = Callable[[list[tuple]], None]

SQLITE_ROWS = 500  # rows per INSERT on SQLite (fewer if the parameters would pass SQLite's limit)


def bind_processors(table: Table, columns: Sequence[str], dialect: Dialect) -> list:
    """Per column: the bind processor SQLAlchemy applies for ``table.c[col]`` on ``dialect`` (or None)."""
    return [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]


def method(dialect: Dialect) -> str:
    """How rows are written on ``dialect``: ``executemany`` (SQLite), ``copy`` (PostgreSQL with
    psycopg 3) or ``insert`` (a typeless SQLAlchemy insert, anything else)."""
    if dialect.name == "sqlite":
        return "executemany"
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return "copy"
    return "insert"


@contextmanager
def row_writer(conn: Connection, table: Table, columns: Sequence[str], constant: int = 0) -> Iterator[Write]:
    """A ``write(rows)`` for tuples of database-ready values in ``columns`` order, whose first
    ``constant`` values are the same in every row written through it.

    Use it as a context manager around the rows of one table: on PostgreSQL it holds one open
    ``COPY`` (nothing else may run on the connection until the block ends).
    """
    dialect = conn.dialect
    prep = dialect.identifier_preparer
    target = f"{prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)})"
    how = method(dialect)
    if how == "executemany":
        yield _sqlite_writer(conn, f"INSERT INTO {target} VALUES ", len(columns), constant)
    elif how == "copy":
        yield from _copy(conn, f"COPY {target} FROM STDIN")
    else:
        stmt = insert(sa_table(table.name, *[sa_column(c) for c in columns], schema=table.schema))

        def write(rows: list[tuple]) -> None:
            if rows:
                conn.execute(stmt, [dict(zip(columns, r)) for r in rows])

        yield write


def _sqlite_writer(conn: Connection, head: str, width: int, constant: int) -> Write:
    import sqlite3

    own = width - constant  # parameters of each row after the shared ones
    limit = conn.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(SQLITE_ROWS, (limit - constant) // own))
    tail = itemgetter(slice(constant, None))
    one_row = f"{head}({', '.join('?' * width)})"  # the statement as it was, one row at a time

    @lru_cache(maxsize=4)  # the full-size statement and the last, shorter one
    def sql(n: int) -> str:
        # A bare ? is numbered one above the largest number so far (SQLite's documented rule), so
        # the rows' own values follow ?1..?constant in order. Numbering them explicitly (?NNN)
        # made SQLite's prepare quadratic: 0.1 s for 500 rows of employers.
        row = "(" + ", ".join([f"?{k}" for k in range(1, constant + 1)] + ["?"] * own) + ")"
        return head + ", ".join([row] * n)

    def write(rows: list[tuple]) -> None:
        if not rows:
            return
        shared = rows[0][:constant]
        values = tuple(chain.from_iterable(map(tail, rows)))
        step = per * own
        full = len(rows) // per * step
        try:
            if full:
                conn.exec_driver_sql(sql(per), [shared + values[j:j + step] for j in range(0, full, step)])
            if full < len(values):
                conn.exec_driver_sql(sql(len(rows) % per), shared + values[full:])
        except DBAPIError as exc:
            # as the one-row executemany raised it (disk full, a trigger): the same class, and a
            # message that shows the one-row INSERT, not 500 rows of placeholders
            raise DBAPIError.instance(
                one_row, rows, exc.orig, sqlite3.Error, connection_invalidated=exc.connection_invalidated, ismulti=True,
            ) from exc.orig

    return write


def _copy(conn: Connection, sql: str) -> Iterator[Write]:
    import psycopg

    dbapi = conn.connection.dbapi_connection  # the same connection, so the same transaction
    try:
        with dbapi.cursor() as cur, cur.copy(sql) as copy:
            write_row = copy.write_row

            def write(rows: list[tuple]) -> None:
                for r in rows:
                    write_row(r)

            yield write
    except psycopg.Error as exc:
        # as SQLAlchemy would have raised it from an executemany: wrapped in its DBAPIError class
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc
