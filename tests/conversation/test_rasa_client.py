"""`RasaClient` over real HTTP against a small stand-in server: every failure is `RasaUnavailable`."""
from __future__ import annotations

import pytest
from flask import Flask, Response, jsonify, request

from bot.rasa_client import WEBHOOK, RasaClient, RasaUnavailable
from tests.fixtures.app import serve_app
from tests.fixtures.rasa import free_port


@pytest.fixture(scope="module")
def stand_in():
    app = Flask(__name__)

    @app.post(WEBHOOK)
    def webhook():
        body = request.get_json()
        mode = body["message"]
        if mode == "ok":
            return jsonify([{"recipient_id": body["sender"], "text": "您好", "metadata": body["metadata"]}, "x"])
        if mode == "500":
            return Response("boom", status=500)
        if mode == "html":
            return Response("<html>", status=200, content_type="text/html")
        return jsonify({"not": "a list"})

    with serve_app(app) as server:
        yield server


def test_messages_come_back_in_order(stand_in):
    messages = RasaClient(stand_in.url).send("s1", "ok", {"channel": "web"})
    assert messages == [{"recipient_id": "s1", "text": "您好", "metadata": {"channel": "web"}}]


@pytest.mark.parametrize("mode, message", [("500", "HTTP 500"), ("html", "not JSON"), ("dict", "not a list")])
def test_bad_answers_are_unavailable(stand_in, mode, message):
    with pytest.raises(RasaUnavailable, match=message):
        RasaClient(stand_in.url).send("s1", mode)


def test_a_closed_port_is_unavailable():
    with pytest.raises(RasaUnavailable, match="ConnectionError"):
        RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2).send("s1", "ok")
