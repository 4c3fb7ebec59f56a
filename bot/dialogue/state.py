"""What the dialogue remembers of one conversation between turns, in the shared state store.

Only understood values are kept (a rule id, slot values, an article number, counters), never the
user's words: the store holds no personal data. It lives in the state store (Redis when
HOTLINE_REDIS_URL is set) with a TTL, so an app restart or another app process keeps the
conversation.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction
from typing import Any

log = logging.getLogger(__name__)

STATE_TTL_SECONDS = 30 * 60  # a conversation idle this long starts afresh
KEY_PREFIX = "dialogue:"


@dataclass
class DialogueState:
    """One conversation's dialogue state.

    :param check: the rule id of the open check, or None.
    :param facts: slot values of the open check; after a verdict, those of the last check.
    :param asking: the slot the last reply asked for.
    :param last_rule: the rule of the last verdict, for "那要是…呢" follow-ups.
    :param focus: (document, article) last cited: the topic of a follow-up that names none.
    :param focus_rule: the measure whose clause led the last answer (article 2 holds two), or None.
    :param misses: messages not understood in a row.
    """

    check: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    asking: str | None = None
    last_rule: str | None = None
    focus: tuple[str, int] | None = None
    focus_rule: str | None = None
    misses: int = 0

    def to_json(self) -> dict:
        data = asdict(self)
        data["facts"] = {k: _plain(v) for k, v in self.facts.items()}
        data["focus"] = list(self.focus) if self.focus else None
        return data

    @classmethod
    def from_json(cls, data: Any) -> "DialogueState":
        """A state from the store; anything malformed gives a fresh state, never an error."""
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        try:
            state = cls(**{k: v for k, v in data.items() if k in known})
            state.facts = dict(state.facts or {})
            state.focus = (str(state.focus[0]), int(state.focus[1])) if state.focus else None
            state.misses = int(state.misses or 0)
            return state
        except (TypeError, ValueError, IndexError):
            log.warning("discarding a malformed dialogue state")
            return cls()

    def close_check(self) -> None:
        self.check, self.asking = None, None


def _plain(value: Any) -> Any:
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


class DialogueStates:
    """Load and save `DialogueState`s in a `bot.state.StateStore`.

    A store outage never costs an answer: loading gives a fresh state and saving is skipped,
    both logged.

    :param store: the shared state store.
    :param ttl: seconds a state is kept after its last turn.
    """

    def __init__(self, store, ttl: float = STATE_TTL_SECONDS):
        self.store = store
        self.ttl = ttl

    def load(self, key: str) -> DialogueState:
        try:
            return DialogueState.from_json(self.store.get(KEY_PREFIX + key))
        except Exception:
            log.warning("could not read the dialogue state; starting afresh", exc_info=True)
            return DialogueState()

    def save(self, key: str, state: DialogueState) -> None:
        try:
            self.store.set(KEY_PREFIX + key, state.to_json(), self.ttl)
        except Exception:
            log.warning("could not store the dialogue state", exc_info=True)
