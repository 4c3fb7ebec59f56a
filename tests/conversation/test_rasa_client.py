"""`RasaClient` over real HTTP against a small stand-in server: every failure is `RasaUnavailable`."""
from __future__ import annotations

import pytest
from flask import Flask, Response, jsonify, request

from bot.rasa_client import PARSE, WEBHOOK, RasaClient, RasaForbidden, RasaUnavailable, api_token
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

    @app.post(PARSE)
    def parse():
        if request.args.get("token") != "secret":
            return jsonify({"message": "User is not authenticated."}), 401
        text = request.get_json()["text"]
        if text == "no intent":
            return jsonify({"text": text})
        return jsonify({"text": text, "intent": {"name": "ask_policy", "confidence": 0.93}})

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


def test_parse_returns_the_intent_and_sends_the_token(stand_in):
    assert RasaClient(stand_in.url, token="secret").parse("失业金") == ("ask_policy", 0.93)


def test_parse_with_a_wrong_or_no_token_is_forbidden(stand_in):
    for token in ("wrong", None):
        with pytest.raises(RasaForbidden, match="HTTP 401"):
            RasaClient(stand_in.url, token=token).parse("失业金")


def test_parse_without_an_intent_is_unavailable(stand_in):
    with pytest.raises(RasaUnavailable, match="without an intent"):
        RasaClient(stand_in.url, token="secret").parse("no intent")


def test_the_api_token_is_stable_per_secret():
    assert api_token("a") == api_token("a") != api_token("b") and len(api_token("a")) == 32
