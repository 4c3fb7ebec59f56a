"""Rasa as processes: the fingerprinted model, the generated endpoints/credentials, the command
lines, and `RasaStack`, which runs the Rasa server and the custom-action server together.

`hotline serve` starts both with the app::

    from bot.rasa_process import RasaStack

    stack = RasaStack.from_settings(settings)   # trains first if the training data changed
    stack.start()                               # action server, then `rasa run` (both on loopback)
    stack.wait_ready(timeout=180)               # raises RasaStartError with the log tail
    ...
    stack.stop()

Rasa 3.6 lives in its own Python 3.10 venv (`.venv-rasa`); the actions run in the app's venv
(`python -m rasa_sdk --actions bot.actions`), so they import the rule table and the retriever.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterator
from urllib.parse import urlsplit

import requests
import yaml

from bot.config import REPO_ROOT, ConfigError, Settings
from bot.rasa_client import api_token as rasa_api_token

log = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
RASA_VENV = REPO_ROOT / ".venv-rasa"
RASA_BIN = RASA_VENV / "bin" / "rasa"
RASA_PYTHON = RASA_VENV / "bin" / "python"
TRAINING_DIR = REPO_ROOT / "training_data"
CONFIG = TRAINING_DIR / "config.yml"
DOMAIN = TRAINING_DIR / "domain.yml"
DATA_DIR = TRAINING_DIR / "data"
USERDICT = REPO_ROOT / "knowledge_base" / "lexicon" / "userdict.txt"
ACTIONS_PACKAGE = "bot.actions"
MODEL_PREFIX = "hotline-"
KEEP_MODELS = 3
LOCK_KEY_PREFIX = "hotline_rasa:"
# Rasa is CPU-bound TensorFlow; on a small shared machine more threads only add contention.
TF_THREADS = "2"
# Serving runs one small inference per message: one thread cost less CPU per /model/parse than two
# (4.3 vs 4.9 ms, 200 sequential calls, 2026-11-25) and leaves the other core to the app.
SERVE_THREADS = "1"


class RasaStartError(RuntimeError):
    """The Rasa server or the action server did not come up; the message ends with its log tail."""


# -- the model -------------------------------------------------------------------------------


def rasa_dir(settings: Settings) -> Path:
    """Rasa's runtime state: models, generated config, tracker database, logs."""
    return settings.var_dir / "rasa"


def models_dir(settings: Settings) -> Path:
    return rasa_dir(settings) / "models"


def training_inputs() -> list[Path]:
    """Every file the model depends on: pipeline config, domain, NLU/rules/stories, user dictionary."""
    return [CONFIG, DOMAIN, *sorted(DATA_DIR.rglob("*.yml")), USERDICT]


def fingerprint() -> str:
    """A digest of the training inputs and the Rasa version: a new model is needed when it changes."""
    digest = hashlib.sha256(RASA_VERSION.encode())
    for path in training_inputs():
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(directory: Path, digest: str | None = None) -> Path:
    """Where the model of these training inputs is (or will be) kept."""
    return Path(directory) / f"{MODEL_PREFIX}{digest or fingerprint()}.tar.gz"


