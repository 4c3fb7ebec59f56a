"""The topic of a conversation handed to a person: the article in focus, an open check and its facts.

`topic_from_transcript` reads what the desk keeps of the recent turns: the cited articles, intents,
the slot being asked and, when the desk is given `dialogue_snapshot(services)`, the dialogue
engine's state after each turn (article in focus, open check, its facts). The snapshot of the turn
*before* 转人工 matters: the engine closes the check when it hands over.
`HandoffDesk(topic_source=...)` takes any function of the same signature.
"""
from __future__ import annotations

from typing import Callable

from bot.core.turn import Turn

# (turn, recent transcript entries, oldest first) -> {"articles": [...], "intent", "check": {...}}
TopicSource = Callable[[Turn, list[dict]], dict]


def topic_from_transcript(turn: Turn, recent: list[dict]) -> dict:
    """The topic as the recent turns show it.

    :param turn: the turn that asked for a person.
    :param recent: transcript entries (`speaker`, `text`, `citations`, `intent`, `asking_for`).
    :returns: `{"articles": [[document, article, title], …] (most recent first), "intent": str,
        "check": {"asking_for": slot, "facts": {slot: value}} or None}`.
    """
    articles: list[list] = []
    intent = ""
    check = None
    for entry in reversed(recent):
        if entry.get("speaker") != "bot":
            continue
        dialogue = entry.get("dialogue") or {}
        if check is None and dialogue.get("check"):
            check = {"rule": dialogue["check"], "asking_for": dialogue.get("asking"),
                     "facts": dict(dialogue.get("facts") or {})}
        focus = dialogue.get("focus")
        if focus and list(focus[:2]) not in [a[:2] for a in articles]:
            titles = {tuple(c[:2]): c[2] for c in entry.get("citations") or [] if len(c) > 2}
            articles.append([focus[0], int(focus[1]), titles.get((focus[0], int(focus[1])), "")])
        for citation in entry.get("citations") or []:
            if citation[:2] not in [a[:2] for a in articles]:
                articles.append(list(citation))
        if not intent and entry.get("intent") and entry.get("intent") not in ("ask_human", "human_agent"):
            intent = entry["intent"]
        if check is None and entry.get("asking_for"):
            check = {"asking_for": entry["asking_for"], "facts": dict(entry.get("facts") or {})}
    return {"articles": articles[:3], "intent": intent, "check": check}


def topic_label(topic: dict) -> str:
    """The topic in one line for the console: `第八条 提高失业保险金标准 · 正在核对：employees`."""
    parts = []
    for document, article, title in (topic.get("articles") or [])[:2]:
        parts.append(f"{document}第{article}条 {title}".strip())
    check = topic.get("check")
    if check:
        facts = "，".join(f"{k}={v}" for k, v in (check.get("facts") or {}).items())
        rule = f"（{check['rule']}）" if check.get("rule") else ""
        asking = f"，待确认：{check['asking_for']}" if check.get("asking_for") else ""
        parts.append(f"资格核对中{rule}{asking}" + (f"；已知：{facts}" if facts else ""))
    if not parts and topic.get("intent"):
        parts.append(f"意图：{topic['intent']}")
    return " · ".join(parts) or "（未识别到具体条款）"


def dialogue_snapshot(services) -> Callable[[Turn], dict | None]:
    """The dialogue engine's state of a turn's conversation (focus, check, asking, facts), as JSON,
    or None when it cannot be read. Wired into the desk by `HandoffDesk.from_services`."""
    from bot.dialogue.conversation import conversation_key
    from bot.dialogue.state import DialogueStates

    states = DialogueStates(services.state)

    def snapshot(turn: Turn) -> dict | None:
        try:
            state = states.load(conversation_key(services.settings.secret_key, turn.channel, turn.user_id))
            return state.to_json()
        except Exception:  # noqa: BLE001 - the transcript still gives a topic
            return None

    return snapshot
