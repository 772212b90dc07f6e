"""Shared fixtures. ``db_url``: a fresh, empty database for one test.

SQLite in tmp_path by default. With ``PATUH_TEST_DB`` set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) that database is used after dropping all
patuh tables and ``alembic_version``, so each test starts empty.
"""
from __future__ import annotations

import pytest

from fresh_db import fresh_db_url


@pytest.fixture
def db_url(tmp_path):
    return fresh_db_url(tmp_path)


# Property tests check correctness, not speed: on a busy 2-core CI machine drawing inputs can be
# slow, which must not fail a test (HealthCheck.too_slow), and no example has a deadline.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("patuh", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("patuh")