def rasa_env(threads: str = TF_THREADS) -> dict[str, str]:
    """The environment of every Rasa process: no telemetry, quiet TensorFlow, bounded threads."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        TF_INTRA_OP_PARALLELISM_THREADS=threads,
        TF_INTER_OP_PARALLELISM_THREADS=threads,
        OMP_NUM_THREADS=threads,
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    env.pop("PYTHONPATH", None)  # the app's packages are Python 3.11; Rasa's venv is 3.10
    return env


def prepare_training(workdir: Path) -> Path:
    """Write the effective pipeline config for training and return its path.

    Rasa's JiebaTokenizer loads *every* file of `dictionary_path`, so the domain dictionary is
    copied (without comment lines) into a folder of its own, and the config points there.
    """
    jieba_dir = workdir / "jieba"
    jieba_dir.mkdir(parents=True, exist_ok=True)
    lines = [ln for ln in USERDICT.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    (jieba_dir / "userdict.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component.get("name") == "JiebaTokenizer":
            component["dictionary_path"] = str(jieba_dir)
    effective = workdir / "config.yml"
    effective.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return effective


def train_command(config: Path, out_dir: Path, name: str) -> list[str]:
    return [
        str(RASA_BIN), "train",
        "--domain", str(DOMAIN),
        "--data", str(DATA_DIR),
        "--config", str(config),
        "--out", str(out_dir),
        "--fixed-model-name", name,
        "--num-threads", TF_THREADS,
    ]


def validate_command() -> list[str]:
    """`rasa data validate` over the training data, failing on warnings too."""
    return [
        str(RASA_BIN), "data", "validate",
        "--domain", str(DOMAIN),
        "--data", str(DATA_DIR),
        "--config", str(CONFIG),
        "--fail-on-warnings",
    ]


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """One training at a time per models folder, across processes (tests run concurrently)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_model(directory: Path, *, force: bool = False, output: IO[str] | None = None) -> tuple[Path, bool]:
    """The model of the current training inputs, trained only when missing (or `force`).

    :param directory: the models folder (e.g. `var/rasa/models`).
    :param force: train even when a model with this fingerprint exists.
    :param output: where Rasa's training output goes (default: a log file beside the models).
    :returns: (model path, whether it was trained now).
    :raises RasaStartError: training failed; the message ends with the log tail.
    """
    directory = Path(directory)
    digest = fingerprint()
    target = model_path(directory, digest)
    with _exclusive(directory / ".train.lock"):
        if target.exists() and not force:
            return target, False
        with tempfile.TemporaryDirectory(prefix="train-", dir=directory) as tmp:
            workdir = Path(tmp)
            config = prepare_training(workdir)
            log_path = directory / "train.log"
            with open(log_path, "w", encoding="utf-8") as log_file:
                result = subprocess.run(
                    train_command(config, workdir / "out", target.name.removesuffix(".tar.gz")),
                    cwd=REPO_ROOT,
                    env=rasa_env(),
                    stdout=output or log_file,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            built = workdir / "out" / target.name
            if result.returncode != 0 or not built.exists():
                raise RasaStartError(f"rasa train failed (exit {result.returncode}); log: {log_path}\n{_tail(log_path)}")
            os.replace(built, target)  # atomic: a reader never sees half a model
        _prune(directory, keep=target)
    return target, True


def _prune(directory: Path, keep: Path) -> None:
    """Keep the newest few models (rolling back is a `git checkout` plus a cache hit)."""
    models = sorted(directory.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][KEEP_MODELS - 1:]:
        old.unlink(missing_ok=True)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- endpoints and credentials -----------------------------------------------------------------


def tracker_store_config(settings: Settings) -> dict:
    """Rasa's SQL tracker store: SQLite under var/rasa by default, else HOTLINE_RASA_TRACKER_URL.

    PostgreSQL: `postgresql://user:password@host:5432/rasa`; add `?login_db=postgres` to let
    Rasa create the database on first start.

    :raises ConfigError: the URL is neither SQLite nor PostgreSQL.
    """
    from sqlalchemy.engine import make_url

    url = settings.rasa_tracker_url or f"sqlite:///{rasa_dir(settings) / 'tracker.sqlite3'}"
    try:
        parsed = make_url(url)
    except Exception:
        raise ConfigError(f"HOTLINE_RASA_TRACKER_URL is not a database URL: {url!r}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database:
            raise ConfigError(f"HOTLINE_RASA_TRACKER_URL needs a SQLite file path, got {url!r}")
        _sqlite_wal(Path(parsed.database))
        return {"type": "SQL", "dialect": "sqlite", "db": parsed.database}
    if backend == "postgresql":
        config = {
            "type": "SQL",
            "dialect": "postgresql",
            "url": parsed.host or "127.0.0.1",
            "port": parsed.port or 5432,
            "db": parsed.database or "rasa",
            "username": parsed.username or "postgres",
        }
        if parsed.password:
            config["password"] = parsed.password
        query = dict(parsed.query)
        if "login_db" in query:
            # Rasa creates `db` through this database when it does not exist yet.
            config["login_db"] = query.pop("login_db")
        if query:
            config["query"] = query
        return config
    raise ConfigError(f"HOTLINE_RASA_TRACKER_URL must be sqlite:/// or postgresql://, got {url!r}")


def _sqlite_wal(path: Path) -> None:
    """Create the tracker database in WAL mode (a persistent property of the file): commits
    are cheaper and readers do not block the writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def lock_store_config(settings: Settings) -> dict | None:
    """Rasa's Redis lock store when HOTLINE_REDIS_URL is set (Rasa replicas share conversations)."""
    if not settings.redis_url:
        return None
    parts = urlsplit(settings.redis_url)
    if parts.scheme not in ("redis", "rediss"):
        raise ConfigError(f"HOTLINE_REDIS_URL must start with redis:// or rediss://, got {settings.redis_url!r}")
    config = {
        "type": "redis",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
        "key_prefix": LOCK_KEY_PREFIX.rstrip(":"),
    }
    if parts.password:
        config["password"] = parts.password
    if parts.scheme == "rediss":
        config["use_ssl"] = True
    return config


def endpoints(settings: Settings, action_url: str) -> dict:
    """The content of Rasa's endpoints.yml for these settings."""
    config = {"action_endpoint": {"url": action_url}, "tracker_store": tracker_store_config(settings)}
    lock_store = lock_store_config(settings)
    if lock_store:
        config["lock_store"] = lock_store
    return config


def credentials() -> dict:
    """Rasa's credentials.yml: the REST channel that `bot.conversation` talks to."""
    return {"rest": None}


def write_yaml(path: Path, content: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Generated by bot/rasa_process.py from the settings; edits are overwritten.\n"
        + yaml.safe_dump(content, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return path


def api_token(settings: Settings) -> str:
    """The token of Rasa's HTTP API (`--enable-api`), derived from the app's secret key."""
    return rasa_api_token(settings.secret_key)


# -- command lines -------------------------------------------------------------------------------


def rasa_server_command(
    model: Path, port: int, endpoints_file: Path, credentials_file: Path, *, host: str = "127.0.0.1",
    auth_token: str | None = None, log_file: Path | None = None,
) -> list[str]:
    """`rasa run --enable-api` on loopback with the generated endpoints and credentials.

    Started through `bot.rasa_server` (Rasa's own command line plus its fixes for speed).
    """
    command = [
        str(RASA_PYTHON), "-m", "bot.rasa_server", "run",
        "--model", str(model),
        "--endpoints", str(endpoints_file),
        "--credentials", str(credentials_file),
        "--interface", host,
        "--port", str(port),
        "--enable-api",
    ]
    if auth_token:
        command += ["--auth-token", auth_token]
    if log_file:
        command += ["--log-file", str(log_file)]
    return command


def action_server_command(port: int, endpoints_file: Path | None = None, python: str | None = None) -> list[str]:
    """The rasa-sdk action server over `bot.actions`, in the app's venv."""
    command = [python or sys.executable, "-m", "rasa_sdk", "--actions", ACTIONS_PACKAGE, "--port", str(port)]
    if endpoints_file:
        command += ["--endpoints", str(endpoints_file)]  # rasa-sdk reads only its `tracing` key
    return command


def action_server_env(settings: Settings) -> dict[str, str]:
    """The app's settings, passed on to the action server (it builds its own `Services`)."""
    from bot.actions.common import WARM_UP_ENV

    env = dict(os.environ)
    env.update(
        HOTLINE_VAR_DIR=str(settings.var_dir),
        HOTLINE_DATABASE_URL=settings.database_url,
        HOTLINE_ENCODER=settings.encoder,
        HOTLINE_SECRET_KEY=settings.secret_key,
        HOTLINE_REDIS_URL=settings.redis_url,
        SANIC_HOST="127.0.0.1",  # rasa-sdk binds 0.0.0.0 otherwise; only the local Rasa calls it
        PYTHONWARNINGS="ignore",
    )
    env[WARM_UP_ENV] = "1"
    if settings.as_of:
        env["HOTLINE_AS_OF"] = settings.as_of.isoformat()
    return env


def port_of(url: str) -> int:
    parts = urlsplit(url)
    if parts.port:
        return parts.port
    return 443 if parts.scheme == "https" else 80


# -- running both --------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the starting process dies (Linux), so a
    crashed `hotline serve` or test run leaves no orphaned Rasa behind."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class _Process:
    """One Rasa-side server in its own process group, which dies with this process (see
    `bot.procgroup`) and is stopped whole, also when its leader was killed and left workers behind."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        from bot.procgroup import group_guard

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            # A new session: stopping kills the process group (Sanic may fork workers).
            self.popen = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent,
            )
        group_guard().watch(self.popen.pid)

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the whole group, SIGKILL it after `grace` s; also when the leader already died
        (its orphaned workers would otherwise keep the port, and every restart would fail)."""
        from bot.procgroup import group_guard, stop_group

        if self.popen is None:
            return
        stop_group(self.popen.pid, grace)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=grace)
        group_guard().forget(self.popen.pid)
        self.popen = None


@dataclass
class RasaStack:
    """The Rasa server and the custom-action server, started and stopped together.

    :param settings: the app's settings (tracker store, lock store, var dir, secret key).
    :param model: the trained model file.
    :param rasa_port: the port of `rasa run` (the conversation posts to its REST webhook).
    :param action_port: the port of the action server.
    :param host: the interface Rasa binds (loopback by default).
    """

    settings: Settings
    model: Path
    rasa_port: int
    action_port: int
    host: str = "127.0.0.1"
    _processes: dict[str, _Process] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, train: bool = True) -> "RasaStack":
        """Ports from HOTLINE_RASA_URL and HOTLINE_ACTION_PORT; the model is trained if stale.

        :raises RasaStartError: no model and `train=False`, or training failed.
        """
        directory = models_dir(settings)
        if train:
            model, _ = ensure_model(directory)
        else:
            model = model_path(directory)
            if not model.exists():
                raise RasaStartError(f"no Rasa model for the current training data at {model}; run `hotline rasa train`")
        return cls(settings, model, port_of(settings.rasa_url), settings.action_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}/webhook"

    @property
    def workdir(self) -> Path:
        return rasa_dir(self.settings)

    def _write_config(self) -> tuple[Path, Path]:
        return (
            write_yaml(self.workdir / "endpoints.yml", endpoints(self.settings, self.action_url)),
            write_yaml(self.workdir / "credentials.yml", credentials()),
        )

    def start(self) -> None:
        """Start the action server, then the Rasa server (returns at once; see `wait_ready`)."""
        self.start_actions()
        self.start_rasa()

    def start_actions(self) -> None:
        endpoints_file, _ = self._write_config()
        process = _Process(
            "actions",
            action_server_command(self.action_port, endpoints_file),
            action_server_env(self.settings),
            self.workdir / "logs" / "actions.log",
        )
        process.start()
        self._processes["actions"] = process

    def start_rasa(self) -> None:
        endpoints_file, credentials_file = self._write_config()
        process = _Process(
            "rasa",
            rasa_server_command(
                self.model, self.rasa_port, endpoints_file, credentials_file,
                host=self.host, auth_token=api_token(self.settings),
            ),
            rasa_env(SERVE_THREADS),
            self.workdir / "logs" / "rasa.log",
        )
        process.start()
        self._processes["rasa"] = process

    def stop_rasa(self) -> None:
        if "rasa" in self._processes:
            self._processes.pop("rasa").stop()

    def stop_actions(self) -> None:
        if "actions" in self._processes:
            self._processes.pop("actions").stop()

    def down(self) -> list[str]:
        """The servers this stack started that are no longer running (`actions`, `rasa`)."""
        return [name for name, process in self._processes.items() if not process.running]

    def restart(self, name: str) -> None:
        """Restart one server (`actions` or `rasa`); returns at once (see `wait_ready`).

        :raises ValueError: an unknown server name.
        """
        if name == "rasa":
            self.stop_rasa()
            self.start_rasa()
        elif name == "actions":
            self.stop_actions()
            self.start_actions()
        else:
            raise ValueError(f"unknown server {name!r}; known: actions, rasa")

    def stop(self) -> None:
        """Stop both servers (SIGTERM, then SIGKILL after a grace period)."""
        for name in ("rasa", "actions"):
            if name in self._processes:
                self._processes.pop(name).stop()

    def _checks(self) -> dict[str, Callable[[], bool]]:
        token = api_token(self.settings)

        def rasa_ready() -> bool:
            # /status answers once the model is loaded (the webhook would not work before).
            r = requests.get(f"{self.url}/status", params={"token": token}, timeout=2)
            return r.ok and bool(r.json().get("model_file"))

        def actions_ready() -> bool:
            return requests.get(f"http://127.0.0.1:{self.action_port}/health", timeout=2).ok

        return {"actions": actions_ready, "rasa": rasa_ready}

    def wait_ready(self, timeout: float = 300.0, poll: float = 0.5) -> None:
        """Block until both servers answer.

        :raises RasaStartError: a server exited or did not answer within `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        pending = {n: c for n, c in self._checks().items() if n in self._processes}
        while pending:
            for name, check in list(pending.items()):
                process = self._processes[name]
                if not process.running:
                    raise RasaStartError(f"the {name} server exited at start; log: {process.log_path}\n{_tail(process.log_path)}")
                try:
                    if check():
                        del pending[name]
                except (requests.RequestException, ValueError):
                    pass
            if pending:
                if time.monotonic() > deadline:
                    name = next(iter(pending))
                    path = self._processes[name].log_path
                    raise RasaStartError(f"the {name} server did not answer within {timeout:.0f} s; log: {path}\n{_tail(path)}")
                time.sleep(poll)

    def __enter__(self) -> "RasaStack":
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

