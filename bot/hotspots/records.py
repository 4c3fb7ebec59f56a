"""What the turn log stores, built without I/O: turns, feedback, IVR events and agents' messages
become records (masked, clipped, pseudonymised JSON-ready dicts: the unit of the durable queue,
its journal and spill files), and a batch of records becomes the database rows `writer` inserts.

Personal data never reaches a record: user ids and phone numbers are keyed hashes, questions and
free text are masked, and numbers staff may call back are encrypted.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from bot.hotspots import db
from bot.hotspots.masking import mask_personal_data, normalise_question
from bot.hotspots.pseudonym import Pseudonymizer, phone_tail
from bot.hotspots.reasons import normalise_reason

if TYPE_CHECKING:
    from bot.handoff.cipher import NumberCipher
    from bot.core.turn import Reply, Turn

logger = logging.getLogger(__name__)

FEEDBACK_VALUES = ("up", "down")
QUESTION_MAX = 2000
COMMENT_MAX = 1000

# Twilio's field names (and plain ones) that carry the caller's or callee's number.
_PHONE_FIELDS = {"from", "caller", "to", "called", "forwardedfrom", "phone", "number", "callback_number"}


def question_key(masked_question: str) -> str:
    """The dedupe key of a masked question: identical keys are one distinct question in the analysis."""
    return hashlib.sha256(normalise_question(masked_question).encode("utf-8")).hexdigest()[:32]


def clip(value: Any, limit: int) -> str:
    """`value` as text, at most `limit` characters (None becomes "")."""
    return ("" if value is None else str(value))[:limit]


def message_key(message_id: Any) -> str:
    """The stored message id. Platform ids are short; an absurdly long one is hashed rather than
    truncated into a collision."""
    text = str(message_id or "")
    return text if 0 < len(text) <= 128 else hashlib.sha256(text.encode("utf-8")).hexdigest()


def _turn(channel: str, message_id: Any, user_hash: str, question: str, now: dt.datetime | None,
          **fields) -> dict:
    """A turn record; `question` is masked already, `fields` override the defaults."""
    now = now or db.utcnow()
    return {
        "op": "turn", "channel": clip(channel, 16), "message_id": message_key(message_id),
        "created_at": now.isoformat(), "day": db.local_day(now).isoformat(), "user_hash": user_hash,
        "question": question, "question_key": question_key(question), "intent": "", "citations": [],
        "confidence": 0.0, "answered": False, "abstain_reason": None, "handoff": False, "degraded": False,
        "asking_for": None, "latency_ms": 0.0, "speaker": "citizen", "agent": None,
        **fields,
    }


def turn_record(turn: "Turn", reply: "Reply", latency_ms: float, pseudonyms: Pseudonymizer,
                now: dt.datetime | None = None) -> dict:
    """The record of one turn: the user's message (raw id and text, both protected here) and the reply.

    :param latency_ms: time from receiving the turn to having the reply.
    :param now: the turn's time (UTC); default now.
    """
    answered, handoff = bool(reply.answered), bool(reply.handoff)
    return _turn(
        turn.channel, turn.message_id, pseudonyms.user(turn.channel, turn.user_id),
        mask_personal_data(clip(turn.text, QUESTION_MAX)), now,
        intent=clip(reply.intent, 64),
        citations=[[clip(c.document, 64), int(c.article)] for c in (reply.citations or [])],
        confidence=float(reply.confidence or 0.0),
        answered=answered,
        abstain_reason=normalise_reason(reply.abstain_reason, answered=answered, handoff=handoff),
        handoff=handoff,
        degraded=bool(reply.degraded),
        asking_for=clip(reply.asking_for, 64) or None,
        latency_ms=float(latency_ms or 0.0),
        agent=None if reply.agent is None else clip(reply.agent, 64),
    )


def fallback_turn_record(turn: Any, pseudonyms: Pseudonymizer, now: dt.datetime | None = None) -> dict:
    """A minimal record for a turn whose full record could not be built (a bug must not lose the turn)."""
    channel = clip(getattr(turn, "channel", "unknown"), 16) or "unknown"
    text = mask_personal_data(clip(getattr(turn, "text", ""), QUESTION_MAX))
    text = "".join("#" if ch.isdigit() else ch for ch in text)  # belt and braces: no digits at all
    return _turn(
        channel, getattr(turn, "message_id", "") or secrets.token_hex(16),
        pseudonyms.user(channel, str(getattr(turn, "user_id", ""))), text, now,
        abstain_reason=normalise_reason(None, answered=False, handoff=False), degraded=True,
    )


def agent_message_record(channel: str, user_hash: str, text: str, agent: str, message_id: str,
                         citations: list | None = None, now: dt.datetime | None = None) -> dict:
    """An agent's message as a turn of the citizen's conversation (speaker `agent`).

    :param user_hash: the citizen's pseudonym (`pseudonyms.user(channel, user_id)`).
    :param citations: `[document, article]` pairs the agent inserted.
    """
    return _turn(
        channel, message_id, user_hash, mask_personal_data(clip(text, QUESTION_MAX)), now,
        intent="agent_message", citations=[[clip(d, 64), int(a)] for d, a in (citations or [])],
        confidence=1.0, answered=True, speaker="agent", agent=clip(agent, 64),
    )


def feedback_record(turn_id: Any, value: Any, comment: Any = "", now: dt.datetime | None = None) -> dict | None:
    """👍/👎 for a turn, or None for an empty/oversized id or a value other than up/down."""
    turn_id = str(turn_id or "").strip()
    value = str(value or "").strip().lower()
    if not turn_id or len(turn_id) > 128 or value not in FEEDBACK_VALUES:
        return None
    return {
        "op": "feedback", "turn_id": turn_id, "value": value,
        "comment": mask_personal_data(clip(comment, COMMENT_MAX)),
        "created_at": (now or db.utcnow()).isoformat(),
    }


def call_record(call_sid: Any, event: str, data: dict, pseudonyms: Pseudonymizer, numbers: "NumberCipher",
                now: dt.datetime | None = None) -> dict:
    """An IVR event for the staff callback queue: phone numbers in `data` hashed, other text masked,
    the caller's number encrypted for the callback.

    :param event: ``"status"``, ``"voicemail"`` or ``"handoff"`` (others are kept as given).
    :param data: the callback's fields, e.g. ``CallStatus``, ``From``, ``RecordingUrl``, ``RecordingDuration``.
    """
    call_sid = str(call_sid or "")
    lowered = {str(k).lower(): v for k, v in data.items()}
    caller = str(lowered.get("from") or lowered.get("caller") or lowered.get("phone") or "")
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if str(key).lower() in _PHONE_FIELDS:
            clean[str(key)] = pseudonyms.phone(str(value))[:16] if value else ""
        elif isinstance(value, (int, float, bool)) or value is None:
            clean[str(key)] = value
        else:
            clean[str(key)] = mask_personal_data(clip(value, 1000))
    duration = lowered.get("recordingduration") or lowered.get("duration") or lowered.get("callduration")
    try:
        duration_s = int(float(duration)) if duration not in (None, "") else None
    except (TypeError, ValueError):
        duration_s = None
    status = lowered.get("callstatus") or lowered.get("status") or lowered.get("dialcallstatus")
    payload = json.dumps(clean, ensure_ascii=False, sort_keys=True, default=str)
    return {
        "op": "call",
        # Twilio retries a callback with the same fields: the same event key, one row.
        "event_key": hashlib.sha256(f"{call_sid}\x1f{event}\x1f{payload}".encode("utf-8")).hexdigest(),
        "call_hash": pseudonyms.user("ivr", call_sid),
        "event": clip(event, 16) or "status",
        "created_at": (now or db.utcnow()).isoformat(),
        "caller_hash": pseudonyms.phone(caller) if caller else None,
        "caller_tail": phone_tail(caller) or None,
        "status": clip(status, 32) or None,
        "recording_url": clip(lowered.get("recordingurl") or lowered.get("recording_url"), 512) or None,
        "duration_s": duration_s,
        "data": payload,
        "caller_enc": numbers.encrypt(caller) if caller else None,
    }


def fallback_call_record(call_sid: Any, event: Any, pseudonyms: Pseudonymizer, now: dt.datetime | None = None) -> dict:
    """A malformed IVR event's kind only."""
    return {
        "op": "call", "event_key": secrets.token_hex(16), "call_hash": pseudonyms.user("ivr", str(call_sid)),
        "event": clip(event, 16) or "status", "created_at": (now or db.utcnow()).isoformat(), "data": "{}",
    }


