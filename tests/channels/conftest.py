"""Fixtures for the channel tests: the app with a small fake conversation, a WeChat client built on
wechatpy, and a fake WeChat API server on loopback. Tests of the real turn logic live elsewhere."""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.app import create_app
from bot.core.turn import Citation, Reply
from bot.runtime.services import Services

ARTICLE_4 = Citation(
    document="大人社发[2020]38号",
    article=4,
    title="扩大稳岗返还政策范围",
    quote="疫情防控期间，对不裁员或少裁员的参保中小微企业……裁员率标准放宽到不高于 5.5%",
)


class FakeConversation:
    """Stands in for `bot.dialogue.conversation.Conversation` in these unit tests.

    Answers `scripted[text]` when present, else a cited answer echoing the text. Records turns.
    """

    def __init__(self):
        self.turns = []
        self.scripted: dict[str, Reply] = {}
        self.delay = 0.0
        self.fail = False
        self._lock = threading.Lock()

    def handle(self, turn):
        with self._lock:
            self.turns.append(turn)
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("conversation exploded")
        if turn.text in self.scripted:
            return self.scripted[turn.text]
        return Reply(
            reply=f"关于“{turn.text}”：裁员率标准放宽到不高于5.5%。",
            citations=[ARTICLE_4],
            answered=True,
            intent="ask_policy",
            confidence=0.91,
            suggestions=["失业保险金标准提高了多少？"],
        )


class FakeTurnLog:
    def __init__(self):
        self.records, self.feedbacks = [], []

    def record(self, turn, reply, latency_ms):
        self.records.append((turn, reply, latency_ms))

    def feedback(self, turn_id, value, comment=""):
        self.feedbacks.append((turn_id, value))
        return True

    def close(self):
        pass


@pytest.fixture
def conversation():
    return FakeConversation()


@pytest.fixture
def turn_log():
    return FakeTurnLog()


@pytest.fixture
def services(settings, conversation, turn_log):
    services = Services(settings)
    services.conversation = conversation
    services.turn_log = turn_log
    return services


@pytest.fixture
def app(services):
    return create_app({"TESTING": True}, services=services)


@pytest.fixture
def client(app):
    return app.test_client()


# --- WeChat as a client ----------------------------------------------------------------------

TOKEN = "testtoken123"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
APP_ID = "wx1234567890abcdef"
APP_SECRET = "s3cr3t"
OPENID = "oUser_openid_0001"
ACCOUNT = "gh_1234567890ab"


def sign(token: str, timestamp: str, nonce: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return signer.signature


def cdata_xml(fields: dict) -> str:
    """A message as WeChat's server writes it: numbers bare, strings in CDATA."""
    body = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()
    )
    return f"<xml>{body}</xml>"


class WeChatServerSim:
    """Plays WeChat's server: builds and signs messages (encrypting them in safe mode) with wechatpy,
    posts them to `/wechat` over HTTP and parses the replies.

    :param base_url: the live server's URL.
    :param aes_key: set to speak AES safe mode.
    """

    def __init__(self, base_url: str, token: str = TOKEN, aes_key: str = "", app_id: str = APP_ID):
        self.url = base_url + "/wechat"
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self._msg_id = int(time.time()) * 1000

    def next_msg_id(self) -> int:
        self._msg_id += 1
        return self._msg_id

    def text(self, content: str, msg_id: int | None = None, openid: str = OPENID) -> str:
        return cdata_xml({
            "ToUserName": ACCOUNT, "FromUserName": openid, "CreateTime": int(time.time()),
            "MsgType": "text", "Content": content, "MsgId": msg_id or self.next_msg_id(),
        })

    def voice(self, recognition: str, openid: str = OPENID) -> str:
        return cdata_xml({
            "ToUserName": ACCOUNT, "FromUserName": openid, "CreateTime": int(time.time()),
            "MsgType": "voice", "MediaId": "media_1", "Format": "amr", "Recognition": recognition,
            "MsgId": self.next_msg_id(),
        })

    def event(self, event: str, openid: str = OPENID, create_time: int | None = None) -> str:
        return cdata_xml({
            "ToUserName": ACCOUNT, "FromUserName": openid, "CreateTime": create_time or int(time.time()),
            "MsgType": "event", "Event": event,
        })

    def image(self, openid: str = OPENID) -> str:
        return cdata_xml({
            "ToUserName": ACCOUNT, "FromUserName": openid, "CreateTime": int(time.time()),
            "MsgType": "image", "PicUrl": "http://example.invalid/a.jpg", "MediaId": "m2",
            "MsgId": self.next_msg_id(),
        })

    def params(self, timestamp: str | None = None, nonce: str | None = None, token: str | None = None) -> dict:
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or uuid.uuid4().hex[:10]
        return {"signature": sign(token or self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}

    def post(self, xml: str | bytes, params: dict | None = None, encrypt: bool = True) -> requests.Response:
        """POST one message, signed (and encrypted in safe mode) like WeChat does."""
        params = dict(params or self.params())
        data = xml
        if self.crypto and encrypt:
            envelope = self.crypto.encrypt_message(xml, params["nonce"], params["timestamp"])
            fields = parse_message_fields(envelope)
            params.update(encrypt_type="aes", msg_signature=fields["MsgSignature"])
            # WeChat's envelope carries only ToUserName and Encrypt
            data = cdata_xml({"ToUserName": ACCOUNT, "Encrypt": fields["Encrypt"]})
        body = data.encode("utf-8") if isinstance(data, str) else data
        return requests.post(self.url, params=params, data=body, headers={"Content-Type": "text/xml"}, timeout=30)

    def reply_of(self, response: requests.Response):
        """The passive reply as a wechatpy message (decrypted in safe mode), or None for `success`."""
        assert response.status_code == 200, response.text
        if response.text in ("success", ""):
            return None
        xml = response.text
        if self.crypto:
            fields = parse_message_fields(xml)
            xml = self.crypto.decrypt_message(xml, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
        return parse_message(xml)


def parse_message_fields(xml: str) -> dict:
    import xmltodict

    return dict(xmltodict.parse(xml)["xml"])


# --- a fake WeChat API (token + customer-service messages) on loopback ------------------------

class FakeWeChatApi:
    """Records customer-service messages; `url` is the API base (`…/cgi-bin/`)."""

    def __init__(self):
        self.messages: list[dict] = []
        self.token_requests = 0
        self._arrived = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                if url.path == "/cgi-bin/token" and query.get("secret") == [APP_SECRET]:
                    api.token_requests += 1
                    self._json({"access_token": "ACCESS_TOKEN_1", "expires_in": 7200})
                else:
                    self._json({"errcode": 40001, "errmsg": "invalid credential"})

            def do_POST(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if url.path != "/cgi-bin/message/custom/send" or query.get("access_token") != ["ACCESS_TOKEN_1"]:
                    self._json({"errcode": 40014, "errmsg": "invalid access_token"})
                    return
                with api._arrived:
                    api.messages.append(payload)
                    api._arrived.notify_all()
                self._json({"errcode": 0, "errmsg": "ok"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/cgi-bin/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        """Block until `count` messages arrived (or the timeout passed); returns what arrived."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def wechat_api():
    api = FakeWeChatApi()
    yield api
    api.close()
