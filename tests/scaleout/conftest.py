"""Fixtures of the scale-out tests: real `hotline serve` process trees (gunicorn with several
workers, Rasa, the action server) on free loopback ports, Redis for shared state and Rasa's lock
store, and a PostgreSQL database of their own (created here, dropped afterwards) for Rasa's
tracker store and the turn log."""
from __future__ import annotations

import pytest
import redis

from benchmarks.system import build_index
from tests.fixtures.postgres import fresh_pg_database

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def system_index(tmp_path_factory):
    """One retrieval index for every system of the session (copied into each var dir)."""
    return build_index(tmp_path_factory.getbasetemp() / "system-index-var")


@pytest.fixture(scope="session")
def redis_url() -> str:
    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()  # fails clearly when Redis is down
    return REDIS_URL


@pytest.fixture(scope="module")
def pg_database():
    """A fresh PostgreSQL database `hotline_scaleout_<random>`; its name, dropped after the module."""
    with fresh_pg_database("hotline_scaleout") as name:
        yield name
