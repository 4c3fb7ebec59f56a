"""The shapes every channel shares: one incoming turn and one reply (the chat-API contract).

`Reply.to_api()` is exactly the JSON body of `POST /api/chat` as DESIGN.md fixes it;
channels render a `Reply`, they never build answers themselves.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from bot.core.messages import say

USER_ID_MAX = 128
TEXT_MAX = 1000


def is_valid_unicode(text: str) -> bool:
    """Whether `text` can be stored and hashed: no lone surrogates (``\\ud800``–``\\udfff``),
    which JSON's ``\\u`` escapes can carry but UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


CHINESE_NUMERALS = "零一二三四五六七八九"


def article_label(number: int) -> str:
    """4 → （四）, 12 → （十二）, 20 → （二十）: the numbering as the notice prints it."""
    if number <= 0:
        return f"（{number}）"
    tens, units = divmod(number, 10)
    if number < 10:
        text = CHINESE_NUMERALS[units]
    elif number < 100:
        text = ("" if tens == 1 else CHINESE_NUMERALS[tens]) + "十" + (CHINESE_NUMERALS[units] if units else "")
    else:
        text = str(number)
    return f"（{text}）"


@dataclass(frozen=True)
class Citation:
    """One cited article: `{"document", "article", "title", "quote"}` in the API."""

    document: str
    article: int
    title: str
    quote: str

    @property
    def reference(self) -> str:
        """The one citation style of every reply: 大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”."""
        return say("citation", document=self.document, label=article_label(self.article), title=self.title)


@dataclass(frozen=True)
class Turn:
    """One user message as it enters the conversation core.

    :param channel: the channel slug (`api`, `web`, `wechat`, `ivr`), also the log's `channel`.
    :param user_id: the conversation key as the channel knows it (raw; the log hashes it).
    :param text: the user's words, stripped.
    :param message_id: the platform's id (WeChat MsgId, Twilio CallSid+step) for dedupe.
    """

    channel: str
    user_id: str
    text: str
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", (self.text or "").strip())
        object.__setattr__(self, "user_id", str(self.user_id))


@dataclass
class Reply:
    """The assistant's answer to one turn, in the fields of the chat API."""

    reply: str
    citations: list[Citation] = field(default_factory=list)
    answered: bool = True
    intent: str = ""
    confidence: float = 0.0
    asking_for: str | None = None
    handoff: bool = False
    suggestions: list[str] = field(default_factory=list)
    # Not part of the public API: why the turn was not answered, and whether Rasa was bypassed.
    abstain_reason: str | None = None
    degraded: bool = False
    # Set by the human-service desk (bot/handoff) when the turn went to a person instead of the
    # bot: the account holding the conversation, or "" while it waits in the queue.
    agent: str | None = None

    def to_api(self) -> dict:
        """The JSON body of a 200 reply of `POST /api/chat`."""
        return {
            "reply": self.reply,
            "citations": [asdict(c) for c in self.citations],
            "answered": self.answered,
            "intent": self.intent,
            "confidence": round(float(self.confidence), 4),
            "asking_for": self.asking_for,
            "handoff": self.handoff,
            "suggestions": list(self.suggestions),
        }
