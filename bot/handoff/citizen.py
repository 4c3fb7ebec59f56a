"""`GET /api/handoff`: what a citizen's chat page polls while a person is involved.

Query: `user_id` (the conversation, as sent to `/api/chat`), `after` (the id of the last agent
message the page has shown, default 0). The channel is `X-Hotline-Channel` (the web page says
`web`) or `api`. Answer: `{"status": "none"|"waiting"|"held", "ahead", "agent", "off_duty",
"messages": [{"id", "from": "agent"|"system", "agent", "text", "citations", "at"}]}`.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from bot.channels.api import client_channel
from bot.channels.base import current_services
from bot.core.messages import say
from bot.core.turn import USER_ID_MAX
from bot.errors import ApiError

POLL_SECONDS = 2  # how often the web page asks (chat.js reads it from the answer)


def citizen_blueprint() -> Blueprint:
    bp = Blueprint("handoff", __name__, url_prefix="/api/handoff")

    @bp.get("")
    def status():
        """Queue position and new agent messages of one conversation."""
        user_id = (request.args.get("user_id") or "").strip()
        if not user_id or len(user_id) > USER_ID_MAX:
            raise ApiError("invalid_user_id", say("error_user_id_length", label=say("field_user_id"), maximum=USER_ID_MAX))
        try:
            after = int(request.args.get("after", "0"))
        except ValueError:
            raise ApiError("invalid_after", say("error_invalid_after")) from None
        view = current_services().handoff.citizen_view(client_channel("api"), user_id, after)
        view["poll_seconds"] = POLL_SECONDS
        response = jsonify(view)
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp
