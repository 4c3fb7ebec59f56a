"""gunicorn keeps an idle keep-alive connection open longer than a client thinks between turns, so
a client reusing its connection never races the server closing it (`keepalive` in gunicorn.conf.py)."""
from __future__ import annotations

import http.client
import json
import time

import pytest

from benchmarks.system import HotlineSystem, SystemConfig

pytestmark = pytest.mark.integration

IDLE_S = 6.0  # longer than gunicorn's default keep-alive (2 s) and than the 5 s this project used to set


def test_a_connection_idle_between_turns_is_still_served(tmp_path, rasa_stack, redis_url, system_index):
    config = SystemConfig(var_dir=tmp_path / "var", workers=1, threads=2, redis_url=redis_url, rasa=rasa_stack.url,
                          index_from=system_index)
    with HotlineSystem(config) as system:
        connection = http.client.HTTPConnection("127.0.0.1", system.port, timeout=30)
        statuses, sockets = [], []
        for text in ("失业保险金标准提高了多少？", "创业担保贷款可以展期吗？"):
            body = json.dumps({"user_id": "keepalive-user", "text": text}, ensure_ascii=False).encode()
            connection.request("POST", "/api/chat", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            statuses.append((response.status, response.getheader("Connection")))
            sockets.append(connection.sock)
            time.sleep(IDLE_S)
        connection.close()
    assert statuses == [(200, "keep-alive")] * 2, statuses  # a connection closed meanwhile: RemoteDisconnected
    assert sockets[0] is not None and sockets[1] is sockets[0]  # one socket, kept open while idle
