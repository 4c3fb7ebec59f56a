"""The Twilio voice channel: `/ivr/…` webhooks answering with TwiML.

One class, after Rasa's `twilio_voice` connector: `IvrChannel.from_config(settings)` validates the
settings, `blueprint(handle_turn)` returns the webhooks, registered by the app like every channel.
Each webhook checks the Twilio signature, loads the call's state by CallSid, lets
`ivr.flow.CallFlow` decide, saves the state and returns the TwiML. The numbers to configure on the Twilio phone number:

- "A call comes in": `POST <public URL>/ivr/voice`
- "Call status changes": `POST <public URL>/ivr/status`
"""
from __future__ import annotations

import logging
import re
from functools import cached_property
from typing import Callable

from flask import Blueprint, Response, request

from bot.channels.base import InputChannel, TurnHandler, current_services
from bot.config import ConfigError, Settings
from bot.core.messages import say
from bot.errors import ApiError
from ivr import menu, twiml
from ivr import rules as rule_table
from ivr.calls import CallState, CallStore, Mode
from ivr.flow import PATHS, CallFlow, FlowConfig, Urls
from ivr.security import auth_token, signature_required

log = logging.getLogger(__name__)

TWIML_MIMETYPE = "text/xml"
# Statuses after which Twilio sends nothing more for the call.
FINAL_CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_CALL_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")


class IvrChannel(InputChannel):
    """`/ivr`: the Mandarin voice menu on Twilio.

    :param auth_token: the Twilio auth token that signs every webhook.
    :param public_url: the public base URL Twilio calls (behind a proxy); empty: the request URL.
    :param voice: `<Say voice>`, default `Polly.Zhiyu`.
    :param voice_language: `<Say language>`, default `cmn-CN`.
    :param speech_language: `<Gather language>`, default `cmn-Hans-CN`.
    :param agent_numbers: numbers to ring for a human; empty: voicemail instead.
    :param dial_timeout: seconds to ring the agents.
    :param voicemail_seconds: the longest voicemail.
    :raises ConfigError: a value Twilio would reject, named with the allowed form.
    """

    NAME = "ivr"

    def __init__(
        self,
        auth_token: str,
        public_url: str = "",
        voice: str = "Polly.Zhiyu",
        voice_language: str = "cmn-CN",
        speech_language: str = "cmn-Hans-CN",
        agent_numbers: tuple[str, ...] = (),
        dial_timeout: int = 20,
        voicemail_seconds: int = 120,
    ):
        self.auth_token = auth_token
        self.public_url = public_url.rstrip("/")
        self.voice = voice
        self.voice_language = voice_language
        self.speech_language = speech_language
        self.agent_numbers = tuple(agent_numbers)
        self.dial_timeout = dial_timeout
        self.voicemail_seconds = voicemail_seconds
        self._validate_configuration()

    def _validate_configuration(self) -> None:
        if not self.auth_token:
            raise ConfigError("the IVR needs a Twilio auth token (TWILIO_AUTH_TOKEN or the development token)")
        if self.public_url and not re.match(r"^https?://[^/\s]+", self.public_url):
            raise ConfigError(f"HOTLINE_PUBLIC_URL must start with http:// or https://, got {self.public_url!r}")
        if not self.voice:
            raise ConfigError("HOTLINE_IVR_VOICE must name a Twilio voice, e.g. Polly.Zhiyu")
        for name, value in (
            ("HOTLINE_IVR_VOICE_LANGUAGE", self.voice_language),
            ("HOTLINE_IVR_LANGUAGE", self.speech_language),
        ):
            if not _LANGUAGE_TAG.match(value):
                raise ConfigError(f"{name} must be a language tag such as cmn-CN or cmn-Hans-CN, got {value!r}")
        for number in self.agent_numbers:
            if not re.match(r"^\+?[0-9]{3,20}$", number):
                raise ConfigError(
                    f"HOTLINE_AGENT_NUMBERS must hold phone numbers such as +8641112333, got {number!r}"
                )

    @classmethod
    def from_config(cls, settings: Settings) -> "IvrChannel":
        return cls(
            auth_token=auth_token(settings),
            public_url=settings.public_url,
            voice=settings.ivr_voice,
            voice_language=settings.ivr_voice_language,
            speech_language=settings.ivr_language,
            agent_numbers=settings.agent_numbers,
            dial_timeout=settings.ivr_dial_timeout,
            voicemail_seconds=settings.ivr_voicemail_seconds,
        )

    def speaker(self, hints: str = "") -> twiml.Speaker:
        return twiml.Speaker(self.voice, self.voice_language, self.speech_language, hints)

    def flow(self, handle_turn: TurnHandler, *, rules, log_event, hints: str = "") -> CallFlow:
        """The dialogue with this channel's settings (see `CallFlow` for the arguments)."""
        config = FlowConfig(self.speaker(hints), self.agent_numbers, self.dial_timeout, self.voicemail_seconds)
        return CallFlow(config, handle_turn, rules, log_event)

    def blueprint(self, handle_turn: TurnHandler) -> Blueprint:
        """The webhooks.

        :param handle_turn: the shared turn logic, `Turn -> Reply`; it logs the turn.
        :returns: the `ivr` blueprint.
        """
        wiring = _Wiring(self, handle_turn)
        bp = Blueprint(self.name(), __name__, url_prefix=self.url_prefix())
        guard = signature_required(self.auth_token, self.public_url)
        for endpoint, path in PATHS.items():  # each webhook is the `_Wiring` method of its name
            # Every route goes through the signature check; GET is allowed because a Twilio number
            # may be configured to use it (the parameters are then in the signed URL).
            bp.add_url_rule(path, endpoint, guard(getattr(wiring, endpoint)), methods=["GET", "POST"])
        return bp


