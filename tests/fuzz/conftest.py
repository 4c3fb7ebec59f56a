"""Fixtures of the fuzz tests: ONE real app per session (real services, real turn log on SQLite,
the real conversation), served over real HTTP, and clients that sign like WeChat and Twilio do.

The fuzzers throw random and malformed input at the channels; whatever arrives, the app must
answer without a 5xx, and every JSON error must have the one error shape with a Chinese message.

The conversation talks to the session's shared Rasa server and action server, so generated
texts go through the whole turn logic.

Examples are derandomized (the same inputs on every run, so CI is reproducible); run with
`FUZZ_RANDOM=1` to explore new random inputs, e.g. in a loop before a release.
"""
from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass

import pytest
import requests
from hypothesis import HealthCheck, settings
from twilio.request_validator import RequestValidator
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.app import create_app
from bot.channels import ApiChannel, WeChatChannel
from bot.config import Settings
from bot.runtime.services import Services
from tests.fixtures.app import serve_app

WECHAT_TOKEN = "fuzztoken2020"
WECHAT_AES_KEY = "FuzzKey0123456789abcdefghijklmnopqrstuvwxyz"  # 43 characters
WECHAT_APP_ID = "wxfuzz0000000001"
TWILIO_TOKEN = "fuzz-twilio-auth-token-0123456789"
CJK = re.compile(r"[\u4e00-\u9fff]")

# Every fuzz test's hypothesis settings; each test sets its own max_examples on top.
FUZZ_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass
class FuzzSystem:
    """The running app: `url` (plaintext WeChat), `aes_url` (the same services, WeChat in AES safe mode)."""

    url: str
    aes_url: str
    services: Services

    @property
    def settings(self) -> Settings:
        return self.services.settings


@pytest.fixture(scope="session")
def fuzz_rasa_url(rasa_stack) -> str:
    """The session's shared Rasa server (tests/fixtures/rasa.py)."""
    return rasa_stack.url


@pytest.fixture(scope="session")
def fuzz_system(tmp_path_factory, fuzz_rasa_url):
    settings = Settings.from_env(
        {},
        var_dir=tmp_path_factory.mktemp("fuzz") / "var",
        wechat_token=WECHAT_TOKEN,
        twilio_auth_token=TWILIO_TOKEN,
        rasa_url=fuzz_rasa_url,
        rasa_timeout=10.0,
        rate_limit_user=0,  # off: a limit would answer 429 before the paths worth fuzzing
        rate_limit_ip=0,
    )
    services = Services(settings)
    services.warm_up()
    app = create_app(services=services)
    aes_app = create_app(
        services=services,
        channels=[
            WeChatChannel(WECHAT_TOKEN, encoding_aes_key=WECHAT_AES_KEY, app_id=WECHAT_APP_ID),
            ApiChannel(user_limit=0, ip_limit=0),
        ],
    )
    with serve_app(app) as server, serve_app(aes_app) as aes_server:
        yield FuzzSystem(server.url, aes_server.url, services)
    services.close()


# --- what every answer must look like --------------------------------------------------------

def content_type(response) -> str:
    """The Content-Type of a requests or a schemathesis response (lower-case keys, list values)."""
    value = response.headers.get("Content-Type") or response.headers.get("content-type") or ""
    return value[0] if isinstance(value, list) else value


def assert_error_shape(response) -> dict:
    """A 4xx in the one error shape: `{"error": {"code", "message"}}`, the message in Chinese."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert content_type(response).startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"], body
    assert isinstance(body["error"]["message"], str) and CJK.search(body["error"]["message"]), body
    return body


def assert_chat_reply(body: dict) -> None:
    """A 200 body of POST /api/chat has exactly the contract's fields and types."""
    assert list(body) == [
        "reply", "citations", "answered", "intent", "confidence", "asking_for", "handoff", "suggestions",
    ], body
    assert isinstance(body["reply"], str) and body["reply"]
    assert isinstance(body["citations"], list)
    for citation in body["citations"]:
        assert set(citation) == {"document", "article", "title", "quote"}, citation
        assert isinstance(citation["article"], int)
    assert isinstance(body["answered"], bool) and isinstance(body["handoff"], bool)
    assert isinstance(body["intent"], str)
    assert isinstance(body["confidence"], (int, float)) and 0 <= body["confidence"] <= 1
    assert body["asking_for"] is None or isinstance(body["asking_for"], str)
    assert isinstance(body["suggestions"], list) and all(isinstance(s, str) for s in body["suggestions"])


# --- WeChat's server, as a client ------------------------------------------------------------

class WeChatSender:
    """Signs (and in safe mode encrypts) bodies like WeChat's server, with wechatpy.

    :param url: the app's `/wechat` URL.
    :param aes_key: set for AES safe mode.
    """

    def __init__(self, url: str, aes_key: str = ""):
        self.url = url
        self.crypto = WeChatCrypto(WECHAT_TOKEN, aes_key, WECHAT_APP_ID) if aes_key else None

    @staticmethod
    def params(timestamp: str | None = None, nonce: str | None = None) -> dict:
        timestamp = timestamp if timestamp is not None else str(int(time.time()))
        nonce = nonce if nonce is not None else uuid.uuid4().hex[:12]
        signer = WeChatSigner()
        signer.add_data(WECHAT_TOKEN, timestamp, nonce)
        return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}

    def post(self, body: bytes, params: dict | None = None) -> requests.Response:
        params = dict(params or self.params())
        if self.crypto is not None:
            envelope = self.crypto.encrypt_message(body.decode("utf-8", "replace"), params["nonce"], params["timestamp"])
            fields = _xml_fields(envelope)
            params.update(encrypt_type="aes", msg_signature=fields["MsgSignature"])
            body = (
                f"<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><Encrypt><![CDATA[{fields['Encrypt']}]]>"
                "</Encrypt></xml>"
            ).encode()
        return requests.post(self.url, params=params, data=body, headers={"Content-Type": "text/xml"}, timeout=60)


def _xml_fields(xml: str) -> dict:
    import xmltodict

    return dict(xmltodict.parse(xml)["xml"])


# --- Twilio, as a client ---------------------------------------------------------------------

class TwilioSender:
    """Posts IVR webhooks signed with twilio's RequestValidator, as Twilio does."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.validator = RequestValidator(TWILIO_TOKEN)

    def post(self, path: str, form: dict[str, str], signature: str | None = None) -> requests.Response:
        url = self.base_url + path
        signature = signature if signature is not None else self.validator.compute_signature(url, form)
        return requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=60)

    def get(self, path: str, query: str) -> requests.Response:
        """A GET webhook: the parameters are in the signed URL (`query` already encoded)."""
        url = self.base_url + path + ("?" + query if query else "")
        signature = self.validator.compute_signature(url, {})
        return requests.get(url, headers={"X-Twilio-Signature": signature}, timeout=60)


def chat(url: str, body, *, raw: bytes | None = None, content_type: str = "application/json") -> requests.Response:
    """POST /api/chat with `body` as JSON (or `raw` bytes as sent)."""
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    return requests.post(url + "/api/chat", data=data, headers={"Content-Type": content_type}, timeout=60)
