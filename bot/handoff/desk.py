"""The human-service desk: conversations handed to a person, the queue agents work, and the messages
between them. The conversation core calls two methods on every turn:

- `intercept(turn)`: a `Reply` when the conversation waits for or is held by a person (the bot
  does not answer; the citizen's message goes to the agent), else None;
- `after_reply(turn, reply)`: remembers the turn for the transcript and, when `reply.handoff`,
  puts the conversation in the queue and rewrites the reply to the queue position, or, with no
  agent on duty, to the hours, 12333 and the offer of a callback or a message.

Where state lives, so several app processes agree: sessions and their masked transcripts in SQL
(`handoff_sessions`, `handoff_messages`); in the shared state store (Redis when set) the flag
"this conversation is with the desk" (one lookup per turn), the last turns before a handoff
(masked), the agents' presence, a change counter the console polls, the agents' messages waiting
for a web citizen's page (raw text, one day), and a WeChat user's openid (48 hours, the window of
the customer-service API). Nothing raw goes to SQL.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, fields
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from bot.agent_hours import AgentHours
from bot.core.messages import say
from bot.core.turn import Reply, Turn
from bot.dialogue import cues
from bot.handoff.cipher import NumberCipher, find_phone
from bot.handoff.topic import TopicSource, topic_from_transcript, topic_label
from bot.hotspots import db
from bot.hotspots.analysis import CHANNEL_LABELS
from bot.hotspots.masking import mask_personal_data
from bot.hotspots.pseudonym import Pseudonymizer, phone_tail

log = logging.getLogger(__name__)

# What agents read on the console (staff words; citizens' sentences are in the message catalogue).
STATUS_LABELS = {"waiting": "排队中", "held": "服务中", "ended": "已结束"}
SPEAKER_LABELS = {"citizen": "群众", "bot": "智能助手", "agent": "客服", "system": "系统"}
DELIVERY_LABELS = {
    "sent": "已送达",
    "queued": "已发出",
    "window_closed": "未送达：已超过微信 48 小时客服消息时限，请改用电话回复",
    "no_address": "未送达：找不到该微信用户的会话（超过 48 小时或服务重启），请改用电话回复",
    "failed": "未送达：微信接口暂时不可用，请稍后重发",
    "not_configured": "未送达：未配置微信公众号 AppID/AppSecret",
}
# A citizen's words that withdraw a request for a person while it waits.
CANCEL_WORDS = re.compile(r"^(?:取消(?:转人工|人工)?|不用了|不需要了|算了|不转了)[。！!.]*$")

HELD_INTENT = "human_agent"  # the intent of a turn that went to a person
# The exchanges kept (masked, in the state store) for the transcript an agent sees, should the
# conversation be handed over: small, since every conversation keeps them for half an hour.
RECENT_TURNS = 6
RECENT_TTL = 30 * 60.0
RECENT_TEXT_MAX = 600
FLAG_TTL = 30 * 86400.0
OUTBOX_TTL = 86400.0
OUTBOX_MAX = 100
WECHAT_WINDOW_SECONDS = 48 * 3600.0  # the customer-service API's window after the user's last message
PRESENCE_SECONDS = 60.0
# A request nobody took is given up (outcome `abandoned`, the bot answers again) after this long:
# during the agents' hours, and for messages left outside them (which wait for the next shift).
WAIT_EXPIRY = dt.timedelta(hours=2)
OFF_DUTY_EXPIRY = dt.timedelta(days=7)  # an agent whose console polled within this long is on duty
TEXT_MAX = 1000
CHANNELS = ("web", "api", "wechat")  # the phone reaches people through <Dial> (ivr/flow.py)

_FLAG = "handoff:flag:"
_RECENT = "handoff:recent:"
_OUTBOX = "handoff:outbox:"
_ADDRESS = "handoff:address:"
_AGENTS = "handoff:agents"
_VERSION = "handoff:version"
_SESSIONS = db.HandoffSession.__table__
_MESSAGES = db.HandoffMessage.__table__


class DeskError(Exception):
    """A console action was refused; `message` is Chinese, `code` a slug, `status` the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Session:
    id: int
    conv_key: str
    channel: str
    status: str
    created_at: dt.datetime
    off_duty: bool
    topic: dict
    agent: str | None
    taken_at: dt.datetime | None
    first_reply_at: dt.datetime | None
    ended_at: dt.datetime | None
    outcome: str | None
    callback_enc: str | None
    callback_tail: str | None

    @classmethod
    def from_row(cls, row) -> "Session":
        m = row._mapping
        values = {f.name: m[f.name] for f in fields(cls)}
        return cls(**{**values, "off_duty": bool(m["off_duty"]), "topic": json.loads(m["topic"] or "{}")})


