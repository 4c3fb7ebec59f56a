"""Fixtures for the IVR tests: the real app over real HTTP, a phone that signs its webhooks with
twilio's RequestValidator like Twilio does, and small fakes for the turn logic and the call log
(the real ones are exercised by their own tests; here they only need to answer like them)."""
from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from contextlib import ExitStack
from urllib.parse import urljoin

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.config import Settings
from bot.core import slots
from bot.core.turn import Citation, Reply
from bot.runtime.services import Services
from tests.fixtures.app import serve_app

TOKEN = "ivr-test-auth-token-0123456789ab"
AGENTS = ("+8641110000001", "+8641110000002")
ARTICLE_4 = Citation("大人社发[2020]38号", 4, "扩大稳岗返还政策范围", "裁员率标准放宽到不高于 5.5%")
ARTICLE_8 = Citation("大人社发[2020]38号", 8, "提高失业人员基本待遇标准", "失业金标准由现行当地最低工资标准的85%上调至90%")

class FakeConversation:
    """Answers like `Conversation.handle` for a handful of questions, and records every turn.

    稳岗返还 by keypad: the question → asks `employees` → `layoffs` → the verdict with the computation.
    """

    def __init__(self):
        self.turns = []
        self._asking: dict[str, str] = {}
        self._lock = threading.Lock()

    def handle(self, turn):
        with self._lock:
            self.turns.append(turn)
            asking = self._asking.pop(turn.user_id, None)
        text = turn.text
        if asking == slots.EMPLOYEES:
            if not text.isdigit() and text != "二十八":
                return self._ask(turn, slots.EMPLOYEES, "人数需要是整数。请问贵单位参保职工有多少人？")
            return self._ask(turn, slots.LAYOFFS, "请问裁员多少人？")
        if asking == slots.LAYOFFS:
            return Reply(
                reply="符合稳岗返还的裁员率条件（30人（含）以下的参保企业）。\n计算：3/28 ≈ 10.7% ≤ 20%。\n"
                "可申请稳岗返还，标准为上年度实际缴纳失业保险费的80%。",
                citations=[ARTICLE_4], intent="check_stabilization_refund", confidence=0.97,
            )
        if "稳岗返还吗" in text:
            return self._ask(turn, slots.EMPLOYEES, "好的，我们来测算。请问贵单位参保职工有多少人？")
        if "失业金" in text or "失业保险金标准" in text:
            return Reply(
                reply="**失业保险金标准**：累计缴费满1年不足10年的，由当地最低工资标准的85%上调至90%；"
                "满10年及以上的，由90%上调至95%。详见 https://rsj.dl.gov.cn 。",
                citations=[ARTICLE_8], intent="ask_policy", confidence=0.9,
            )
        if "处理结果不满意" in text:  # the turn logic hands over (not a handoff word of the menu)
            return Reply(reply="您的诉求需要人工处理，正在为您转接。", intent="handoff", handoff=True)
        if text == "坏回复":
            return None  # a broken turn logic: the flow must still answer the caller
        return Reply(
            reply="抱歉，这个问题在现有政策文件中没有找到依据。", answered=False, intent="out_of_scope",
            abstain_reason="low_confidence", suggestions=["失业保险金标准提高了多少？"],
        )

    def _ask(self, turn, slot, text):
        with self._lock:
            self._asking[turn.user_id] = slot
        return Reply(reply=text, intent="check_stabilization_refund", asking_for=slot, answered=True)


class FakeCallLog:
    """Stands in for the hotspot `TurnLog`: its `record_call_event` and the failed-turn `record`."""

    def __init__(self):
        self.events: list[tuple[str, str, dict]] = []
        self.records = []

    def record_call_event(self, call_sid, event, data):
        self.events.append((call_sid, event, dict(data)))

    def record(self, turn, reply, latency_ms):
        self.records.append((turn, reply))

    def of(self, event):
        return [e for e in self.events if e[1] == event]

    def close(self):
        pass


class Twiml:
    """A TwiML answer, parsed as XML."""

    def __init__(self, response: requests.Response):
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/xml")
        self.xml = response.text
        self.root = ET.fromstring(response.content)
        assert self.root.tag == "Response"

    @property
    def verbs(self) -> list[str]:
        return [verb.tag for verb in self.root]

    @property
    def says(self) -> list[str]:
        """Every spoken line, in order, inside a Gather or not."""
        return [el.text or "" for el in self.root.iter("Say")]

    @property
    def spoken(self) -> str:
        return "".join(self.says)

    def first(self, tag: str):
        return next(iter(self.root.iter(tag)), None)

    @property
    def gather(self):
        return self.first("Gather")

    @property
    def numbers(self) -> list[str]:
        dial = self.first("Dial")
        return [n.text for n in dial.iter("Number")] if dial is not None else []


