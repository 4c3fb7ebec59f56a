"""The one generic eligibility form, driven by the rule table (`bot.eligibility`).

    check_<rule id>  →  action_start_check (sets `active_rule`)  →  eligibility_form
        validate_eligibility_form: reads the facts of the latest message, asks the table what the
                                   current branch still needs (`missing_slots`), one at a time
        action_ask_<slot>:         `prompt_for(slot)`, payload `asking_for=<slot>`
    →  action_check_eligibility:   `evaluate(...)`: verdict, computation, clause, validity; reset

Facts stated in the first sentence ("我们公司28个人裁了3个") fill slots before anything is
asked; a correction ("不对，是35个人") overwrites the fact it names; a question, another check,
算了 or 转人工 fill nothing, so the form rejects and the rules in rules.yml take over.
"""
from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from fractions import Fraction
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot import slots as S
from bot.actions import texts
from bot.actions.common import (
    ACTIVE_RULE,
    CHECK_PREFIX,
    REQUESTED_SLOT,
    as_of,
    channel_of,
    known_slots,
    latest_text,
    nlu_of,
    reset_events,
    rule_of_intent,
)
from bot.actions.payload import make_payload
from bot.eligibility import (
    MissingSlots,
    SlotValueError,
    UnknownRule,
    evaluate,
    extract_slots,
    load_rules,
    missing_slots,
    prompt_for,
    validate_slot,
)

log = logging.getLogger(__name__)

# Intents that never answer the form's question: the form rejects and a rule answers them.
INTERRUPTIONS = frozenset(
    {"greet", "thank", "goodbye", "stop", "ask_human", "chitchat", "ask_policy", "out_of_scope"}
)
# Intents a short answer is sometimes mistaken for ("其他企业" for goodbye): still read as the
# answer when it names an option of the choice asked for (not numbers or yes/no: "好的谢谢" is no "是").
SMALL_TALK = frozenset({"greet", "thank", "goodbye", "chitchat"})
# Intents of a plain answer: when nothing can be read from it, say so and ask again.
ANSWERS = frozenset({"inform", "affirm", "deny"})
# "不对，是35个人": the user corrects a fact given before, not the one just asked for.
CORRECTION = re.compile(r"不对|错了|说错|更正|纠正|应该是|改成|改为|改一下|不是[^，,。]{0,10}[，,]?\s*是")

BOOL_SUGGESTIONS = ("是", "否")


def slot_value(value: Any) -> Any:
    """A slot value as JSON: exact fractions become int or float (the engine re-reads floats exactly)."""
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def suggestions_for(slot: str) -> list[str]:
    """Quick replies for a question: the choices of a choice slot, 是/否 for a yes/no slot."""
    spec = load_rules().slots.get(slot)
    if spec is None:
        return []
    if spec.type == "bool":
        return list(BOOL_SUGGESTIONS)
    if spec.type == "choice":
        return list(spec.choices.values())
    return []


def read_facts(text: str, requested: str | None, readable: list[str]) -> dict[str, Any]:
    """The facts one message states, limited to the slots the rule reads.

    :param text: the user's words.
    :param requested: the slot just asked for (a bare answer fills it), or None.
    :param readable: the rule's slots.
    :returns: slot → parsed value (not yet validated).
    """
    def relevant(found: dict) -> dict:
        return {slot: value for slot, value in found.items() if slot in readable}

    unbiased = relevant(extract_slots(text))
    if CORRECTION.search(text) and unbiased:
        # A correction names its fact ("不对，是35个人" → the head count), whatever was just asked.
        return unbiased
    # Else the answer is read as an answer to the question ("3个人" → layoffs when asked for
    # layoffs); a different fact given instead ("二十八个人" when asked the firm's size) still counts.
    return relevant(extract_slots(text, expected=requested)) or unbiased


def _without_prompt(message: str, slot: str) -> str:
    """The problem part of a `SlotValueError` message (the form asks the question itself)."""
    prompt = prompt_for(slot)
    return message[: -len(prompt)] if message.endswith(prompt) and message != prompt else message


class ActionStartCheck(Action):
    """Pick the rule from the check_<rule id> intent; a different rule starts from a clean slate."""

    def name(self) -> str:
        return "action_start_check"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent, _ = nlu_of(tracker)
        rule_id = rule_of_intent(intent)
        if rule_id is None or rule_id not in load_rules():
            log.error("action_start_check after intent %r, which names no rule of the table", intent)
            return reset_events(tracker)
        if tracker.get_slot(ACTIVE_RULE) == rule_id:
            return []  # the same check asked again mid-form: keep the facts already given
        return reset_events(tracker, keep_rule=True) + [SlotSet(ACTIVE_RULE, rule_id)]