def _call_event(sid: str, event: str, data: dict) -> None:
    current_services().turn_log.record_call_event(sid, event, data)


class _Wiring:
    """The views of one blueprint, bound to the app's services while serving a request."""

    def __init__(self, channel: IvrChannel, handle_turn: TurnHandler):
        self.channel = channel
        self._handle_turn = handle_turn

    @cached_property
    def flow(self) -> CallFlow:
        """Built on the first call, inside a request: the speech hints read the knowledge base."""
        try:
            hints = rule_table.speech_hints_from(current_services())
        except Exception:  # noqa: BLE001 - hints only help recognition; the menu works without
            log.exception("could not build speech hints from the knowledge base; using the menu's words")
            hints = menu.speech_hints(())
        return self.channel.flow(self._handle_turn, hints=hints, rules=rule_table, log_event=_call_event)

    def _calls(self) -> CallStore:
        return CallStore(current_services().state)

    def _urls(self) -> Urls:
        base = self.channel.public_url or request.script_root
        return Urls(base + self.channel.url_prefix())

    # --- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _param(name: str) -> str:
        return (request.values.get(name) or "").strip()

    def _call_sid(self) -> str:
        """:raises ApiError: 400 when the request names no valid call."""
        sid = self._param("CallSid")
        if not _CALL_SID.match(sid):
            raise ApiError("missing_call_sid", say("error_missing_call_sid"))
        return sid

    def _twiml(self, body: str) -> Response:
        return Response(body, status=200, mimetype=TWIML_MIMETYPE)

    def _turn(self, decide: Callable[[CallFlow, str, CallState, Urls], str], *, new_call: bool = False):
        """Load the call, let the flow decide, save, answer; a failure still answers the caller."""
        sid = self._call_sid()
        calls = self._calls()
        call = None if new_call else calls.load(sid)
        call = call or CallState(caller=self._param("From"))
        try:
            body = decide(self.flow, sid, call, self._urls())
        except Exception:  # noqa: BLE001 - Twilio plays an error tone on a 500; a person deserves better
            log.exception("IVR flow failed for call %s in mode %s", sid, call.mode)
            body = self._apology(sid, call)
        calls.save(sid, call)
        return self._twiml(body)

    def _apology(self, sid: str, call: CallState) -> str:
        flow, urls = self.flow, self._urls()
        if self.channel.agent_numbers:
            flow.event(sid, "handoff", {"reason": "error", "agents": len(self.channel.agent_numbers)})
            call.mode = Mode.AGENT.value
            return twiml.dial(self.channel.agent_numbers, speaker=flow.config.speaker, action=urls.dial_result,
                              timeout=self.channel.dial_timeout,
                              before=[say("system_error", "ivr"), say("handoff", "ivr")])
        call.mode = Mode.ENDED.value
        return twiml.say_and_hang_up([say("system_error", "ivr"), say("goodbye", "ivr")], speaker=flow.config.speaker)

    # --- views ------------------------------------------------------------------------------
    def voice(self):
        return self._turn(lambda flow, sid, call, urls: flow.start(sid, call, urls), new_call=True)

    def input(self):
        digits, speech = self._param("Digits"), self._param("SpeechResult")
        return self._turn(lambda flow, sid, call, urls: flow.on_input(sid, call, urls, digits, speech))

    def no_input(self):
        return self._turn(lambda flow, sid, call, urls: flow.on_no_input(sid, call, urls))

    def dial_result(self):
        status = self._param("DialCallStatus") or "failed"
        return self._turn(lambda flow, sid, call, urls: flow.on_dial_result(sid, call, urls, status))

    def voicemail(self):
        recording = self._recording()
        calls = self._calls()

        def decide(flow, sid, call, urls):
            first = bool(recording.get("RecordingUrl")) and calls.first_time(self._recording_key(sid, recording))
            return flow.on_voicemail(sid, call, recording, first)

        return self._turn(decide)

    def recording(self):
        """`recordingStatusCallback`: the file is ready; log it unless the action already did."""
        sid = self._call_sid()
        recording = self._recording()
        status = self._param("RecordingStatus") or "completed"
        calls = self._calls()
        if status == "completed" and recording.get("RecordingUrl"):
            if calls.first_time(self._recording_key(sid, recording)):
                self.flow.log_voicemail(sid, calls.load(sid), recording)
        elif status != "completed":
            data = {"status": f"recording-{status}", "recording_sid": recording.get("RecordingSid", "")}
            self.flow.event(sid, "status", data)
        return self._twiml(twiml.empty())

    def status(self):
        """The call's status callback: logged; a finished call's state is kept only briefly."""
        sid = self._call_sid()
        status = self._param("CallStatus")
        data = {"status": status, "duration": _int(self._param("CallDuration")), "direction": self._param("Direction")}
        self.flow.event(sid, "status", data)
        if status in FINAL_CALL_STATUSES:
            calls = self._calls()
            call = calls.load(sid)
            if call is not None:
                call.mode = Mode.ENDED.value
                calls.save(sid, call)
        return self._twiml(twiml.empty())

    def _recording(self) -> dict:
        return {k: self._param(k) for k in ("RecordingUrl", "RecordingSid", "RecordingDuration")}

    @staticmethod
    def _recording_key(sid: str, recording: dict) -> str:
        return "recording:" + (recording.get("RecordingSid") or f"{sid}:{recording.get('RecordingUrl')}")


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
