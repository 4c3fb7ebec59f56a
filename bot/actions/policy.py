"""`action_answer_policy`: policy questions (and low-confidence NLU) answered by retrieval."""
from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import as_of, latest_text, services, warm_up_in_background
from bot.actions.payload import payload_from_reply
from bot.actions.policy_answer import answer_policy_question


class ActionAnswerPolicy(Action):
    """Answers from the notice with the article cited, or says the notice does not cover it."""

    def name(self) -> str:
        return "action_answer_policy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        # Off the event loop: encoding the query takes a few CPU milliseconds, other turns go on.
        question = latest_text(tracker)
        reply = await asyncio.to_thread(lambda: answer_policy_question(services().retriever, question, as_of()))
        dispatcher.utter_message(text=reply.reply, json_message=payload_from_reply(reply))
        return []


warm_up_in_background()
