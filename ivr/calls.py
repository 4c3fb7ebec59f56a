"""Where a call is in the menu, keyed by Twilio's CallSid, in the shared state store
(`Services.state`: in-process, or Redis when `HOTLINE_REDIS_URL` is set, so any app process
can take the next webhook of a call)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import Enum

# Longer than any call (Twilio ends calls after 4 hours). When the call ends the state is kept
# briefly, for the voicemail's recording callback, which may arrive after the call's status.
CALL_STATE_TTL = 4 * 3600.0
ENDED_CALL_TTL = 600.0
_KEY_PREFIX = "ivr:call:"


class Mode(str, Enum):
    """What the caller's next key or words answer."""

    MENU = "menu"  # the main menu, keys or speech
    KEYPAD = "keypad"  # the main menu again, keys only (after repeated failures)
    TOPIC = "topic"  # a submenu: common questions of one topic
    SLOT = "slot"  # an eligibility question (`CallState.slot`)
    FOLLOW_UP = "follow_up"  # after an answer: 还有别的问题吗
    AGENT = "agent"  # ringing the agents
    VOICEMAIL = "voicemail"  # recording a message
    ENDED = "ended"


@dataclass
class CallState:
    """One call's place in the flow.

    :param mode: what the next input answers.
    :param topic: the submenu key in `Mode.TOPIC`.
    :param slot: the slot being asked in `Mode.SLOT`.
    :param misses: silences and misunderstandings in a row (2 reprompts, then the keypad menu,
        then a human or goodbye).
    :param step: turns sent to the turn logic, for `Turn.message_id` = `<CallSid>-<step>`.
    :param last_answer: the spoken text of the last answer, for 重听.
    :param slot_prompt: the spoken question of `slot`, said again on a reprompt.
    :param caller: the caller's number, kept only for the voicemail callback event.
    :param dial_status: how ringing the agents ended (`no-answer`, `busy`, …), for the voicemail.
    """

    mode: str = Mode.MENU.value
    topic: str = ""
    slot: str = ""
    misses: int = 0
    step: int = 0
    last_answer: str = ""
    slot_prompt: str = ""
    caller: str = ""
    dial_status: str = ""

    @classmethod
    def from_dict(cls, data: dict | None) -> "CallState":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


class CallStore:
    """Load and save `CallState` by CallSid.

    :param store: a `bot.state.StateStore`.
    :param ttl: seconds a call's state lives after its last change.
    """

    def __init__(self, store, ttl: float = CALL_STATE_TTL):
        self._store = store
        self._ttl = ttl

    def load(self, call_sid: str) -> CallState | None:
        data = self._store.get(_KEY_PREFIX + call_sid)
        return None if data is None else CallState.from_dict(data)

    def save(self, call_sid: str, state: CallState) -> None:
        ttl = ENDED_CALL_TTL if state.mode == Mode.ENDED.value else self._ttl
        self._store.set(_KEY_PREFIX + call_sid, asdict(state), ttl)

    def delete(self, call_sid: str) -> None:
        self._store.delete(_KEY_PREFIX + call_sid)

    def first_time(self, key: str) -> bool:
        """True once per key (e.g. a RecordingSid), so callbacks that repeat log once."""
        return self._store.add(f"ivr:once:{key}", 1, self._ttl)
