"""The documented scale-out configuration (README "Scale-out", `deploy/scaleout.env`), run for real:
two `hotline serve` process trees on different ports, as behind a load balancer, each with two
gunicorn workers and its own Rasa NLU replica (stateless); shared state, the dialogue state
included, in Redis; the turn log in one PostgreSQL database.

A user whose turns alternate between the two processes (and so between the two Rasa replicas)
keeps one conversation: the eligibility check goes on where the other process left it. The same
holds for a phone call (call state in Redis) and a WeChat retry reaching the other process.
"""
from __future__ import annotations

import concurrent.futures
import re
import time
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import pytest
import redis
import requests
from dotenv import dotenv_values
from sqlalchemy import create_engine, func, select
from twilio.request_validator import RequestValidator
from wechatpy.utils import WeChatSigner

from benchmarks.system import HotlineSystem, SystemConfig
from tests.faults.conftest import wait_until
from bot.core import slots as S
from bot.core.messages import say
from bot.config import REPO_ROOT, Settings
from bot.dialogue.conversation import conversation_key
from bot.hotspots import db

pytestmark = pytest.mark.integration

ANSWERS = {
    S.ENTERPRISE_SIZE: "中小微企业",
    S.AFFECTED_BY_EPIDEMIC: "受到了疫情影响",
    S.EMPLOYEES: "二十八个人",
    S.LAYOFFS: "裁了三个",
}
SCALEOUT_ENV = REPO_ROOT / "deploy" / "scaleout.env"
SECRET = "scale-out-shared-secret-0123456789abcdef0123456789abcdef"
START_TIMEOUT = 900


def documented_configuration() -> dict[str, str]:
    """deploy/scaleout.env, the values that name other machines or secrets left out."""
    values = {k: v for k, v in dotenv_values(SCALEOUT_ENV).items() if v}
    for machine_specific in ("HOTLINE_SECRET_KEY", "HOTLINE_REDIS_URL", "HOTLINE_DATABASE_URL",
                             "HOTLINE_PUBLIC_URL", "HOTLINE_HOST", "HOTLINE_PORT",
                             "HOTLINE_RASA_URL", "WECHAT_TOKEN", "TWILIO_AUTH_TOKEN"):
        values.pop(machine_specific, None)
    return values


def test_the_documented_configuration_names_only_real_settings():
    names = set(dotenv_values(SCALEOUT_ENV))
    read = set(re.findall(r'"((?:HOTLINE|WECHAT|TWILIO)_[A-Z0-9_]+)"', (REPO_ROOT / "bot" / "config.py").read_text()))
    assert names <= read, names - read
    assert {"HOTLINE_SECRET_KEY", "HOTLINE_REDIS_URL", "HOTLINE_DATABASE_URL"} <= names
    Settings.from_env({k: v for k, v in dotenv_values(SCALEOUT_ENV).items() if v})  # and valid


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory, redis_url, system_index, pg_database):
    """Process A and process B (deploy/scaleout.env on this machine), started in parallel."""
    tmp_path = tmp_path_factory.mktemp("scaleout")
    documented = documented_configuration()
    systems = [
        HotlineSystem(SystemConfig(
            var_dir=tmp_path / name / "var", workers=int(documented["HOTLINE_WORKERS"]),
            threads=int(documented["HOTLINE_THREADS"]), redis_url=redis_url, rasa="own",
            database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_database}",
            secret_key=SECRET, index_from=system_index,
            # a slow turn on a busy test machine is not an outage
            env={**documented, "HOTLINE_RASA_TIMEOUT": "20"},
        ))
        for name in ("a", "b")
    ]
    try:
        for system in systems:
            system.launch()
        for system in systems:
            system.wait_ready(START_TIMEOUT)
        yield systems
    finally:
        for system in systems:
            system.stop()


def rows_of(pg_database: str, query):
    """The first column of the first row of `query` on the shared PostgreSQL database."""
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_database}")
    try:
        with engine.connect() as conn:
            return conn.execute(query).scalar_one()
    finally:
        engine.dispose()


def chat(system, user: str, words: str) -> dict:
    response = requests.post(system.url + "/api/chat", json={"user_id": user, "text": words}, timeout=120)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert say("degraded_note") not in reply["reply"], f"degraded answer from {system.url}: {reply}"
    return reply


def test_the_configuration_is_what_the_readme_documents(two_processes, pg_database, redis_url):
    for system in two_processes:
        assert not (system.var_dir / "rasa" / "endpoints.yml").exists()  # Rasa keeps no conversation
        assert system.settings().redis_url == redis_url
        assert len(system.app_workers()) == int(documented_configuration()["HOTLINE_WORKERS"])
        assert system.rasa_pid() is not None
    a, b = two_processes
    assert a.port != b.port and a.rasa_url != b.rasa_url


