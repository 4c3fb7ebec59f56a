"""The Flask application factory: every channel and the staff dashboard on one app."""
from __future__ import annotations

import logging
import time

from flask import Flask, Response

from bot.config import REPO_ROOT, Settings
from bot.core.turn import Reply, Turn
from bot.errors import register_error_handlers
from bot.runtime.services import Services

log = logging.getLogger(__name__)


def create_app(
    test_config: dict | None = None,
    services: Services | None = None,
    channels: list | None = None,
) -> Flask:
    """Build the app.

    :param test_config: Flask config overrides; may hold `SETTINGS` (a `Settings`).
    :param services: a prebuilt object graph (tests share one across apps).
    :param channels: channel instances to serve instead of the configured ones (tests).
    """
    app = Flask(__name__, static_folder=None)  # assets belong to the web channel's blueprint
    test_config = dict(test_config or {})
    settings = test_config.pop("SETTINGS", None) or (services.settings if services else Settings.from_env())
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.config.update(test_config)
    app.json.ensure_ascii = False  # Chinese stays readable in JSON bodies
    app.json.sort_keys = False  # keep the contract's field order
    app.extensions["hotline"] = services or Services(settings)

    register_error_handlers(app)
    register_blueprints(app, channels)
    return app


def register_blueprints(app: Flask, channels: list | None = None) -> None:
    """Every URL prefix of the system, in one place."""
    from bot.dashboard import staff_blueprint
    from bot.handoff.citizen import citizen_blueprint

    services = services_of(app)
    handle_turn = make_turn_handler(services)
    for channel in channels if channels is not None else [c.from_config(services.settings) for c in channel_classes()]:
        app.register_blueprint(channel.blueprint(handle_turn))
    app.register_blueprint(citizen_blueprint())
    app.register_blueprint(staff_blueprint())
    app.add_url_rule(FAVICON_URL, "favicon", favicon)


def channel_classes() -> tuple:
    """Every channel the app serves, in registration order: the one list to add a channel to.
    It lives here, above `bot.channels` and `ivr/`, because the phone channel imports the base."""
    from bot.channels import ApiChannel, WebChannel, WeChatChannel
    from ivr.voice import IvrChannel

    return (ApiChannel, WeChatChannel, WebChannel, IvrChannel)


FAVICON_URL = "/favicon.ico"  # what browsers ask for by default; the pages link it too
FAVICON_FILE = REPO_ROOT / "bot" / "static" / "avatar-bot.svg"


def favicon():
    """The site icon for every page (web chat, dashboard): the bot's avatar, an SVG."""
    response = Response(FAVICON_FILE.read_bytes(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def make_turn_handler(services: Services):
    """The one turn logic every channel calls: `services.conversation.handle(turn)`.

    The conversation logs each turn itself. Should it ever raise, the user still gets a polite
    answer and the turn is still logged, marked as an error.

    :param services: the object graph.
    :returns: `handle_turn(turn) -> Reply`.
    """
    from bot.core.messages import say

    def handle_turn(turn: Turn) -> Reply:
        started = time.perf_counter()
        try:
            return services.conversation.handle(turn)
        except Exception:
            log.exception("the conversation failed on a %s turn", turn.channel)
            reply = Reply(reply=say("unavailable"), answered=False, intent="error", abstain_reason="error")
            try:
                services.turn_log.record(turn, reply, (time.perf_counter() - started) * 1000)
            except Exception:
                log.exception("could not log a failed turn")
            return reply

    return handle_turn


def services_of(app: Flask) -> Services:
    return app.extensions["hotline"]
