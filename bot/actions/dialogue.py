"""Small talk, questions outside the notice, 转人工 and stopping a check."""
from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import texts
from bot.actions.common import as_of, latest_text, nlu_of, reset_events, services
from bot.actions.payload import make_payload, payload_from_reply
from knowledge_base.answers import policy_reply

# Intents whose reply offers the starter topics as quick replies.
_OFFER_TOPICS = {"greet", "chitchat", "inform"}


class ActionSmallTalk(Action):
    """Greeting, thanks, goodbye, yes/no and chitchat outside a check: one sentence per intent."""

    def name(self) -> str:
        return "action_small_talk"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent, confidence = nlu_of(tracker)
        suggestions = texts.TOPIC_SUGGESTIONS if intent in _OFFER_TOPICS else []
        dispatcher.utter_message(
            text=texts.SMALL_TALK.get(intent, texts.ACKNOWLEDGE),
            json_message=make_payload(intent=intent, confidence=confidence, suggestions=suggestions),
        )
        return []


class ActionOutOfScope(Action):
    """A question the notice does not cover: say so, offer a human; logged as unanswered."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent, confidence = nlu_of(tracker)
        # Staff-curated answers take priority even for questions outside the notice.
        question = latest_text(tracker)
        result = await asyncio.to_thread(lambda: services().retriever.run(question))
        if result.curated is not None:
            reply = policy_reply(result, as_of())
            dispatcher.utter_message(text=reply.reply, json_message=payload_from_reply(reply))
            return []
        dispatcher.utter_message(
            text=texts.OUT_OF_SCOPE + texts.OFFER_HUMAN,
            json_message=make_payload(
                intent=intent or "out_of_scope",
                confidence=confidence,
                answered=False,
                suggestions=[texts.HUMAN],
                abstain_reason="out_of_scope",
            ),
        )
        return []


class ActionHandoff(Action):
    """转人工: the channel transfers the user (`handoff=True`); any check in progress is dropped."""

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent, confidence = nlu_of(tracker)
        dispatcher.utter_message(
            text=texts.HANDOFF,
            json_message=make_payload(intent=intent or "ask_human", confidence=confidence, handoff=True),
        )
        return reset_events()


class ActionStopCheck(Action):
    """算了 / 再见 during a check: confirm, and forget the facts gathered so far."""

    def name(self) -> str:
        return "action_stop_check"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent, confidence = nlu_of(tracker)
        dispatcher.utter_message(
            text=texts.GOODBYE if intent == "goodbye" else texts.STOPPED,
            json_message=make_payload(intent=intent or "stop", confidence=confidence),
        )
        return reset_events()
