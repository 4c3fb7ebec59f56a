"""The turn log: one row per turn on every channel, written without ever blocking or failing the caller.

Callers (`Conversation`, the IVR, the feedback endpoint) only put a small, already masked record on
an in-process queue. A background writer thread batches the records into the database; when the
database is locked or unreachable it keeps them, first in memory (bounded) and then in JSON-lines
spill files under `var/turnlog/`, and retries until they are written. Rows are idempotent on
(channel, message id), so a retry, a replayed spill file or a WeChat duplicate never makes two rows.

Every record is also appended to this process's journal (`journal-<pid>-*.jsonl`, one write to the
kernel, no fsync) before `record()` returns, and dropped from it once written or spilled. A process
killed with records still queued (SIGKILL, the OOM killer) leaves its journal behind; the next
process replays it like a spill file. So every turn whose reply left the process has its row.

When the spill folder cannot be written (full disk, immutable or missing folder), records are still
queued and written to the database as usual; while the database is unavailable too they wait in
memory, at most `queue_limit` records in the queue and as many in the writer. The log says so at
ERROR level (again every minute while it lasts) and in `stats()["persist_error"]`; `hotline doctor`
reports it. Only beyond that bound, or at exit with both unavailable, are records dropped: counted in
`stats()["lost"]` and logged at ERROR level.

Usage::

    log = TurnLog.from_settings(settings)
    log.record(turn, reply, latency_ms=84.0)
    log.feedback(turn.message_id, "down", "没说清楚")
    log.record_call_event(call_sid, "voicemail", {"RecordingUrl": url, "RecordingDuration": "31"})
    log.flush(timeout=5)       # tests and shutdown; `close()` also runs at exit
"""
from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import json
import logging
import os
import queue
import secrets
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import exc as sa_exc
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, Engine

from bot.hotspots import db
from bot.hotspots.masking import mask_personal_data, normalise_question
from bot.hotspots.pseudonym import Pseudonymizer, phone_tail
from bot.hotspots.reasons import normalise_reason
from bot.handoff.cipher import NumberCipher
from bot.core.turn import Reply, Turn

logger = logging.getLogger(__name__)

FEEDBACK_VALUES = ("up", "down")
JOURNAL_SEGMENT_RECORDS = 1000  # a journal file is rotated after this many records
PERSIST_ERROR_REPEAT_SECONDS = 60.0  # "cannot persist" is logged again this often while it lasts
CALL_EVENTS = ("status", "voicemail", "handoff")
QUESTION_MAX = 2000
COMMENT_MAX = 1000

# Twilio's field names (and plain ones) that carry the caller's or callee's number.
_PHONE_FIELDS = {"from", "caller", "to", "called", "forwardedfrom", "phone", "number", "callback_number"}


def spill_dir_problem(spill_dir: str | Path) -> str | None:
    """Try to create and remove a file in the turn log's spill folder (`hotline doctor` asks too).

    :returns: None when records can be kept on disk, else why not (e.g. "NotADirectoryError: …").
    """
    spill_dir = Path(spill_dir)
    probe = spill_dir / f".probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        spill_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(probe, "w", encoding="utf-8") as handle:
            handle.write("{}\n")
        probe.unlink()
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    return None


def question_key(masked_question: str) -> str:
    """The dedupe key of a masked question: identical keys are one distinct question in the analysis."""
    return hashlib.sha256(normalise_question(masked_question).encode("utf-8")).hexdigest()[:32]


def _clip(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit]


def _message_key(message_id: str) -> str:
    # Platform ids are short; an absurdly long one is hashed rather than truncated into a collision.
    text = str(message_id or "")
    return text if 0 < len(text) <= 128 else hashlib.sha256(text.encode("utf-8")).hexdigest()


