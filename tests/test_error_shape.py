"""Every error path of every JSON endpoint answers `{"error": {"code", "message"}}` with a Chinese
message (after Datasette's test_error_shape): validation, limits, wrong methods, unknown paths,
signatures, bugs."""
from __future__ import annotations

import re

import pytest
from flask import Blueprint

from bot.app import create_app
from bot.channels import ApiChannel, WeChatChannel
from bot.runtime.services import Services

CHINESE = re.compile(r"[\u4e00-\u9fff]")
TOKEN = "shapetoken"
BIG = '{"user_id": "u", "text": "' + "x" * 70_000 + '"}'


class FakeConversation:
    def handle(self, turn):
        from bot.core.turn import Reply

        return Reply(reply="好的")


class ExplodingChannel:
    """A channel with a bug, to reach the catch-all handler."""

    @classmethod
    def name(cls):
        return "boom"

    def blueprint(self, handle_turn):
        bp = Blueprint("boom", __name__, url_prefix="/boom")

        @bp.get("")
        def boom():
            raise ZeroDivisionError("a bug")

        return bp


@pytest.fixture
def client(settings):
    services = Services(settings)
    services.conversation = FakeConversation()
    channels = [ApiChannel(user_limit=1, ip_limit=0), WeChatChannel(token=TOKEN), ExplodingChannel()]
    return create_app({"TESTING": True}, services=services, channels=channels).test_client()


ERROR_PATHS = [
    # (method, path, request kwargs, status)
    ("POST", "/api/chat", {"data": "{", "content_type": "application/json"}, 400),
    ("POST", "/api/chat", {"json": []}, 400),
    ("POST", "/api/chat", {"json": {"text": "你好"}}, 400),
    ("POST", "/api/chat", {"json": {"user_id": "u"}}, 400),
    ("POST", "/api/chat", {"json": {"user_id": 1, "text": "你好"}}, 400),
    ("POST", "/api/chat", {"json": {"user_id": "u", "text": 1}}, 400),
    ("POST", "/api/chat", {"json": {"user_id": "", "text": "你好"}}, 400),
    ("POST", "/api/chat", {"json": {"user_id": "u", "text": " "}}, 400),
    ("POST", "/api/chat", {"json": {"user_id": "u" * 129, "text": "你好"}}, 400),
    ("POST", "/api/chat", {"json": {"user_id": "u", "text": "x" * 1001}}, 400),
    ("POST", "/api/chat", {"data": "text=hi"}, 415),
    ("POST", "/api/chat", {"json": {"user_id": "u", "text": "你好"}, "headers": {"X-Hotline-Channel": "x"}}, 400),
    ("POST", "/api/chat", {"data": BIG, "content_type": "application/json"}, 413),
    ("GET", "/api/chat", {}, 405),
    ("PUT", "/api/chat", {"json": {}}, 405),
    ("POST", "/api/feedback", {"data": "{", "content_type": "application/json"}, 400),
    ("POST", "/api/feedback", {"json": {"value": "up"}}, 400),
    ("POST", "/api/feedback", {"json": {"turn_id": "t", "value": "sideways"}}, 400),
    ("POST", "/api/feedback", {"data": "x", "content_type": "text/plain"}, 415),
    ("GET", "/api/feedback", {}, 405),
    ("POST", "/api/openapi.json", {}, 405),
    ("GET", "/api/no-such-endpoint", {}, 404),
    ("GET", "/no/such/page", {}, 404),
    ("GET", "/wechat", {"query_string": {"signature": "0", "timestamp": "1", "nonce": "n", "echostr": "e"}}, 403),
    ("POST", "/wechat", {"data": "<xml/>"}, 403),
    ("DELETE", "/wechat", {}, 405),
    ("GET", "/boom", {}, 500),
]


@pytest.mark.parametrize("method, path, kwargs, status", ERROR_PATHS, ids=[f"{m} {p} {s}" for m, p, _, s in ERROR_PATHS])
def test_error_shape(client, method, path, kwargs, status):
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["code", "message"]
    assert re.fullmatch(r"[a-z_]+", body["error"]["code"])
    assert CHINESE.search(body["error"]["message"]), body


def test_rate_limit_error_shape_and_retry_after(client):
    assert client.post("/api/chat", json={"user_id": "r", "text": "你好"}).status_code == 200
    response = client.post("/api/chat", json={"user_id": "r", "text": "你好"})
    assert response.status_code == 429
    assert sorted(response.get_json()["error"]) == ["code", "message"]
    assert int(response.headers["Retry-After"]) >= 1


def test_method_not_allowed_keeps_allow(client):
    assert "POST" in client.get("/api/chat").headers["Allow"]


def test_wechat_xml_errors_use_the_shape(client):
    import time

    from wechatpy.utils import WeChatSigner

    timestamp, nonce = str(int(time.time())), "abc"
    signer = WeChatSigner()
    signer.add_data(TOKEN, timestamp, nonce)
    query = {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}
    for body in (b"<xml", b'<!DOCTYPE x [<!ENTITY e "e">]><xml/>'):
        response = client.post("/wechat", query_string=query, data=body)
        assert response.status_code == 400
        assert sorted(response.get_json()["error"]) == ["code", "message"]
