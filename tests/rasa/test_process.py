"""Generated Rasa configuration and command lines (`bot.rasa_process`), without starting anything."""
from __future__ import annotations

import sqlite3

import pytest
import yaml

from bot.config import ConfigError, Settings
from bot.rasa_process import (
    RASA_PYTHON,
    USERDICT,
    action_server_command,
    action_server_env,
    endpoints,
    fingerprint,
    lock_store_config,
    model_path,
    port_of,
    prepare_training,
    rasa_server_command,
    tracker_store_config,
    training_inputs,
    write_yaml,
)


def test_the_default_tracker_store_is_a_sqlite_file_in_wal_mode(settings):
    config = tracker_store_config(settings)
    assert config == {"type": "SQL", "dialect": "sqlite", "db": str(settings.var_dir / "rasa" / "tracker.sqlite3")}
    with sqlite3.connect(config["db"]) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_postgresql_tracker_store(tmp_path):
    s = Settings.from_env({"HOTLINE_RASA_TRACKER_URL": "postgresql+psycopg://rasa:s3cret@db.local:5433/tracker?login_db=postgres&sslmode=require"},
                          var_dir=tmp_path)
    assert tracker_store_config(s) == {
        "type": "SQL", "dialect": "postgresql", "url": "db.local", "port": 5433, "db": "tracker",
        "username": "rasa", "password": "s3cret", "login_db": "postgres", "query": {"sslmode": "require"},
    }


@pytest.mark.parametrize(
    "url, message",
    [("mysql://x@h/db", "must be sqlite:/// or postgresql://"), ("not a url", "is not a database URL")],
)
def test_bad_tracker_urls_name_the_variable(tmp_path, url, message):
    s = Settings.from_env({"HOTLINE_RASA_TRACKER_URL": url}, var_dir=tmp_path)
    with pytest.raises(ConfigError, match=message) as err:
        tracker_store_config(s)
    assert "HOTLINE_RASA_TRACKER_URL" in str(err.value)


def test_the_lock_store_is_redis_only_when_configured(tmp_path):
    assert lock_store_config(Settings.from_env({}, var_dir=tmp_path)) is None
    s = Settings.from_env({"HOTLINE_REDIS_URL": "rediss://:pw@cache:6380/2"}, var_dir=tmp_path)
    assert lock_store_config(s) == {
        "type": "redis", "url": "cache", "port": 6380, "db": 2, "key_prefix": "hotline_rasa", "password": "pw",
        "use_ssl": True,
    }
    with pytest.raises(ConfigError, match="HOTLINE_REDIS_URL"):
        lock_store_config(Settings.from_env({"HOTLINE_REDIS_URL": "http://cache"}, var_dir=tmp_path))


def test_endpoints_file(settings, tmp_path):
    path = write_yaml(tmp_path / "endpoints.yml", endpoints(settings, "http://127.0.0.1:5055/webhook"))
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert content["action_endpoint"] == {"url": "http://127.0.0.1:5055/webhook"}
    assert content["tracker_store"]["type"] == "SQL"
    assert "lock_store" not in content


def test_command_lines(tmp_path):
    command = rasa_server_command(tmp_path / "m.tar.gz", 5005, tmp_path / "e.yml", tmp_path / "c.yml", auth_token="t")
    assert command[:4] == [str(RASA_PYTHON), "-m", "bot.rasa_server", "run"]
    assert "--enable-api" in command
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "5005"
    assert command[command.index("--auth-token") + 1] == "t"
    actions = action_server_command(5055, tmp_path / "e.yml", python="py")
    assert actions[:5] == ["py", "-m", "rasa_sdk", "--actions", "bot.actions"]
    assert actions[actions.index("--port") + 1] == "5055"


def test_the_action_server_gets_the_apps_settings(tmp_path):
    import datetime as dt

    s = Settings.from_env({}, var_dir=tmp_path, as_of=dt.date(2020, 3, 1), redis_url="redis://127.0.0.1:6379/0")
    env = action_server_env(s)
    assert env["HOTLINE_VAR_DIR"] == str(tmp_path)
    assert env["HOTLINE_AS_OF"] == "2020-03-01"
    assert env["HOTLINE_SECRET_KEY"] == s.secret_key
    assert env["HOTLINE_REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert env["SANIC_HOST"] == "127.0.0.1"
    assert Settings.from_env(env).var_dir == tmp_path


@pytest.mark.parametrize("url, port", [("http://127.0.0.1:5005", 5005), ("http://rasa", 80), ("https://rasa/", 443)])
def test_port_of(url, port):
    assert port_of(url) == port


def test_the_fingerprint_covers_data_config_and_dictionary(tmp_path):
    names = {p.name for p in training_inputs()}
    assert {"config.yml", "domain.yml", "nlu.yml", "rules.yml", "stories.yml", "userdict.txt"} <= names
    assert fingerprint() == fingerprint()
    assert model_path(tmp_path).name == f"hotline-{fingerprint()}.tar.gz"


def test_training_config_points_jieba_at_a_folder_holding_only_the_dictionary(tmp_path):
    config = yaml.safe_load(prepare_training(tmp_path).read_text(encoding="utf-8"))
    jieba = next(c for c in config["pipeline"] if c["name"] == "JiebaTokenizer")
    folder = tmp_path / "jieba"
    assert jieba["dictionary_path"] == str(folder)
    assert [p.name for p in folder.iterdir()] == ["userdict.txt"]
    lines = (folder / "userdict.txt").read_text(encoding="utf-8").splitlines()
    assert lines and not any(ln.startswith("#") or not ln.strip() for ln in lines)
    assert set(lines) <= set(USERDICT.read_text(encoding="utf-8").splitlines())


def test_restart_names_the_servers(settings, tmp_path):
    from bot.rasa_process import RasaStack

    stack = RasaStack(settings, tmp_path / "m.tar.gz", 1, 2)
    assert stack.down() == []
    with pytest.raises(ValueError, match="known: actions, rasa"):
        stack.restart("gunicorn")
