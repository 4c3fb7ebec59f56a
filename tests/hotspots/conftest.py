"""Fixtures of the hotspot tests: a database URL on SQLite AND PostgreSQL, a log, turn builders.

PostgreSQL tests use a fresh schema per test (search_path in the URL) and drop it afterwards,
so engineers running tests at the same time never see each other's rows.
"""
from __future__ import annotations

import secrets

import pytest

from bot.core.turn import Citation, Reply, Turn
from bot.hotspots import db
from bot.hotspots.log import TurnLog
from tests.fixtures.postgres import pg_schema_url  # noqa: F401 - re-exported for the tests here

DOCUMENT = "大人社发[2020]38号"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A database URL on each backend; the schema is migrated on first use."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
        yield url
    else:
        schema = request.getfixturevalue("pg_schema")
        url = pg_schema_url(schema)
        yield url
    db.dispose_engine(url)
    db.forget_schema(url)


@pytest.fixture
def make_log(tmp_path):
    """Build TurnLogs that are closed after the test."""
    logs: list[TurnLog] = []

    def build(url: str, **options) -> TurnLog:
        options.setdefault("flush_interval", 0.05)
        log = TurnLog(url, secret="test-secret", spill_dir=tmp_path / "spill", **options)
        logs.append(log)
        return log

    yield build
    for log in logs:
        log.close(timeout=2)


def turn(text: str = "失业保险金怎么领取？", *, channel: str = "web", user_id: str = "user-1",
         message_id: str | None = None) -> Turn:
    return Turn(channel=channel, user_id=user_id, text=text,
                message_id=message_id or secrets.token_hex(8))


def reply(*, answered: bool = True, articles: tuple[int, ...] = (4,), reason: str | None = None,
          handoff: bool = False, confidence: float = 0.9) -> Reply:
    return Reply(
        reply="答复",
        citations=[Citation(DOCUMENT, a, f"第{a}条", "……") for a in articles],
        answered=answered,
        intent="policy_question",
        confidence=confidence,
        handoff=handoff,
        abstain_reason=reason,
    )
