"""`hotline serve`: the supervisor, and the app under gunicorn started and stopped for real."""
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
from bot.serve import Child, Supervisor, banner, development_tokens

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
