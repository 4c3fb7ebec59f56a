"""The Flask application factory: every channel and the staff dashboard on one app."""
from __future__ import annotations

from flask import Flask

from bot.config import Settings
from bot.services import Services


def create_app(test_config: dict | None = None, services: Services | None = None) -> Flask:
    """Build the app.

    :param test_config: Flask config overrides; may hold `SETTINGS` (a `Settings`).
    :param services: a prebuilt object graph (tests share one across apps).
    """
    app = Flask(__name__)
    test_config = dict(test_config or {})
    settings = test_config.pop("SETTINGS", None) or (services.settings if services else Settings.from_env())
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=64 * 1024,
        JSON_AS_ASCII=False,
    )
    app.config.update(test_config)
    app.extensions["hotline"] = services or Services(settings)

    register_blueprints(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Every URL prefix of the system, in one place."""
    # Channels register here as they land: api, wechat, web, ivr, staff dashboard.


def services_of(app: Flask) -> Services:
    return app.extensions["hotline"]
