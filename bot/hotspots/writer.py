"""The turn log's SQL writer: one batch of records per transaction on the process-wide engine.

Writes are idempotent (turns on (channel, message id), call events on their key, feedback upserted
on the turn id), so a retry, a replayed spill file or a WeChat duplicate never makes two rows. A row
the database refuses is isolated and handed back; an unavailable database raises, and the caller
keeps the whole batch for a retry.
"""
from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import bindparam, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from bot.hotspots import db, records

logger = logging.getLogger(__name__)


def is_transient(error: BaseException) -> bool:
    """Errors that mean "the database is not available right now": keep the rows and retry."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                          sa_exc.DisconnectionError, sa_exc.ProgrammingError, OSError)):
        return True
    return isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated


class SqlWriter:
    """Writes batches of turn-log records (see `records`) to the database.

    :param engine: the process-wide engine (`db.get_engine(url)`).
    :param busy_timeout_ms: SQLite: how long one write waits on a lock; short, because a locked
        database is retried later while the records wait safely in the queue. None: the engine's.
    """

    def __init__(self, engine: Engine, *, busy_timeout_ms: int | None = None):
        self.engine = engine
        self.busy_timeout_ms = busy_timeout_ms
        self.written = 0  # records written (duplicates included)

    def __call__(self, batch: list[dict]) -> list[dict]:
        """Write `batch` in one transaction; if the database refuses a row, write the others one by one.

        :returns: the records the database refused (not an outage); [] when all were written.
        :raises Exception: the database is unavailable (then nothing of `batch` counts as written).
        """
        try:
            db.ensure_schema(self.engine)
            try:
                self._write(batch)
                return []
            except Exception as error:  # noqa: BLE001
                if is_transient(error):
                    raise
            rejected = []
            for record in batch:
                try:
                    self._write([record])
                except Exception as error:  # noqa: BLE001
                    if is_transient(error):
                        raise
                    logger.error("turn log: row refused by the database (%s)", error)
                    rejected.append(record)
            return rejected
        except sa_exc.ProgrammingError:
            db.forget_schema(self.engine)  # e.g. the schema was dropped: migrate again
            raise

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            raw = None
            if self.busy_timeout_ms is not None and conn.dialect.name == "sqlite":
                # The shared engine's connections wait longer; this one is put back as it was.
                raw = conn.connection.dbapi_connection
                previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
                raw.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
            try:
                with conn.begin():
                    yield conn
            finally:
                if raw is not None:
                    try:
                        raw.execute(f"PRAGMA busy_timeout={int(previous)}")
                    except sqlite3.Error:
                        pass  # a broken connection is discarded by the pool anyway

    def _write(self, batch: list[dict]) -> None:
        rows = records.rows(batch)
        with self._transaction() as conn:
            if rows.turns:
                db.insert_turns(conn, list(rows.turns.values()))
            if rows.articles:
                db.insert_ignore(conn, db.TurnArticle.__table__, list(rows.articles.values()),
                                 ["channel", "message_id", "document", "article"])
            if rows.calls:
                db.insert_ignore(conn, db.CallEvent.__table__, list(rows.calls.values()), ["event_key"])
            if rows.feedback:
                _write_feedback(conn, list(rows.feedback.values()))
            if rows.turns:
                _attach_early_feedback(conn, sorted({key[1] for key in rows.turns}))
        self.written += len(batch)


def _write_feedback(conn: Connection, feedback: list[dict]) -> None:
    db.upsert(conn, db.FeedbackRow.__table__, feedback, ["turn_id"], ["value", "comment", "created_at"])
    turns = db.TurnRow.__table__
    conn.execute(
        update(turns).where(turns.c.message_id == bindparam("b_turn_id")).values(feedback=bindparam("b_value")),
        [{"b_turn_id": f["turn_id"], "b_value": f["value"]} for f in feedback],
    )


def _attach_early_feedback(conn: Connection, message_ids: list[str]) -> None:
    """Feedback may have arrived before its turn row (another process, or a replayed spill)."""
    turns, feedback = db.TurnRow.__table__, db.FeedbackRow.__table__
    value = select(feedback.c.value).where(feedback.c.turn_id == turns.c.message_id).scalar_subquery()
    for start in range(0, len(message_ids), 500):
        conn.execute(
            update(turns)
            .where(turns.c.message_id.in_(message_ids[start:start + 500]))
            .where(turns.c.feedback.is_(None))
            .where(value.is_not(None))
            .values(feedback=value)
        )
