"""Twilio request signatures: every IVR webhook is checked, and a bad signature gets 403.

Twilio signs the URL it called plus the POST parameters with the account's auth token
(`X-Twilio-Signature`, HMAC-SHA1). Behind a proxy the URL this app sees differs from the one
Twilio called, so `HOTLINE_PUBLIC_URL` (the public base that maps to this app's root) replaces
scheme, host and any prefix. Without `TWILIO_AUTH_TOKEN` a development token is generated once
and kept under var/; `hotline serve` prints it and `hotline ivr-sim` signs with it.
"""
from __future__ import annotations

import functools
import logging
from typing import Callable
from urllib.parse import quote

from flask import Request, request
from twilio.request_validator import RequestValidator

from bot.config import Settings, development_token
from bot.errors import error_response

SIGNATURE_HEADER = "X-Twilio-Signature"
TOKEN_VARIABLE = "TWILIO_AUTH_TOKEN"
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"

log = logging.getLogger(__name__)


def auth_token(settings: Settings) -> str:
    """The token Twilio signs with: `TWILIO_AUTH_TOKEN`, else the development token under var/
    (the same across restarts and processes sharing var/)."""
    return settings.twilio_auth_token or development_token(settings.var_dir, TOKEN_VARIABLE)


def signed_url(req: Request, public_url: str = "") -> str:
    """The URL Twilio signed for this request: the public base (`HOTLINE_PUBLIC_URL`, or when empty
    this request's root URL) joined with the path and the raw, still percent-encoded, query string."""
    # Twilio signs the URL as it called it: percent-encoded. `req.url` would decode the query
    # (失业金 instead of %E5%A4%B1…), so the URL is rebuilt from the raw query string.
    base = public_url.rstrip("/") if public_url else req.root_url.rstrip("/")
    query = req.query_string.decode("latin-1")
    return base + quote(req.path, safe=_PATH_SAFE) + (f"?{query}" if query else "")


def signature_params(req: Request):
    """The parameters Twilio signs: the form of a POST (a GET's are already in the URL)."""
    return req.form if req.method == "POST" else {}


def signature_required(token: str, public_url: str = "") -> Callable:
    """Decorator for a view: answer 403 unless `X-Twilio-Signature` is valid for the request."""
    validator = RequestValidator(token)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def checked(*args, **kwargs):
            signature = request.headers.get(SIGNATURE_HEADER, "")
            url = signed_url(request, public_url)
            if not signature or not validator.validate(url, signature_params(request), signature):
                log.warning("IVR request with a bad Twilio signature refused: %s %s", request.method, url)
                return error_response("bad_signature", "请求签名无效，已拒绝。", 403)
            return view(*args, **kwargs)

        return checked

    return decorate


def sign(token: str, url: str, params: dict) -> str:
    """The `X-Twilio-Signature` Twilio would send for a POST of `params` to the full `url` (for the
    simulator and tests)."""
    return RequestValidator(token).compute_signature(url, params)
