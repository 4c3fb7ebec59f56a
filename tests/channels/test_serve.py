"""`hotline serve`: the supervisor and its children (`bot.runtime.procgroup.Child`), and the app under
gunicorn started and stopped for real."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.config import development_token
from bot.runtime.procgroup import Child, program_name
from bot.runtime.serve import RasaWatch, Supervisor, banner, development_tokens, port_free

HOTLINE = str(Path(sys.executable).with_name("hotline"))


def test_supervisor_stops_everything_when_one_child_dies():
    lines = []
    supervisor = Supervisor(say=lines.append)
    sleeper = supervisor.start(Child("sleeper", [sys.executable, "-c", "import time; time.sleep(600)"]))
    supervisor.start(Child("crasher", [sys.executable, "-c", "import time; time.sleep(0.5); raise SystemExit(3)"]))
    assert supervisor.wait() == 3
    supervisor.stop_all(grace=10)
    assert sleeper.process.returncode == -signal.SIGTERM
    assert any("crasher exited with code 3" in line for line in lines)


def test_supervisor_kills_a_child_that_ignores_sigterm():
    supervisor = Supervisor(say=lambda line: None)
    stubborn = supervisor.start(Child("stubborn", [
        sys.executable, "-c",
        "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(600)",
    ]))
    time.sleep(0.5)  # let it install its handler; the kill path is what is under test
    supervisor.request_stop()
    assert supervisor.wait() == 0
    supervisor.stop_all(grace=1)
    assert stubborn.process.returncode == -signal.SIGKILL


def test_development_tokens_are_listed_only_when_unset(settings):
    tokens = development_tokens(settings)
    assert tokens == {
        "WECHAT_TOKEN": development_token(settings.var_dir, "WECHAT_TOKEN"),
        "TWILIO_AUTH_TOKEN": development_token(settings.var_dir, "TWILIO_AUTH_TOKEN"),
    }
    assert f"WECHAT_TOKEN={tokens['WECHAT_TOKEN']}" in banner(settings, tokens)


@pytest.mark.parametrize("argv, program", [
    (["/srv/.venv-rasa/bin/python", "/srv/scripts/rasa_nlu_server.py", "run", "--port", "5005"], "python rasa_nlu_server.py"),
    (["/usr/bin/python3", "-m", "bot.runtime.procgroup", "123"], "python3 -m bot.runtime.procgroup"),
    (["/srv/.venv/bin/python", "-c", "import time", "--auth-token", "s3cret-value"], "python"),
    (["/srv/.venv/bin/gunicorn", "--config", "gunicorn.conf.py"], "gunicorn"),
    ([""], "?"),
])
def test_a_process_is_named_by_its_program_never_by_its_options(argv, program):
    assert program_name(argv) == program


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.integration
def test_serve_runs_the_app_under_gunicorn_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "HOTLINE_PORT": str(port),
        "HOTLINE_VAR_DIR": str(tmp_path / "var"),
        "HOTLINE_RASA_URL": f"http://127.0.0.1:{free_port()}",  # nothing there: degraded mode
        "HOTLINE_THREADS": "4",
    }
    with open(tmp_path / "serve.log", "w") as out:
        process = subprocess.Popen([HOTLINE, "serve", "--no-rasa"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                response = requests.post(base + "/api/chat", json={"user_id": "s1", "text": "失业保险金标准提高了多少？"}, timeout=60)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the app did not come up"
                time.sleep(0.5)
        assert response.status_code == 200
        assert response.headers["Server"].startswith("gunicorn")
        assert set(response.json()) >= {"reply", "citations", "answered"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = (tmp_path / "serve.log").read_text()
    assert "gthread" in log and "warmed up" in log
    assert f"WECHAT_TOKEN={development_token(tmp_path / 'var', 'WECHAT_TOKEN')}" in log
    assert "[serve] stopped" in log
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing left listening


# --- children die with their supervisor; no restart loop on a held port (issue 17, finding 6) ----
# The stand-in behaves like a server that forks a worker (Sanic, gunicorn): the worker holds the port
# and, like an orphan, outlives its parent on its own (it ignores SIGTERM).

STAND_IN = r"""
import os, signal, socket, sys, time
port, pid_file = int(sys.argv[1]), sys.argv[2]
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = socket.socket()
    server.bind(("127.0.0.1", port))
    server.listen()
    with open(pid_file + ".tmp", "w") as out:
        out.write(str(os.getpid()))
    os.replace(pid_file + ".tmp", pid_file)
    time.sleep(600)
else:
    time.sleep(600)
"""

SUPERVISOR = r"""
import json, os, sys, time
from pathlib import Path
from bot.runtime.procgroup import Child
from bot.runtime.serve import Supervisor

