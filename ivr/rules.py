"""What the IVR reads from the rest of the system: the slot table's voice prompts, types and keys,
and the knowledge base's terms for speech-recognition hints. Nothing here is a fact of its own."""
from __future__ import annotations

import logging
import re

from bot.config import REPO_ROOT
from bot.core.slots import BY_NAME, NUMBER_TYPES
from ivr import menu

log = logging.getLogger(__name__)

LEXICON = REPO_ROOT / "knowledge_base" / "lexicon" / "userdict.txt"
# Keypad numbers: digits, `*` as the decimal point (as the voice prompts say).
_KEYPAD_NUMBER = re.compile(r"^\d+(?:\*\d+)?$")


def slot_prompt(slot: str) -> str:
    """The slot table's keypad/voice prompt of a slot, e.g. 请输入参保职工人数，按井号键结束。

    :raises LookupError: not a slot (the flow then reads the chat question instead).
    """
    return BY_NAME[slot].voice


def is_number_slot(slot: str) -> bool:
    """Whether the slot table types a slot as a number (keypad digits ended by #)."""
    return slot in BY_NAME and BY_NAME[slot].type in NUMBER_TYPES


def keypad_answer(slot: str, keys: str) -> str | None:
    """Keys pressed for a slot, as the words a chat user would type.

    Numbers keep their digits (`5*5` → `5.5`); a key of a yes/no or choice question becomes its
    option's words (是 / 不是, 中小微企业 …), so the turn logic reads it exactly as it reads chat.

    :param slot: the slot being asked.
    :param keys: `Digits` as Twilio posts them.
    :returns: the answer text, or None when the keys answer nothing the prompt offered.
    """
    keys = keys.rstrip("#")
    if slot not in BY_NAME or not keys:
        return None
    if is_number_slot(slot):
        return keys.replace("*", ".") if _KEYPAD_NUMBER.match(keys) else None
    option = BY_NAME[slot].by_key(keys)
    return option.label if option else None


def knowledge_base_terms(services) -> list[str]:
    """Article titles, then the domain lexicon: the words callers are likely to say."""
    terms: list[str] = []
    try:
        terms += [article.title for _, article in services.knowledge_base.articles()]
    except Exception as exc:  # noqa: BLE001 - hints are an aid; the lexicon still gives terms
        log.warning("knowledge base unavailable for speech hints (%s); using the lexicon only", exc)
    if LEXICON.exists():
        for line in LEXICON.read_text(encoding="utf-8").splitlines():
            word = line.split(" ")[0].strip()
            if len(word) >= 2 and not word.isdigit():
                terms.append(word)
    return terms


def speech_hints_from(services) -> str:
    """`<Gather hints>` for this deployment's knowledge base."""
    return menu.speech_hints(knowledge_base_terms(services))
