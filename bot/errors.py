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


# Chinese messages for the HTTP errors Flask/werkzeug raise on their own.
HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "无权访问。"),
    404: ("not_found", "请求的地址不存在。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    406: ("not_acceptable", "无法提供所请求的格式。"),
    408: ("request_timeout", "请求超时，请重试。"),
    411: ("length_required", "请求缺少内容长度。"),
    413: ("request_too_large", "请求内容过大。"),
    414: ("uri_too_long", "请求地址过长。"),
    415: ("unsupported_media_type", "请使用 JSON 格式（Content-Type: application/json）提交。"),
    429: ("rate_limited", "请求过于频繁，请稍后再试。"),
    431: ("headers_too_large", "请求头过大。"),
    500: ("internal_error", "系统繁忙，请稍后再试。"),
    501: ("not_implemented", "不支持该请求。"),
    503: ("unavailable", "服务暂时不可用，请稍后再试。"),
}


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
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(exc: HTTPException):
    """Answer a werkzeug exception in the error shape, keeping headers such as `Allow`."""
    status = exc.code or 500
    code, message = HTTP_MESSAGES.get(status) or (
        HTTP_MESSAGES[400] if 400 <= status < 500 else HTTP_MESSAGES[500]
    )
    kept = {}
    if exc.response is None:
        for name, value in exc.get_headers():
            if name.lower() in ("allow", "retry-after", "www-authenticate"):
                kept[name] = value
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
        code, message = HTTP_MESSAGES[500]
        return error_response(code, message, 500)
