"""The web chat page (`/`): a WeChat-style conversation in the browser, talking to `/api/chat`.

Everything it loads (HTML, CSS, JS, icons) is served from `bot/static` and `bot/templates`, so it
works on an intranet with no internet; the Content-Security-Policy forbids any other origin.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template

from bot.channels.api import CHANNEL_HEADER, TURN_ID_HEADER
from bot.channels.base import CITATION_LABEL, STARTER_TOPICS, InputChannel, TurnHandler
from bot.reply import TEXT_MAX

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
)


class WebChannel(InputChannel):
    """`/`: the mobile web chat; its turns reach the API logged under the `web` channel."""

    @classmethod
    def name(cls) -> str:
        return "web"

    def blueprint(self, handle_turn: TurnHandler) -> Blueprint:
        bp = Blueprint(
            self.name(),
            __name__,
            static_folder="../static",
            static_url_path=self.url_prefix() + "/static",
            template_folder="../templates",
        )

        @bp.get("/")
        def index():
            """The chat page."""
            page = render_template(
                "chat.html",
                chat_config={
                    "chatUrl": "/api/chat",
                    "feedbackUrl": "/api/feedback",
                    "channel": self.name(),
                    "channelHeader": CHANNEL_HEADER,
                    "turnIdHeader": TURN_ID_HEADER,
                    "starterTopics": list(STARTER_TOPICS),
                    "citationLabel": CITATION_LABEL,
                    "textMax": TEXT_MAX,
                },
            )
            response = Response(page, mimetype="text/html")
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

        return bp