@dataclass
class Rows:
    """The database rows of a batch of records, one per key (the first delivery of a turn or call
    event counts; the last vote of feedback wins)."""

    turns: dict[tuple[str, str], dict] = field(default_factory=dict)
    articles: dict[tuple, dict] = field(default_factory=dict)
    feedback: dict[str, dict] = field(default_factory=dict)
    calls: dict[str, dict] = field(default_factory=dict)


def rows(records: Iterable[dict]) -> Rows:
    """Turn `records` (as queued, journaled or read back from a spill file) into table rows."""
    out = Rows()
    for record in records:
        kind = record.get("op")
        if kind == "turn":
            key = (record["channel"], record["message_id"])
            if key not in out.turns:
                _add_turn(out, key, record)
        elif kind == "feedback":
            out.feedback[record["turn_id"]] = {
                "turn_id": record["turn_id"], "value": record["value"], "comment": record.get("comment", ""),
                "created_at": dt.datetime.fromisoformat(record["created_at"]),
            }
        elif kind == "call":
            out.calls.setdefault(record["event_key"], {
                "event_key": record["event_key"], "call_hash": record["call_hash"], "event": record["event"],
                "created_at": dt.datetime.fromisoformat(record["created_at"]),
                **{k: record.get(k) for k in ("caller_hash", "caller_tail", "status", "recording_url",
                                              "duration_s", "caller_enc")},
                "data": record.get("data", "{}"),
            })
        else:
            logger.error("turn log: unknown record kind %r dropped", kind)
    return out


def _add_turn(out: Rows, key: tuple[str, str], record: dict) -> None:
    channel, message_id = key
    day = dt.date.fromisoformat(record["day"])
    out.turns[key] = {
        "channel": channel, "message_id": message_id,
        "created_at": dt.datetime.fromisoformat(record["created_at"]), "day": day,
        "user_hash": record["user_hash"], "user_key": db.user_key(record["user_hash"]),
        "question": record["question"], "question_key": record["question_key"],
        "intent": record.get("intent", ""),
        "citations": json.dumps(record.get("citations", []), ensure_ascii=False),
        "confidence": float(record.get("confidence", 0.0)),
        "answered": bool(record.get("answered")), "abstain_reason": record.get("abstain_reason"),
        "handoff": bool(record.get("handoff")), "degraded": bool(record.get("degraded")),
        "asking_for": record.get("asking_for"), "latency_ms": float(record.get("latency_ms", 0.0)),
        "feedback": None, "speaker": record.get("speaker") or "citizen", "agent": record.get("agent"),
    }
    for rank, (document, article) in enumerate(record.get("citations", [])):
        out.articles.setdefault((channel, message_id, document, int(article)), {
            "channel": channel, "message_id": message_id, "day": day, "document": document,
            "article": int(article), "rank": rank,
        })
