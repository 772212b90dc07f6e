"""The merged spans of active participation (facts/scope.py `active_spans`) make a worker active in
exactly the months the definition says (start_date <= the month's last day, end_date >= its first
day or none), and never twice in one month (a payroll row joins at most one span)."""
import datetime as dt

from hypothesis import given, settings, strategies as st
from sqlalchemy import create_engine, insert

from patuh.audits.calc.calendar import months_between, period_end, period_start
from patuh.audits.facts.scope import active_spans
from patuh.audits.store import schema as s

ENGINE = create_engine("sqlite://")
s.metadata.create_all(ENGINE, tables=[s.participants])

days = st.dates(min_value=dt.date(2024, 10, 1), max_value=dt.date(2026, 3, 31))
participation = st.tuples(st.sampled_from(["E1", "E2"]), st.sampled_from(["1", "2", "3"]), days,
                          st.one_of(st.none(), days))
months = st.sampled_from(months_between("2024-11", "2026-02"))


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(participation, max_size=12), first=months, last=months)
def test_spans_are_the_months_of_the_definition_each_once(rows, first, last):
    first, last = min(first, last), max(first, last)
    with ENGINE.begin() as conn:
        conn.execute(s.participants.delete())
        if rows:
            conn.execute(insert(s.participants), [
                {"import_id": 1, "src_file": "participants.csv", "src_row": i + 2, "employer_id": e, "nik": n,
                 "name": "x", "start_date": start, "end_date": end} for i, (e, n, start, end) in enumerate(rows)])
        conn.execute(insert(s.participants), [  # another import's participation counts for nothing
            {"import_id": 2, "src_file": "participants.csv", "src_row": 2, "employer_id": "E1", "nik": "1",
             "name": "x", "start_date": dt.date(2020, 1, 1), "end_date": None}])
        spans = list(active_spans(conn, 1, first, last))
    expected = {(e, n, p) for e, n, start, end in rows for p in months_between(first, last)
                if start <= period_end(p) and (end is None or end >= period_start(p))}
    got = [(sp["employer_id"], sp["nik"], p) for sp in spans
           for p in months_between(sp["first_period"], sp["last_period"])]
    assert len(got) == len(set(got))  # no month twice: the payroll join cannot double a row
    assert set(got) == expected


def test_spans_written_in_chunks_make_the_same_table(db_url, monkeypatch):
    """build_lookup_tables streams the participants and writes their spans a chunk at a time (on
    PostgreSQL through a server-side cursor, inserting while it reads): chunks of three make the
    same table as one chunk."""
    from pathlib import Path

    from sqlalchemy import select

    from patuh.audits.facts import scope as scope_module
    from patuh.audits.facts.scope import TT_ACTIVE, Scope, build_lookup_tables, drop_lookup_tables
    from patuh.audits.importer import load_package
    from patuh.audits.rulebook import rules_dir
    from patuh.audits.store.db import get_engine
    from patuh.engine.parameters import ParameterStore

    engine = get_engine(db_url)
    loaded = load_package(Path(__file__).resolve().parent.parent / "fixtures" / "kalbar-demo", engine)
    params = ParameterStore.load(rules_dir() / "parameters")
    tables = []
    for chunk in (scope_module.SPAN_CHUNK, 3):
        monkeypatch.setattr(scope_module, "SPAN_CHUNK", chunk)
        with engine.connect() as conn:
            sc = Scope(conn, loaded.import_id, "2025-01", "2025-12", dt.date(2026, 2, 1), params)
            build_lookup_tables(sc)
            tables.append(conn.execute(select(TT_ACTIVE).order_by(*TT_ACTIVE.c)).all())
            drop_lookup_tables(conn)
    assert len(tables[0]) > 6 and tables[0] == tables[1]
