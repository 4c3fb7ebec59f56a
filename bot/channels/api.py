"""The JSON chat API (DESIGN.md "Chat API"): `POST /api/chat`, `POST /api/feedback`, the OpenAPI document.

The web page uses the same endpoint; it says so with `X-Hotline-Channel: web` so its turns are
logged under the `web` channel.
"""
from __future__ import annotations

import json

from flask import Blueprint, jsonify, request

from bot.channels.base import InputChannel, TurnHandler, client_address, current_services, is_loopback
from bot.channels.openapi import openapi_document
from bot.config import Settings
from bot.core.messages import say
from bot.core.turn import TEXT_MAX, USER_ID_MAX, Turn, is_valid_unicode
from bot.errors import ApiError
from bot.ratelimit import RateLimiter

TURN_ID_HEADER = "X-Hotline-Turn-Id"
CHANNEL_HEADER = "X-Hotline-Channel"
# Channels whose front end talks to this API and may ask to be logged under their own name.
CLIENT_CHANNELS = ("web",)
FEEDBACK_VALUES = ("up", "down")
TURN_ID_MAX = 64
RATE_WINDOW_SECONDS = 60.0

# (field, maximum length) of each string field the endpoints accept; its name is `field_<field>`.
CHAT_FIELDS = (("user_id", USER_ID_MAX), ("text", TEXT_MAX))
FEEDBACK_FIELDS = (("turn_id", TURN_ID_MAX),)


def read_json_object() -> dict:
    """The request body as a JSON object.

    :raises ApiError: 415 when not sent as JSON, 400 when not valid JSON or not an object
        (413 for an oversized body comes from werkzeug via MAX_CONTENT_LENGTH). Nesting deeper than
        the parser's recursion limit (`[[[[…]]]]` fits in 64 KB) is 400 too.
    """
    if not request.is_json:
        raise ApiError("unsupported_media_type", say("error_unsupported_media_type"), 415)
    raw = request.get_data(cache=False)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("invalid_json", say("error_invalid_json")) from None
    except RecursionError:
        raise ApiError("invalid_json", say("error_json_too_deep")) from None
    if not isinstance(payload, dict):
        raise ApiError("invalid_body", say("error_invalid_body"))
    return payload


def required_string(payload: dict, field: str, maximum: int) -> str:
    """One required string field: at most `maximum` characters, not blank; returned stripped.

    :raises ApiError: 400 naming the field when it is missing, not a string, empty, too long, or
        holds a lone surrogate (a `\\udfff` escape: not text, and not storable as UTF-8).
    """
    label = say(f"field_{field}")
    if field not in payload or payload[field] is None:
        raise ApiError(f"missing_{field}", say("error_missing_field", label=label))
    value = payload[field]
    if not isinstance(value, str):
        raise ApiError(f"invalid_{field}", say("error_field_not_string", label=label))
    if len(value) > maximum:  # as sent: the limit a client can check before sending
        raise ApiError(f"{field}_too_long", say("error_field_too_long", label=label, maximum=maximum, length=len(value)))
    if not is_valid_unicode(value):
        raise ApiError(f"invalid_{field}", say("error_field_not_unicode", label=label))
    value = value.strip()
    if not value:
        raise ApiError(f"empty_{field}", say("error_field_empty", label=label))
    return value


def client_channel(default: str) -> str:
    """The channel a front end declares in `X-Hotline-Channel` (only our own, e.g. `web`), else `default`.

    :raises ApiError: 400 for any other value, so a typo does not silently log under `api`.
    """
    if CHANNEL_HEADER not in request.headers:
        return default
    value = request.headers[CHANNEL_HEADER]
    if value not in CLIENT_CHANNELS:
        raise ApiError("invalid_channel", say("error_invalid_channel", header=CHANNEL_HEADER, channels="、".join(CLIENT_CHANNELS)))
    return value


class ApiChannel(InputChannel):
    """`/api`: the public chat API.

    :param user_limit: chat requests per user id per minute (0: off).
    :param ip_limit: requests per client IP per minute (0: off). Direct loopback clients (the
        benchmark, health checks) are exempt; behind a local reverse proxy the limit applies to the
        address it forwards.
    """

    NAME = "api"

    def __init__(self, user_limit: int = 20, ip_limit: int = 120):
        if user_limit < 0 or ip_limit < 0:
            raise ValueError(f"rate limits must be 0 (off) or more, got user={user_limit} ip={ip_limit}")
        self.user_limit, self.ip_limit = user_limit, ip_limit

    @classmethod
    def from_config(cls, settings: Settings) -> "ApiChannel":
        return cls(user_limit=settings.rate_limit_user, ip_limit=settings.rate_limit_ip)

    def _check_rate(self, scope: str, limit: int, key: str) -> None:
        retry_after = RateLimiter(current_services().state, scope, limit, RATE_WINDOW_SECONDS).hit(key)
        if retry_after is not None:
            raise ApiError("rate_limited", say("error_rate_limited_for", seconds=retry_after), 429,
                           {"Retry-After": str(retry_after)})

    def _check_ip_rate(self) -> None:
        address = client_address()
        if not is_loopback(address):
            self._check_rate("ip", self.ip_limit, address)

    def blueprint(self, handle_turn: TurnHandler) -> Blueprint:
        bp = Blueprint(self.name(), __name__, url_prefix=self.url_prefix())

        @bp.post("/chat")
        def chat():
            """One user message in, the assistant's reply out (DESIGN.md "Chat API")."""
            self._check_ip_rate()
            payload = read_json_object()
            user_id, text = (required_string(payload, *spec) for spec in CHAT_FIELDS)
            channel = client_channel(self.name())
            self._check_rate("user", self.user_limit, user_id)
            turn = Turn(channel=channel, user_id=user_id, text=text)
            reply = handle_turn(turn)
            response = jsonify(reply.to_api())
            response.headers[TURN_ID_HEADER] = turn.message_id
            response.headers["Cache-Control"] = "no-store"
            return response

        @bp.post("/feedback")
        def feedback():
            """👍/👎 on one answer, stored with its turn."""
            self._check_ip_rate()
            payload = read_json_object()
            (turn_id,) = (required_string(payload, *spec) for spec in FEEDBACK_FIELDS)
            value = payload.get("value")
            if value not in FEEDBACK_VALUES:
                raise ApiError("invalid_value", say("error_invalid_feedback"))
            if not current_services().turn_log.feedback(turn_id, value):
                raise ApiError("feedback_rejected", say("error_feedback_rejected"))
            return jsonify({"turn_id": turn_id, "value": value})

        @bp.get("/openapi.json")
        def openapi():
            """The OpenAPI 3 description of this API."""
            return jsonify(openapi_document())

        return bp
