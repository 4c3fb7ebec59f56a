"""A durable queue in front of a store that may be unavailable: `put()` never blocks and never raises.

Records (JSON-ready dicts) go on an in-process queue. A background writer thread takes them in
batches and hands each batch to `write`, a callable that stores it, returns the records the store
refused (kept aside in `rejected.jsonl`) and raises while the store is unavailable. Then the records
are kept, first in memory (bounded) and then in JSON-lines spill files, and retried until written.
`write` must be idempotent: a retried batch or a replayed file is written again.

Every record is also appended to this process's journal (`journal-<pid>-*.jsonl`, one write to the
kernel, no fsync) before `put()` returns, and dropped from it once written or spilled. A process
killed with records still queued (SIGKILL, the OOM killer) leaves its journal behind; the next
process replays it like a spill file. So every record accepted is stored.

When the spill folder cannot be written (full disk, immutable or missing folder), records are still
queued and written as usual; while the store is unavailable too they wait in memory, at most
`queue_limit` records in the queue and as many in the writer. The log says so at ERROR level (again
every minute while it lasts) and in `persist_error`. Only beyond that bound, or at exit with both
unavailable, are records dropped: counted in `lost` and logged at ERROR level.

Usage::

    queue = DurableQueue(write, spill_dir="var/turnlog")
    queue.put({"op": "turn", ...})
    queue.flush(timeout=5)     # tests and shutdown; `close()` also runs at exit
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import secrets
import threading
import time
import weakref
from pathlib import Path
from typing import Callable, Iterable

logger = logging.getLogger(__name__)

JOURNAL_SEGMENT_RECORDS = 1000  # a journal file is rotated after this many records
PERSIST_ERROR_REPEAT_SECONDS = 60.0  # "cannot persist" is logged again this often while it lasts

Write = Callable[[list[dict]], list[dict]]


def spill_dir_problem(spill_dir: str | Path) -> str | None:
    """Try to create and remove a file in a spill folder (`hotline doctor` asks too).

    :returns: None when records can be kept on disk, else why not (e.g. "NotADirectoryError: …").
    """
    spill_dir = Path(spill_dir)
    probe = spill_dir / f".probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        spill_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe.write_text("{}\n", encoding="utf-8")
        probe.unlink()
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    return None


class DurableQueue:
    """Records to a store, never blocking or failing the caller; see the module docstring.

    :param write: stores one batch; returns the records refused, raises while the store is unavailable.
    :param spill_dir: where records wait on disk (spill files, journals, rejected.jsonl).
    :param batch_size: most records handed to `write` at once.
    :param flush_interval: seconds the writer waits to gather a batch.
    :param memory_limit: records kept in memory by the writer before further ones are spilled to disk.
    :param queue_limit: records waiting for the writer before callers spill directly to disk; also
        the most records kept in memory (queue, and again writer) while neither the store nor the
        spill folder takes them.
    :param retry_max: the longest pause, in seconds, between two attempts on an unavailable store.
    :raises ValueError: a limit is not positive.
    """

    def __init__(self, write: Write, *, spill_dir: str | Path, batch_size: int = 500, flush_interval: float = 0.2,
                 memory_limit: int = 5000, queue_limit: int = 50_000, retry_max: float = 5.0):
        if batch_size < 1 or memory_limit < 1 or queue_limit < 1:
            raise ValueError(
                f"batch_size, memory_limit and queue_limit must be positive, got "
                f"{batch_size}, {memory_limit}, {queue_limit}"
            )
        self.write = write
        self.spill_dir = Path(spill_dir)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.memory_limit = memory_limit
        self.queue_limit = queue_limit
        self.retry_max = retry_max
        self.last_error: str | None = None  # why the store refused the last attempt, while it does
        self.persist_error: str | None = None  # why the spill folder cannot be written, while it cannot
        self.lost = 0  # records dropped: neither store nor disk, and the memory bound reached
        self._persist_logged = self._lost_logged = float("-inf")
        self._closed = False
        self._reset_process_state()
        _open_queues.add(self)

    # --- the caller's side: cheap, never raises ---------------------------------------------

    def put(self, record: dict) -> None:
        """Accept one record; the writer thread stores it."""
        try:
            if os.getpid() != self._pid:
                self._reset_process_state()
            if self._closed:  # used again after close(): keep it flushed at exit
                self._closed = False
                _open_queues.add(self)
                _released_tokens.discard(self._token)
            if self._queue.qsize() >= self.queue_limit:
                # The writer is far behind (store down for a long time): keep memory bounded.
                if not self._try_spill([record]):
                    self._drop([record])  # neither store nor disk, and the bound is reached
                return
            try:
                self._journal(record)
            except OSError as error:
                self._cannot_persist(error)  # the record still goes to the writer, in memory
            with self._state_lock:
                self._unwritten += 1
            self._queue.put(record)
            self._ensure_writer()
        except Exception:  # noqa: BLE001 - last resort: never raise into the caller
            logger.exception("turn log: could not queue a record")

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Records accepted by this process and not yet written (in the queue, in memory, or spilled)."""
        with self._state_lock:
            return self._unwritten + self._spilled_rows

    def flush(self, timeout: float = 5.0) -> bool:
        """Write everything accepted so far, including spill files, waiting at most `timeout` seconds.

        :returns: True when nothing is left to write; False if the store stayed unavailable.
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
        """Flush and stop the writer. Records that could not be written stay in spill files and are
        written by the next process that opens a queue on the same folder."""
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
            self._settle([])  # drop journal segments with nothing outstanding
            _open_queues.discard(self)
            _released_tokens.add(self._token)  # other queues in this process may now replay its spills

    def spill_files(self, claimable_only: bool = False) -> list[Path]:
        """Spill, replay and journal files in the spill folder (only those this process may write)."""
        try:
            files = sorted(p for p in self.spill_dir.glob("*.jsonl") if p.name.startswith(("spill-", "replay-", "journal-")))
        except OSError:
            return []
        return [p for p in files if self._claimable(p)] if claimable_only else files

    # --- per-process state ----------------------------------------------------------------

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
        self._spilled_rows = 0  # records this process put in spill files and has not yet written
        self._flush_requests = 0
        self._replay_seq = 0
        # The journal: records not yet written or spilled, per segment file (see module docstring).
        self._journal_lock = threading.Lock()
        self._journal_handle = None
        self._journal_seq = 0
        self._journal_lines = 0
        self._journal_outstanding: dict[int, int] = {}

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
        return self._unwritten == 0 and self._spilled_rows == 0 and not self.spill_files(claimable_only=True)

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
            ok = not memory or self._write(memory)
            if memory and ok:
                self._settle(memory)
                with self._state_lock:
                    self._unwritten -= len(memory)
                memory = []
            if ok and self._replay_spills():
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
        records: list[dict] = []
        deadline = time.monotonic() + wait
        while len(records) < limit:
            try:
                records.append(self._queue.get_nowait())
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
        return records

    def _write(self, records: list[dict]) -> bool:
        """Hand `records` to the store in batches; False (keep them all, retry) while it is unavailable."""
        try:
            for start in range(0, len(records), self.batch_size):
                if refused := self.write(records[start:start + self.batch_size]):
                    self._reject(refused)
        except Exception as error:  # noqa: BLE001 - whatever it is, keep the records and retry
            message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            if message != self.last_error:
                logger.warning("turn log: database unavailable, rows kept and retried (%s)", message)
            self.last_error = message
            return False
        if self.last_error is not None:
            logger.warning("turn log: database available again; buffered rows written")
            self.last_error = None
        return True

    def _reject(self, records: list[dict]) -> None:
        """Records the store refused (not an outage) wait in rejected.jsonl for a person to look at."""
        try:
            self._append_jsonl(self.spill_dir / "rejected.jsonl", records)
        except OSError as error:
            self._cannot_persist(error)
            self._drop(records)

    # --- the journal -----------------------------------------------------------------------

    def _journal(self, record: dict) -> None:
        """Append `record` to the current journal segment before it is queued (no fsync: a killed
        process's writes are already in the kernel)."""
        with self._journal_lock:
            if self._journal_handle is None or self._journal_lines >= JOURNAL_SEGMENT_RECORDS:
                self._rotate_journal_locked()
            self._journal_handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._journal_handle.flush()
            self._journal_lines += 1
            self._journal_outstanding[self._journal_seq] += 1
            record["_journal"] = self._journal_seq
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

    def _settle(self, records: list[dict]) -> None:
        """`records` are written, spilled or dropped: remove journal segments that hold nothing else."""
        with self._journal_lock:
            for record in records:
                seq = record.pop("_journal", None)
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

    # --- spill files -----------------------------------------------------------------------

    def _try_spill(self, records: list[dict], *, counted: bool = False) -> bool:
        """Move `records` from memory to this process's spill file (fsynced); False (and an ERROR in
        the log) when the spill folder cannot be written.

        :param counted: the records were accepted by `put()` (they leave the unwritten count).
        """
        try:
            with self._spill_lock:
                self._append_jsonl(self.spill_dir / f"spill-{self._pid}-{self._token}.jsonl", records)
        except OSError as error:
            self._cannot_persist(error)
            return False
        self._settle(records)
        with self._state_lock:
            if counted:
                self._unwritten -= len(records)
            self._spilled_rows += len(records)
            self._state_changed.notify_all()
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

    def _drop(self, records: list[dict], *, counted: bool = False) -> None:
        """Give up on `records` (the memory bound is reached with neither store nor disk): count and say it."""
        self._settle(records)
        with self._state_lock:
            if counted:
                self._unwritten -= len(records)
            self._state_changed.notify_all()
        self.lost += len(records)
        now = time.monotonic()
        if now - self._lost_logged >= PERSIST_ERROR_REPEAT_SECONDS:  # loud, but not once per record
            self._lost_logged = now
            logger.error(
                "turn log: records LOST (%d so far): the database is unavailable (%s), %s cannot be "
                "written (%s) and the memory bound (%d waiting) is reached",
                self.lost, self.last_error, self.spill_dir, self.persist_error, self.queue_limit,
            )

    @staticmethod
    def _append_jsonl(path: Path, records: list[dict]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(path, "a", encoding="utf-8") as handle:
            for record in records:
                line = {k: v for k, v in record.items() if k != "_journal"}
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _claimable(self, path: Path) -> bool:
        """Own files, and files left by processes that are gone (crashed or stopped with the store down)."""
        parts = path.stem.split("-")
        try:
            pid, token = int(parts[1]), parts[2]
        except (IndexError, ValueError):
            return False
        if pid == self._pid:
            if token == self._token:  # this queue's live journal is settled by its own writer
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
        """Write claimable spill files; returns False if the store became unavailable."""
        mine = f"replay-{self._pid}-{self._token}-"
        for path in self.spill_files(claimable_only=True):
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
            for chunk in _read_jsonl(path, self.memory_limit):
                if not self._write(chunk):
                    return False  # the file stays; rewriting its first records later is harmless
            path.unlink(missing_ok=True)
            logger.info("turn log: buffered rows written from %s", path.name)
        with self._spill_lock:
            if not self.spill_files(claimable_only=True):
                with self._state_lock:
                    self._spilled_rows = 0
        return True


def _read_jsonl(path: Path, chunk: int) -> Iterable[list[dict]]:
    """The records of a spill file in chunks of `chunk`, so memory stays bounded."""
    records: list[dict] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                # Only a line cut by a crash mid-write can be torn; the rest are intact.
                logger.error("turn log: unreadable line %d in %s skipped", number, path.name)
            if len(records) >= chunk:
                yield records
                records = []
    if records:
        yield records


# Spill-file tokens of queues closed in this process: their leftovers belong to whoever opens next.
_released_tokens: set[str] = set()

# Queues still open at interpreter exit are flushed (atexit runs while the writer threads live).
_open_queues: "weakref.WeakSet[DurableQueue]" = weakref.WeakSet()


@atexit.register
def _close_open_queues() -> None:
    for open_queue in list(_open_queues):
        try:
            open_queue.close(timeout=3.0)
        except Exception:  # noqa: BLE001
            logger.exception("turn log: close at exit failed")
