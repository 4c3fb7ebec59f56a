"""Small talk, questions outside the notice, 转人工 and stopping a check."""
from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import texts
from bot.actions.common import as_of, latest_text, nlu_of, reset_events, services
from bot.actions.payload import make_payload, payload_from_reply
from bot.actions.stateless import out_of_scope_reply, small_talk_reply

class ActionSmallTalk(Action):
    """Greeting, thanks, goodbye, yes/no and chitchat outside a check: one sentence per intent."""

    def name(self) -> str:
        return "action_small_talk"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        reply = small_talk_reply(*nlu_of(tracker))
        dispatcher.utter_message(text=reply.reply, json_message=payload_from_reply(reply))
        return []


class ActionOutOfScope(Action):
    """A question the notice does not cover: say so, offer a human; logged as unanswered.
    Staff-curated answers take priority even for questions outside the notice."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent, confidence = nlu_of(tracker)
        question = latest_text(tracker)
        reply = await asyncio.to_thread(
            lambda: out_of_scope_reply(services().retriever, question, intent, confidence, as_of())
        )
        dispatcher.utter_message(text=reply.reply, json_message=payload_from_reply(reply))
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
        return reset_events(tracker)


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
        return reset_events(tracker)
