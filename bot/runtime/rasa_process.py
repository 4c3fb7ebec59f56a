"""Rasa as a process: the fingerprinted NLU model, the command lines, and `RasaStack`, which
runs the Rasa NLU server.

`hotline serve` starts it with the app::

    from bot.runtime.rasa_process import RasaStack

    stack = RasaStack.from_settings(settings)   # trains first if the training data changed
    stack.start()                               # `rasa run --enable-api` on loopback
    stack.wait_ready(timeout=180)               # raises RasaStartError with the log tail
    ...
    stack.stop()

Rasa 3.6 lives in its own Python 3.10 venv (`.venv-rasa`). It serves only `/model/parse`: the
dialogue is the app's (`bot.dialogue`), so there is no action server, tracker store or lock store.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator
from urllib.parse import urlsplit

import requests
import yaml

from bot.config import REPO_ROOT, Settings
from bot.runtime.procgroup import Child
from bot.rasa_client import api_token

log = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
RASA_VENV = REPO_ROOT / ".venv-rasa"
RASA_BIN = RASA_VENV / "bin" / "rasa"
RASA_PYTHON = RASA_VENV / "bin" / "python"
# The server's entry point runs in the Rasa venv, so it lives outside the app's packages.
RASA_SERVER = REPO_ROOT / "scripts" / "rasa_nlu_server.py"
TRAINING_DIR = REPO_ROOT / "training_data"
CONFIG = TRAINING_DIR / "config.yml"
DATA_DIR = TRAINING_DIR / "data"
NLU_DATA = DATA_DIR / "nlu.yml"
USERDICT = REPO_ROOT / "knowledge_base" / "lexicon" / "userdict.txt"
MODEL_PREFIX = "hotline-nlu-"
KEEP_MODELS = 3
# Rasa is CPU-bound TensorFlow; on a small shared machine more threads only add contention.
TF_THREADS = "2"
# Serving runs one small inference per message: one thread cost less CPU per /model/parse than two
# (4.3 vs 4.9 ms, 200 sequential calls, 2026-11-25) and leaves the other core to the app.
SERVE_THREADS = "1"
STOP_GRACE_SECONDS = 10.0


class RasaStartError(RuntimeError):
    """The Rasa server did not come up; the message ends with its log tail."""


# -- the model -------------------------------------------------------------------------------


def rasa_dir(settings: Settings) -> Path:
    """Rasa's runtime state: models and logs."""
    return settings.var_dir / "rasa"


def models_dir(settings: Settings) -> Path:
    return rasa_dir(settings) / "models"


def training_inputs() -> list[Path]:
    """Every file the model depends on: pipeline config, NLU data, user dictionary."""
    return [CONFIG, *sorted(DATA_DIR.rglob("*.yml")), USERDICT]


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
        str(RASA_BIN), "train", "nlu",
        "--nlu", str(NLU_DATA),
        "--config", str(config),
        "--out", str(out_dir),
        "--fixed-model-name", name,
        "--num-threads", TF_THREADS,
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


# -- command lines -------------------------------------------------------------------------------


def rasa_server_command(model: Path, port: int, *, host: str = "127.0.0.1", log_file: Path | None = None) -> list[str]:
    """`rasa run --enable-api` on loopback: the NLU endpoint only (no channel, no tracker store).

    Started through `scripts/rasa_nlu_server.py`, which reads the API token from `HOTLINE_RASA_TOKEN`
    (`rasa_server_env`): on the command line `ps` would show it.
    """
    command = [
        str(RASA_PYTHON), str(RASA_SERVER), "run",
        "--model", str(model),
        "--interface", host,
        "--port", str(port),
        "--enable-api",
    ]
    if log_file:
        command += ["--log-file", str(log_file)]
    return command


def rasa_server_env(settings: Settings) -> dict[str, str]:
    """The Rasa server's environment: `rasa_env` for serving, plus its API token."""
    env = rasa_env(SERVE_THREADS)
    env["HOTLINE_RASA_TOKEN"] = api_token(settings.secret_key)
    return env


def port_of(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


# -- running it ---------------------------------------------------------------------------------


@dataclass
class RasaStack:
    """The Rasa NLU server, a `bot.runtime.procgroup.Child` with its model, port and log.

    :param settings: the app's settings (var dir, secret key for the API token).
    :param model: the trained NLU model file.
    :param rasa_port: the port of `rasa run` (the conversation posts to its `/model/parse`).
    :param host: the interface Rasa binds (loopback by default).
    """

    settings: Settings
    model: Path
    rasa_port: int
    host: str = "127.0.0.1"
    _child: Child | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, train: bool = True) -> "RasaStack":
        """The port from HOTLINE_RASA_URL; the model is trained if stale.

        :raises RasaStartError: no model and `train=False`, or training failed.
        """
        directory = models_dir(settings)
        if train:
            model, _ = ensure_model(directory)
        else:
            model = model_path(directory)
            if not model.exists():
                raise RasaStartError(f"no Rasa model for the current training data at {model}; run `hotline rasa train`")
        return cls(settings, model, port_of(settings.rasa_url))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def workdir(self) -> Path:
        return rasa_dir(self.settings)

    @property
    def log_path(self) -> Path:
        return self.workdir / "logs" / "rasa.log"

    @property
    def pid(self) -> int | None:
        """The server's pid (also its process-group id) while started, else None."""
        return self._child.pid if self._child is not None else None

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.running

    def start(self) -> None:
        """Start the Rasa server (returns at once; see `wait_ready`)."""
        command = rasa_server_command(self.model, self.rasa_port, host=self.host)
        self._child = Child("rasa", command, rasa_server_env(self.settings), self.log_path).start()

    def stop(self) -> None:
        """Stop the server's whole process group (SIGTERM, then SIGKILL after a grace period)."""
        if self._child is not None:
            self._child.stop(STOP_GRACE_SECONDS)
            self._child = None

    def ready(self) -> bool:
        """Whether the server answers with its model loaded."""
        try:
            r = requests.get(f"{self.url}/status", params={"token": api_token(self.settings.secret_key)}, timeout=2)
            return r.ok and bool(r.json().get("model_file"))
        except (requests.RequestException, ValueError):
            return False

    def wait_ready(self, timeout: float = 300.0, poll: float = 0.5) -> None:
        """Block until the server answers with its model loaded.

        :raises RasaStartError: the server exited or did not answer within `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while not self.ready():
            if not self.running:
                raise RasaStartError(f"the Rasa server exited at start; log: {self.log_path}\n{_tail(self.log_path)}")
            if time.monotonic() > deadline:
                raise RasaStartError(
                    f"the Rasa server did not answer within {timeout:.0f} s; log: {self.log_path}\n{_tail(self.log_path)}"
                )
            time.sleep(poll)
