"""What the IVR reads from the rest of the system: the rule table's slot prompts and types, and
the knowledge base's terms for speech-recognition hints. Nothing here is a fact of its own."""
from __future__ import annotations

import logging
import re

from bot.config import REPO_ROOT
from ivr import menu

log = logging.getLogger(__name__)

LEXICON = REPO_ROOT / "knowledge_base" / "lexicon" / "userdict.txt"
# Slot types of the rule table (see its schema) that a caller enters as digits.
NUMBER_TYPES = frozenset({"int", "number", "percent", "year"})
# Keypad numbers: digits, `*` as the decimal point (as the rule table's IVR prompts say).
_KEYPAD_NUMBER = re.compile(r"^\d+(?:\*\d+)?$")
YES, NO = "是", "不是"


def slot_prompt(slot: str) -> str:
    """The rule table's keypad/voice prompt of a slot, e.g. 请输入参保职工人数，按井号键结束。

    :raises LookupError: no IVR prompt for it (the flow then reads the chat question instead).
    """
    from bot.eligibility import prompt_for

    return prompt_for(slot, channel="ivr")


def _spec(slot: str):
    from bot.eligibility import load_rules

    return load_rules().slots.get(slot)


def is_number_slot(slot: str) -> bool:
    """Whether the rule table types a slot as a number (keypad digits ended by #)."""
    spec = _spec(slot)
    return spec is not None and spec.type in NUMBER_TYPES


def keypad_answer(slot: str, keys: str) -> str | None:
    """Keys pressed for a slot, as the words a chat user would type.

    Numbers keep their digits (`5*5` → `5.5`); a key of a yes/no or choice question becomes
    是 / 不是 or the choice's label from the rule table (中小微企业请按1 → 中小微企业), so the turn
    logic reads it exactly as it reads chat.

    :param slot: the slot being asked.
    :param keys: `Digits` as Twilio posts them.
    :returns: the answer text, or None when the keys answer nothing the prompt offered.
    """
    from bot.eligibility.prompts import KEYPAD

    spec = _spec(slot)
    keys = keys.rstrip("#")
    if spec is None or not keys:
        return None
    if spec.type in NUMBER_TYPES:
        return keys.replace("*", ".") if _KEYPAD_NUMBER.match(keys) else None
    value = KEYPAD.get(slot, {}).get(keys)
    if value is None:
        return None
    if spec.type == "bool":
        return YES if value else NO
    return spec.choices.get(value)


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