class Phone:
    """A caller's line as Twilio's servers see it: signed webhooks that follow the TwiML URLs.

    :param base_url: where the app listens.
    :param public_url: the URL Twilio is configured with (the app's HOTLINE_PUBLIC_URL), if any;
        signatures are computed for it and its URLs are mapped back onto `base_url`.
    """

    def __init__(self, base_url: str, token: str = TOKEN, public_url: str = "", caller: str = "+8613900001234"):
        self.base_url, self.public_url = base_url, public_url
        self.validator = RequestValidator(token)
        self.call_sid = "CA" + uuid.uuid4().hex
        self.caller = caller
        self.last: Twiml | None = None
        self.last_url = ""

    def move_to(self, base_url: str) -> None:
        """The next webhooks reach another app process (as behind a load balancer)."""
        self.last_url = self.last_url.replace(self.base_url, base_url, 1)
        self.base_url = base_url

    def url(self, path: str) -> str:
        return (self.public_url or self.base_url) + path

    def post(self, url: str, params: dict | None = None, signature: str | None = None, **kw) -> requests.Response:
        """POST a webhook to a public URL, signed like Twilio (or with the given signature)."""
        data = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.caller,
                "To": "+8641112333", "CallStatus": "in-progress", **(params or {})}
        if signature is None:
            signature = self.validator.compute_signature(url, data)
        local = self.base_url + url[len(self.public_url):] if self.public_url and url.startswith(self.public_url) else url
        return requests.post(local, data=data, headers={"X-Twilio-Signature": signature}, timeout=30, **kw)

    def _follow(self, url: str, params: dict) -> Twiml:
        self.last = Twiml(self.post(url, params))
        self.last_url = url
        return self.last

    def call(self) -> Twiml:
        return self._follow(self.url("/ivr/voice"), {"CallStatus": "ringing"})

    def _gather_action(self) -> str:
        gather = self.last.gather
        assert gather is not None, f"no <Gather> in {self.last.xml}"
        return urljoin(self.last_url, gather.get("action"))

    def press(self, keys: str) -> Twiml:
        """Keys on a <Gather>: as Twilio posts them (the finishOnKey is not part of Digits)."""
        finish = self.last.gather.get("finishOnKey", "#")
        if finish and keys.endswith(finish) and len(keys) > 1:
            keys = keys[: -len(finish)]
        return self._follow(self._gather_action(), {"Digits": keys})

    def say(self, words: str) -> Twiml:
        assert "speech" in self.last.gather.get("input", ""), "this <Gather> does not listen to speech"
        return self._follow(self._gather_action(), {"SpeechResult": words, "Confidence": "0.91"})

    def silence(self) -> Twiml:
        """The <Gather> times out: Twilio goes on to the <Redirect> after it."""
        redirect = self.last.first("Redirect")
        assert redirect is not None, f"no <Redirect> after the <Gather> in {self.last.xml}"
        return self._follow(urljoin(self.last_url, redirect.text), {})

    def dial_ends(self, status: str) -> Twiml:
        action = urljoin(self.last_url, self.last.first("Dial").get("action"))
        return self._follow(action, {"DialCallStatus": status, "DialCallDuration": "0"})

    def leave_voicemail(self, seconds: int = 12) -> tuple[Twiml, dict]:
        record = self.last.first("Record")
        recording = {
            "RecordingSid": "RE" + uuid.uuid4().hex,
            "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1",
            "RecordingDuration": str(seconds),
        }
        answer = self._follow(urljoin(self.last_url, record.get("action")), recording)
        return answer, {**recording, "callback": urljoin(self.last_url, record.get("recordingStatusCallback"))}


class IvrServers:
    """Starts the app over real HTTP with chosen settings; everything stops at the end of the test."""

    def __init__(self, tmp_path):
        self._tmp_path = tmp_path
        self._stack = ExitStack()
        self._count = 0

    def start(self, conversation=None, call_log=None, **overrides):
        self._count += 1
        overrides = {"twilio_auth_token": TOKEN, **overrides}
        settings = Settings.from_env({}, var_dir=self._tmp_path / f"var{self._count}", **overrides)
        services = Services(settings)
        services.conversation = conversation or FakeConversation()
        services.turn_log = call_log or FakeCallLog()
        app = create_app({"TESTING": True}, services=services)
        server = self._stack.enter_context(serve_app(app))
        return server, services

    def close(self):
        self._stack.close()


@pytest.fixture
def servers(tmp_path):
    factory = IvrServers(tmp_path)
    yield factory
    factory.close()


@pytest.fixture
def server(servers):
    """The app without agents: (live server, services)."""
    return servers.start()


@pytest.fixture
def agent_server(servers):
    """The app with two agent numbers configured."""
    return servers.start(agent_numbers=AGENTS)


@pytest.fixture
def phone(server):
    return Phone(server[0].url)


@pytest.fixture
def agent_phone(agent_server):
    return Phone(agent_server[0].url)
