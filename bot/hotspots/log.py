"""The turn log: one row per turn on every channel, written without ever blocking or failing the caller.

`records` builds the masked, pseudonymous record of a turn (pure); `durable_queue` keeps it until it
is written (writer thread, journal, spill files, replay), so a locked or unreachable database or a
killed process loses no row; `writer` writes it on the process-wide engine, idempotent on (channel,
message id), so a retry, a replay or a WeChat duplicate never makes two rows.

Usage::

    log = TurnLog.from_settings(settings)
    log.record(turn, reply, latency_ms=84.0)
    log.feedback(turn.message_id, "down", "没说清楚")
    log.record_call_event(call_sid, "voicemail", {"RecordingUrl": url, "RecordingDuration": "31"})
    log.flush(timeout=5)       # tests and shutdown; `close()` also runs at exit
"""
from __future__ import annotations

import logging
from pathlib import Path

from bot.handoff.cipher import NumberCipher
from bot.hotspots import db, records
from bot.hotspots.durable_queue import DurableQueue, spill_dir_problem
from bot.hotspots.pseudonym import Pseudonymizer
from bot.hotspots.records import question_key  # noqa: F401 - imported from here by the dashboard and tests
from bot.hotspots.writer import SqlWriter

logger = logging.getLogger(__name__)


class TurnLog:
    """Records turns, feedback, call events and agents' messages. No method blocks or raises.

    :param database_url: SQLAlchemy URL (SQLite file or PostgreSQL); written on its shared engine.
    :param secret: the application secret; user ids are pseudonymised with a key derived from it.
    :param spill_dir: where rows wait on disk while the database is unavailable.
    :param busy_timeout_ms: SQLite: how long one write attempt waits on a lock.
    :param queue_options: `DurableQueue`'s batch_size, flush_interval, memory_limit, queue_limit, retry_max.
    :raises ValueError: a bad URL, an empty secret or a limit that is not positive.
    """

    def __init__(self, database_url: str, *, secret: str, spill_dir: str | Path, busy_timeout_ms: int = 1000,
                 **queue_options):
        self.database_url = database_url
        self.pseudonyms = Pseudonymizer(secret)
        self.numbers = NumberCipher(secret)
        self.engine = db.get_engine(database_url)
        self.writer = SqlWriter(self.engine, busy_timeout_ms=busy_timeout_ms)
        self.queue = DurableQueue(self.writer, spill_dir=spill_dir, **queue_options)
        self.spill_dir = self.queue.spill_dir

    @classmethod
    def from_settings(cls, settings, **options) -> "TurnLog":
        """The log for `settings.database_url`, spilling under `settings.var_dir / "turnlog"`."""
        return cls(settings.database_url, secret=settings.secret_key,
                   spill_dir=Path(settings.var_dir) / "turnlog", **options)

    def record(self, turn, reply, latency_ms: float) -> None:
        """Log one `Turn` (raw user id and text: both are protected here) and its `Reply`."""
        try:
            record = records.turn_record(turn, reply, latency_ms, self.pseudonyms)
        except Exception:  # noqa: BLE001 - a logging bug must never break a conversation
            logger.exception("turn log: could not build the row; logging a minimal one")
            record = records.fallback_turn_record(turn, self.pseudonyms)
        self.queue.put(record)

    def feedback(self, turn_id: str, value: str, comment: str = "") -> bool:
        """Store 👍/👎 (`value` "up"/"down") for a turn, even one whose row is still waiting.

        :returns: True when accepted; False for an empty/oversized id or a value other than up/down.
        """
        try:
            record = records.feedback_record(turn_id, value, comment)
        except Exception:  # noqa: BLE001
            logger.exception("turn log: feedback not recorded")
            return False
        if record is not None:
            self.queue.put(record)
        return record is not None

    def record_call_event(self, call_sid: str, event: str, data: dict | None = None) -> None:
        """Log an IVR event (``status``, ``voicemail``, ``handoff``) for the staff callback queue."""
        try:
            record = records.call_record(call_sid, event, dict(data or {}), self.pseudonyms, self.numbers)
        except Exception:  # noqa: BLE001
            logger.exception("turn log: call event malformed; logging its kind only")
            record = records.fallback_call_record(call_sid, event, self.pseudonyms)
        self.queue.put(record)

    def record_agent_message(self, channel: str, user_hash: str, text: str, agent: str, message_id: str,
                             citations: list | None = None) -> None:
        """Log an agent's message as a turn of the citizen's conversation (speaker `agent`)."""
        try:
            record = records.agent_message_record(channel, user_hash, text, agent, message_id, citations)
        except Exception:  # noqa: BLE001
            logger.exception("turn log: agent message malformed; not logged")
            return
        self.queue.put(record)

    @property
    def pending(self) -> int:
        """Records accepted by this process and not yet written (in the queue, in memory, or spilled)."""
        return self.queue.pending

    @property
    def last_error(self) -> str | None:
        """The last database error, while the database is unavailable."""
        return self.queue.last_error

    def flush(self, timeout: float = 5.0) -> bool:
        """Write everything recorded so far; False if the database stayed unavailable for `timeout` s."""
        return self.queue.flush(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Flush and stop the writer; what could not be written is written by the next process."""
        self.queue.close(timeout)

    def stats(self) -> dict:
        """Health figures: records waiting, rows written, spill files on disk, the last database
        error, why records cannot be kept on disk (None when they can) and records lost."""
        queue = self.queue
        return {"pending": queue.pending, "written": self.writer.written, "spill_files": len(queue.spill_files()),
                "last_error": queue.last_error, "persist_error": queue.persist_error, "lost": queue.lost}

    def check_persistence(self) -> str | None:
        """Whether records can be kept on disk now: None, else why not (see `spill_dir_problem`)."""
        return spill_dir_problem(self.spill_dir)
