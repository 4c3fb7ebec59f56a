"""The JSON payload every bot message of the custom actions carries, and its merge into a `Reply`.

This is the contract between `bot.actions` (inside the Rasa action server) and
`bot.conversation` (in the app): an action sends its text plus
`json_message={"hotline": {...chat-API fields...}}`; Rasa's REST channel returns the text and
the payload as separate messages, in order; `merge_messages` folds one turn's messages into
the one `Reply` the channels render. Pure Python (no rasa_sdk import), so both sides share it.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Iterable

from bot.reply import Citation, Reply

KEY = "hotline"
MAX_SUGGESTIONS = 6


def make_payload(
    *,
    intent: str,
    confidence: float,
    answered: bool = True,
    citations: Iterable[Citation] = (),
    asking_for: str | None = None,
    handoff: bool = False,
    suggestions: Iterable[str] = (),
    abstain_reason: str | None = None,
) -> dict[str, Any]:
    """The `json_message` of one bot message.

    :param intent: what the assistant understood (an intent name, e.g. `check_stabilization_refund`).
    :param confidence: 0–1; the answer's calibrated confidence, else the NLU confidence.
    :returns: `{"hotline": {...}}`, JSON-serialisable.
    """
    return {
        KEY: {
            "intent": intent,
            "confidence": float(max(0.0, min(1.0, confidence or 0.0))),
            "answered": bool(answered),
            "citations": [asdict(c) for c in citations],
            "asking_for": asking_for,
            "handoff": bool(handoff),
            "suggestions": [str(s) for s in suggestions],
            "abstain_reason": abstain_reason,
        }
    }


def payload_from_reply(reply: Reply, *, intent: str | None = None) -> dict[str, Any]:
    """The payload of a `Reply` built elsewhere (e.g. `knowledge_base.answers.policy_reply`)."""
    return make_payload(
        intent=intent or reply.intent,
        confidence=reply.confidence,
        answered=reply.answered,
        citations=reply.citations,
        asking_for=reply.asking_for,
        handoff=reply.handoff,
        suggestions=reply.suggestions,
        abstain_reason=reply.abstain_reason,
    )


def _citation(raw: Any) -> Citation | None:
    if isinstance(raw, Citation):
        return raw
    try:
        return Citation(
            document=str(raw["document"]), article=int(raw["article"]), title=str(raw["title"]), quote=str(raw["quote"])
        )
    except (KeyError, TypeError, ValueError):
        return None


def merge_messages(messages: Iterable[dict]) -> Reply:
    """Fold the bot messages of one turn (Rasa REST channel output) into one `Reply`.

    Texts are joined in order. The first payload names the intent and confidence (it answers
    what the user said; a form's re-ask may follow it); `asking_for` comes from the last payload
    (the question the user is left with); `answered` holds only if every part answered;
    citations are de-duplicated by article; the latest message's quick replies come first.

    :param messages: dicts with `text` and/or `custom` (other keys are ignored).
    :returns: the merged `Reply`; an empty reply text when Rasa said nothing.
    """
    texts: list[str] = []
    payloads: list[dict] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            texts.append(text.strip())
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get(KEY), dict):
            payloads.append(custom[KEY])
    reply = Reply(reply="\n".join(texts), answered=bool(texts))
    if not payloads:
        return reply
    first, last = payloads[0], payloads[-1]
    reply.intent = str(first.get("intent") or "")
    try:
        reply.confidence = float(first.get("confidence") or 0.0)
    except (TypeError, ValueError):
        reply.confidence = 0.0
    reply.answered = all(bool(p.get("answered", True)) for p in payloads)
    reply.asking_for = last.get("asking_for") or None
    reply.handoff = any(bool(p.get("handoff")) for p in payloads)
    reply.abstain_reason = next((p["abstain_reason"] for p in payloads if p.get("abstain_reason")), None)
    seen: set[tuple[str, int]] = set()
    for p in payloads:
        for raw in p.get("citations") or ():
            citation = _citation(raw)
            if citation and (citation.document, citation.article) not in seen:
                seen.add((citation.document, citation.article))
                reply.citations.append(citation)
    for p in reversed(payloads):
        for s in p.get("suggestions") or ():
            if isinstance(s, str) and s and s not in reply.suggestions:
                reply.suggestions.append(s)
    del reply.suggestions[MAX_SUGGESTIONS:]
    return reply
