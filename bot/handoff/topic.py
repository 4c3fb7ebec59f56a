"""The topic of a conversation handed to a person: the article in focus, an open check and its facts.

`topic_from_transcript` reads what the desk already has (the cited articles, intents and the slot
being asked in the recent turns). The dialogue engine may replace it with one reading its own
dialogue state: `HandoffDesk(topic_source=...)` takes any function of the same signature.
"""
from __future__ import annotations

from typing import Callable

from bot.reply import Turn

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
        parts.append(f"资格核对中，待确认：{check.get('asking_for')}" + (f"（已知：{facts}）" if facts else ""))
    if not parts and topic.get("intent"):
        parts.append(f"意图：{topic['intent']}")
    return " · ".join(parts) or "（未识别到具体条款）"
