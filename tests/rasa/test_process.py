"""Rasa command lines, environment and training inputs (`bot.runtime.rasa_process`), without starting anything."""
from __future__ import annotations

import pytest
import yaml

from bot.runtime.rasa_process import (
    NLU_DATA,
    RASA_PYTHON,
    RASA_SERVER,
    USERDICT,
    fingerprint,
    model_path,
    port_of,
    prepare_training,
    rasa_server_command,
    rasa_server_env,
    train_command,
    training_inputs,
)
from bot.rasa_client import api_token


def test_the_server_command_serves_the_nlu_api_on_loopback_without_a_token(tmp_path):
    command = rasa_server_command(tmp_path / "m.tar.gz", 5005)
    assert command[:3] == [str(RASA_PYTHON), str(RASA_SERVER), "run"] and RASA_SERVER.is_file()
    assert "--enable-api" in command
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "5005"
    assert not {"--auth-token", "--endpoints", "--credentials"} & set(command)  # ps shows command lines


def test_the_token_travels_in_the_servers_environment(settings):
    env = rasa_server_env(settings)
    assert env["HOTLINE_RASA_TOKEN"] == api_token(settings.secret_key)
    assert "PYTHONPATH" not in env  # the app's packages are Python 3.11


def test_training_is_nlu_only(tmp_path):
    command = train_command(tmp_path / "config.yml", tmp_path / "out", "m")
    assert command[1:3] == ["train", "nlu"]
    assert command[command.index("--nlu") + 1] == str(NLU_DATA)
    assert "--domain" not in command


@pytest.mark.parametrize("url, port", [("http://127.0.0.1:5005", 5005), ("http://rasa", 80), ("https://rasa/", 443)])
def test_port_of(url, port):
    assert port_of(url) == port


def test_the_fingerprint_covers_data_config_and_dictionary(tmp_path):
    names = {p.name for p in training_inputs()}
    assert {"config.yml", "nlu.yml", "userdict.txt"} <= names
    assert fingerprint() == fingerprint()
    assert model_path(tmp_path).name == f"hotline-nlu-{fingerprint()}.tar.gz"


def test_training_config_points_jieba_at_a_folder_holding_only_the_dictionary(tmp_path):
    config = yaml.safe_load(prepare_training(tmp_path).read_text(encoding="utf-8"))
    jieba = next(c for c in config["pipeline"] if c["name"] == "JiebaTokenizer")
    folder = tmp_path / "jieba"
    assert jieba["dictionary_path"] == str(folder)
    assert [p.name for p in folder.iterdir()] == ["userdict.txt"]
    lines = (folder / "userdict.txt").read_text(encoding="utf-8").splitlines()
    assert lines and not any(ln.startswith("#") or not ln.strip() for ln in lines)
    assert set(lines) <= set(USERDICT.read_text(encoding="utf-8").splitlines())
    assert "policies" not in config


def test_a_stack_that_never_started_is_not_running(settings, tmp_path):
    from bot.runtime.rasa_process import RasaStack

    stack = RasaStack(settings, tmp_path / "m.tar.gz", 1)
    assert not stack.running and stack.pid is None
    stack.stop()  # nothing to stop: no error