def test_a_conversation_alternating_between_the_processes_stays_consistent(two_processes, pg_database, redis_url):
    a, b = two_processes
    user = f"scale-{uuid.uuid4().hex[:8]}"
    first = chat(b, user, "稳岗返还的裁员率标准是多少？")
    assert first["intent"] == "ask_policy" and first["answered"] and first["citations"], first
    turns = 1
    reply = chat(a, user, "我们公司能申请稳岗返还吗")
    turns += 1
    asked = []
    for i in range(len(ANSWERS) + 1):
        if reply["asking_for"] is None:
            break
        assert reply["asking_for"] in ANSWERS and reply["asking_for"] not in asked, (reply, asked)
        asked.append(reply["asking_for"])
        reply = chat((b, a)[i % 2], user, ANSWERS[asked[-1]])  # B, A, B, …
        turns += 1
    assert len(asked) >= 2, "the dialogue should span both processes"
    assert reply["intent"] == "check_stabilization_refund" and reply["asking_for"] is None, reply
    assert "3/28 ≈ 10.7% ≤ 20%" in reply["reply"]

    # Two messages of one conversation at the same moment, one on each process: both are answered.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda pair: chat(pair[0], user, pair[1]),
                             [(a, "我失业了能领多少失业金"), (b, "我们单位培训补贴能领多少钱")]))
    turns += 2
    assert all(r["intent"].startswith("check_") and r["citations"] for r in both), both

    # One pseudonymous user across both processes, one row per turn (written within moments by
    # each process's log writer); the dialogue state in Redis holds no words of the user.
    table = db.TurnRow.__table__
    per_user = select(func.count(func.distinct(table.c.user_hash))).where(table.c.channel == "api")
    per_turn = select(func.count()).where(table.c.channel == "api")
    wait_until(lambda: rows_of(pg_database, per_turn) >= turns, 60, "the turns were not logged")
    assert rows_of(pg_database, per_turn) == turns
    assert rows_of(pg_database, per_user) == 1
    state = redis.Redis.from_url(redis_url).get("hotline:dialogue:" + conversation_key(SECRET, "api", user))
    assert state is not None and "培训" not in state.decode() and "失业" not in state.decode()


def test_a_call_and_a_wechat_retry_may_reach_either_process(two_processes, pg_database):
    a, b = two_processes
    token = a.config.twilio_auth_token
    validator = RequestValidator(token)
    sid = "CA" + uuid.uuid4().hex

    def webhook(system, path_or_url: str, params: dict) -> ET.Element:
        url = urljoin(system.url + "/ivr/", path_or_url)
        data = {"CallSid": sid, "From": "+8613900001111", "To": "+8641112333", "CallStatus": "in-progress", **params}
        response = requests.post(url, data=data, headers={"X-Twilio-Signature": validator.compute_signature(url, data)},
                                 timeout=120)
        assert response.status_code == 200, response.text
        return ET.fromstring(response.content)

    greeting = webhook(a, "voice", {"CallStatus": "ringing"})
    menu = "".join(s.text or "" for s in greeting.iter("Say"))
    answer = webhook(b, greeting.find("Gather").get("action"), {"SpeechResult": "稳岗返还的裁员率标准是多少", "Confidence": "0.9"})
    spoken = "".join(s.text or "" for s in answer.iter("Say"))
    assert answer.find("Gather") is not None and spoken and spoken != menu, ET.tostring(answer, encoding="unicode")
    again = webhook(a, answer.find("Gather").get("action"), {"SpeechResult": "重听", "Confidence": "0.9"})
    # Process A repeats what process B said (the answer, or the question it asked): the call's
    # state (mode, slot, last answer) is shared. Without it, A would play the main menu.
    assert "".join(s.text or "" for s in again.iter("Say")) == spoken

    # WeChat retries a message it got no answer for; the retry may reach the other process.
    openid, msg_id = "oScale" + uuid.uuid4().hex[:22], str(time.time_ns())
    body = (f"<xml><ToUserName><![CDATA[gh_12333]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[稳岗返还的裁员率标准是多少？]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()

    def wechat(system, nonce: str) -> str:
        timestamp = str(int(time.time()))
        signer = WeChatSigner()
        signer.add_data(system.config.wechat_token, timestamp, nonce)
        response = requests.post(system.url + "/wechat", data=body, timeout=120,
                                 params={"signature": signer.signature, "timestamp": timestamp, "nonce": nonce})
        assert response.status_code == 200, response.text
        return ET.fromstring(response.content).findtext("Content")

    first, retry = wechat(a, "n" + uuid.uuid4().hex[:8]), wechat(b, "n" + uuid.uuid4().hex[:8])
    assert first == retry and first

    table = db.TurnRow.__table__
    ivr_turns = select(func.count()).where(table.c.channel == "ivr", table.c.message_id.like(f"{sid}-%"))
    wechat_turns = select(func.count()).where(table.c.channel == "wechat", table.c.message_id == msg_id)
    wait_until(lambda: rows_of(pg_database, ivr_turns) and rows_of(pg_database, wechat_turns), 60,
               "the turns were not logged")
    time.sleep(1)  # a second row, were there one, would have been written by now too
    assert rows_of(pg_database, wechat_turns) == 1  # answered once for both deliveries
    assert rows_of(pg_database, ivr_turns) == 1  # the question; "重听" is a command, not a turn
