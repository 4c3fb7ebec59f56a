"""IVR settings and the channel's validation. Run: .venv/bin/python -m pytest -q tests/ivr/test_settings.py"""
import pytest

from bot.config import ConfigError, Settings
from ivr.voice import IvrChannel


def test_defaults_speak_and_listen_in_mandarin(tmp_path):
    channel = IvrChannel.from_config(Settings.from_env({}, var_dir=tmp_path))
    assert (channel.voice, channel.voice_language, channel.speech_language) == ("Polly.Zhiyu", "cmn-CN", "cmn-Hans-CN")
    assert (channel.dial_timeout, channel.voicemail_seconds, channel.agent_numbers) == (20, 120, ())
    assert channel.name() == "ivr" and channel.url_prefix() == "/ivr"
    assert len(channel.auth_token) == 32  # the development token


def test_values_are_read_from_the_environment(tmp_path):
    settings = Settings.from_env({
        "HOTLINE_VAR_DIR": str(tmp_path), "HOTLINE_IVR_VOICE": "Polly.Zhiyu-Neural", "HOTLINE_IVR_VOICE_LANGUAGE": "cmn-CN",
        "HOTLINE_IVR_LANGUAGE": "zh-CN", "HOTLINE_IVR_DIAL_TIMEOUT": "30", "HOTLINE_IVR_VOICEMAIL_SECONDS": "90",
        "HOTLINE_AGENT_NUMBERS": "+8641112333,+8641112334", "HOTLINE_PUBLIC_URL": "https://hotline.example.com/",
        "TWILIO_AUTH_TOKEN": "abc",
    })
    channel = IvrChannel.from_config(settings)
    assert (channel.voice, channel.speech_language) == ("Polly.Zhiyu-Neural", "zh-CN")
    assert (channel.dial_timeout, channel.voicemail_seconds) == (30, 90)
    assert channel.agent_numbers == ("+8641112333", "+8641112334")
    assert channel.public_url == "https://hotline.example.com" and channel.auth_token == "abc"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"HOTLINE_IVR_DIAL_TIMEOUT": "soon"}, "HOTLINE_IVR_DIAL_TIMEOUT must be a number"),
        ({"HOTLINE_IVR_DIAL_TIMEOUT": "2"}, "HOTLINE_IVR_DIAL_TIMEOUT must be between 5 and 600 seconds, got 2"),
        ({"HOTLINE_IVR_VOICEMAIL_SECONDS": "0"}, "HOTLINE_IVR_VOICEMAIL_SECONDS must be between 1 and 3600, got 0"),
    ],
)
def test_bad_settings_name_the_variable(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"HOTLINE_VAR_DIR": str(tmp_path), **env})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"auth_token": ""}, "needs a Twilio auth token"),
        ({"speech_language": "Mandarin"}, "HOTLINE_IVR_LANGUAGE must be a language tag such as cmn-CN or cmn-Hans-CN, got 'Mandarin'"),
        ({"voice_language": "cmn_CN"}, "HOTLINE_IVR_VOICE_LANGUAGE must be a language tag"),
        ({"voice": ""}, "HOTLINE_IVR_VOICE must name a Twilio voice"),
        ({"agent_numbers": ("0411-12333",)}, "HOTLINE_AGENT_NUMBERS must hold phone numbers such as \\+8641112333, got '0411-12333'"),
        ({"public_url": "hotline.example.com"}, "HOTLINE_PUBLIC_URL must start with http:// or https://"),
    ],
)
def test_the_channel_refuses_values_twilio_would_reject(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        IvrChannel(**{"auth_token": "t", **kwargs})
