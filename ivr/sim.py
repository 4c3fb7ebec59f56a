"""`hotline ivr-sim`: play a phone call against the running server, as Twilio would.

Each request is a real Twilio-style webhook (CallSid, From, Digits / SpeechResult, …) signed with
twilio's `RequestValidator` and the same auth token the server checks. The console shows what
the caller would hear (`<Say>`) and takes what the caller does:

    1 / 28#          keys (a # ends the entry, as on the phone; the rest goes to the flow as typed,
                     so an entry that does not fit the prompt is refused there, never cut)
    说:失业金标准是多少  words (plain text works too where the menu listens to speech)
    (empty) / 静音     silence until the menu times out
    接听 / 无人接听 / 忙线  how the agents' phones behave when the call is transferred
    留言:请回电        a voicemail after the beep
    挂断              hang up

Scripted: `hotline ivr-sim --script "1,2,1,28#,3#,#"` or one action per line on stdin.
"""
from __future__ import annotations

import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import urljoin

import click
import requests

from ivr.security import SIGNATURE_HEADER, sign

SPEECH_PREFIXES = ("说:", "说：")
VOICEMAIL_PREFIXES = ("留言:", "留言：")
SILENCE = ("", "静音", "-")
HANG_UP = "挂断"
DIAL_OUTCOMES = {"接听": "completed", "无人接听": "no-answer", "忙线": "busy", "失败": "failed"}
MAX_REQUESTS = 200  # a runaway loop in the flow ends the simulation instead of spinning


def voicemail_words(action: str, *, prefixed: bool = True) -> str:
    """The message of a `留言:…` action, without its prefix (typed once or twice).

    :param action: what the caller typed.
    :param prefixed: the prefix is required (scripts); False: it is optional (the console prompt).
    :returns: the words, or "" when the action is not a voicemail or says nothing.
    """
    text = action.strip()
    if prefixed and not text.startswith(VOICEMAIL_PREFIXES):
        return ""
    while text.startswith(VOICEMAIL_PREFIXES):
        text = text[len(VOICEMAIL_PREFIXES[0]) :].strip()
    return text


@dataclass
class Event:
    """One thing that happened on the simulated line."""

    kind: str  # say | listen | press | speak | silence | dial | record | voicemail | hangup | callback
    text: str = ""


@dataclass
class Transcript:
    call_sid: str
    events: list[Event] = field(default_factory=list)

    def heard(self) -> list[str]:
        """Everything the caller heard, in order."""
        return [e.text for e in self.events if e.kind == "say"]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


class ScriptedCaller:
    """The caller's actions from a list (a script or stdin lines); out of actions means hang up."""

    def __init__(self, actions: Iterable[str]):
        self._actions = deque(a.strip() for a in actions)

    def gather(self, prompt: str) -> str | None:
        return self._actions.popleft() if self._actions else None

    def dial(self) -> str:
        if self._actions and self._actions[0] in DIAL_OUTCOMES:
            return self._actions.popleft()
        return "无人接听"

    def record(self) -> str:
        if self._actions and self._actions[0].startswith(VOICEMAIL_PREFIXES):
            return self._actions.popleft()
        return ""


class ConsoleCaller:
    """The caller at a terminal."""

    def gather(self, prompt: str) -> str | None:
        try:
            return input("【请按键或说话】数字键如 1 或 28#，说话请输入 说:问题，直接回车表示不出声，挂断请输入 挂断 > ")
        except EOFError:
            return None

    def dial(self) -> str:
        try:
            answer = input("【转接中】坐席 接听 / 无人接听 / 忙线 > ").strip()
        except EOFError:
            answer = ""
        return answer if answer in DIAL_OUTCOMES else "无人接听"

    def record(self) -> str:
        try:  # typed with or without the 留言: prefix that scripts use
            words = voicemail_words(input("【提示音后留言】输入留言内容，直接回车表示不说话 > "), prefixed=False)
        except EOFError:
            return ""
        return VOICEMAIL_PREFIXES[0] + words if words else ""


