"""Replies that depend on the message alone: what Rasa's one-action rules answer outside a check.

Outside an eligibility check, training_data/data/rules.yml sends each of these intents to one
action whatever came before, and that action's reply is a function of the intent, its confidence
and the words. The actions (inside the action server) and `bot.conversation` (in the app, after
Rasa's NLU alone) both call `reply_for_intent`, so the two paths cannot drift apart;
tests/rasa/test_training_data.py fails if the rules stop matching `ACTION_OF_INTENT`.
Pure Python (no rasa_sdk import), like `bot.actions.payload`.
"""
from __future__ import annotations

import datetime as dt

from bot.actions import texts
from bot.actions.policy_answer import INTENT as ASK_POLICY
from bot.actions.policy_answer import NLU_FALLBACK, answer_policy_question
from bot.reply import Reply

OUT_OF_SCOPE = "out_of_scope"
SMALL_TALK_INTENTS = frozenset({"greet", "thank", "goodbye", "affirm", "deny", "stop", "chitchat", "inform"})
# Intents whose reply offers the starter topics as quick replies.
OFFER_TOPICS = frozenset({"greet", "chitchat", "inform"})

# intent → the one action Rasa's unconditioned rule runs for it.
ACTION_OF_INTENT = {
    ASK_POLICY: "action_answer_policy",
    NLU_FALLBACK: "action_answer_policy",
    OUT_OF_SCOPE: "action_out_of_scope",
    **{intent: "action_small_talk" for intent in SMALL_TALK_INTENTS},
}


def small_talk_reply(intent: str, confidence: float) -> Reply:
    """Greeting, thanks, goodbye, yes/no and chitchat: one sentence per intent."""
    return Reply(
        reply=texts.SMALL_TALK.get(intent, texts.ACKNOWLEDGE),
        intent=intent,
        confidence=confidence,
        suggestions=list(texts.TOPIC_SUGGESTIONS) if intent in OFFER_TOPICS else [],
    )


def out_of_scope_reply(retriever, question: str, intent: str, confidence: float, as_of: dt.date) -> Reply:
    """A question outside the notice: a staff-curated answer when one matches, else say so and
    offer a human (logged as unanswered)."""
    from knowledge_base.answers import policy_reply

    result = retriever.run(question)
    if result.curated is not None:
        return policy_reply(result, as_of)
    return Reply(
        reply=texts.OUT_OF_SCOPE + texts.OFFER_HUMAN,
        intent=intent or OUT_OF_SCOPE,
        confidence=confidence,
        answered=False,
        suggestions=[texts.HUMAN],
        abstain_reason=OUT_OF_SCOPE,
    )


def reply_for_intent(intent: str, confidence: float, question: str, retriever, as_of: dt.date) -> Reply | None:
    """The reply of the one-action rule for `intent`; None when the intent needs the dialogue
    (a check, 转人工) or is unknown."""
    action = ACTION_OF_INTENT.get(intent)
    if action == "action_answer_policy":
        return answer_policy_question(retriever, question, as_of)
    if action == "action_out_of_scope":
        return out_of_scope_reply(retriever, question, intent, confidence, as_of)
    if action == "action_small_talk":
        return small_talk_reply(intent, confidence)
    return None
