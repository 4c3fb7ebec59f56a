"""The whole system for dialogue tests: the Flask app over real HTTP, the real Rasa NLU server,
the real retriever and turn log. `talk()` starts a conversation of one fresh user::

    def test_answer_first(talk):
        user = talk()
        reply = user("失业金标准提高了多少")     # the JSON body of POST /api/chat
"""
from __future__ import annotations

import uuid

import pytest
import requests

from bot.app import create_app
from tests.fixtures.app import serve_app


@pytest.fixture(scope="session")
def dialogue_server(rasa_stack, rasa_services):
    from dataclasses import replace

    # Every test user talks from one address: the API's rate limits are for the public.
    rasa_services.settings = replace(rasa_services.settings, rate_limit_user=0, rate_limit_ip=0)
    app = create_app(services=rasa_services)
    with serve_app(app) as server:
        yield server


class User:
    """One citizen on the JSON API: `user(text)` → the reply body."""

    def __init__(self, url: str, channel_user: str):
        self.url = url
        self.user_id = channel_user
        self.session = requests.Session()

    def __call__(self, text: str) -> dict:
        response = self.session.post(self.url + "/api/chat", json={"user_id": self.user_id, "text": text}, timeout=120)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def talk(dialogue_server):
    return lambda: User(dialogue_server.url, f"dlg-{uuid.uuid4().hex}")
