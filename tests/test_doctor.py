"""`hotline doctor`, and the permissions of the data files the app creates (issue 17).
Run: .venv/bin/python -m pytest -q tests/test_doctor.py"""
from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.runtime.cli import main
from bot.runtime.doctor import placeholder_secrets

HOTLINE = str(Path(sys.executable).with_name("hotline"))
STRONG = secrets.token_hex(32)


@pytest.fixture
def env(tmp_path, monkeypatch):
    var = tmp_path / "var"
    var.mkdir(mode=0o700)
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(var))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{var / 'hotline.sqlite3'}")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", STRONG)
    for name in ("WECHAT_TOKEN", "TWILIO_AUTH_TOKEN", "WECHAT_ENCODING_AES_KEY", "WECHAT_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return var


def doctor(*args):
    return CliRunner().invoke(main, ["doctor", *args])


def test_a_clean_installation_passes(env):
    (env / "hotline.sqlite3").write_bytes(b"")
    (env / "hotline.sqlite3").chmod(0o600)
    result = doctor()
    assert result.exit_code == 0, result.output
    assert result.output.count("OK  ") == 4 and "All checks passed." in result.output


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o666, 0o602])
def test_a_data_file_open_to_other_users_fails_and_fix_closes_it(env, mode):
    data = env / "rasa" / "tracker.sqlite3"
    data.parent.mkdir(mode=0o755)
    data.write_bytes(b"raw questions")
    data.chmod(mode)
    result = doctor()
    assert result.exit_code == 1
    assert "FAIL  permissions" in result.output and str(data) in result.output and "hotline doctor --fix" in result.output
    fixed = doctor("--fix")
    assert fixed.exit_code == 0, fixed.output
    assert stat.S_IMODE(data.stat().st_mode) & 0o007 == 0 and stat.S_IMODE(data.parent.stat().st_mode) & 0o007 == 0
    assert stat.S_IMODE(data.stat().st_mode) & 0o600 == mode & 0o600  # the owner keeps its access


def test_a_database_outside_var_is_checked_too(env, tmp_path, monkeypatch):
    database = tmp_path / "elsewhere.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{database}")
    result = doctor()
    assert result.exit_code == 1 and str(database) in result.output


@pytest.mark.parametrize("key", ["dev", "secret", "short-but-not-default", "a" * 64, "placeholder"])
def test_a_weak_or_placeholder_secret_key_fails(env, monkeypatch, key):
    if key == "placeholder":
        (key,) = [v for v in placeholder_secrets() if v.startswith("change-me-64")]  # deploy/scaleout.env
    monkeypatch.setenv("HOTLINE_SECRET_KEY", key)
    result = doctor()
    assert result.exit_code == 1 and "FAIL  secret key" in result.output, result.output


@pytest.mark.parametrize("variable", ["HOTLINE_SECRET_KEY", "TWILIO_AUTH_TOKEN", "WECHAT_TOKEN", "rasa"])
def test_a_secret_on_a_command_line_fails_naming_the_process(env, monkeypatch, variable):
    if variable == "rasa":
        from bot.config import Settings
        from bot.rasa_client import api_token

        value, name = api_token(Settings.from_env().secret_key), "Rasa API token"
    else:
        value = name = variable
        value = STRONG if variable == "HOTLINE_SECRET_KEY" else secrets.token_hex(16)
        monkeypatch.setenv(variable, value)
    # A process with the secret among its arguments, as `rasa run --auth-token …` had it.
    shown = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "--auth-token", value])
    try:
        time.sleep(0.2)
        result = doctor()
    finally:
        shown.kill()
        shown.wait()
    assert result.exit_code == 1
    assert f"pid {shown.pid} (python" in result.output and f"shows {name}" in result.output
    assert value not in result.output  # the report never repeats the secret


def test_a_turn_log_that_cannot_persist_warns(env):
    (env / "turnlog").write_text("a file where the spill folder should be")
    result = doctor()
    assert result.exit_code == 0 and "WARN  turn log" in result.output and "Passed, with warnings." in result.output
    assert doctor("--strict").exit_code == 1


def test_files_the_hotline_command_creates_are_the_service_user_s_alone(tmp_path):
    var = tmp_path / "fresh-var"
    env = {**os.environ, "HOTLINE_VAR_DIR": str(var), "HOTLINE_SECRET_KEY": STRONG,
           "HOTLINE_DATABASE_URL": f"sqlite:///{var / 'db' / 'hotline.sqlite3'}"}
    env.pop("WECHAT_TOKEN", None)
    # A shell umask of 022 (the usual default) must not leak into the data.
    subprocess.run(["sh", "-c", f"umask 022 && exec {HOTLINE} hotspots migrate"], env=env, check=True,
                   capture_output=True, timeout=300)
    created = [var, *var.rglob("*")]
    assert any(p.name == "hotline.sqlite3" for p in created)
    open_to_others = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in created if p.stat().st_mode & 0o077}
    assert open_to_others == {}
    result = subprocess.run([HOTLINE, "doctor"], env=env, capture_output=True, text=True, timeout=120)
    assert "OK    permissions" in result.stdout, result.stdout