def _is_transient(error: BaseException) -> bool:
    """Errors that mean "the database is not available right now": keep the rows and retry."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                          sa_exc.DisconnectionError, sa_exc.ProgrammingError, OSError)):
        return True
    return isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated


class TurnLog:
    """Records turns, feedback and call events; see the module docstring for the guarantees.

    :param database_url: SQLAlchemy URL (SQLite file or PostgreSQL).
    :param secret: the application secret; user ids are pseudonymised with a key derived from it.
    :param spill_dir: where rows wait on disk while the database is unavailable.
    :param batch_size: most rows written in one transaction.
    :param flush_interval: seconds the writer waits to gather a batch.
    :param memory_limit: rows kept in memory before further ones are spilled to disk.
    :param queue_limit: records waiting for the writer before callers spill directly to disk; also
        the most records kept in memory (queue, and again writer) while neither the database nor
        the spill folder takes them.
    :param retry_max: the longest pause, in seconds, between two attempts on an unavailable database.
    :param busy_timeout_ms: SQLite: how long one write attempt waits on a lock.
    :raises ValueError: a bad URL or an empty secret.
    """

    def __init__(
        self,
        database_url: str,
        *,
        secret: str,
        spill_dir: str | Path,
        batch_size: int = 500,
        flush_interval: float = 0.2,
        memory_limit: int = 5000,
        queue_limit: int = 50_000,
        retry_max: float = 5.0,
        busy_timeout_ms: int = 1000,
    ):
        if batch_size < 1 or memory_limit < 1 or queue_limit < 1:
            raise ValueError(
                f"batch_size, memory_limit and queue_limit must be positive, got "
                f"{batch_size}, {memory_limit}, {queue_limit}"
            )
        self.database_url = database_url
        self.engine: Engine = db.make_engine(database_url, busy_timeout_ms=busy_timeout_ms)
        self.pseudonyms = Pseudonymizer(secret)
        self.numbers = NumberCipher(secret)
        self.spill_dir = Path(spill_dir)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.memory_limit = memory_limit
        self.queue_limit = queue_limit
        self.retry_max = retry_max
        self.last_error: str | None = None
        self.persist_error: str | None = None  # why the spill folder cannot be written, while it cannot
        self.written = 0
        self.lost = 0  # records dropped: neither database nor disk, and the memory bound reached
        self._persist_logged = self._lost_logged = float("-inf")
        self._closed = False
        self._reset_process_state()
        _open_logs.add(self)

    @classmethod
    def from_settings(cls, settings, **options) -> "TurnLog":
        """The log for `settings.database_url`, spilling under `settings.var_dir / "turnlog"`."""
        return cls(
            settings.database_url,
            secret=settings.secret_key,
            spill_dir=Path(settings.var_dir) / "turnlog",
            **options,
        )

    # --- the caller's side: cheap, never raises ---------------------------------------------

    def record(self, turn: Turn, reply: Reply, latency_ms: float) -> None:
        """Log one turn. Returns at once; the row is written by the background writer.

        :param turn: the incoming message (raw user id and text: both are protected here).
        :param reply: what the assistant answered.
        :param latency_ms: time from receiving the turn to having the reply.
        """
        try:
            op = self._turn_op(turn, reply, latency_ms)
        except Exception:  # noqa: BLE001 - a logging bug must never break a conversation
            logger.exception("turn log: could not build the row; logging a minimal one")
            op = self._fallback_turn_op(turn)
        self._enqueue(op)

    def feedback(self, turn_id: str, value: str, comment: str = "") -> bool:
        """Store 👍/👎 for a turn, even one whose row is still waiting to be written.

        :param turn_id: the turn's `message_id` as the user's client received it.
        :param value: ``"up"`` or ``"down"``.
        :param comment: optional free text (masked like questions).
        :returns: True when accepted; False for an empty/oversized id or a value other than up/down.
        """
        try:
            turn_id = str(turn_id or "").strip()
            value = str(value or "").strip().lower()
            if not turn_id or len(turn_id) > 128 or value not in FEEDBACK_VALUES:
                return False
            self._enqueue(
                {
                    "op": "feedback",
                    "turn_id": turn_id,
                    "value": value,
                    "comment": mask_personal_data(_clip(comment, COMMENT_MAX)),
                    "created_at": db.utcnow().isoformat(),
                }
            )
            return True
        except Exception:  # noqa: BLE001
            logger.exception("turn log: feedback not recorded")
            return False

    def record_call_event(self, call_sid: str, event: str, data: dict | None = None) -> None:
        """Log an IVR event for the staff callback queue. Returns at once, never raises.

        :param call_sid: Twilio's CallSid (stored pseudonymised, like user ids on channel ``ivr``).
        :param event: ``"status"``, ``"voicemail"`` or ``"handoff"`` (others are kept as given).
        :param data: the callback's fields, e.g. ``CallStatus``, ``From``, ``RecordingUrl``,
            ``RecordingDuration``; phone numbers in it are hashed, other text masked.
        """
        try:
            op = self._call_op(call_sid, event, dict(data or {}))
        except Exception:  # noqa: BLE001
            logger.exception("turn log: call event malformed; logging its kind only")
            op = {
                "op": "call",
                "event_key": secrets.token_hex(16),
                "call_hash": self.pseudonyms.user("ivr", str(call_sid)),
                "event": _clip(event, 16) or "status",
                "created_at": db.utcnow().isoformat(),
                "data": "{}",
            }
        self._enqueue(op)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Records accepted by this process and not yet written (in the queue, in memory, or spilled)."""
        with self._state_lock:
            return self._unwritten + self._spilled_rows

    def flush(self, timeout: float = 5.0) -> bool:
        """Write everything recorded so far, including spill files, waiting at most `timeout` seconds.

        :returns: True when nothing is left to write; False if the database stayed unavailable.
        """
        if os.getpid() != self._pid:
            self._reset_process_state()
        self._ensure_writer()
        deadline = time.monotonic() + max(0.0, timeout)
        with self._state_lock:
            self._flush_requests += 1
            self._wake.set()
            try:
                while not self._drained_locked():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._wake.set()
                    self._state_changed.wait(min(remaining, 0.2))
                return True
            finally:
                self._flush_requests -= 1

    def close(self, timeout: float = 5.0) -> None:
        """Flush and stop the writer. Rows that could not be written stay in spill files and are
        written by the next process that opens the log."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush(timeout)
        finally:
            self._stopping.set()
            self._wake.set()
            thread = self._thread
            if thread is not None and thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=max(1.0, timeout))
            self._drop_settled_journal()
            self.engine.dispose()
            _open_logs.discard(self)
            _released_tokens.add(self._token)  # other logs in this process may now replay its spills

    def stats(self) -> dict:
        """Health figures: records waiting, rows written, spill files on disk, the last database
        error, why records cannot be kept on disk (None when they can) and records lost."""
        return {
            "pending": self.pending,
            "written": self.written,
            "spill_files": len(self._spill_files()),
            "last_error": self.last_error,
            "persist_error": self.persist_error,
            "lost": self.lost,
        }

    def check_persistence(self) -> str | None:
        """Whether records can be kept on disk now: None, else why not (see `spill_dir_problem`)."""
        return spill_dir_problem(self.spill_dir)

    # --- building records ------------------------------------------------------------------

    def _turn_op(self, turn: Turn, reply: Reply, latency_ms: float) -> dict:
        now = db.utcnow()
        masked = mask_personal_data(_clip(turn.text, QUESTION_MAX))
        citations = [
            [_clip(c.document, 64), int(c.article)] for c in (reply.citations or [])
        ]
        return {
            "op": "turn",
            "channel": _clip(turn.channel, 16),
            "message_id": _message_key(turn.message_id),
            "created_at": now.isoformat(),
            "day": db.local_day(now).isoformat(),
            "user_hash": self.pseudonyms.user(turn.channel, turn.user_id),
            "question": masked,
            "question_key": question_key(masked),
            "intent": _clip(reply.intent, 64),
            "citations": citations,
            "confidence": float(reply.confidence or 0.0),
            "answered": bool(reply.answered),
            "abstain_reason": normalise_reason(
                reply.abstain_reason, answered=bool(reply.answered), handoff=bool(reply.handoff)
            ),
            "handoff": bool(reply.handoff),
            "degraded": bool(reply.degraded),
            "asking_for": _clip(reply.asking_for, 64) or None,
            "latency_ms": float(latency_ms or 0.0),
            "speaker": "citizen",
            "agent": None if reply.agent is None else _clip(reply.agent, 64),
        }

    def record_agent_message(self, channel: str, user_hash: str, text: str, agent: str, message_id: str,
                             citations: list | None = None) -> None:
        """Log an agent's message as a turn of the citizen's conversation (speaker `agent`).
        Returns at once, never raises.

        :param channel: the conversation's channel.
        :param user_hash: the citizen's pseudonym (`pseudonyms.user(channel, user_id)`).
        :param text: what the agent wrote (masked here).
        :param agent: the agent's account.
        :param message_id: unique per message (idempotent writes).
        :param citations: `[document, article]` pairs the agent inserted.
        """
        try:
            now = db.utcnow()
            masked = mask_personal_data(_clip(text, QUESTION_MAX))
            op = {
                "op": "turn", "channel": _clip(channel, 16), "message_id": _message_key(message_id),
                "created_at": now.isoformat(), "day": db.local_day(now).isoformat(), "user_hash": user_hash,
                "question": masked, "question_key": question_key(masked), "intent": "agent_message",
                "citations": [[_clip(d, 64), int(a)] for d, a in (citations or [])], "confidence": 1.0,
                "answered": True, "abstain_reason": None, "handoff": False, "degraded": False,
                "asking_for": None, "latency_ms": 0.0, "speaker": "agent", "agent": _clip(agent, 64),
            }
        except Exception:  # noqa: BLE001
            logger.exception("turn log: agent message malformed; not logged")
            return
        self._enqueue(op)

    def _fallback_turn_op(self, turn: Any) -> dict:
        now = db.utcnow()
        channel = _clip(getattr(turn, "channel", "unknown"), 16) or "unknown"
        text = mask_personal_data(_clip(getattr(turn, "text", ""), QUESTION_MAX))
        text = "".join("#" if ch.isdigit() else ch for ch in text)  # belt and braces: no digits at all
        return {
            "op": "turn",
            "channel": channel,
            "message_id": _message_key(getattr(turn, "message_id", "") or secrets.token_hex(16)),
            "created_at": now.isoformat(),
            "day": db.local_day(now).isoformat(),
            "user_hash": self.pseudonyms.user(channel, str(getattr(turn, "user_id", ""))),
            "question": text,
            "question_key": question_key(text),
            "intent": "",
            "citations": [],
            "confidence": 0.0,
            "answered": False,
            "abstain_reason": normalise_reason(None, answered=False, handoff=False),
            "handoff": False,
            "degraded": True,
            "asking_for": None,
            "latency_ms": 0.0,
        }

    def _call_op(self, call_sid: str, event: str, data: dict) -> dict:
        now = db.utcnow()
        call_sid = str(call_sid or "")
        lowered = {str(k).lower(): v for k, v in data.items()}
        caller = lowered.get("from") or lowered.get("caller") or lowered.get("phone") or ""
        clean: dict[str, Any] = {}
        for key, value in data.items():
            if str(key).lower() in _PHONE_FIELDS:
                clean[str(key)] = self.pseudonyms.phone(str(value))[:16] if value else ""
            elif isinstance(value, (int, float, bool)) or value is None:
                clean[str(key)] = value
            else:
                clean[str(key)] = mask_personal_data(_clip(value, 1000))
        recording_url = lowered.get("recordingurl") or lowered.get("recording_url")
        duration = lowered.get("recordingduration") or lowered.get("duration") or lowered.get("callduration")
        try:
            duration_s = int(float(duration)) if duration not in (None, "") else None
        except (TypeError, ValueError):
            duration_s = None
        status = lowered.get("callstatus") or lowered.get("status") or lowered.get("dialcallstatus")
        payload = json.dumps(clean, ensure_ascii=False, sort_keys=True, default=str)
        # Twilio retries a callback with the same fields: the same event key, one row.
        event_key = hashlib.sha256(f"{call_sid}\x1f{event}\x1f{payload}".encode("utf-8")).hexdigest()
        return {
            "op": "call",
            "event_key": event_key,
            "call_hash": self.pseudonyms.user("ivr", call_sid),
            "event": _clip(event, 16) or "status",
            "created_at": now.isoformat(),
            "caller_hash": self.pseudonyms.phone(str(caller)) if caller else None,
            "caller_tail": phone_tail(str(caller)) or None,
            "status": _clip(status, 32) or None,
            "recording_url": _clip(recording_url, 512) or None,
            "duration_s": duration_s,
            "data": payload,
            "caller_enc": self.numbers.encrypt(str(caller)) if caller else None,
        }

    # --- queueing --------------------------------------------------------------------------

    def _reset_process_state(self) -> None:
        """Fresh queue, locks and writer: at start and in a forked child (threads do not survive fork)."""
        self._pid = os.getpid()
        self._token = secrets.token_hex(4)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._state_lock = threading.Lock()
        self._state_changed = threading.Condition(self._state_lock)
        self._spill_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unwritten = 0  # accepted, neither written nor spilled
        self._spilled_rows = 0  # rows this process put in spill files and has not yet written
        self._flush_requests = 0
        self._replay_seq = 0
        # The journal: records not yet written or spilled, per segment file (see module docstring).
        self._journal_lock = threading.Lock()
        self._journal_handle = None
        self._journal_seq = 0
        self._journal_lines = 0
        self._journal_outstanding: dict[int, int] = {}

    def _enqueue(self, op: dict) -> None:
        try:
            if os.getpid() != self._pid:
                self._reset_process_state()
            if self._closed:  # used again after close(): keep it flushed at exit
                self._closed = False
                _open_logs.add(self)
                _released_tokens.discard(self._token)
            if self._queue.qsize() >= self.queue_limit:
                # The writer is far behind (database down for a long time): keep memory bounded.
                if self._try_spill([op]):
                    return
                self._drop([op])  # neither database nor disk, and the bound is reached
                return
            try:
                self._journal(op)
            except OSError as error:
                self._cannot_persist(error)  # the record still goes to the writer, in memory
            with self._state_lock:
                self._unwritten += 1
            self._queue.put(op)
            self._ensure_writer()
        except Exception:  # noqa: BLE001 - last resort: never raise into a conversation
            logger.exception("turn log: could not queue a record")

    def _ensure_writer(self) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():
            return
        with self._spill_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="turn-log-writer", daemon=True)
            self._thread.start()

    def _drained_locked(self) -> bool:
        return self._unwritten == 0 and self._spilled_rows == 0 and not self._spill_files(claimable_only=True)

    # --- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        memory: list[dict] = []
        backoff = 0.0
        while True:
            memory.extend(self._drain(backoff or self.flush_interval, self.batch_size * 4, early=not backoff))
            if len(memory) > self.memory_limit and self._try_spill(memory, counted=True):
                memory = []
            if len(memory) > self.queue_limit:  # the disk refused them too: keep the newest, bounded
                self._drop(memory[:-self.queue_limit], counted=True)
                memory = memory[-self.queue_limit:]
            ok = True
            if memory:
                ok = self._write_ops(memory)
                if ok:
                    self._settle(memory)
                    with self._state_lock:
                        self._unwritten -= len(memory)
                    memory = []
            if ok:
                ok = self._replay_spills()
            if ok:
                backoff = 0.0
            else:
                # While someone waits in flush(), retry often; otherwise back off up to retry_max.
                ceiling = 0.1 if self._flush_requests else self.retry_max
                backoff = min(max(backoff * 2, 0.05), ceiling)
            with self._state_lock:
                self._state_changed.notify_all()
            if self._stopping.is_set() and self._queue.empty():
                if memory and not self._try_spill(memory, counted=True):  # else the next process writes them
                    self._drop(memory, counted=True)
                return

    def _drain(self, wait: float, limit: int, *, early: bool) -> list[dict]:
        """Take up to `limit` records from the queue, waiting up to `wait` s to gather a batch
        (less when `early` and someone is flushing or closing)."""
        ops: list[dict] = []
        deadline = time.monotonic() + wait
        while len(ops) < limit:
            try:
                ops.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            if self._stopping.is_set() or (early and self._flush_requests):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._wake.wait(min(remaining, 0.05))
            self._wake.clear()
        return ops

    def _write_ops(self, ops: list[dict]) -> bool:
        """Write `ops` in batches (idempotent); False if the database is unavailable (then retry all)."""
        try:
            db.ensure_schema(self.engine)
            for start in range(0, len(ops), self.batch_size):
                self._write_batch_isolating_bad_rows(ops[start:start + self.batch_size])
        except Exception as error:  # noqa: BLE001 - whatever it is, keep the rows and retry
            if isinstance(error, sa_exc.ProgrammingError):
                db.forget_schema(self.engine)  # e.g. the schema was dropped: migrate again
            self._note_error(error)
            return False
        if self.last_error is not None:
            logger.warning("turn log: database available again; buffered rows written")
            self.last_error = None
        return True

    def _write_batch_isolating_bad_rows(self, batch: list[dict]) -> None:
        try:
            with self.engine.begin() as conn:
                self._write_batch(conn, batch)
            self.written += len(batch)
            return
        except Exception as error:  # noqa: BLE001
            if _is_transient(error):
                raise
        # A row the database refuses (not an outage): write the others, keep the bad one on disk.
        for op in batch:
            try:
                with self.engine.begin() as conn:
                    self._write_batch(conn, [op])
                self.written += 1
            except Exception as error:  # noqa: BLE001
                if _is_transient(error):
                    raise
                logger.error("turn log: row refused by the database (%s); kept in rejected.jsonl", error)
                try:
                    self._append_jsonl(self.spill_dir / "rejected.jsonl", [op])
                except OSError as disk_error:
                    self._cannot_persist(disk_error)
                    self._drop([op])

    def _write_batch(self, conn: Connection, ops: Iterable[dict]) -> None:
        turns: dict[tuple[str, str], dict] = {}
        articles: dict[tuple, dict] = {}
        feedback: dict[str, dict] = {}
        calls: dict[str, dict] = {}
        for op in ops:
            kind = op.get("op")
            if kind == "turn":
                key = (op["channel"], op["message_id"])
                if key in turns:
                    continue  # a duplicate delivery: the first one counts
                created = dt.datetime.fromisoformat(op["created_at"])
                day = dt.date.fromisoformat(op["day"])
                turns[key] = {
                    "channel": op["channel"],
                    "message_id": op["message_id"],
                    "created_at": created,
                    "day": day,
                    "user_hash": op["user_hash"],
                    "user_key": db.user_key(op["user_hash"]),
                    "question": op["question"],
                    "question_key": op["question_key"],
                    "intent": op.get("intent", ""),
                    "citations": json.dumps(op.get("citations", []), ensure_ascii=False),
                    "confidence": float(op.get("confidence", 0.0)),
                    "answered": bool(op.get("answered")),
                    "abstain_reason": op.get("abstain_reason"),
                    "handoff": bool(op.get("handoff")),
                    "degraded": bool(op.get("degraded")),
                    "asking_for": op.get("asking_for"),
                    "latency_ms": float(op.get("latency_ms", 0.0)),
                    "feedback": None,
                    "speaker": op.get("speaker") or "citizen",
                    "agent": op.get("agent"),
                }
                for rank, (document, article) in enumerate(op.get("citations", [])):
                    akey = (op["channel"], op["message_id"], document, int(article))
                    articles.setdefault(
                        akey,
                        {
                            "channel": op["channel"],
                            "message_id": op["message_id"],
                            "day": day,
                            "document": document,
                            "article": int(article),
                            "rank": rank,
                        },
                    )
            elif kind == "feedback":
                feedback[op["turn_id"]] = {
                    "turn_id": op["turn_id"],
                    "value": op["value"],
                    "comment": op.get("comment", ""),
                    "created_at": dt.datetime.fromisoformat(op["created_at"]),
                }
            elif kind == "call":
                calls.setdefault(
                    op["event_key"],
                    {
                        "event_key": op["event_key"],
                        "call_hash": op["call_hash"],
                        "event": op["event"],
                        "created_at": dt.datetime.fromisoformat(op["created_at"]),
                        "caller_hash": op.get("caller_hash"),
                        "caller_tail": op.get("caller_tail"),
                        "status": op.get("status"),
                        "recording_url": op.get("recording_url"),
                        "duration_s": op.get("duration_s"),
                        "data": op.get("data", "{}"),
                        "caller_enc": op.get("caller_enc"),
                    },
                )
            else:
                logger.error("turn log: unknown record kind %r dropped", kind)
        if turns:
            db.insert_turns(conn, list(turns.values()))
        if articles:
            db.insert_ignore(
                conn,
                db.TurnArticle.__table__,
                list(articles.values()),
                ["channel", "message_id", "document", "article"],
            )
        if calls:
            db.insert_ignore(conn, db.CallEvent.__table__, list(calls.values()), ["event_key"])
        if feedback:
            db.upsert(conn, db.FeedbackRow.__table__, list(feedback.values()), ["turn_id"],
                    ["value", "comment", "created_at"])
            turns_t = db.TurnRow.__table__
            conn.execute(
                update(turns_t)
                .where(turns_t.c.message_id == bindparam("b_turn_id"))
                .values(feedback=bindparam("b_value")),
                [{"b_turn_id": f["turn_id"], "b_value": f["value"]} for f in feedback.values()],
            )
        if turns:
            # Feedback may have arrived before its turn row (another process, or a replayed spill).
            turns_t, feedback_t = db.TurnRow.__table__, db.FeedbackRow.__table__
            ids = sorted({key[1] for key in turns})
            value = (
                select(feedback_t.c.value)
                .where(feedback_t.c.turn_id == turns_t.c.message_id)
                .scalar_subquery()
            )
            for start in range(0, len(ids), 500):
                conn.execute(
                    update(turns_t)
                    .where(turns_t.c.message_id.in_(ids[start:start + 500]))
                    .where(turns_t.c.feedback.is_(None))
                    .where(value.is_not(None))
                    .values(feedback=value)
                )

    def _note_error(self, error: BaseException) -> None:
        message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        if message != self.last_error:
            logger.warning("turn log: database unavailable, rows kept and retried (%s)", message)
        self.last_error = message

    # --- the journal -----------------------------------------------------------------------

    def _journal(self, op: dict) -> None:
        """Append `op` to the current journal segment before it is queued (no fsync: a killed
        process's writes are already in the kernel)."""
        with self._journal_lock:
            if self._journal_handle is None or self._journal_lines >= JOURNAL_SEGMENT_RECORDS:
                self._rotate_journal_locked()
            self._journal_handle.write(json.dumps(op, ensure_ascii=False) + "\n")
            self._journal_handle.flush()
            self._journal_lines += 1
            self._journal_outstanding[self._journal_seq] += 1
            op["_journal"] = self._journal_seq
        if self.persist_error is not None:
            self._persisting_again()

    def _journal_path(self, seq: int) -> Path:
        return self.spill_dir / f"journal-{self._pid}-{self._token}-{seq}.jsonl"

    def _rotate_journal_locked(self) -> None:
        if self._journal_handle is not None:
            self._journal_handle.close()
            self._journal_handle = None
            if self._journal_outstanding.get(self._journal_seq) == 0:
                self._unlink_journal(self._journal_seq)
                del self._journal_outstanding[self._journal_seq]
        self._journal_seq += 1
        self.spill_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._journal_handle = open(self._journal_path(self._journal_seq), "a", encoding="utf-8")
        self._journal_lines = 0
        self._journal_outstanding[self._journal_seq] = 0

    def _settle(self, ops: list[dict]) -> None:
        """`ops` are written or spilled: drop journal segments that hold nothing else."""
        with self._journal_lock:
            for op in ops:
                seq = op.pop("_journal", None)
                if seq is not None and seq in self._journal_outstanding:
                    self._journal_outstanding[seq] -= 1
            for seq, left in list(self._journal_outstanding.items()):
                if left:
                    continue
                if seq == self._journal_seq:
                    if self._journal_handle is None:
                        continue
                    self._journal_handle.close()
                    self._journal_handle = None
                self._unlink_journal(seq)
                del self._journal_outstanding[seq]

    def _unlink_journal(self, seq: int) -> None:
        try:
            self._journal_path(seq).unlink(missing_ok=True)
        except OSError as error:  # e.g. the folder became immutable: a later replay is idempotent
            self._cannot_persist(error)

    def _drop_settled_journal(self) -> None:
        self._settle([])

    # --- spill files -----------------------------------------------------------------------

    def _spill_path(self) -> Path:
        return self.spill_dir / f"spill-{self._pid}-{self._token}.jsonl"

    def _try_spill(self, ops: list[dict], *, counted: bool = False) -> bool:
        """`_spill`, or False (and an ERROR in the log) when the spill folder cannot be written."""
        try:
            self._spill(ops, counted=counted)
        except OSError as error:
            self._cannot_persist(error)
            return False
        if self.persist_error is not None:
            self._persisting_again()
        return True

    def _cannot_persist(self, error: OSError) -> None:
        message = f"{type(error).__name__}: {error}"
        now = time.monotonic()
        if message != self.persist_error or now - self._persist_logged >= PERSIST_ERROR_REPEAT_SECONDS:
            self._persist_logged = now
            logger.error(
                "turn log: CANNOT PERSIST records to %s (%s): they are kept in memory only (at most %d "
                "waiting, %d unwritten so far) until the database takes them; a crash now loses them",
                self.spill_dir, message, self.queue_limit, self.pending,
            )
        self.persist_error = message

    def _persisting_again(self) -> None:
        logger.warning("turn log: %s can be written again", self.spill_dir)
        self.persist_error = None
        self._persist_logged = float("-inf")

    def _drop(self, ops: list[dict], *, counted: bool = False) -> None:
        """Give up on `ops` (the memory bound is reached with neither database nor disk): count and say it."""
        self._settle(ops)
        with self._state_lock:
            if counted:
                self._unwritten -= len(ops)
            self._state_changed.notify_all()
        self.lost += len(ops)
        now = time.monotonic()
        if now - self._lost_logged >= PERSIST_ERROR_REPEAT_SECONDS:  # loud, but not once per record
            self._lost_logged = now
            logger.error(
                "turn log: records LOST (%d so far): the database is unavailable (%s), %s cannot be "
                "written (%s) and the memory bound (%d waiting) is reached",
                self.lost, self.last_error, self.spill_dir, self.persist_error, self.queue_limit,
            )

    def _spill(self, ops: list[dict], *, counted: bool = False) -> None:
        """Move `ops` from memory to this process's spill file (masked data only, one JSON per line)."""
        with self._spill_lock:
            self._append_jsonl(self._spill_path(), ops)
        self._settle(ops)
        with self._state_lock:
            if counted:
                self._unwritten -= len(ops)
            self._spilled_rows += len(ops)
            self._state_changed.notify_all()

    @staticmethod
    def _append_jsonl(path: Path, ops: list[dict]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(path, "a", encoding="utf-8") as handle:
            for op in ops:
                handle.write(json.dumps({k: v for k, v in op.items() if k != "_journal"}, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _spill_files(self, claimable_only: bool = False) -> list[Path]:
        try:
            files = sorted(
                p
                for p in self.spill_dir.glob("*.jsonl")
                if p.name.startswith(("spill-", "replay-", "journal-"))
            )
        except OSError:
            return []
        if claimable_only:
            files = [p for p in files if self._claimable(p)]
        return files

    def _claimable(self, path: Path) -> bool:
        """Own files, and files left by processes that are gone (crashed or stopped with the DB down)."""
        parts = path.stem.split("-")
        try:
            pid, token = int(parts[1]), parts[2]
        except (IndexError, ValueError):
            return False
        if pid == self._pid:
            if token == self._token:  # this log's live journal is settled by its own writer
                return not path.name.startswith("journal-")
            return token in _released_tokens
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def _replay_spills(self) -> bool:
        """Write claimable spill files; returns False if the database became unavailable."""
        mine = f"replay-{self._pid}-{self._token}-"
        for path in self._spill_files(claimable_only=True):
            if not path.name.startswith(mine):
                # Claim by renaming: new spills go to a fresh file, and of two processes
                # reaching for a dead one's file only the first rename succeeds.
                self._replay_seq += 1
                target = self.spill_dir / f"{mine}{self._replay_seq}.jsonl"
                try:
                    with self._spill_lock:
                        os.replace(path, target)
                except OSError:
                    continue
                path = target
            for chunk in self._read_jsonl(path, self.memory_limit):
                if not self._write_ops(chunk):
                    return False  # the file stays; rewriting its first rows later is harmless
            path.unlink(missing_ok=True)
            logger.info("turn log: buffered rows written from %s", path.name)
        with self._spill_lock:
            if not self._spill_files(claimable_only=True):
                with self._state_lock:
                    self._spilled_rows = 0
        return True

    @staticmethod
    def _read_jsonl(path: Path, chunk: int) -> Iterable[list[dict]]:
        """The records of a spill file in chunks of `chunk`, so memory stays bounded."""
        ops: list[dict] = []
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    ops.append(json.loads(line))
                except json.JSONDecodeError:
                    # Only a line cut by a crash mid-write can be torn; the rest are intact.
                    logger.error("turn log: unreadable line %d in %s skipped", number, path.name)
                if len(ops) >= chunk:
                    yield ops
                    ops = []
        if ops:
            yield ops


# Spill-file tokens of logs closed in this process: their leftovers belong to whoever opens next.
_released_tokens: set[str] = set()

# Logs still open at interpreter exit are flushed (atexit runs while the writer threads live).
_open_logs: "weakref.WeakSet[TurnLog]" = weakref.WeakSet()


@atexit.register
def _close_open_logs() -> None:
    for log in list(_open_logs):
        try:
            log.close(timeout=3.0)
        except Exception:  # noqa: BLE001
            logger.exception("turn log: close at exit failed")