Sender = Callable[[str, str], str]  # (openid, text) -> delivery code (DELIVERY_LABELS)


class HandoffDesk:
    """See the module docstring.

    :param engine: the database of the log (SQLite or PostgreSQL).
    :param state: the shared state store.
    :param turn_log: the turn log (agent messages are logged as turns).
    :param hours: when agents answer.
    :param secret: the app secret (callback numbers are encrypted with a key derived from it).
    :param wechat_sender: sends a customer-service text to an openid; None when not configured.
    :param topic_source: the topic of a conversation (`bot.handoff.topic`).
    :param dialogue_state: the dialogue engine's state of a turn's conversation, kept with each
        remembered turn for the topic (`bot.handoff.topic.dialogue_snapshot`).
    :param clock: now, naive UTC (tests move it).
    """

    def __init__(self, engine: Engine, state, turn_log, hours: AgentHours, secret: str,
                 wechat_sender: Sender | None = None, topic_source: TopicSource = topic_from_transcript,
                 dialogue_state: Callable[[Turn], dict | None] | None = None,
                 clock: Callable[[], dt.datetime] = db.utcnow):
        self.engine = engine
        self.state = state
        self.turn_log = turn_log
        self.hours = hours
        self.numbers = NumberCipher(secret)
        self.pseudonyms = Pseudonymizer(secret)  # the log's pseudonyms: the same key, the same hashes
        self.wechat_sender = wechat_sender
        self.topic_source = topic_source
        self.dialogue_state = dialogue_state
        self.clock = clock
        self._flags_loaded = False
        self._lock = threading.Lock()

    @classmethod
    def from_services(cls, services) -> "HandoffDesk":
        from bot.handoff.topic import dialogue_snapshot
        from bot.handoff.wechat import wechat_sender

        settings = services.settings
        return cls(
            db.get_engine(settings.database_url), services.state, services.turn_log,
            AgentHours.parse(settings.agent_hours), settings.secret_key, wechat_sender(settings, services.state),
            dialogue_state=dialogue_snapshot(services),
        )

    # --- the conversation core's two calls --------------------------------------------------

    def conv_key(self, turn: Turn) -> str:
        return self.pseudonyms.user(turn.channel, turn.user_id)

    @staticmethod
    def is_note_for_a_person(text: str) -> bool:
        """Whether a waiting citizen's message is for the person, not a question: no question
        words, or a callback number in it."""
        return not cues.QUESTION.search(text) or bool(find_phone(text))

    def intercept(self, turn: Turn) -> Reply | None:
        """A reply when a person holds (or the queue waits for) this conversation; never raises.

        The citizen's message is added to the transcript; the bot must not answer it.
        """
        if turn.channel not in CHANNELS or not turn.text:
            return None
        try:
            key = self.conv_key(turn)
            session_id = self._flag(key)
            if session_id is None:
                return None
            session = self.session(session_id)
            if session is None or session.status == "ended":
                self.state.delete(_FLAG + key)
                return None
            return self._to_person(turn, key, session)
        except Exception:  # noqa: BLE001 - a desk failure must not silence the bot
            log.exception("handoff: intercept failed; the bot answers this turn")
            return None

    def after_reply(self, turn: Turn, reply: Reply) -> Reply:
        """Remember the turn; on `reply.handoff`, queue the conversation and say where it stands."""
        if turn.channel not in CHANNELS or reply.agent is not None:
            return reply
        try:
            key = self.conv_key(turn)
            if not reply.handoff:
                self._remember(key, turn, reply)
                return reply
            if turn.channel == "wechat":
                self.state.set(_ADDRESS + key, turn.user_id, WECHAT_WINDOW_SECONDS)
            session = self._enqueue(turn, key, list(self.state.get(_RECENT + key) or []))
            reply.reply = self._queue_text(session)
            reply.suggestions = [say("handoff_cancel")]
            self._add_message(session.id, "citizen", turn.text)
            self._add_message(session.id, "bot", reply.reply)
            return reply
        except Exception:  # noqa: BLE001
            log.exception("handoff: could not queue the conversation; the bot's reply stands")
            return reply

    # --- citizen side -----------------------------------------------------------------------

    def _to_person(self, turn: Turn, key: str, session: Session) -> Reply:
        if turn.channel == "wechat":
            self.state.set(_ADDRESS + key, turn.user_id, WECHAT_WINDOW_SECONDS)
        self._add_message(session.id, "citizen", turn.text)
        held = dict(answered=False, intent=HELD_INTENT, abstain_reason="agent", handoff=True)
        if session.status == "waiting" and CANCEL_WORDS.match(turn.text):
            self._end(session, None, "cancel")
            self._bump()
            return Reply(reply=say("handoff_cancelled"), **{**held, "handoff": False}, agent="")
        self._bump()
        if session.status == "held":
            return Reply(reply=say("handoff_delivered", agent=session.agent), **held, agent=session.agent)
        if session.off_duty:
            number = find_phone(turn.text)
            if number:
                self._set_callback(session.id, number)
                text = say("handoff_callback_noted", tail=phone_tail(number) or number[-4:], hours=self.hours.label())
            else:
                text = say("handoff_no_agent_noted")
        else:
            text = say("handoff_still_queued", ahead=self.ahead(session.id))
        return Reply(reply=text, **held, agent="", suggestions=[say("handoff_cancel")])

    def citizen_view(self, channel: str, user_id: str, after: int = 0) -> dict:
        """What a citizen's page polls: where the conversation stands and the agents' new messages.

        :returns: `{"status": "none"|"waiting"|"held", "ahead": int|None, "agent": str|None,
            "messages": [{"id", "from", "text", "citations", "at"}] with id > after}`.
        """
        key = self.pseudonyms.user(channel, user_id)
        outbox = self.state.get(_OUTBOX + key) or {"items": []}
        messages = [m for m in outbox["items"] if m["id"] > after]
        view = {"status": "none", "ahead": None, "agent": None, "messages": messages}
        session_id = self._flag(key)
        session = self.session(session_id) if session_id else None
        if session and session.status != "ended":
            view["status"] = session.status
            view["agent"] = session.agent
            view["off_duty"] = session.off_duty
            if session.status == "waiting":
                view["ahead"] = self.ahead(session.id)
        return view

    # --- the console ------------------------------------------------------------------------

    def seen(self, agent: str) -> None:
        """An agent's console is open (called on every poll): they count as on duty for a minute."""
        now = time.time()
        agents = {k: v for k, v in (self.state.get(_AGENTS) or {}).items() if now - v < PRESENCE_SECONDS}
        agents[agent] = now
        self.state.set(_AGENTS, agents, PRESENCE_SECONDS * 2)

    def agents_online(self) -> list[str]:
        now = time.time()
        return sorted(k for k, v in (self.state.get(_AGENTS) or {}).items() if now - v < PRESENCE_SECONDS)

    def on_duty(self) -> bool:
        """Within HOTLINE_AGENT_HOURS and someone has the console open."""
        return self.hours.open_at(self.clock()) and bool(self.agents_online())

    def version(self) -> int:
        return int(self.state.get(_VERSION) or 0)

    def expire(self) -> int:
        """Give up requests nobody took in time (WAIT_EXPIRY, OFF_DUTY_EXPIRY); the citizen is told.

        :returns: how many were given up.
        """
        now = self.clock()
        db.ensure_schema(self.engine)
        with self.engine.connect() as conn:
            rows = conn.execute(select(_SESSIONS).where(_SESSIONS.c.status == "waiting", (
                (_SESSIONS.c.off_duty.is_(False) & (_SESSIONS.c.created_at < now - WAIT_EXPIRY))
                | (_SESSIONS.c.off_duty.is_(True) & (_SESSIONS.c.created_at < now - OFF_DUTY_EXPIRY))
            ))).all()
        expired = 0
        for row in rows:
            session = Session.from_row(row)
            if self._end(session, None, "expired"):
                self._add_message(session.id, "system", say("handoff_expired"))
                self._deliver(session, say("handoff_expired"), "system", None, [])
                expired += 1
        if expired:
            self._bump()
        return expired

    def queue(self) -> list[dict]:
        """Open conversations (waiting first, oldest first; then held), with a preview each."""
        db.ensure_schema(self.engine)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(_SESSIONS).where(_SESSIONS.c.status.in_(("waiting", "held")))
                .order_by(_SESSIONS.c.status.desc(), _SESSIONS.c.created_at, _SESSIONS.c.id)
            ).all()
            ids = [r.id for r in rows]
            last: dict[int, tuple] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                newest = (select(_MESSAGES.c.session_id, func.max(_MESSAGES.c.id).label("mid"))
                          .where(_MESSAGES.c.session_id.in_(chunk)).group_by(_MESSAGES.c.session_id).subquery())
                for session_id, mid, speaker, text_ in conn.execute(
                    select(newest.c.session_id, newest.c.mid, _MESSAGES.c.speaker, _MESSAGES.c.text)
                    .join(_MESSAGES, _MESSAGES.c.id == newest.c.mid)
                ):
                    last[session_id] = (mid, speaker, text_)
        items = []
        position = 0
        for row in rows:
            s = Session.from_row(row)
            if s.status == "waiting":
                position += 1
            mid, speaker, preview = last.get(s.id, (0, "", ""))
            items.append({
                **_summary(s), "taken_at": _iso(s.taken_at), "position": position if s.status == "waiting" else None,
                "last_message_id": mid, "callback_tail": s.callback_tail,
                "preview": f"{SPEAKER_LABELS.get(speaker, speaker)}：{preview[:60]}" if preview else "",
            })
        return items

    def transcript(self, session_id: int, after: int = 0) -> list[dict]:
        db.ensure_schema(self.engine)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(_MESSAGES).where(_MESSAGES.c.session_id == session_id, _MESSAGES.c.id > after)
                .order_by(_MESSAGES.c.id)
            ).all()
        return [{
            "id": r.id, "at": _iso(r.created_at), "speaker": r.speaker,
            "speaker_label": SPEAKER_LABELS.get(r.speaker, r.speaker) + (f" {r.agent}" if r.agent else ""),
            "text": r.text, "citations": json.loads(r.citations or "[]"),
            "delivery": r.delivery, "delivery_label": DELIVERY_LABELS.get(r.delivery or "", ""),
        } for r in rows]

    def detail(self, session_id: int, reveal_number: bool) -> dict:
        """One conversation for the console pane.

        :param reveal_number: show the full callback number (roles allowed to call back).
        :raises DeskError: 404 when there is no such conversation.
        """
        session = self._existing(session_id)
        number = self.numbers.decrypt(session.callback_enc) if reveal_number else ""
        return {
            **_summary(session), "topic_data": session.topic,
            "callback": number or (f"尾号 {session.callback_tail}" if session.callback_tail else ""),
            "messages": self.transcript(session.id),
        }

    def take(self, session_id: int, agent: str) -> Session:
        """Take a waiting conversation; of two agents racing, exactly one wins.

        :raises DeskError: 409 when someone else took it first or it ended; 404 when unknown.
        """
        now = self.clock()
        db.ensure_schema(self.engine)
        with self.engine.begin() as conn:
            won = conn.execute(
                update(_SESSIONS).where(_SESSIONS.c.id == session_id, _SESSIONS.c.status == "waiting")
                .values(status="held", agent=agent, taken_at=now)
            ).rowcount
        session = self._existing(session_id)
        if not won:
            who = f"已被 {session.agent} 接入" if session.status == "held" else "已结束"
            raise DeskError("already_taken", f"该会话{who}。")
        self._add_message(session_id, "system", say("handoff_taken", agent=agent))
        self._deliver(session, say("handoff_taken", agent=agent), "system", None, [])
        self._bump()
        return session

    def reply(self, session_id: int, agent: str, text: str, citations: list | None = None) -> dict:
        """An agent's message: into the transcript and the log, and on to the citizen.

        :param citations: `[document, article, title]` of an inserted knowledge-base answer.
        :returns: the transcript entry, with its delivery status.
        :raises DeskError: 400 for an empty or too long text; 409 when the agent does not hold it.
        """
        text = (text or "").strip()
        if not text:
            raise DeskError("empty_text", "回复内容不能为空。", 400)
        if len(text) > TEXT_MAX:
            raise DeskError("text_too_long", f"回复内容不能超过 {TEXT_MAX} 个字符。", 400)
        session = self._held_by(session_id, agent)
        citations = [list(c)[:3] for c in (citations or [])][:3]
        message_id = f"agent-{session_id}-{secrets.token_hex(6)}"
        entry_id = self._add_message(session_id, "agent", text, agent=agent, citations=citations)
        self.turn_log.record_agent_message(session.channel, session.conv_key, text, agent, message_id,
                                           [c[:2] for c in citations])
        with self.engine.begin() as conn:
            conn.execute(update(_SESSIONS).where(_SESSIONS.c.id == session_id, _SESSIONS.c.first_reply_at.is_(None))
                         .values(first_reply_at=self.clock()))
        delivery = self._deliver(session, text, "agent", agent, citations)
        self._set_delivery(entry_id, delivery)
        self._bump()
        return {"id": entry_id, "delivery": delivery, "delivery_label": DELIVERY_LABELS.get(delivery, "")}

    def hand_back(self, session_id: int, agent: str) -> None:
        """Return the conversation to the bot (the citizen is told). :raises DeskError: see `reply`."""
        session = self._held_by(session_id, agent)
        self._finish(session, agent, "handback", say("handoff_handed_back"))

    def close(self, session_id: int, agent: str) -> None:
        """End the conversation; a waiting one may be closed too (e.g. after a callback).

        :raises DeskError: 409 when someone else holds it or it already ended.
        """
        session = self._existing(session_id)
        if session.status == "ended" or (session.status == "held" and session.agent != agent):
            raise DeskError("not_yours", "该会话已结束或由其他客服处理中。")
        self._finish(session, agent, "close", say("handoff_closed"))

    def metrics(self, start: dt.date, end: dt.date) -> dict:
        """Handoffs per day, time to first human reply, handled or abandoned, for local days start..end."""
        c = _SESSIONS.c
        db.ensure_schema(self.engine)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.day, c.created_at, c.first_reply_at, c.outcome, c.status).where(c.day >= start, c.day <= end)
            ).all()
        per_day: dict[dt.date, int] = {}
        waits = []
        outcomes = {"handled": 0, "abandoned": 0, "open": 0}
        for day, created, first_reply, outcome, status in rows:
            per_day[day] = per_day.get(day, 0) + 1
            if first_reply is not None:
                waits.append((first_reply - created).total_seconds())
            outcomes[outcome if status == "ended" and outcome in outcomes else "open"] += 1
        waits.sort()
        return {
            "total": len(rows), "per_day": sorted(per_day.items()),
            "first_reply_median_s": waits[len(waits) // 2] if waits else None,
            "first_reply_p90_s": waits[min(len(waits) - 1, int(len(waits) * 0.9))] if waits else None,
            **outcomes,
        }

    # --- internals --------------------------------------------------------------------------

    def session(self, session_id: int | None) -> Session | None:
        if session_id is None:
            return None
        db.ensure_schema(self.engine)
        with self.engine.connect() as conn:
            row = conn.execute(select(_SESSIONS).where(_SESSIONS.c.id == int(session_id))).first()
        return Session.from_row(row) if row else None

    def ahead(self, session_id: int) -> int:
        """Conversations waiting in front of this one."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(_SESSIONS)
                .where(_SESSIONS.c.status == "waiting", _SESSIONS.c.id < session_id)
            ).scalar_one()

    def _flag(self, key: str) -> int | None:
        self._load_flags_once()
        value = self.state.get(_FLAG + key)
        return int(value) if value else None

    def _load_flags_once(self) -> None:
        """An in-process store starts empty: mark the conversations still open in the database."""
        if self._flags_loaded:
            return
        with self._lock:
            if self._flags_loaded:
                return
            db.ensure_schema(self.engine)
            with self.engine.connect() as conn:
                for session_id, key in conn.execute(
                    select(_SESSIONS.c.id, _SESSIONS.c.conv_key).where(_SESSIONS.c.status.in_(("waiting", "held")))
                ):
                    self.state.add(_FLAG + key, session_id, FLAG_TTL)
            self._flags_loaded = True

    def _remember(self, key: str, turn: Turn, reply: Reply) -> list[dict]:
        """Append this turn (masked) to the conversation's recent transcript; returns it."""
        recent = list(self.state.get(_RECENT + key) or [])
        now = _iso(self.clock())
        recent.append({"speaker": "citizen", "text": mask_personal_data(turn.text[:RECENT_TEXT_MAX]), "at": now})
        bot_text = reply.reply if len(reply.reply) <= RECENT_TEXT_MAX else reply.reply[:RECENT_TEXT_MAX] + "…"
        recent.append({
            "speaker": "bot", "text": mask_personal_data(bot_text), "at": now,
            "citations": [[c.document, c.article, c.title] for c in reply.citations],
            "intent": reply.intent, "asking_for": reply.asking_for,
            "dialogue": self.dialogue_state(turn) if self.dialogue_state else None,
        })
        recent = recent[-RECENT_TURNS * 2:]
        self.state.set(_RECENT + key, recent, RECENT_TTL)
        return recent

    def _enqueue(self, turn: Turn, key: str, recent: list[dict]) -> Session:
        db.ensure_schema(self.engine)
        existing = self.session(self._flag(key))
        if existing is not None and existing.status != "ended":
            return existing
        now = self.clock()
        topic = self.topic_source(turn, recent)
        with self.engine.begin() as conn:
            session_id = conn.execute(_SESSIONS.insert().values(
                conv_key=key, channel=turn.channel, status="waiting", created_at=now, day=db.local_day(now),
                off_duty=not self.on_duty(), topic=json.dumps(topic, ensure_ascii=False),
            ).returning(_SESSIONS.c.id)).scalar_one()
            if recent:
                conn.execute(_MESSAGES.insert(), [{
                    "session_id": session_id, "created_at": _parse_iso(e.get("at")) or now, "speaker": e["speaker"],
                    "agent": None, "text": e["text"][:4000],
                    "citations": json.dumps(e.get("citations") or [], ensure_ascii=False), "delivery": None,
                } for e in recent])
        self.state.set(_FLAG + key, session_id, FLAG_TTL)
        self.state.delete(_RECENT + key)
        self._bump()
        return self.session(session_id)

    def _queue_text(self, session: Session) -> str:
        if session.off_duty:
            return say("handoff_no_agent", hours=self.hours.label())
        return say("handoff_queued", ahead=self.ahead(session.id))

    def _add_message(self, session_id: int, speaker: str, text: str, agent: str | None = None,
                     citations: list | None = None) -> int:
        with self.engine.begin() as conn:
            return conn.execute(_MESSAGES.insert().values(
                session_id=session_id, created_at=self.clock(), speaker=speaker, agent=agent,
                text=mask_personal_data(text[:TEXT_MAX * 4]),
                citations=json.dumps(citations or [], ensure_ascii=False), delivery=None,
            ).returning(_MESSAGES.c.id)).scalar_one()

    def _set_delivery(self, message_id: int, delivery: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(_MESSAGES).where(_MESSAGES.c.id == message_id).values(delivery=delivery))

    def _set_callback(self, session_id: int, number: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(_SESSIONS).where(_SESSIONS.c.id == session_id).values(
                callback_enc=self.numbers.encrypt(number), callback_tail=phone_tail(number) or number[-4:]))

    def _existing(self, session_id: int) -> Session:
        session = self.session(session_id)
        if session is None:
            raise DeskError("not_found", "会话不存在。", 404)
        return session

    def _held_by(self, session_id: int, agent: str) -> Session:
        session = self._existing(session_id)
        if session.status != "held" or session.agent != agent:
            raise DeskError("not_yours", "请先接入该会话；它可能已由其他客服接入或已结束。")
        return session

    def _finish(self, session: Session, agent: str, reason: str, notice: str) -> None:
        if not self._end(session, agent, reason):
            raise DeskError("not_yours", "该会话已结束。")
        self._add_message(session.id, "system", notice)
        self._deliver(session, notice, "system", None, [])
        self._bump()

    def _end(self, session: Session, agent: str | None, reason: str) -> bool:
        with self.engine.begin() as conn:
            first_reply = conn.execute(select(_SESSIONS.c.first_reply_at).where(_SESSIONS.c.id == session.id)).scalar()
            done = conn.execute(
                update(_SESSIONS).where(_SESSIONS.c.id == session.id, _SESSIONS.c.status != "ended").values(
                    status="ended", ended_at=self.clock(), ended_by=agent, end_reason=reason,
                    outcome="handled" if first_reply is not None else "abandoned",
                )
            ).rowcount
        self.state.delete(_FLAG + session.conv_key)
        return bool(done)

    def _deliver(self, session: Session, text: str, sender: str, agent: str | None, citations: list) -> str:
        """Put a message where the citizen will see it: the page's outbox, or WeChat's API."""
        if session.channel == "wechat":
            if self.wechat_sender is None:
                return "not_configured"
            openid = self.state.get(_ADDRESS + session.conv_key)
            if not openid:
                return "no_address"
            return self.wechat_sender(openid, text)
        key = _OUTBOX + session.conv_key
        with self._lock:
            outbox = self.state.get(key) or {"seq": 0, "items": []}
            outbox["seq"] += 1
            outbox["items"] = (outbox["items"] + [{
                "id": outbox["seq"], "from": sender, "agent": agent, "text": text, "citations": citations,
                "at": _iso(self.clock()),
            }])[-OUTBOX_MAX:]
            self.state.set(key, outbox, OUTBOX_TTL)
        return "queued"

    def _bump(self) -> None:
        try:
            self.state.incr(_VERSION, FLAG_TTL)
        except Exception:  # noqa: BLE001 - the console then refreshes on its next full poll
            log.warning("handoff: could not bump the desk version", exc_info=True)


def _summary(s: Session) -> dict:
    """What the console shows of any conversation, in the queue and in its pane."""
    return {
        "id": s.id, "channel": s.channel, "channel_label": CHANNEL_LABELS.get(s.channel, s.channel),
        "status": s.status, "status_label": STATUS_LABELS[s.status], "agent": s.agent,
        "created_at": _iso(s.created_at), "off_duty": s.off_duty, "topic": topic_label(s.topic),
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=dt.timezone.utc).isoformat()


def _parse_iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.timezone.utc).replace(tzinfo=None)
    except ValueError:
        return None
