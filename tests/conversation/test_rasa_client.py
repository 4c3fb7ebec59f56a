"""`RasaClient` over real HTTP against a small stand-in server: every failure is `RasaUnavailable`,
and no error message carries the API token (it travels in the URL, as Rasa's API wants it)."""
from __future__ import annotations

import logging

import pytest
from flask import Flask, Response, jsonify, request

from bot.rasa_client import PARSE, RasaClient, RasaForbidden, RasaUnavailable, api_token
from tests.fixtures.app import serve_app
from tests.fixtures.rasa import free_port

TOKEN = "secret-token-3f9a"


@pytest.fixture(scope="module")
def stand_in():
    app = Flask(__name__)

    @app.post(PARSE)
    def parse():
        if request.args.get("token") != TOKEN:
            return jsonify({"message": "User is not authenticated."}), 401
        text = request.get_json()["text"]
        if text == "no intent":
            return jsonify({"text": text})
        if text == "500":
            return Response("boom", status=500)
        if text == "html":
            return Response("<html>", status=200, content_type="text/html")
        return jsonify({"text": text, "intent": {"name": "ask_policy", "confidence": 0.93}})

    with serve_app(app) as server:
        yield server


def test_parse_returns_the_intent_and_sends_the_token(stand_in):
    assert RasaClient(stand_in.url, token=TOKEN).parse("失业金") == ("ask_policy", 0.93)


def test_parse_with_a_wrong_or_no_token_is_forbidden(stand_in):
    for token in ("wrong", None):
        with pytest.raises(RasaForbidden, match="HTTP 401"):
            RasaClient(stand_in.url, token=token).parse("失业金")


@pytest.mark.parametrize("text, message", [("500", "HTTP 500"), ("html", "without an intent"), ("no intent", "without an intent")])
def test_bad_answers_are_unavailable(stand_in, text, message):
    with pytest.raises(RasaUnavailable, match=message):
        RasaClient(stand_in.url, token=TOKEN).parse(text)


def test_a_closed_port_is_unavailable_and_the_error_hides_the_token(caplog):
    client = RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2, token=TOKEN)
    with caplog.at_level(logging.DEBUG), pytest.raises(RasaUnavailable, match="ConnectionError") as err:
        client.parse("失业金")
    assert TOKEN not in str(err.value) and err.value.__cause__ is None and err.value.__context__ is not None
    assert TOKEN not in caplog.text


def test_the_api_token_is_stable_per_secret():
    assert api_token("a") == api_token("a") != api_token("b") and len(api_token("a")) == 32
