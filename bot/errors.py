"""The one error shape of every JSON endpoint: `{"error": {"code": "...", "message": "..."}}`.

Messages are Simplified Chinese for the user; codes are stable English slugs for programs.
"""
from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """Raise from a view to answer with the error shape.

    :param code: a stable slug, e.g. `text_too_long`.
    :param message: the Chinese explanation shown to the user.
    :param status: the HTTP status, 4xx.
    """

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# Chinese messages for the HTTP errors Flask/werkzeug raises on its own.
HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确。"),
    403: ("forbidden", "无权访问。"),
    404: ("not_found", "请求的地址不存在。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    413: ("request_too_large", "请求内容过大。"),
    415: ("unsupported_media_type", "请使用 JSON 格式（Content-Type: application/json）提交。"),
    429: ("rate_limited", "请求过于频繁，请稍后再试。"),
    500: ("internal_error", "系统繁忙，请稍后再试。"),
    503: ("unavailable", "服务暂时不可用，请稍后再试。"),
}


def error_response(code: str, message: str, status: int):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def from_http_exception(exc: HTTPException):
    code, message = HTTP_MESSAGES.get(exc.code or 500, HTTP_MESSAGES[500])
    return error_response(code, message, exc.code or 500)
