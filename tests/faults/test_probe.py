"""The security and fault probe of issue 17, replayed against one running `hotline serve`: hostile
and malformed input on the JSON API, WeChat (signed by wechatpy) and the IVR (signed by twilio),
personal data in questions, and a Rasa that is killed mid-run. Then the system is stopped and its
files are read back.

- every request is answered with a 2xx or a 4xx in the one error shape, never a 5xx;
- every turn answered with a 200 has exactly one row in the turn log (counted by its turn id);
- no phone, ID or e-mail address given in a question is stored anywhere under the var dir in the
  clear (the turn log masks it, the dialogue state keeps no words, Rasa keeps no conversations);
- no data file is readable by other users.
"""
from __future__ import annotations

import json
import os
import stat
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, select
from twilio.request_validator import RequestValidator
from wechatpy.utils import WeChatSigner

from benchmarks.system import HotlineSystem, SystemConfig
from bot.channels.api import TURN_ID_HEADER
from bot.hotspots import db

pytestmark = pytest.mark.integration

PHONE, ID_NUMBER, EMAIL = "13912345678", "210202199001011234", "zhang.san@example.com"
PERSONAL = [
    f"我手机{PHONE}，请回电话说明稳岗返还",
    f"我身份证{ID_NUMBER}，失业金能领多少",
    f"我的邮箱{EMAIL}，培训补贴怎么领",
]
CHAT_PROBES = [
    # (body or raw bytes, content type)
    ({"user_id": "u\udfff", "text": "失业金标准"}, "application/json"),
    ({"user_id": "probe", "text": "\ud800失业金"}, "application/json"),
    ("[" * 30000 + "]" * 30000, "application/json"),
    ("{not json", "application/json"),
    ({"user_id": "probe", "text": "x" * 1001}, "application/json"),
    ({"user_id": "", "text": "失业金"}, "application/json"),
    ({"user_id": "probe", "text": "失业金"}, "text/plain"),
    (b"\xff\xfe\x00garbage", "application/json"),
]


@pytest.fixture(scope="module")
def system(tmp_path_factory, system_index):
    config = SystemConfig(var_dir=tmp_path_factory.mktemp("faults-probe") / "var", workers=1, threads=8,
                          rasa="own", index_from=system_index, rate_limit_user=0,
                          env={"HOTLINE_RATE_LIMIT_IP": "0", "HOTLINE_RASA_TIMEOUT": "20"})
    running = HotlineSystem(config).start()
    yield running
    running.stop()


def post_chat(system, body, content_type):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=True)
    return requests.post(system.url + "/api/chat", data=data, headers={"Content-Type": content_type}, timeout=60)


def wechat_text(system, text: str, msg_id: int) -> requests.Response:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    signer = WeChatSigner()
    signer.add_data(system.config.wechat_token, timestamp, nonce)
    xml = (f"<xml><ToUserName>gh_probe</ToUserName><FromUserName>o_probe_{msg_id}</FromUserName>"
           f"<CreateTime>{timestamp}</CreateTime><MsgType>text</MsgType><Content><![CDATA[{text}]]></Content>"
           f"<MsgId>{msg_id}</MsgId></xml>")
    return requests.post(system.url + "/wechat", params={"signature": signer.signature, "timestamp": timestamp,
                                                        "nonce": nonce}, data=xml.encode(), timeout=60)


def ivr_post(system, path: str, params: dict) -> requests.Response:
    url = system.url + "/ivr" + path
    signature = RequestValidator(system.config.twilio_auth_token).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=60)


def test_the_whole_probe_loses_no_answered_turn_and_leaks_nothing(system):
    answered: set[str] = set()
    statuses = []

    def chat(text: str, user: str = "probe-user") -> None:
        response = post_chat(system, {"user_id": user, "text": text}, "application/json")
        statuses.append(response.status_code)
        assert response.status_code == 200, response.text
        answered.add(response.headers[TURN_ID_HEADER])

    for text in PERSONAL:
        chat(text, user=f"probe-{uuid.uuid4().hex[:6]}")
    for body, content_type in CHAT_PROBES:
        response = post_chat(system, body, content_type)
        statuses.append(response.status_code)
        assert 400 <= response.status_code < 500, (body if isinstance(body, dict) else str(body)[:40], response.text)
        assert set(response.json()["error"]) == {"code", "message"}
    for n, text in enumerate(["²", "9" * 4301, "失业金标准提高了多少", PERSONAL[0]]):
        response = wechat_text(system, text, 7000 + n)
        statuses.append(response.status_code)
        assert response.status_code < 500, response.text
    call = f"CA{uuid.uuid4().hex}"
    for path, params in [("/voice", {"CallSid": call, "From": "+8613900000000"}),
                         ("/input", {"CallSid": call, "SpeechResult": "失业金标准提高了多少"}),
                         ("/input", {"CallSid": call, "Digits": "28#"})]:
        response = ivr_post(system, path, params)
        statuses.append(response.status_code)
        assert response.status_code < 500, response.text

    # Rasa dies mid-run: turns go on (degraded) and are still logged.
    system.kill_rasa()
    for text in ["稳岗返还的裁员率标准是多少", "我们公司28个人裁了3个能拿稳岗返还吗"]:
        chat(text)
    assert not [s for s in statuses if s >= 500]

    system.stop()  # the workers flush the turn log on the way out
    engine = create_engine(system.database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(db.TurnRow.message_id, db.TurnRow.question).where(db.TurnRow.channel == "api")).all()
    engine.dispose()
    logged = [m for m, _ in rows]
    assert answered <= set(logged), f"answered but not logged: {answered - set(logged)}"
    assert len(logged) == len(set(logged)), "a turn logged twice"

    leaks, open_files = [], []
    for root, _dirs, files in os.walk(system.var_dir):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path) or name.endswith(".tar.gz") or "/index" in path:
                continue
            mode = os.stat(path).st_mode
            if mode & (stat.S_IROTH | stat.S_IWOTH):
                open_files.append(path)
            with open(path, "rb") as handle:
                content = handle.read()
            leaks += [(path, secret) for secret in (PHONE, ID_NUMBER, EMAIL) if secret.encode() in content]
    assert not leaks, f"personal data stored in the clear: {leaks}"
    assert not open_files, f"data files readable by other users: {open_files}"
