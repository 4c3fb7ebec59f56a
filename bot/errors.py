"""The one error shape of every JSON endpoint: `{"error": {"code": "...", "message": "..."}}`.

Messages are Simplified Chinese for the user; codes are stable English slugs for programs.
`register_error_handlers(app)` makes every error path of the app answer in this shape:
errors views raise (`ApiError`), errors Flask/werkzeug raise (`HTTPException`), and bugs
(any other exception: logged with its traceback, answered 500 without details).
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from bot.core.messages import say

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from a view to answer with the error shape.

    :param code: a stable slug, e.g. `text_too_long`.
    :param message: the Chinese explanation shown to the user.
    :param status: the HTTP status, 4xx.
    :param headers: extra response headers, e.g. `Retry-After` on 429.
    """

    def __init__(self, code: str, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.headers = dict(headers or {})


# The codes of the HTTP errors Flask/werkzeug raise on their own; each message is `error_<code>`.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    411: "length_required",
    413: "request_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}


def http_error(status: int) -> tuple[str, str]:
    """The code and Chinese message of an HTTP status (another 4xx as 400, another 5xx as 500)."""
    code = HTTP_CODES.get(status) or HTTP_CODES[400 if 400 <= status < 500 else 500]
    return code, say(f"error_{code}")


def error_body(code: str, message: str) -> dict:
    """The JSON body of every error answer."""
    return {"error": {"code": code, "message": message}}


def error_response(code: str, message: str, status: int, headers: dict[str, str] | None = None):
    """A Flask response in the error shape.

    :param code: the stable slug.
    :param message: the Chinese message.
    :param status: the HTTP status.
    :param headers: extra headers to keep (e.g. `Retry-After`, `Allow`).
    """
    response = jsonify(error_body(code, message))
    response.status_code = status
    response.headers.update(headers or {})
    return response


def from_http_exception(exc: HTTPException):
    """Answer a werkzeug exception in the error shape, keeping headers such as `Allow`."""
    status = exc.code or 500
    code, message = http_error(status)
    kept = {}
    if exc.response is None:
        kept = {name: value for name, value in exc.get_headers()
                if name.lower() in ("allow", "retry-after", "www-authenticate")}
    return error_response(code, message, status, kept)


def register_error_handlers(app: Flask) -> None:
    """Make every error of `app` answer `{"error": {"code", "message"}}`, never an HTML page."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.code, exc.message, exc.status, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return from_http_exception(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # A bug: keep the traceback in the log, tell the user only that it failed.
        log.exception("unhandled error while serving a request")
        code, message = http_error(500)
        return error_response(code, message, 500)
