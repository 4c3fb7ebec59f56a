"""Answering a policy question from the notice: retrieval, then `policy_reply`, with a human offered
whenever the notice does not answer. Shared by `action_answer_policy` (inside the action server)
and the degraded mode of `bot.conversation` (in the app, when Rasa is unavailable)."""
from __future__ import annotations

import datetime as dt
import logging

from bot.actions import texts
from bot.reply import Reply

log = logging.getLogger(__name__)

INTENT = "ask_policy"
NLU_FALLBACK = "nlu_fallback"  # Rasa's FallbackClassifier: NLU below its threshold


def offer_human(reply: Reply) -> Reply:
    """Make sure an unanswered reply offers a human agent (text and the 转人工 quick reply)."""
    if not reply.answered:
        if "人工" not in reply.reply:
            reply.reply = f"{reply.reply}{texts.OFFER_HUMAN}" if reply.reply else texts.OFFER_HUMAN
        if texts.HUMAN not in reply.suggestions:
            reply.suggestions.append(texts.HUMAN)
    return reply


def answer_policy_question(retriever, question: str, as_of: dt.date) -> Reply:
    """Answer one question from the notice, or abstain honestly.

    :param retriever: a warmed-up `knowledge_base.retrieval.PolicyRetriever` (anything with `run`).
    :param question: the user's words.
    :param as_of: the date validity is judged against.
    :returns: a `Reply` (intent `ask_policy`); `answered=False` with 转人工 offered when the notice
        does not cover the question or retrieval failed. Never raises.
    """
    from knowledge_base.answers import policy_reply

    try:
        reply = policy_reply(retriever.run(question), as_of)
    except Exception:  # a broken index must not break the conversation; the turn is logged unanswered
        log.exception("retrieval failed for a policy question")
        reply = Reply(reply=texts.SYSTEM_ERROR, answered=False, abstain_reason="error")
    reply.intent = reply.intent or INTENT
    return offer_human(reply)
