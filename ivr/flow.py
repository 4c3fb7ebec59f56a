"""The voice dialogue: what the caller hears next, given where the call is and what they did.

The flow holds no answers. Questions (spoken, or behind a submenu key) and eligibility inputs
(keypad digits or words) go to the shared turn logic as `Turn(channel="ivr", …)`; the `Reply`
decides: an answer is read out (rewritten for the ear) followed by 还有别的问题吗, a missing
fact (`asking_for`) is asked with the rule table's IVR prompt, `handoff` transfers to a human.

Silence and misunderstanding share one counter: two reprompts, then the keypad-only menu, then
a human (when agents are configured) or goodbye.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol

from bot.core.messages import say
from bot.core.turn import TEXT_MAX, Reply, Turn
from ivr import menu, twiml
from ivr.calls import CallState, Mode
from ivr.speech import for_ear, read_aloud

log = logging.getLogger(__name__)

# Webhook paths under the channel's prefix; voice.py routes them, the flow points Twilio at them.
PATHS = {
    "voice": "/voice",  # incoming call (the number's "A call comes in" webhook)
    "input": "/input",  # <Gather action>
    "no_input": "/no-input",  # <Redirect> after a <Gather> that heard nothing
    "dial_result": "/dial-result",  # <Dial action>
    "voicemail": "/voicemail",  # <Record action>
    "recording": "/recording",  # <Record recordingStatusCallback>
    "status": "/status",  # the number's "Call status changes" callback
}
REPROMPTS = 2  # misses answered by asking again; the next one gets the keypad menu
DIAL_ANSWERED = ("completed", "answered")
# Reasons a call is handed to a human (the `handoff` event's `reason`).
BY_CALLER, BY_CONVERSATION, NO_PROGRESS = "caller_request", "conversation", "no_progress"

TurnHandler = Callable[[Turn], Reply]
EventLogger = Callable[[str, str, dict], None]


class SlotRules(Protocol):
    """What the flow needs from the rule table (`ivr.rules` is the real one)."""

    def slot_prompt(self, slot: str) -> str:
        """The IVR prompt of a slot; raises LookupError when there is none."""

    def is_number_slot(self, slot: str) -> bool:
        """Whether the slot takes a number typed on the keypad (ended by #)."""

    def keypad_answer(self, slot: str, keys: str) -> str | None:
        """The keys as answer text for the turn logic, or None when they answer nothing offered."""


@dataclass(frozen=True)
class Urls:
    """The absolute or root-relative URLs of the webhooks, for TwiML attributes."""

    base: str  # public base URL + channel prefix, or the prefix alone

    def __getattr__(self, name: str) -> str:
        if name in PATHS:
            return self.base + PATHS[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class FlowConfig:
    """The flow's settings.

    :param speaker: voice, languages and speech hints.
    :param agent_numbers: numbers `<Dial>` rings; empty when no agents are configured.
    :param dial_timeout: seconds to ring them.
    :param voicemail_seconds: the longest voicemail.
    """

    speaker: twiml.Speaker
    agent_numbers: tuple[str, ...] = ()
    dial_timeout: int = 20
    voicemail_seconds: int = 120


class CallFlow:
    """The decisions of the voice menu; every method mutates `call` and returns TwiML.

    :param config: voice and transfer settings.
    :param handle_turn: the shared turn logic (`Services.conversation.handle`), which logs turns.
    :param rules: the rule table's IVR prompts, slot types and keypad keys.
    :param log_event: `record_call_event(call_sid, event, data)` of the hotspot log.
    """

    def __init__(self, config: FlowConfig, handle_turn: TurnHandler, rules: SlotRules, log_event: EventLogger):
        self.config = config
        self._handle_turn = handle_turn
        self._rules = rules
        self._log_event = log_event

    # --- entry points (one per webhook) --------------------------------------------------------
    def start(self, sid: str, call: CallState, urls: Urls) -> str:
        """An incoming call: greeting and main menu."""
        call.mode, call.misses = Mode.MENU.value, 0
        return self._gather(say("welcome", "ivr") + menu.main_menu(), urls)

    def on_input(self, sid: str, call: CallState, urls: Urls, digits: str, speech: str) -> str:
        """The caller pressed keys (`Digits`) or spoke (`SpeechResult`)."""
        digits, speech = (digits or "").strip(), (speech or "").strip()
        if call.mode not in _LISTENING:
            call.mode = Mode.MENU.value
        if digits:
            return self._on_digits(sid, call, urls, digits)
        if speech:
            return self._on_speech(sid, call, urls, speech)
        return self.on_no_input(sid, call, urls)

    def on_no_input(self, sid: str, call: CallState, urls: Urls) -> str:
        """The `<Gather>` timed out without a key or words."""
        if call.mode not in _LISTENING:
            call.mode = Mode.MENU.value
        return self._miss(sid, call, urls, [say("ivr_no_input")])

    def on_dial_result(self, sid: str, call: CallState, urls: Urls, status: str) -> str:
        """Ringing the agents ended: goodbye after a conversation, else take a voicemail."""
        call.dial_status = status
        if status in DIAL_ANSWERED:
            return self._goodbye(call)
        return self._voicemail(call, urls, [say("ivr_agents_busy")])

    def on_voicemail(self, sid: str, call: CallState, recording: Mapping[str, str], first_time: bool) -> str:
        """The `<Record>` finished: log the message for a staff callback and say goodbye.

        :param recording: Twilio's `RecordingUrl`, `RecordingSid`, `RecordingDuration`.
        :param first_time: False when the recording callback already logged this recording.
        """
        if not recording.get("RecordingUrl"):
            return self._goodbye(call, [say("ivr_voicemail_empty")])
        if first_time:
            self.log_voicemail(sid, call, recording)
        return self._goodbye(call, [say("ivr_voicemail_received")])

    def log_voicemail(self, sid: str, call: CallState | None, recording: Mapping[str, str]) -> None:
        """One `voicemail` event: where the message is, how long, and whom to call back."""
        data = {
            "recording_url": recording.get("RecordingUrl", ""),
            "recording_sid": recording.get("RecordingSid", ""),
            "duration": _seconds(recording.get("RecordingDuration")),
            "caller": call.caller if call else "",
            "dial_status": call.dial_status if call else "",
        }
        self.event(sid, "voicemail", data)

    def event(self, sid: str, event: str, data: dict) -> None:
        """Log a call event; a failing log never breaks the call (the error is logged instead)."""
        try:
            self._log_event(sid, event, data)
        except Exception:  # noqa: BLE001 - the caller must hear the next prompt regardless
            log.exception("could not log IVR call event %s for %s: %r", event, sid, data)

    # --- keys -------------------------------------------------------------------------------
    def _on_digits(self, sid: str, call: CallState, urls: Urls, digits: str) -> str:
        mode = call.mode
        if mode == Mode.SLOT:
            return self._on_slot_digits(sid, call, urls, digits)
        key = digits[0] if len(digits) == 1 else ""
        if key == menu.KEY_AGENT:
            return self._transfer(sid, call, urls, BY_CALLER)
        if key == menu.KEY_REPEAT:
            before = [call.last_answer] if mode == Mode.FOLLOW_UP else []
            return self._listen(call, urls, before)
        if mode == Mode.TOPIC:
            topic = menu.topic(call.topic)
            question = topic.question(key) if topic and key else None
            if question:
                return self._ask(sid, call, urls, question.text)
            if key == menu.KEY_BACK:
                return self._main_menu(call, urls)
        elif mode == Mode.FOLLOW_UP and key == menu.KEY_BACK:
            return self._main_menu(call, urls)
        elif mode == Mode.FOLLOW_UP and key == menu.KEY_END:
            return self._goodbye(call)
        if mode != Mode.TOPIC and menu.topic(key):
            call.mode, call.topic, call.misses = Mode.TOPIC.value, key, 0
            return self._listen(call, urls)
        return self._miss(sid, call, urls, [say("ivr_invalid_key")])

    def _on_slot_digits(self, sid: str, call: CallState, urls: Urls, digits: str) -> str:
        if digits == menu.KEY_BACK:
            return self._main_menu(call, urls)
        number = self._rules.is_number_slot(call.slot)
        if not number and digits == menu.KEY_AGENT:
            return self._transfer(sid, call, urls, BY_CALLER)
        if not number and digits == menu.KEY_REPEAT:
            return self._listen(call, urls)
        answer = self._rules.keypad_answer(call.slot, digits)
        if answer is None:
            return self._miss(sid, call, urls, [say("ivr_invalid_number") if number else say("ivr_invalid_key")])
        return self._ask(sid, call, urls, answer, keypad=digits)

    # --- words ------------------------------------------------------------------------------
    def _on_speech(self, sid: str, call: CallState, urls: Urls, speech: str) -> str:
        command = menu.normalise_speech(speech)
        if menu.asks_for_agent(speech):  # in any menu, after any number of silences
            return self._transfer(sid, call, urls, BY_CALLER)
        if command in menu.SPOKEN_MENU:
            return self._main_menu(call, urls)
        if command in menu.SPOKEN_REPEAT:
            return self._listen(call, urls, [call.last_answer] if call.mode == Mode.FOLLOW_UP else [])
        if call.mode == Mode.FOLLOW_UP and menu.is_done(speech):
            return self._goodbye(call)
        if call.mode != Mode.SLOT:
            key = menu.spoken_key(speech)
            if key is not None:
                return self._on_digits(sid, call, urls, key)
        return self._ask(sid, call, urls, speech)

    # --- the shared turn logic --------------------------------------------------------------
    def _ask(self, sid: str, call: CallState, urls: Urls, text: str, keypad: str = "") -> str:
        call.step += 1
        turn = Turn(channel="ivr", user_id=sid, text=text[:TEXT_MAX], message_id=f"{sid}-{call.step}",
                    metadata={"keypad": keypad} if keypad else {})
        reply = self._handle_turn(turn)
        spoken = for_ear(reply.reply)
        if reply.handoff:
            return self._transfer(sid, call, urls, BY_CONVERSATION, [spoken])
        if reply.asking_for:
            asked_again = call.mode == Mode.SLOT and call.slot == reply.asking_for
            call.mode, call.slot = Mode.SLOT.value, reply.asking_for
            call.slot_prompt = self._spoken_slot_prompt(reply.asking_for, spoken)
            if asked_again:  # the answer was not understood: say why, then ask again
                return self._miss(sid, call, urls, [spoken or say("not_understood", "ivr")])
            call.misses = 0
            return self._listen(call, urls)
        if reply.answered:
            call.mode, call.misses, call.last_answer = Mode.FOLLOW_UP.value, 0, spoken
            return self._listen(call, urls, [spoken])
        if call.mode == Mode.SLOT:  # the turn logic left the eligibility questions
            call.mode = Mode.MENU.value
        notice = [spoken or say("not_understood", "ivr"), say("ivr_try_again")]
        notice.append(read_aloud(menu.spoken_suggestion(reply.suggestions)))
        return self._miss(sid, call, urls, notice)

    def _spoken_slot_prompt(self, slot: str, fallback: str) -> str:
        try:
            prompt = read_aloud(self._rules.slot_prompt(slot))
        except LookupError:
            log.warning("no IVR prompt for slot %r; reading the chat question instead", slot)
            prompt = ""
        return prompt or fallback

    # --- prompts ----------------------------------------------------------------------------
    def _listen(self, call: CallState, urls: Urls, before=()) -> str:
        """Ask again what the current mode asks, after `before`."""
        mode = call.mode
        if mode == Mode.TOPIC and menu.topic(call.topic):
            return self._gather(menu.topic_menu(menu.topic(call.topic)), urls, before)
        if mode == Mode.SLOT:
            number = self._rules.is_number_slot(call.slot)
            prompt = call.slot_prompt + (say("ivr_number_entry_hint") if number else "")
            return self._gather(prompt, urls, before, number=number, choice=not number)
        if mode == Mode.FOLLOW_UP:
            return self._gather(say("ivr_follow_up", **menu.KEYS), urls, before)
        if mode == Mode.KEYPAD:
            # Keys are asked for, but words are still heard: "我要找人工客服" must reach a person.
            return self._gather(menu.main_menu(keypad=True), urls, before)
        call.mode = Mode.MENU.value
        return self._gather(menu.main_menu(), urls, before)

    def _gather(self, prompt: str, urls: Urls, before=(), **shape) -> str:
        return twiml.gather(
            prompt,
            speaker=self.config.speaker,
            action=urls.input,
            no_input=urls.no_input,
            before=[line for line in before if line],
            **shape,
        )

    def _main_menu(self, call: CallState, urls: Urls) -> str:
        call.mode, call.misses = Mode.MENU.value, 0
        return self._listen(call, urls)

    def _miss(self, sid: str, call: CallState, urls: Urls, notice: list[str]) -> str:
        """A silence or a misunderstanding: reprompt, then the keypad menu, then escalate."""
        call.misses += 1
        if call.misses <= REPROMPTS:
            return self._listen(call, urls, notice)
        if call.misses == REPROMPTS + 1:
            call.mode = Mode.KEYPAD.value
            return self._listen(call, urls, [*notice, say("ivr_keypad_menu_intro")])
        if self.config.agent_numbers:
            return self._transfer(sid, call, urls, NO_PROGRESS, notice)
        return self._goodbye(call, notice)

    def _goodbye(self, call: CallState, before=()) -> str:
        call.mode = Mode.ENDED.value
        return twiml.say_and_hang_up([*before, say("goodbye", "ivr")], speaker=self.config.speaker)

    # --- a human ----------------------------------------------------------------------------
    def _transfer(self, sid: str, call: CallState, urls: Urls, reason: str, before=()) -> str:
        """Ring the agents; with none configured, take a voicemail instead."""
        before = [line for line in before if line]
        numbers = self.config.agent_numbers
        # The caller's number goes with it (hashed and encrypted by the log) for the callback desk.
        self.event(sid, "handoff", {"reason": reason, "agents": len(numbers), "mode": call.mode, "caller": call.caller})
        if numbers:
            call.mode = Mode.AGENT.value
            return twiml.dial(
                numbers,
                speaker=self.config.speaker,
                action=urls.dial_result,
                timeout=self.config.dial_timeout,
                before=[*before, say("handoff", "ivr")],
            )
        call.dial_status = "no-agents"
        return self._voicemail(call, urls, [*before, say("ivr_no_agents")])

    def _voicemail(self, call: CallState, urls: Urls, before: list[str]) -> str:
        call.mode = Mode.VOICEMAIL.value
        return twiml.voicemail(
            speaker=self.config.speaker,
            action=urls.voicemail,
            status_callback=urls.recording,
            max_length=self.config.voicemail_seconds,
            before=[*before, say("ivr_voicemail_prompt")],
            if_silent=[say("ivr_voicemail_empty"), say("goodbye", "ivr")],
        )


_LISTENING = frozenset(m.value for m in (Mode.MENU, Mode.KEYPAD, Mode.TOPIC, Mode.SLOT, Mode.FOLLOW_UP))


def _seconds(value) -> int:
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return 0
