"""A running hotline system on loopback, as an operator runs it: `hotline serve` (gunicorn with
several workers, and by default the Rasa NLU server), started and stopped from Python.

Used by the load and memory benchmarks and by the fault and scale-out tests::

    with HotlineSystem(SystemConfig(var_dir=tmp, workers=2, redis_url="redis://127.0.0.1:6379/0")) as system:
        requests.post(system.url + "/api/chat", json={"user_id": "u1", "text": "失业金涨了吗"})
        system.app_workers()          # gunicorn worker pids
        system.kill_rasa()            # SIGKILL the Rasa server; `hotline serve` restarts it
    # stopped with SIGTERM: the workers flush the turn log on the way out

Everything binds 127.0.0.1 on free ports. Runtime state (SQLite files, logs, spill files) lives in
`config.var_dir`. The Rasa model is the one trained for the current training data under the
repository's var/rasa/models (trained there first if missing), linked into the system's var dir
so `hotline serve` never trains on its own.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.config import REPO_ROOT

HOTLINE = Path(sys.executable).parent / "hotline"
REPO_MODELS = REPO_ROOT / "var" / "rasa" / "models"
START_TIMEOUT = 600.0


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes, from /proc -------------------------------------------------------------------

def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # the field after the (comm)


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def descendants(root: int) -> list[int]:
    """Every live process below `root` (children, their children, …)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = parent_of(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def role_of(pid: int) -> str:
    """A short name for a process of the system (for reports); helpers (Sanic's worker processes,
    multiprocessing's resource tracker) are named after the server that started them."""
    command = command_of(pid)
    if "rasa_nlu_server" in command or "rasa run" in command:
        return "rasa"
    if "gunicorn" in command:
        return "gunicorn-worker" if "gunicorn" in command_of(parent_of(pid) or 0) else "gunicorn-master"
    if "hotline serve" in command or command.endswith(" serve") or " serve " in command:
        return "serve"
    parent = parent_of(pid)
    if parent and parent > 1:
        owner = role_of(parent)
        if owner not in ("serve", "?"):
            return owner.split(" ")[0] + " (helper)"
    return "?"


# --- the system ------------------------------------------------------------------------------

def build_index(var_dir: Path) -> Path:
    """Build the retrieval index once under `var_dir` (idempotent), for `SystemConfig.index_from`.

    :returns: the index folder.
    """
    from bot.config import Settings
    from bot.runtime.services import Services

    services = Services(Settings.from_env({}, var_dir=Path(var_dir)))
    services.warm_up()
    services.close()
    return Path(var_dir) / "index"


@dataclass
class SystemConfig:
    """How to run one `hotline serve`.

    :param var_dir: its runtime state (HOTLINE_VAR_DIR).
    :param port: the app's port (0: a free one).
    :param workers: gunicorn worker processes (more than one needs `redis_url`).
    :param threads: threads per worker.
    :param redis_url: HOTLINE_REDIS_URL (shared state: dialogue state, dedupe, rate limits, calls).
    :param database_url: HOTLINE_DATABASE_URL (the turn log); empty: SQLite under var_dir.
    :param rasa: "own" (serve starts the Rasa NLU server), "none" (no Rasa: degraded mode) or the
        URL of a running Rasa server.
    :param secret_key: HOTLINE_SECRET_KEY; processes that share conversations must share it.
    :param index_from: a retrieval index folder to copy in first (the workers then load it instead
        of building it; a stale copy is rebuilt as usual).
    :param env: more environment variables.
    """

    var_dir: Path
    port: int = 0
    workers: int = 2
    threads: int = 16
    redis_url: str = ""
    database_url: str = ""
    rasa: str = "own"
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    wechat_token: str = "loadtoken2020"
    twilio_auth_token: str = "load-twilio-auth-token-0123456789"
    rate_limit_user: int = 20
    index_from: Path | None = None
    env: dict[str, str] = field(default_factory=dict)


class SystemStartError(RuntimeError):
    """The system did not come up; the message ends with the tail of its log."""


class HotlineSystem:
    """One `hotline serve` process tree.

    :param config: what to run.
    """

    def __init__(self, config: SystemConfig):
        self.config = config
        self.var_dir = Path(config.var_dir)
        self.port = config.port or free_port()
        self.rasa_port = free_port() if config.rasa == "own" else None
        self.closed_port = free_port()  # nothing listens there: the Rasa URL of rasa="none"
        self.log_path = self.var_dir / "logs" / f"serve-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self._log_offset = 0  # where this start's lines begin in the (appended) log

    # -- addresses and settings --

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rasa_url(self) -> str:
        if self.config.rasa == "own":
            return f"http://127.0.0.1:{self.rasa_port}"
        if self.config.rasa == "none":
            return f"http://127.0.0.1:{self.closed_port}"  # degraded mode
        return self.config.rasa

    @property
    def database_url(self) -> str:
        return self.config.database_url or f"sqlite:///{self.var_dir / 'hotline.sqlite3'}"

    def environment(self) -> dict[str, str]:
        """The variables `hotline serve` runs with (the documented ones, see README "Configuration")."""
        c = self.config
        env = {
            "HOTLINE_VAR_DIR": str(self.var_dir),
            "HOTLINE_HOST": "127.0.0.1",
            "HOTLINE_PORT": str(self.port),
            "HOTLINE_WORKERS": str(c.workers),
            "HOTLINE_THREADS": str(c.threads),
            "HOTLINE_DATABASE_URL": self.database_url,
            "HOTLINE_RASA_URL": self.rasa_url,
            "HOTLINE_SECRET_KEY": c.secret_key,
            "HOTLINE_RATE_LIMIT_USER": str(c.rate_limit_user),
            "WECHAT_TOKEN": c.wechat_token,
            "TWILIO_AUTH_TOKEN": c.twilio_auth_token,
        }
        if c.redis_url:
            env["HOTLINE_REDIS_URL"] = c.redis_url
        env.update(c.env)
        return env

    def settings(self):
        """The `Settings` the system's processes see."""
        from bot.config import Settings

        return Settings.from_env(self.environment())

    # -- lifecycle --

    def _link_model(self) -> None:
        """Put the trained model where `hotline serve` looks, so it never trains by itself."""
        from bot.runtime.rasa_process import ensure_model, model_path, models_dir

        model, _ = ensure_model(REPO_MODELS)
        target = model_path(models_dir(self.settings()))
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(model)

    def start(self, timeout: float = START_TIMEOUT) -> "HotlineSystem":
        """Start `hotline serve` and wait until the app and (if it runs one) Rasa answer.

        :raises SystemStartError: a process exited, or nothing answered within `timeout` seconds.
        """
        self.launch()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self, timeout: float = START_TIMEOUT) -> "HotlineSystem":
        """Stop everything (SIGTERM), then start again on the same ports and state."""
        self.stop()
        return self.start(timeout)

    def launch(self) -> None:
        """Start `hotline serve` without waiting (see `wait_ready`); several systems start in parallel."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        index = self.var_dir / "index"
        if self.config.index_from and Path(self.config.index_from).is_dir() and not index.exists():
            shutil.copytree(self.config.index_from, index)
        argv = [str(HOTLINE), "serve", "--no-train"]
        if self.config.rasa == "own":
            self._link_model()
        else:
            argv.append("--no-rasa")
        env = {**os.environ, **self.environment()}
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        # Like the data beside it, the log is the operator's alone (it may hold a question).
        with os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
            self.process = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Until every worker has warmed up and answers, and Rasa (if own) has loaded its model."""
        deadline = time.monotonic() + timeout
        while not (self._app_ready() and (self.config.rasa != "own" or self.rasa_ready())):
            if self.process.poll() is not None:
                raise SystemStartError(f"hotline serve exited with {self.process.returncode}\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise SystemStartError(f"hotline serve not ready within {timeout:.0f} s\n{self.log_tail()}")
            time.sleep(0.5)

    def _app_ready(self) -> bool:
        try:
            if not requests.get(self.url + "/api/openapi.json", timeout=2).ok:
                return False
        except requests.RequestException:
            return False
        # Each worker logs "warmed up" once it may take requests (gunicorn.conf.py post_worker_init).
        text = self.log_text()
        return text.count("warmed up") + text.count("serving without it") >= self.config.workers

    def rasa_ready(self) -> bool:
        """Rasa answers `/status` with its model loaded."""
        from bot.rasa_client import api_token

        try:
            token = api_token(self.settings().secret_key)
            status = requests.get(f"{self.rasa_url}/status", params={"token": token}, timeout=2)
            return status.ok and bool(status.json().get("model_file"))
        except (requests.RequestException, ValueError):
            return False

    def stop(self, grace: float = 60.0) -> int | None:
        """SIGTERM `hotline serve` (it stops gunicorn first, whose workers flush the log), then wait.

        :returns: its exit code.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                for pid in [self.process.pid, *descendants(self.process.pid)]:
                    _kill(pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        code, self.process = self.process.returncode, None
        return code

    def __enter__(self) -> "HotlineSystem":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the process tree --

    def pids(self) -> list[int]:
        """`hotline serve` and every process below it."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *descendants(self.process.pid)]

    def gunicorn_master(self) -> int | None:
        for pid in descendants(self.process.pid):
            if parent_of(pid) == self.process.pid and "gunicorn" in command_of(pid):
                return pid
        return None

    def app_workers(self) -> list[int]:
        """The gunicorn worker pids."""
        master = self.gunicorn_master()
        return [pid for pid in descendants(master)] if master else []

    def rasa_pid(self) -> int | None:
        for pid in self.pids():
            if role_of(pid) == "rasa":
                return pid
        return None

    def roles(self) -> dict[int, str]:
        """Each process of the system with its role (`serve`, `gunicorn-master`, `rasa`, …)."""
        return {pid: role_of(pid) for pid in self.pids()}

    def kill_worker(self) -> int:
        """SIGKILL one gunicorn worker (the master starts a new one).

        :returns: the killed pid.
        """
        workers = self.app_workers()
        if not workers:
            raise SystemStartError("no gunicorn worker to kill")
        _kill(workers[0], signal.SIGKILL)
        return workers[0]

    def kill_rasa(self) -> int:
        """SIGKILL the Rasa server's process group (`hotline serve` notices and restarts it)."""
        pid = self.rasa_pid()
        if pid is None:
            raise SystemStartError("no Rasa server to kill")
        try:
            os.killpg(pid, signal.SIGKILL)  # started in its own session: pgid == pid
        except ProcessLookupError:
            pass
        return pid

    # -- logs --

    def log_text(self) -> str:
        """What `hotline serve` printed since the last start."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def _kill(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
