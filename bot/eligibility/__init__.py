"""Eligibility checks of 大人社发[2020]38号: one rule table (`rules.yaml`), one small evaluator.

Public API (Rasa actions, the IVR and the docs call these):

- `load_rules() -> RuleTable` (cached); `RuleTable.ids()`, `RuleTable[rule_id] -> Rule`
- `missing_slots(rule_id, slots) -> list[str]` — what to ask next, in order
- `evaluate(rule_id, slots, as_of) -> Verdict` — the verdict with computation, clause and validity
- `validate_slot(slot, value, known) -> value` — coerce/check one answer (`SlotValueError` in Chinese)
- `prompt_for(slot, channel="chat") -> str` — the one question per slot (`bot.core.slots`, chat or IVR)
- `parse_slot_value(slot, text) -> value | None`, `extract_slots(text) -> dict` — natural answers
"""
from bot.core.slots import prompt_for
from bot.eligibility.engine import MissingSlots, SlotValueError, Verdict, evaluate, missing_slots, validate_slot
from bot.eligibility.parsing import extract_slots, parse_slot_value
from bot.eligibility.table import Rule, RuleTable, RuleTableError, UnknownRule, load_rules

__all__ = [
    "MissingSlots",
    "Rule",
    "RuleTable",
    "RuleTableError",
    "SlotValueError",
    "UnknownRule",
    "Verdict",
    "evaluate",
    "extract_slots",
    "load_rules",
    "missing_slots",
    "parse_slot_value",
    "prompt_for",
    "validate_slot",
]