class SimulatedCall:
    """One call, driven through the webhooks.

    :param base_url: where the server listens, e.g. `http://127.0.0.1:8000`.
    :param token: the Twilio auth token the server validates with.
    :param public_url: the server's `HOTLINE_PUBLIC_URL`, if set: requests are signed for it
        (as Twilio signs the public URL) and its absolute URLs are mapped back onto `base_url`.
    :param caller: the `From` number.
    :param echo: prints each event as it happens (default: nothing).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        public_url: str = "",
        caller: str = "+8613800000000",
        called: str = "+8641112333",
        echo: Callable[[Event], None] | None = None,
        timeout: float = 30.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self.token = token
        self.call_sid = "CA" + uuid.uuid4().hex
        self.caller, self.called = caller, called
        self.transcript = Transcript(self.call_sid)
        self._echo = echo or (lambda event: None)
        self._session = requests.Session()
        self._timeout = timeout
        self._started = time.monotonic()
        self._status = "ringing"

    # --- HTTP --------------------------------------------------------------------------------
    def _public(self, path_or_url: str, current: str) -> str:
        """The absolute URL as Twilio would call it (relative TwiML URLs resolve against `current`)."""
        return urljoin(current, path_or_url)

    def _local(self, public: str) -> str:
        if self.public_url and public.startswith(self.public_url):
            return self.base_url + public[len(self.public_url) :]
        return public

    def post(self, public: str, params: dict) -> requests.Response:
        """POST one signed webhook.

        :param public: the URL Twilio would call (signed as is).
        :param params: the webhook's own parameters; the call's standard ones are added.
        :returns: the response.
        """
        data = {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller,
            "To": self.called,
            "Caller": self.caller,
            "Called": self.called,
            "CallStatus": self._status,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **params,
        }
        headers = {SIGNATURE_HEADER: sign(self.token, public, data)}
        return self._session.post(self._local(public), data=data, headers=headers, timeout=self._timeout)

    def _emit(self, kind: str, text: str = "") -> None:
        event = Event(kind, text)
        self.transcript.events.append(event)
        self._echo(event)

    # --- the call ----------------------------------------------------------------------------
    def run(self, caller) -> Transcript:
        """Call, follow the TwiML until the call ends, then send the status callback.

        :param caller: a `ScriptedCaller` or `ConsoleCaller`.
        :returns: the transcript.
        :raises SimulationError: the server answered with something other than 200 and TwiML.
        """
        next_request: tuple[str, dict] | None = ((self.public_url or self.base_url) + "/ivr/voice", {})
        callbacks: list[tuple[str, dict]] = []
        for _ in range(MAX_REQUESTS):
            if next_request is None:
                break
            url, params = next_request
            document = self._fetch(url, params)
            self._status = "in-progress"
            next_request = self._play(document, url, caller, callbacks)
        else:
            self._emit("hangup", f"超过 {MAX_REQUESTS} 次请求，模拟结束")
        for url, params in callbacks:
            self._callback(url, params)
        self._status = "completed"
        status_url = (self.public_url or self.base_url) + "/ivr/status"
        self._callback(status_url, {"CallDuration": str(int(time.monotonic() - self._started))})
        return self.transcript

    def _fetch(self, url: str, params: dict) -> ET.Element:
        response = _ok(url, self.post(url, params))
        try:
            return ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise SimulationError(f"{url} 返回的不是 TwiML：{exc}") from None

    def _callback(self, url: str, params: dict) -> None:
        response = self.post(url, params)
        self._emit("callback", f"{url.rsplit('/', 1)[-1]} → {response.status_code}")
        _ok(url, response)

    def _play(self, root: ET.Element, url: str, caller, callbacks) -> tuple[str, dict] | None:
        """Play one TwiML document; return the next request, or None when the call ends."""
        for verb in root:
            if verb.tag == "Say":
                self._emit("say", verb.text or "")
            elif verb.tag == "Gather":
                outcome = self._gather(verb, url, caller)
                if outcome is not _CONTINUE:
                    return outcome
            elif verb.tag == "Redirect":
                return self._public(verb.text or url, url), {}
            elif verb.tag == "Dial":
                numbers = [n.text or "" for n in verb if n.tag == "Number"]
                self._emit("dial", "、".join(numbers))
                choice = caller.dial()
                status = DIAL_OUTCOMES.get(choice, "no-answer")
                self._emit("dial", f"{choice}（{status}）")
                duration = "60" if status == "completed" else "0"
                action = self._public(verb.get("action") or url, url)
                return action, {"DialCallStatus": status, "DialCallDuration": duration}
            elif verb.tag == "Record":
                outcome = self._record(verb, url, caller, callbacks)
                if outcome is not _CONTINUE:
                    return outcome
            elif verb.tag == "Hangup":
                self._emit("hangup")
                return None
        self._emit("hangup", "文档结束")
        return None

    def _gather(self, verb: ET.Element, url: str, caller):
        for child in verb:
            if child.tag == "Say":
                self._emit("say", child.text or "")
        self._emit("listen", verb.get("input", "dtmf"))
        action = caller.gather(verb.get("input", "dtmf"))
        if action is None or action == HANG_UP:
            self._emit("hangup", "来电方挂断")
            return None
        target = self._public(verb.get("action") or url, url)
        speech_allowed = "speech" in verb.get("input", "dtmf")
        if action in SILENCE:
            self._emit("silence")
            return _CONTINUE
        if action.startswith(SPEECH_PREFIXES):
            words = action[len(SPEECH_PREFIXES[0]) :].strip()
            return self._speak(words, target, speech_allowed)
        if all(ch in "0123456789*#" for ch in action):
            return self._press(verb, action, target)
        return self._speak(action, target, speech_allowed)

    def _press(self, verb: ET.Element, keys: str, target: str):
        """Send an entry as Twilio posts it: up to the finish key, never cut to `numDigits`.

        On a phone a single-key menu takes the first key at once; here the whole entry is sent so
        the flow, not the simulator, judges it (`28#` at a press-1-or-2 prompt is refused).
        """
        finish = verb.get("finishOnKey", "#")
        if finish and finish in keys:
            keys, _, rest = keys.partition(finish)
            if rest:
                self._emit("silence", f"{finish} 之后的按键 {rest} 未发送")
        self._emit("press", keys)
        if not keys:  # only the finish key: Twilio keeps waiting, then times out
            self._emit("silence")
            return _CONTINUE
        return target, {"Digits": keys}

    def _speak(self, words: str, target: str, allowed: bool):
        if not words or not allowed:
            self._emit("silence", "" if allowed else "此处只接受按键")
            return _CONTINUE
        self._emit("speak", words)
        return target, {"SpeechResult": words, "Confidence": "0.92"}

    def _record(self, verb: ET.Element, url: str, caller, callbacks):
        self._emit("record", f"最长 {verb.get('maxLength', '3600')} 秒")
        words = voicemail_words(caller.record())
        if not words:
            self._emit("silence", "没有留言")
            return _CONTINUE
        self._emit("voicemail", words)
        recording_sid = "RE" + uuid.uuid4().hex
        recording = {
            "RecordingSid": recording_sid,
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC{'0' * 32}/Recordings/{recording_sid}",
            "RecordingDuration": str(max(1, len(words) // 4)),
        }
        callback = verb.get("recordingStatusCallback")
        if callback:
            callbacks.append((self._public(callback, url), {**recording, "RecordingStatus": "completed"}))
        return self._public(verb.get("action") or url, url), recording


_CONTINUE = object()


class SimulationError(RuntimeError):
    """The server did not answer like a Twilio webhook should."""


def _ok(url: str, response: requests.Response) -> requests.Response:
    if response.status_code != 200:
        raise SimulationError(f"{url} 返回 {response.status_code}：{response.text[:200]}")
    return response


_ECHO_LABELS = {
    "say": "【播报】", "press": "【按键】", "speak": "【说话】", "silence": "【不出声】", "dial": "【转接】",
    "record": "【录音】", "voicemail": "【留言】", "hangup": "【挂机】", "callback": "【回调】",
}  # fmt: skip


def _echo(event: Event) -> None:
    if event.kind in _ECHO_LABELS:
        click.echo(_ECHO_LABELS[event.kind] + event.text)


@click.command("ivr-sim")
@click.option("--url", default=None, help="服务器地址（默认 http://HOTLINE_HOST:HOTLINE_PORT）")
@click.option("--script", default=None, help='按顺序的操作，用英文逗号分隔，例如 "1,2,说:失业金标准是多少,#"')
@click.option("--token", default=None, help="Twilio auth token（默认与服务器相同：TWILIO_AUTH_TOKEN 或开发令牌）")
@click.option("--public-url", default=None, help="服务器的 HOTLINE_PUBLIC_URL（默认读取配置）")
@click.option("--caller", default="+8613800000000", show_default=True, help="来电号码")
def ivr_sim(url, script, token, public_url, caller) -> None:
    """模拟一通电话：用签名的 Twilio 请求走一遍语音菜单，显示来电者听到的内容。"""
    from bot.config import Settings
    from ivr.security import auth_token

    settings = Settings.from_env()
    url = url or f"http://{settings.host}:{settings.port}"
    token = token or auth_token(settings)
    public_url = settings.public_url if public_url is None else public_url
    if script is not None:
        caller_input = ScriptedCaller(script.split(","))
    elif sys.stdin.isatty():
        caller_input = ConsoleCaller()
    else:
        caller_input = ScriptedCaller(line for line in sys.stdin.read().splitlines())
    call = SimulatedCall(url, token, public_url=public_url, caller=caller, echo=_echo)
    click.echo(f"【呼叫】{url}/ivr/voice（CallSid {call.call_sid}）")
    try:
        call.run(caller_input)
    except requests.ConnectionError as exc:
        raise click.ClickException(f"无法连接 {url}，请先运行 hotline serve（{exc.__class__.__name__}）") from None
    except SimulationError as exc:
        raise click.ClickException(str(exc)) from None
