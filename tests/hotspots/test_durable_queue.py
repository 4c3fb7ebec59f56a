"""The durable queue on its own, in front of a fake store: spill while the store is down, replay, the
journal of a killed process, rejected records, bounded memory, close and fork.
Run: .venv/bin/python -m pytest -q tests/hotspots/test_durable_queue.py"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from bot.hotspots.durable_queue import DurableQueue, spill_dir_problem


class FakeStore:
    """A store that can be switched off, refuses records marked `bad`, and appends to a JSON-lines
    file (so a forked or killed process's writes are seen too)."""

    def __init__(self, path):
        self.path = path
        self.available = True

    def __call__(self, batch: list[dict]) -> list[dict]:
        if not self.available:
            raise ConnectionError("store down\nsecond line")
        with open(self.path, "a", encoding="utf-8") as handle:
            for record in batch:
                if not record.get("bad"):
                    handle.write(json.dumps({"id": record["id"]}) + "\n")
        return [r for r in batch if r.get("bad")]

    def ids(self) -> list:
        if not self.path.exists():
            return []
        return [json.loads(line)["id"] for line in self.path.read_text().splitlines()]


@pytest.fixture
def store(tmp_path):
    return FakeStore(tmp_path / "store.jsonl")


@pytest.fixture
def make_queue(tmp_path):
    queues: list[DurableQueue] = []

    def build(write, **options) -> DurableQueue:
        options.setdefault("flush_interval", 0.02)
        options.setdefault("retry_max", 0.1)
        queue = DurableQueue(write, spill_dir=tmp_path / "spill", **options)
        queues.append(queue)
        return queue

    yield build
    for queue in queues:
        queue.close(timeout=1)


def files(tmp_path, prefix: str = "") -> list[str]:
    return sorted(p.name for p in (tmp_path / "spill").glob(f"{prefix}*.jsonl"))


def test_records_are_written_in_batches_and_the_journal_is_settled(tmp_path, store, make_queue):
    batches = []

    def write(batch):
        batches.append(len(batch))
        return store(batch)

    queue = make_queue(write, batch_size=3)
    for i in range(10):
        queue.put({"id": i})
    assert queue.flush(10)
    assert sorted(store.ids()) == list(range(10)) and max(batches) <= 3
    assert queue.pending == 0 and files(tmp_path) == []


def test_while_the_store_is_down_records_spill_to_disk_and_are_written_when_it_returns(tmp_path, store, make_queue):
    store.available = False
    queue = make_queue(store, memory_limit=5)
    for i in range(30):
        queue.put({"id": i, "text": "已脱敏"})
    assert queue.flush(0.5) is False
    assert queue.pending == 30 and queue.last_error == "ConnectionError: store down"
    assert files(tmp_path, "spill-") + files(tmp_path, "replay-"), "beyond memory_limit the records wait on disk"
    store.available = True
    assert queue.flush(10)
    assert sorted(store.ids()) == list(range(30))
    assert queue.last_error is None and queue.pending == 0 and files(tmp_path) == []


def test_refused_records_are_kept_aside_and_the_others_written(tmp_path, store, make_queue):
    queue = make_queue(store)
    for i in range(5):
        queue.put({"id": i, "bad": i == 2})
    assert queue.flush(10)
    assert sorted(store.ids()) == [0, 1, 3, 4]
    rejected = [json.loads(line) for line in (tmp_path / "spill" / "rejected.jsonl").read_text().splitlines()]
    assert rejected == [{"id": 2, "bad": True}]


def test_a_closed_queue_s_spill_is_replayed_by_the_next_one(tmp_path, store, make_queue):
    store.available = False
    first = make_queue(store)
    for i in range(7):
        first.put({"id": i})
    first.close(timeout=0.3)
    assert files(tmp_path, "spill-") and not files(tmp_path, "journal-")
    store.available = True
    second = make_queue(store)
    assert second.flush(10)
    assert sorted(store.ids()) == list(range(7)) and files(tmp_path) == []


def test_the_journal_of_a_killed_process_is_replayed(tmp_path, store, make_queue):
    child = textwrap.dedent(
        """
        import os, signal, sys
        from bot.hotspots.durable_queue import DurableQueue

        def down(batch):
            raise ConnectionError("down")

        queue = DurableQueue(down, spill_dir=sys.argv[1], flush_interval=0.01)
        for i in range(25):
            queue.put({"id": i})
        print("queued", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no atexit, no spill: only the journal survives
        """
    )
    result = subprocess.run([sys.executable, "-c", child, str(tmp_path / "spill")], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert result.returncode == -signal.SIGKILL and "queued" in result.stdout, result.stderr
    assert files(tmp_path, "journal-")
    survivor = make_queue(store)
    assert survivor.flush(10)
    assert sorted(store.ids()) == list(range(25)) and files(tmp_path) == []


def test_a_torn_last_line_is_skipped(tmp_path, store, make_queue, caplog):
    spill = tmp_path / "spill"
    spill.mkdir()
    (spill / "spill-999999999-dead-1.jsonl").write_text('{"id": 1}\n{"id": 2}\n{"id": 3, "te')
    queue = make_queue(store)
    assert queue.flush(10)
    assert store.ids() == [1, 2] and "unreadable line 3" in caplog.text


def test_close_writes_what_is_queued(store, make_queue):
    queue = make_queue(store, flush_interval=5)  # the writer would wait long for a batch
    for i in range(4):
        queue.put({"id": i})
    queue.close()
    assert sorted(store.ids()) == list(range(4))
    queue.put({"id": 4})  # used again after close: reopened, and flushed
    assert queue.flush(10) and 4 in store.ids()


def test_records_are_written_although_the_spill_folder_cannot_be(tmp_path, store, make_queue, caplog):
    (tmp_path / "spill").write_text("a file, not a folder")
    queue = make_queue(store)
    for i in range(3):
        queue.put({"id": i})
    assert queue.flush(10)
    assert sorted(store.ids()) == [0, 1, 2]
    assert queue.persist_error.startswith(("NotADirectoryError", "FileExistsError")) and queue.lost == 0
    assert "CANNOT PERSIST" in caplog.text
    assert spill_dir_problem(tmp_path / "spill") is not None and spill_dir_problem(tmp_path / "ok") is None


def test_with_neither_store_nor_disk_memory_is_bounded_and_losses_counted(tmp_path, store, make_queue, caplog):
    (tmp_path / "spill").write_text("a file, not a folder")
    store.available = False
    queue = make_queue(store, memory_limit=2, queue_limit=10, batch_size=2)
    for i in range(100):
        queue.put({"id": i})
    queue.flush(0.5)
    assert 0 < queue.pending <= 20 and queue.lost == 100 - queue.pending
    assert "LOST" in caplog.text
    store.available = True
    assert queue.flush(10)
    assert len(store.ids()) == 100 - queue.lost


def test_put_never_raises(tmp_path, make_queue):
    def broken(batch):
        raise RuntimeError("a bug in the store")

    queue = make_queue(broken)
    queue.put({"id": 1, "unserialisable": object()})  # the journal cannot encode it: logged, not raised
    queue.put({"id": 2})
    assert queue.flush(0.3) is False and queue.last_error == "RuntimeError: a bug in the store"


@pytest.mark.parametrize("option", ["batch_size", "memory_limit", "queue_limit"])
def test_limits_must_be_positive(tmp_path, store, option):
    with pytest.raises(ValueError, match="must be positive"):
        DurableQueue(store, spill_dir=tmp_path, **{option: 0})


def test_a_forked_child_gets_its_own_writer(tmp_path, store, make_queue):
    queue = make_queue(store)
    queue.put({"id": "parent"})
    assert queue.flush(10)
    pid = os.fork()
    if pid == 0:  # the child: the parent's writer thread does not exist here
        try:
            queue.put({"id": "child"})
            os._exit(0 if queue.flush(10) else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sorted(store.ids()) == ["child", "parent"]
