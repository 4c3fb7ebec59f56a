"""The voice menu: every key, the menu tree and the navigation words, in one place.

The spoken prompts are the message catalogue's `ivr_*` sentences and `voice` variants
(`bot.core.messages`), written for the ear (single keys as digits, which Polly reads as 一/二/…,
and the hotline number digit by digit); the topics are the catalogue's starter topics. Answers come from the shared turn logic and are rewritten by
`ivr.speech`; the questions behind the submenu keys go through that same logic.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.messages import say, starter_topics
from bot.dialogue import cues

# --- keys ------------------------------------------------------------------------------------
KEY_REPEAT = "9"
KEY_AGENT = "0"
KEY_BACK = "*"
KEY_END = "#"

# --- timing (seconds) -------------------------------------------------------------------------
MENU_TIMEOUT = 5  # silence after the prompt before the caller counts as silent
NUMBER_TIMEOUT = 10  # keypad entry of a number takes longer
MAX_HINTS = 100  # <Gather hints>: enough for the notice's terms, small enough for fast TwiML
HINT_MAX_CHARS = 50


@dataclass(frozen=True)
class Question:
    """A common question offered on a submenu key; its text goes to the turn logic as is."""

    key: str
    label: str  # how the menu announces it
    text: str  # what is asked on the caller's behalf


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


# The catalogue's starter topics, keyed by position: 1 for the first topic, 1 for its first question.
TOPICS: tuple[Topic, ...] = tuple(
    Topic(str(i), t["label"], tuple(Question(str(j), label, text) for j, (label, text) in enumerate(t["questions"], 1)))
    for i, t in enumerate(starter_topics(), 1)
)


def topic(key: str) -> Topic | None:
    """The main-menu topic on a key, or None."""
    return next((t for t in TOPICS if t.key == key), None)


# --- prompts (the catalogue's `ivr_*` sentences, with the keys above) -------------------------------
KEYS = {"repeat": KEY_REPEAT, "agent": KEY_AGENT}


def main_menu(keypad: bool = False) -> str:
    """The main menu: speech first, or (after misses) the keypad only."""
    options = "，".join(say("ivr_option", label=t.label, key=t.key) for t in TOPICS)
    return say("ivr_keypad_menu" if keypad else "ivr_main_menu", options=options, **KEYS)


def topic_menu(t: Topic) -> str:
    """The submenu prompt of one topic."""
    options = "；".join(say("ivr_option", label=q.label, key=q.key) for q in t.questions)
    return say("ivr_topic_menu", label=t.label, options=options, **KEYS)


# --- what a caller may say instead of pressing a key -------------------------------------------
_SPOKEN_DIGITS = {
    "零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
    "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
}  # fmt: skip
_SPOKEN_KEY = re.compile(r"^(?:按|选|选择)?(?:数字)?([0-9零〇洞一幺二两三四五六七八九])(?:号|键)?$")
_FILLER = re.compile(r"^(?:我要|我想|请|帮我|麻烦)+|(?:吧|呀|啊|了吗|吗)+$")
_PUNCTUATION = re.compile(r"[\s，。！？、；：,.!?;:…~～\"'“”‘’]+")

SPOKEN_REPEAT = frozenset({"重听", "再说一遍", "再说一次", "重复", "没听清", "重播", "再听一遍"})
SPOKEN_MENU = frozenset({"主菜单", "返回", "返回主菜单", "回到主菜单", "菜单", "上一级", "返回上一级"})
SPOKEN_DONE = frozenset({"没有", "没有了", "没了", "不用", "不用了", "没有问题了", "没问题了", "好了", "结束", "挂了"})
_THANKS = re.compile(r"(?:谢谢|谢了|多谢|再见|拜拜|好的|你)+$")


def spoken_suggestion(suggestions) -> str:
    """What a caller hears after a question the assistant could not answer: the first question
    offered (您可以这样问：…); 转人工, a chat quick reply, is said as the key that does it."""
    for suggestion in suggestions or ():
        if not asks_for_agent(suggestion):
            return say("ivr_suggestion", suggestion=suggestion)
    return say("ivr_agent_hint", agent=KEY_AGENT) if suggestions else ""


def normalise_speech(text: str) -> str:
    """Speech as a short command: no punctuation or polite filler (`我要转人工。` → `转人工`)."""
    text = _PUNCTUATION.sub("", text or "")
    return _FILLER.sub("", text) or text


def asks_for_agent(text: str) -> bool:
    """The caller asks for a person (`我要找人工客服`, `转人工`, `接线员`), in any words around it:
    the chat's handoff words (`bot.dialogue.cues.HANDOFF`), on the words without filler."""
    return bool(cues.HANDOFF.search(normalise_speech(text)))


def is_done(text: str) -> bool:
    """The caller says they have no more questions (没有了，谢谢 / 再见 / 不用了)."""
    command = normalise_speech(text)
    core = _THANKS.sub("", command)
    return bool(command) and (not core or core in SPOKEN_DONE)


def spoken_key(text: str) -> str | None:
    """A single spoken digit as its key (`按二` / `2` / `幺` → `"2"`/`"1"`), else None."""
    match = _SPOKEN_KEY.match(normalise_speech(text))
    if not match:
        return None
    char = match.group(1)
    return char if char.isdigit() else _SPOKEN_DIGITS[char]


def speech_hints(terms, limit: int = MAX_HINTS) -> str:
    """`<Gather hints>`: the menu's words first, then the knowledge base's terms, deduplicated.

    :param terms: article titles and lexicon words, best first.
    :param limit: the most phrases to send.
    :returns: the comma-separated phrases.
    """
    seen: dict[str, None] = {}
    menu_words = [t.label for t in TOPICS] + [say("human"), "重听", "主菜单"]
    for phrase in [*menu_words, *terms]:
        phrase = _PUNCTUATION.sub("", str(phrase))[:HINT_MAX_CHARS]
        if phrase and phrase not in seen:
            seen[phrase] = None
        if len(seen) >= limit:
            break
    return ",".join(seen)
