"""What every custom action shares: the action server's service graph, the NLU result of the
latest message, the channel's prompt style and the eligibility slots to reset."""
from __future__ import annotations

import datetime as dt
import os
import threading
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from bot import slots as S
from bot.config import Settings
from bot.heap import freeze_loaded_heap
from bot.services import Services

ACTIVE_RULE = "active_rule"  # the rule the eligibility form is checking (a rule id of the table)
REQUESTED_SLOT = "requested_slot"
FORM = "eligibility_form"
CHECK_PREFIX = "check_"

# Set by `bot.rasa_process` for the action server it starts: load the retrieval index at start-up
# so the first policy question is not slower than the conversation's timeout.
WARM_UP_ENV = "HOTLINE_ACTIONS_WARM_UP"

_services: Services | None = None
_lock = threading.Lock()


def services() -> Services:
    """The action server's own service graph, built once from the environment.

    `bot.rasa_process` passes the app's settings to the action server as `HOTLINE_*` variables.
    """
    global _services
    with _lock:
        if _services is None:
            _services = Services(Settings.from_env())
        return _services


def as_of() -> dt.date:
    return services().settings.today


def warm_up_in_background() -> None:
    """Load the retriever in a daemon thread when the action server was started to serve.

    Only in Sanic's worker process (it sets SANIC_WORKER_NAME): the primary process only
    supervises, so loading the encoder there would just double the memory.
    """
    if os.environ.get(WARM_UP_ENV) == "1" and os.environ.get("SANIC_WORKER_NAME"):
        threading.Thread(target=_warm_up_and_freeze, name="actions-warm-up", daemon=True).start()


def _warm_up_and_freeze() -> None:
    services().warm_up()
    freeze_loaded_heap()


def nlu_of(tracker: Tracker) -> tuple[str, float]:
    """The intent name and confidence of the latest user message ("", 0.0 when none)."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    try:
        confidence = float(intent.get("confidence") or 0.0)
    except (TypeError, ValueError):
        confidence = 0.0
    return str(intent.get("name") or ""), confidence


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "").strip()


def channel_of(tracker: Tracker) -> str:
    """The prompt style: `ivr` for the phone line, else `chat` (from the REST message metadata)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return "ivr" if metadata.get("channel") == "ivr" else "chat"


def rule_of_intent(intent: str) -> str | None:
    """`check_stabilization_refund` → `stabilization_refund`; None for other intents."""
    return intent[len(CHECK_PREFIX):] if intent.startswith(CHECK_PREFIX) else None


def known_slots(tracker: Tracker) -> dict[str, Any]:
    """The eligibility facts gathered so far (canonical names; unknown ones left out)."""
    return {name: tracker.get_slot(name) for name in S.ALL if tracker.get_slot(name) is not None}


def reset_events(tracker: Tracker, *, keep_rule: bool = False) -> list[dict]:
    """Forget the facts of a finished, stopped or switched check: only the slots that hold a
    value, because Rasa loads, featurises and sends every event of a session on each later turn."""
    names = [*S.ALL, REQUESTED_SLOT] + ([] if keep_rule else [ACTIVE_RULE])
    return [SlotSet(name, None) for name in names if tracker.get_slot(name) is not None]