class ValidateEligibilityForm(FormValidationAction):
    """Fills the form's slots from free Chinese and asks the rule table what to ask next."""

    def name(self) -> str:
        return "validate_eligibility_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        """The facts the active rule's current branch still needs, in asking order."""
        rule_id = tracker.get_slot(ACTIVE_RULE)
        if rule_id not in load_rules():
            return []
        try:
            return missing_slots(rule_id, known_slots(tracker))
        except SlotValueError as err:
            return [err.slot]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        rule_id = tracker.get_slot(ACTIVE_RULE)
        table = load_rules()
        if rule_id not in table:
            return [SlotSet(REQUESTED_SLOT, None)]  # nothing to check: the form ends
        rule = table[rule_id]
        intent, confidence = nlu_of(tracker)
        requested = tracker.get_slot(REQUESTED_SLOT)
        payload = make_payload(intent=CHECK_PREFIX + rule_id, confidence=confidence)
        events: list[dict] = []

        text = latest_text(tracker)
        other_check = intent.startswith(CHECK_PREFIX) and rule_of_intent(intent) != rule_id
        if other_check and requested and requested in extract_slots(text):
            # A fact of another rule's topic that answers the question asked ("我得了新冠" while a
            # related check asks for it) is an answer, not a switch.
            other_check = False
        answering = intent not in INTERRUPTIONS and not other_check
        found = read_facts(text, requested, rule.reads) if answering else {}
        if not answering and intent in SMALL_TALK and requested and table.slots[requested].type == "choice":
            maybe = read_facts(text, requested, rule.reads)
            found = maybe if requested in maybe else {}
        known = {**known_slots(tracker), **found}
        for slot, raw in found.items():
            try:
                events.append(SlotSet(slot, slot_value(validate_slot(slot, raw, known))))
            except SlotValueError as err:
                dispatcher.utter_message(text=_without_prompt(err.message, err.slot), json_message=payload)
                events.append(SlotSet(slot, None))
                known.pop(slot, None)
        if answering and requested and not found and intent in ANSWERS:
            dispatcher.utter_message(text=texts.NOT_UNDERSTOOD, json_message=payload)
            events.append(SlotSet(requested, None))  # counts as handled: the form asks again
        tracker.add_slots(events)

        # A fact can become unusable through another one (layoffs above a corrected head count).
        while True:
            try:
                needed = missing_slots(rule_id, known_slots(tracker))
                break
            except SlotValueError as err:
                dispatcher.utter_message(text=_without_prompt(err.message, err.slot), json_message=payload)
                cleared = SlotSet(err.slot, None)
                events.append(cleared)
                tracker.add_slots([cleared])
        events.append(SlotSet(REQUESTED_SLOT, needed[0] if needed else None))
        return events


class AskForSlot(Action, ABC):
    """`action_ask_<slot>`: the rule table's one question for a slot (chat or phone wording)."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The canonical slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent, confidence = nlu_of(tracker)
        rule_id = tracker.get_slot(ACTIVE_RULE)
        dispatcher.utter_message(
            text=prompt_for(self.slot, channel_of(tracker)),
            json_message=make_payload(
                intent=CHECK_PREFIX + rule_id if rule_id else intent,
                confidence=confidence,
                asking_for=self.slot,
                suggestions=suggestions_for(self.slot),
            ),
        )
        return []


def _ask_action(slot: str) -> type[AskForSlot]:
    cls_name = f"AskFor_{slot}"
    cls = type(cls_name, (AskForSlot,), {"slot": slot, "__module__": __name__, "__qualname__": cls_name})
    globals()[cls_name] = cls  # module attribute: Sanic pickles the executor into its worker process
    return cls


# One concrete ask action per canonical slot (rasa-sdk registers every non-abstract Action).
ASK_ACTIONS = {slot: _ask_action(slot) for slot in S.ALL}


class ActionCheckEligibility(Action):
    """The verdict of the rule once the form is complete; then the facts are forgotten."""

    def name(self) -> str:
        return "action_check_eligibility"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        rule_id = tracker.get_slot(ACTIVE_RULE)
        try:
            verdict = evaluate(rule_id, known_slots(tracker), as_of())
        except (UnknownRule, MissingSlots, SlotValueError):
            log.exception("eligibility check %r could not be completed", rule_id)
            dispatcher.utter_message(
                text=texts.CHECK_FAILED,
                json_message=make_payload(
                    intent=CHECK_PREFIX + str(rule_id),
                    confidence=0.0,
                    answered=False,
                    suggestions=[texts.HUMAN],
                    abstain_reason="error",
                ),
            )
            return reset_events(tracker)
        # On the phone the clause is too long to read out: the verdict, its computation and validity.
        text = (
            f"{verdict.body}计算：{verdict.computation}。{verdict.validity}"
            if channel_of(tracker) == "ivr" and verdict.computation
            else f"{verdict.body}{verdict.validity}" if channel_of(tracker) == "ivr"
            else verdict.text
        )
        dispatcher.utter_message(
            text=text,
            json_message=make_payload(
                intent=CHECK_PREFIX + rule_id,
                confidence=1.0,  # the rule table's verdict is exact once the facts are known
                citations=[verdict.citation],
                suggestions=[texts.HUMAN] if verdict.outcome == "not_covered" else [],
            ),
        )
        return reset_events(tracker)
