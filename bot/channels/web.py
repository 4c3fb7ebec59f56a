"""The web chat page (`/`): a WeChat-style conversation in the browser, talking to `/api/chat`.

Everything it loads (HTML, CSS, JS, icons) is served from `bot/static` and `bot/templates`, so it
works on an intranet with no internet; the Content-Security-Policy forbids any other origin.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template

from bot.channels.api import CHANNEL_HEADER, TURN_ID_HEADER
from bot.channels.base import InputChannel, TurnHandler, current_services
from bot.core.messages import say, starter_questions, web_page
from bot.core.turn import TEXT_MAX

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
)


class WebChannel(InputChannel):
    """`/`: the mobile web chat; its turns reach the API logged under the `web` channel."""

    NAME = "web"

    def blueprint(self, handle_turn: TurnHandler) -> Blueprint:
        bp = Blueprint(
            self.name(),
            __name__,
            static_folder="../static",
            static_url_path=self.url_prefix() + "/static",
            template_folder="../templates",
        )

        titles: list[str] = []

        def article_titles() -> list[str]:
            """The notice's article titles: suggestions that name one are shown as related articles."""
            if not titles:
                try:
                    titles.extend(article.title for _, article in current_services().knowledge_base.articles())
                except Exception:  # noqa: BLE001 - the page still works; titles then show as questions
                    log.warning("web chat: knowledge base unavailable; related articles shown as questions")
            return titles

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
                    "starterTopics": starter_questions(),
                    # `Citation.reference` with the article number left to the page (in Chinese numerals).
                    "citationLabel": say("citation", document="{document}", label="（{article_cn}）", title="{title}"),
                    "textMax": TEXT_MAX,
                    "handoffText": say("human"),
                    "articleTitles": article_titles(),
                    "staffReplyMark": say("curated_staff", signature="").split("（")[0],
                    "text": {**web_page(), "cancel": say("handoff_cancel")},
                },
                welcome=say("welcome"),
            )
            response = Response(page, mimetype="text/html")
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

        return bp