stand_in, tmp = sys.argv[1], Path(sys.argv[2])
ports = [int(p) for p in sys.argv[3:5]]
supervisor = Supervisor(say=lambda line: None)
child = supervisor.start(Child("app", [sys.executable, "-c", stand_in, str(ports[0]), str(tmp / "app.pid")]))
rasa = Child("rasa", [sys.executable, "-c", stand_in, str(ports[1]), str(tmp / "rasa.pid")], dict(os.environ),
             tmp / "rasa.log").start()
print(json.dumps([child.pid, rasa.pid]), flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's zombie may wait for a PID 1 that never reaps)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def wait_for(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def worker_pid(pid_file: Path) -> int:
    wait_for(pid_file.exists, 30, f"the stand-in's worker did not start ({pid_file})")
    return int(pid_file.read_text())


def test_sigkill_of_the_supervisor_leaves_no_child_and_no_port_behind(tmp_path):
    import json

    ports = [free_port(), free_port()]
    supervisor = subprocess.Popen([sys.executable, "-c", SUPERVISOR, STAND_IN, str(tmp_path), *map(str, ports)],
                                  stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    leaders = json.loads(supervisor.stdout.readline())
    workers = [worker_pid(tmp_path / "app.pid"), worker_pid(tmp_path / "rasa.pid")]
    everyone = leaders + workers
    try:
        assert all(alive(pid) for pid in everyone)
        supervisor.kill()  # SIGKILL: no handler, no cleanup of its own
        supervisor.wait()
        wait_for(lambda: not any(alive(pid) for pid in everyone), 30,
                 f"still alive after the supervisor was killed: {[p for p in everyone if alive(p)]}")
        wait_for(lambda: all(port_free(port) for port in ports), 10, "a port is still held")
    finally:
        supervisor.stdout.close()
        for pid in everyone:  # only what this test started
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_killed_server_s_orphaned_worker_is_stopped_with_it(tmp_path):
    port = free_port()
    process = Child("rasa", [sys.executable, "-c", STAND_IN, str(port), str(tmp_path / "w.pid")],
                    dict(os.environ), tmp_path / "rasa.log").start()
    worker = worker_pid(tmp_path / "w.pid")
    try:
        os.kill(process.pid, signal.SIGKILL)  # the probe's `kill -9` of a server's leader
        wait_for(lambda: not process.running, 10, "the leader did not die")
        assert alive(worker) and not port_free(port)  # the orphan keeps the port
        process.stop(grace=1)
        assert not alive(worker) and port_free(port)  # so a restart can bind it
    finally:
        if alive(worker):
            os.kill(worker, signal.SIGKILL)


class FakeStack:
    """A stack whose Rasa dies on demand; it listens nowhere (the tests hold the port themselves)."""

    def __init__(self, port: int):
        self.host, self.rasa_port = "127.0.0.1", port
        self.running = False
        self.starts = self.stops = 0
        self.crash_on_start = False

    def start(self):
        self.starts += 1
        self.running = not self.crash_on_start

    def stop(self):
        self.stops += 1
        self.running = False


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_port_held_by_another_process_is_reported_once_and_never_looped_on():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    lines, clock, stack = [], FakeClock(), FakeStack(port)
    watch = RasaWatch(stack, lines.append, clock=clock)
    try:
        for _ in range(600):  # ten minutes, checked every second
            watch.check()
            clock.now += 1
        assert stack.starts == 0, "started while the port was held"
        held = [line for line in lines if f"port {port} is held by pid {os.getpid()}" in line]
        assert len(held) == 1 and "ERROR" in held[0]
    finally:
        holder.close()
    clock.now += RasaWatch.RESTART_MAX_SECONDS
    watch.check()
    assert stack.starts == 1 and stack.running and stack.stops == 1  # stopped once, whole group


def test_a_server_that_keeps_dying_is_restarted_with_growing_pauses():
    lines, clock, stack = [], FakeClock(), FakeStack(free_port())
    stack.crash_on_start = True
    watch = RasaWatch(stack, lines.append, clock=clock)
    starts_at = []
    for _ in range(3600):  # an hour, checked every second
        before = stack.starts
        watch.check()
        if stack.starts > before:
            starts_at.append(clock.now - 1000)
        clock.now += 1
    pauses = [b - a for a, b in zip(starts_at, starts_at[1:])]
    # Each pause, plus the one-second poll that notices the death: 5, 10, 20 … up to 300 s.
    assert pauses[:6] == [6, 11, 21, 41, 81, 161] and max(pauses) == RasaWatch.RESTART_MAX_SECONDS + 1
    assert len(starts_at) < 20  # not 12 a minute
