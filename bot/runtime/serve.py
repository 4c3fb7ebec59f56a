"""`hotline serve` (what `make run` runs): the Rasa NLU server and the app, supervised together.

1. Trains the Rasa model when the training data changed, then starts the Rasa NLU server
   (`bot.runtime.rasa_process.RasaStack`); restarts it if it crashes.
2. Starts the app under gunicorn (gthread workers; see `gunicorn.conf.py`) on HOTLINE_HOST:HOTLINE_PORT.
   Each worker warms up (encoder, index, conversation) before it takes a request.
3. Prints the development WeChat and Twilio tokens when WECHAT_TOKEN / TWILIO_AUTH_TOKEN are unset.
4. Supervises: if the app dies, or on Ctrl-C / SIGTERM, stops everything (SIGTERM, then SIGKILL
   after a grace period) and exits. Each child, the app and Rasa alike, is a `bot.runtime.procgroup.Child`:
   a process group that dies with this supervisor, even when it is killed with SIGKILL, and is
   stopped whole, also when its leader died first and left workers behind.
5. A crashed Rasa is restarted with a growing pause (5 s, doubling up to 5 min while it keeps
   dying), and never while another process holds its port: that is reported with the holder's pid
   and command line instead of a restart loop on "Address already in use".
"""
from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import click

from bot.config import REPO_ROOT, Settings, development_token
from bot.runtime.procgroup import Child, program_name

GRACE_SECONDS = 20.0
POLL_SECONDS = 0.5


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
        """Start `child` (see `Child.start`) and watch it."""
        self.children.append(child.start())
        self.say(f"[serve] started {child.name} (pid {child.pid})")
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
                code = child.poll()
                if code is not None:
                    self.say(f"[serve] {child.name} exited with code {code}; stopping everything")
                    return code or 1
        return 0

    def stop_all(self, grace: float = GRACE_SECONDS) -> None:
        """Stop every child's whole group, the app first (so it stops taking requests): SIGTERM,
        then SIGKILL after `grace` seconds. A group whose leader already exited is stopped too:
        its workers would otherwise live on as orphans."""
        for child in reversed(self.children):
            child.stop(grace, lambda: self.say(f"[serve] {child.name} did not stop in {grace:.0f} s; killing it"))
        self.say("[serve] stopped")


def app_child(settings: Settings) -> Child:
    """gunicorn serving `bot.app:create_app()` with `gunicorn.conf.py`."""
    return Child(
        "app",
        [sys.executable, "-m", "gunicorn", "--config", str(REPO_ROOT / "gunicorn.conf.py"), "bot.app:create_app()"],
    )


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on `host:port` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def port_holders(port: int) -> list[str]:
    """The processes listening on TCP `port`, as "pid 123 (python rasa_nlu_server.py)" (Linux, best
    effort: empty when /proc cannot tell). Only the program is shown, never its options, which may
    hold a secret."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    holders = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                argv = [w.decode(errors="replace") for w in (proc / "cmdline").read_bytes().split(b"\0")]
                holders.append(f"pid {proc.name} ({program_name(argv)})")
        except OSError:
            continue
    return holders


class RasaWatch:
    """Keeps the Rasa NLU server (a `bot.runtime.rasa_process.RasaStack`) running beside the app.

    The app answers without Rasa's NLU (degraded mode) and recovers by itself when Rasa returns,
    so a crashed Rasa process is restarted rather than taking the app down. A server that keeps
    dying is restarted after a pause that doubles each time (5 s up to 5 min) and resets once it
    stays up a minute; while another process (an orphan, a second `hotline serve`) holds its port it
    is not started at all: that is said once, with the holder, and checked again after the pause.

    :param stack: the started stack (`bot.runtime.rasa_process.RasaStack`).
    :param say: where status lines go.
    :param clock: seconds, monotonic (tests pass a fake one).
    """

    NAME = "rasa"
    RESTART_AFTER_SECONDS = 5.0
    RESTART_MAX_SECONDS = 300.0
    STABLE_SECONDS = 60.0

    def __init__(self, stack, say, clock=time.monotonic):
        self.stack, self.say, self.clock = stack, say, clock
        self._waiting: float | None = None  # earliest next start, while Rasa is down
        self._pause = 0.0
        self._started = float("-inf")
        self._reported: tuple | None = None

    def dead(self) -> list[str]:
        """`["rasa"]` while the server is not running or waits to restart, else []."""
        return [self.NAME] if self._waiting is not None or not self.stack.running else []

    def _longer_pause(self) -> float:
        self._pause = min(max(self._pause * 2, self.RESTART_AFTER_SECONDS), self.RESTART_MAX_SECONDS)
        return self._pause

    def check(self) -> None:
        """Restart Rasa if it died, when its pause is over and its port is free."""
        if not self.dead():
            return
        now = self.clock()
        if self._waiting is None:
            self.stack.stop()  # its whole group now: workers it left would keep the port
            quick = now - self._started < self.STABLE_SECONDS
            pause = self._longer_pause() if quick else 0.0
            if not quick:
                self._pause = 0.0
            self._waiting = now + pause
            self.say(f"[serve] the {self.NAME} server stopped; restarting it"
                     + (f" in {pause:.0f} s (it keeps stopping)" if pause else "")
                     + " (the app answers without its NLU meanwhile)")
        if now < self._waiting:
            return
        host, port = self.stack.host, self.stack.rasa_port
        if not port_free(port, host):
            holders = port_holders(port)
            pause = self._longer_pause()
            self._waiting = now + pause
            if self._reported != (port, tuple(holders)):
                self._reported = (port, tuple(holders))
                self.say(
                    f"[serve] ERROR cannot restart the {self.NAME} server: port {port} is held by "
                    f"{', '.join(holders) or 'another process'}; stop that process. Checking again in "
                    f"{pause:.0f} s, with growing pauses (up to {self.RESTART_MAX_SECONDS:.0f} s)"
                )
            return
        self._waiting, self._reported, self._started = None, None, now
        self.stack.start()


def start_rasa(settings: Settings, train: bool, say):
    """Train if the training data changed, then start the Rasa NLU server.

    :returns: the started `RasaStack` (not yet ready: the model loads in the background).
    :raises RasaStartError: training failed, or there is no model and `train` is False.
    """
    from bot.runtime.rasa_process import RasaStack, model_path, models_dir

    if train and not model_path(models_dir(settings)).exists():
        say(f"[serve] training the Rasa model (training data changed); log: {models_dir(settings) / 'train.log'}")
    stack = RasaStack.from_settings(settings, train=train)
    stack.start()
    say(f"[serve] started Rasa ({stack.url}); log: {stack.log_path}")
    return stack


def development_tokens(settings: Settings) -> dict[str, str]:
    """The development tokens in use because their variables are unset, by variable name."""
    configured = {"WECHAT_TOKEN": settings.wechat_token, "TWILIO_AUTH_TOKEN": settings.twilio_auth_token}
    return {name: development_token(settings.var_dir, name) for name, value in configured.items() if not value}


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
                from bot.runtime.rasa_process import RasaStartError

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
