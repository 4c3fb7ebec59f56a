"""Child processes, each a process group that dies with the process that started it, even when
that one is SIGKILLed, and that is stopped whole.

`Child` is the one supervised process of the app: `hotline serve` runs gunicorn as one, and
`bot.runtime.rasa_process.RasaStack` the Rasa NLU server. A child runs in its own session, so its pid is
its process-group id and one `killpg` reaches it and everything it forked (gunicorn workers, a
server's worker processes). `PR_SET_PDEATHSIG` alone does not make such a group die with its
starter: it reaches only the direct child, and only if that child passes it on. So the starter
also keeps one small guard process (this module run as `python -m bot.runtime.procgroup`): the starter
tells it, over a pipe, which groups it owns; when the pipe closes without the groups having been
released (the starter died, however), the guard SIGTERMs each group, waits `GRACE_SECONDS`, and
SIGKILLs what is left.

Usage::

    child = Child("app", argv).start()   # own session, watched by the guard
    ...
    child.stop(grace=20)                  # SIGTERM, wait, SIGKILL; the whole group, even if the leader died

Linux only (`/proc`); elsewhere the guard is not started and `stop` still works.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.config import REPO_ROOT

GRACE_SECONDS = 5.0
POLL_SECONDS = 0.05


# --- in the starter ----------------------------------------------------------------------------

def group_alive(pgid: int) -> bool:
    """Whether any process other than a zombie is still in process group `pgid`."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp …
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def stop_group(pgid: int, grace: float = GRACE_SECONDS, on_kill=None) -> None:
    """Stop process group `pgid`: SIGTERM, wait up to `grace` seconds, then SIGKILL what is left.

    Works when the group's leader is already gone (killed with SIGKILL, crashed): its workers are
    still in the group, would keep its port, and are stopped too.

    :param on_kill: called with no arguments before the SIGKILL, if one is needed.
    """
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + max(0.0, grace)
    while group_alive(pgid):
        if time.monotonic() >= deadline:
            if on_kill is not None:
                on_kill()
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + max(1.0, grace)  # SIGKILL cannot be refused: a bounded wait
            while group_alive(pgid) and time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
            return
        time.sleep(POLL_SECONDS)


class GroupGuard:
    """The starter's side of the guard process: `watch(pgid)` and `forget(pgid)`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._owner = 0
        self._groups: set[int] = set()

    def _ensure_locked(self) -> subprocess.Popen | None:
        if not sys.platform.startswith("linux"):
            return None
        if self._process is not None and self._owner == os.getpid() and self._process.poll() is None:
            return self._process
        if self._owner != os.getpid():
            self._groups = set()  # a forked copy of the starter owns nothing yet
        self._owner = os.getpid()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot.runtime.procgroup", str(os.getpid())],
            stdin=subprocess.PIPE,
            cwd=REPO_ROOT,
            start_new_session=True,  # a terminal's Ctrl-C must not take the guard down first
            close_fds=True,
            text=True,
        )
        for pgid in self._groups:  # a replaced guard learns what the old one watched
            self._send_locked(f"+{pgid}")
        return self._process

    def _send_locked(self, line: str) -> None:
        try:
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def watch(self, pgid: int) -> None:
        """Kill group `pgid` if this process dies before `forget(pgid)`."""
        with self._lock:
            self._groups.add(pgid)
            if self._ensure_locked() is not None:
                self._send_locked(f"+{pgid}")

    def forget(self, pgid: int) -> None:
        """Group `pgid` is stopped (or handed over): the guard leaves it alone."""
        with self._lock:
            self._groups.discard(pgid)
            if self._process is not None and self._owner == os.getpid() and self._process.poll() is None:
                self._send_locked(f"-{pgid}")


_guard = GroupGuard()  # this process's guard (started on first `watch`)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM when its starter dies (the guard stops the rest of its group)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Child:
    """One supervised process in its own session, whose group dies with this process and is stopped
    whole, also when its leader was killed and left workers behind (they would keep its port).

    :param name: what status lines call it.
    :param argv: its command line (never a secret in it: `ps` shows command lines to every user).
    :param env: its whole environment (default: this process's).
    :param log_path: where its output is appended (default: this process's stdout and stderr).
    """

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None, log_path: Path | None = None):
        self.name, self.argv, self.env, self.log_path = name, list(argv), env, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> "Child":
        """Start it (a new session: a terminal's Ctrl-C reaches only the starter) and watch its group."""
        with contextlib.ExitStack() as stack:
            out = None
            if self.log_path is not None:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                out = stack.enter_context(open(self.log_path, "ab"))
            self.process = subprocess.Popen(
                self.argv, cwd=REPO_ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT if out else None, start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        _guard.watch(self.process.pid)
        return self

    @property
    def pid(self) -> int | None:
        """Its pid, which is also its process-group id; None before `start`."""
        return self.process.pid if self.process is not None else None

    def poll(self) -> int | None:
        """Its exit code once it exited, else None."""
        return self.process.poll() if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = GRACE_SECONDS, on_kill=None) -> None:
        """SIGTERM its whole group, SIGKILL what is left after `grace` seconds (see `stop_group`)."""
        if self.process is None:
            return
        stop_group(self.process.pid, grace, on_kill)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        _guard.forget(self.process.pid)


def program_name(argv: list[str]) -> str:
    """The program of a command line without its options, which may hold a secret:
    `python3 -m bot.runtime.procgroup`, `python rasa_nlu_server.py`, `gunicorn`."""
    name = os.path.basename(argv[0]) if argv and argv[0] else "?"
    if len(argv) > 2 and argv[1] == "-m":
        return f"{name} -m {argv[2]}"
    if len(argv) > 1 and argv[1].endswith(".py"):
        return f"{name} {os.path.basename(argv[1])}"
    return name


# --- the guard process ---------------------------------------------------------------------------

def _guard_main(owner: int) -> None:  # pragma: no cover - runs as its own process (tests kill it for real)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    groups: set[int] = set()
    for line in sys.stdin:
        line = line.strip()
        try:
            pgid = int(line[1:])
        except ValueError:
            continue
        if line.startswith("+"):
            groups.add(pgid)
        elif line.startswith("-"):
            groups.discard(pgid)
    # The pipe closed: the starter exited or was killed. Whatever it still owned goes with it.
    for pgid in groups:
        if group_alive(pgid):
            sys.stderr.write(f"[procgroup] process {owner} is gone; stopping its process group {pgid}\n")
    threads = [threading.Thread(target=stop_group, args=(pgid,)) for pgid in groups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":  # pragma: no cover
    _guard_main(int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid())
