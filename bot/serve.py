"""`hotline serve` (what `make run` runs): the Rasa NLU server and the app, supervised together.

1. Trains the Rasa model when the training data changed, then starts the Rasa server and the
   (`bot.rasa_process.RasaStack`, NLU only); restarts it if it crashes.
2. Starts the app under gunicorn (gthread workers; see `gunicorn.conf.py`) on HOTLINE_HOST:HOTLINE_PORT.
   Each worker warms up (encoder, index, conversation) before it takes a request.
3. Prints the development WeChat and Twilio tokens when WECHAT_TOKEN / TWILIO_AUTH_TOKEN are unset.
4. Supervises: if the app dies, or on Ctrl-C / SIGTERM, stops everything (SIGTERM, then SIGKILL
   after a grace period) and exits.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import click

from bot.config import REPO_ROOT, Settings, development_token

GRACE_SECONDS = 20.0
POLL_SECONDS = 0.5


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: a child gets SIGTERM if `hotline serve` itself is killed, so nothing is orphaned."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None


class Supervisor:
    """Starts children in their own process groups, and stops them all together.

    :param say: where status lines go (default: stderr).
    """

    def __init__(self, say=None):
        self.children: list[Child] = []
        self.watchers: list = []  # callables run on every poll (e.g. restart a crashed Rasa)
        self.stopping = threading.Event()
        self.say = say or (lambda line: click.echo(line, err=True))

    def start(self, child: Child) -> Child:
        """Start `child` (own session, so a terminal's Ctrl-C reaches only this supervisor)."""
        env = {**os.environ, **child.env}
        child.process = subprocess.Popen(
            child.argv,
            cwd=REPO_ROOT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        self.children.append(child)
        self.say(f"[serve] started {child.name} (pid {child.process.pid})")
        return child

    def request_stop(self, *_signal_args) -> None:
        self.stopping.set()

    def wait(self) -> int:
        """Block until a stop is requested or a child exits.

        :returns: 0 after a requested stop, else the exit code of the child that died (≥ 1).
        """
        while not self.stopping.wait(POLL_SECONDS):
            for watch in self.watchers:
                watch()
            for child in self.children:
                code = child.process.poll()
                if code is not None:
                    self.say(f"[serve] {child.name} exited with code {code}; stopping everything")
                    return code or 1
        return 0

    def stop_all(self, grace: float = GRACE_SECONDS) -> None:
        """SIGTERM every child (the app first, so it stops taking requests), then SIGKILL stragglers."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                self._signal(child, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in reversed(self.children):
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"[serve] {child.name} did not stop in {grace:.0f} s; killing it")
                self._signal(child, signal.SIGKILL)
                child.process.wait()
        self.say("[serve] stopped")

    @staticmethod
    def _signal(child: Child, signum: int) -> None:
        try:
            os.killpg(child.process.pid, signum)  # the whole group: gunicorn workers, Rasa's helpers
        except ProcessLookupError:
            pass


def app_child(settings: Settings) -> Child:
    """gunicorn serving `bot.app:create_app()` with `gunicorn.conf.py`."""
    return Child(
        "app",
        [sys.executable, "-m", "gunicorn", "--config", str(REPO_ROOT / "gunicorn.conf.py"), "bot.app:create_app()"],
    )


class RasaWatch:
    """Keeps the Rasa NLU server (a `bot.rasa_process.RasaStack`) running beside the app.

    The app answers without Rasa's NLU (degraded mode) and recovers by itself when Rasa returns,
    so a crashed Rasa process is restarted rather than taking the app down.

    :param stack: the started stack.
    :param say: where status lines go.
    """

    RESTART_AFTER_SECONDS = 5.0

    def __init__(self, stack, say):
        self.stack, self.say = stack, say
        self._last_restart: dict[str, float] = {}

    def dead(self) -> list[str]:
        """The stack's processes that are not running (`rasa`)."""
        return [] if self.stack.running else ["rasa"]

    def check(self) -> None:
        """Restart whatever died, at most once every few seconds each."""
        for name in self.dead():
            now = time.monotonic()
            if now - self._last_restart.get(name, float("-inf")) < self.RESTART_AFTER_SECONDS:
                continue
            self._last_restart[name] = now
            self.say(f"[serve] the {name} server stopped; restarting it (the app answers without its NLU meanwhile)")
            self.stack.restart()


def start_rasa(settings: Settings, train: bool, say):
    """Train if the training data changed, then start the Rasa NLU server.

    :returns: the started `RasaStack` (not yet ready: the model loads in the background).
    :raises RasaStartError: training failed, or there is no model and `train` is False.
    """
    from bot.rasa_process import RasaStack, model_path, models_dir

    if train and not model_path(models_dir(settings)).exists():
        say(f"[serve] training the Rasa model (training data changed); log: {models_dir(settings) / 'train.log'}")
    stack = RasaStack.from_settings(settings, train=train)
    stack.start()
    say(f"[serve] started Rasa ({stack.url}); log: {stack.log_path}")
    return stack


def development_tokens(settings: Settings) -> dict[str, str]:
    """The development tokens in use because their variables are unset, by variable name."""
    tokens = {}
    if not settings.wechat_token:
        tokens["WECHAT_TOKEN"] = development_token(settings.var_dir, "WECHAT_TOKEN")
    if not settings.twilio_auth_token:
        tokens["TWILIO_AUTH_TOKEN"] = development_token(settings.var_dir, "TWILIO_AUTH_TOKEN")
    return tokens


def wait_until_up(url: str, supervisor: Supervisor, timeout: float = 300.0) -> bool:
    """Poll `url` until it answers (any HTTP status), a stop is requested or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not supervisor.stopping.is_set():
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            time.sleep(POLL_SECONDS)
    return False


def token_lines(tokens: dict[str, str]) -> str:
    lines = ["  开发用令牌 development tokens (set the variables to replace them):"]
    lines.extend(f"    {name}={value}" for name, value in tokens.items())
    return "\n".join(lines)


def banner(settings: Settings, tokens: dict[str, str]) -> str:
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        "hotline12333 已启动 / is up:",
        f"  网页聊天 web chat    {base}/",
        f"  聊天接口 chat API    POST {base}/api/chat   (OpenAPI: {base}/api/openapi.json)",
        f"  微信公众号 WeChat    {base}/wechat" + ("  (AES 安全模式)" if settings.wechat_encoding_aes_key else "  (明文模式)"),
        f"  电话语音 IVR         {base}/ivr/voice",
        f"  工作人员后台 staff   {base}/staff",
    ]
    if tokens:
        lines.append(token_lines(tokens))
    lines.append("  按 Ctrl-C 停止 / Ctrl-C stops everything.")
    return "\n".join(lines)


def _raise_interrupt(*_signal_args) -> None:
    raise KeyboardInterrupt


@click.command("serve")
@click.option("--rasa/--no-rasa", default=True, help="Start the Rasa NLU server (off: use HOTLINE_RASA_URL as is).")
@click.option("--train/--no-train", default=True, help="Train the Rasa model first when the training data changed.")
def serve(rasa: bool, train: bool) -> None:
    """启动全部服务：Rasa 自然语言理解服务与应用（gunicorn）。Serve every channel and the dashboard."""
    settings = Settings.from_env()
    supervisor = Supervisor()
    tokens = development_tokens(settings)
    if tokens:  # known before anything starts: shown at once, and again in the banner
        click.echo(token_lines(tokens), err=True)
    stack = None
    code = 0
    # While training, Ctrl-C / SIGTERM interrupt at once (the training subprocess is killed with us).
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if rasa:
            stack = start_rasa(settings, train, supervisor.say)
            supervisor.watchers.append(RasaWatch(stack, supervisor.say).check)
        signal.signal(signal.SIGINT, supervisor.request_stop)
        signal.signal(signal.SIGTERM, supervisor.request_stop)
        supervisor.start(app_child(settings))

        def announce() -> None:
            if wait_until_up(f"http://{settings.host}:{settings.port}/api/openapi.json", supervisor):
                click.echo(banner(settings, tokens), err=True)
            if stack is not None:
                from bot.rasa_process import RasaStartError

                try:
                    stack.wait_ready(timeout=600)
                    supervisor.say(f"[serve] Rasa is ready at {stack.url}")
                except RasaStartError as error:
                    supervisor.say(f"[serve] WARNING Rasa did not come up; answering without its NLU.\n{error}")

        threading.Thread(target=announce, daemon=True).start()
        code = supervisor.wait()
    except KeyboardInterrupt:
        supervisor.say("[serve] interrupted")
        code = 130
    finally:
        supervisor.stop_all()
        if stack is not None:
            stack.stop()
            supervisor.say("[serve] Rasa stopped")
    sys.exit(code)
