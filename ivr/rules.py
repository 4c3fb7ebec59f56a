"""What the IVR reads from the rest of the system: the rule table's slot prompts and types, and
the knowledge base's terms for speech-recognition hints. Nothing here is a fact of its own."""
from __future__ import annotations

import logging
from functools import lru_cache

import yaml

from bot.config import REPO_ROOT
from ivr import menu

log = logging.getLogger(__name__)

RULE_TABLE = REPO_ROOT / "bot" / "eligibility" / "rules.yaml"
LEXICON = REPO_ROOT / "knowledge_base" / "lexicon" / "userdict.txt"
# Slot types of the rule table (see its schema) that a caller enters as digits.
NUMBER_TYPES = frozenset({"int", "number", "percent", "year"})


def slot_prompt(slot: str) -> str:
    """The rule table's keypad/voice prompt of a slot, e.g. 请输入参保职工人数，按井号键结束。

    :raises LookupError: the rule table has no IVR prompt for it (the flow then reads the chat question).
    """
    try:
        from bot.eligibility import prompt_for
    except ImportError as exc:
        raise LookupError(f"bot.eligibility.prompt_for is not available: {exc}") from None
    return prompt_for(slot, channel="ivr")


@lru_cache(maxsize=1)
def _slot_types() -> dict[str, str]:
    table = yaml.safe_load(RULE_TABLE.read_text(encoding="utf-8")) or {}
    return {name: str(spec.get("type", "")) for name, spec in (table.get("slots") or {}).items()}


def is_number_slot(slot: str) -> bool:
    """Whether the rule table types a slot as a number (keypad digits ended by #)."""
    return _slot_types().get(slot, "") in NUMBER_TYPES


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
