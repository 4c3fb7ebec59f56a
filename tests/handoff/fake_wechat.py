"""A fake WeChat API on loopback (`WECHAT_API_BASE_URL`): `GET /cgi-bin/token` and
`POST /cgi-bin/message/custom/send`, with the two errors agents meet in practice:

- token expiry: `expire_token()` makes the current token answer errcode 42001 once; wechatpy
  must fetch a new token and resend;
- the 48-hour window: openids in `closed_windows` get errcode 45015.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

APP_ID = "wx0123456789abcdef"
APP_SECRET = "fake-app-secret-0123456789abcdef"


class FakeWeChatApi:
    def __init__(self):
        self.messages: list[dict] = []
        self.token_requests = 0
        self.closed_windows: set[str] = set()
        self.expired: set[str] = set()
        self.token = "TOKEN-1"
        self._lock = threading.Lock()
        fake = self

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
                if url.path == "/cgi-bin/token" and query.get("appid") == [APP_ID] and query.get("secret") == [APP_SECRET]:
                    with fake._lock:
                        fake.token_requests += 1
                        fake.token = f"TOKEN-{fake.token_requests}"
                        token = fake.token
                    return self._json({"access_token": token, "expires_in": 7200})
                return self._json({"errcode": 40013, "errmsg": "invalid appid"})

            def do_POST(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                token = (query.get("access_token") or [""])[0]
                if url.path != "/cgi-bin/message/custom/send":
                    return self._json({"errcode": 404, "errmsg": "not found"})
                with fake._lock:
                    if token in fake.expired:
                        return self._json({"errcode": 42001, "errmsg": "access_token expired"})
                    if token != fake.token:
                        return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    if payload.get("touser") in fake.closed_windows:
                        return self._json({"errcode": 45015, "errmsg": "response out of time limit"})
                    fake.messages.append(payload)
                return self._json({"errcode": 0, "errmsg": "ok"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}/cgi-bin/"

    def expire_token(self) -> None:
        """The token in use now expires: the next call with it gets 42001."""
        with self._lock:
            self.expired.add(self.token)

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.messages if m.get("touser") == openid]

    def wait_for(self, openid: str, count: int, timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts_to(openid)
            if len(texts) >= count:
                return texts
            time.sleep(0.05)
        return self.texts_to(openid)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
