"""The agent console at /staff/agent (role `agent` and above): the live queue of conversations
waiting for a person, each with its channel, waiting time, topic and masked transcript; take,
reply (optionally inserting a cited or curated answer), hand back to the bot, close.

    /staff/agent                        the page (agent.js polls the JSON below every second)
    /staff/agent/queue.json?v=          the queue; `{"unchanged": true}` when the desk's version is v
    /staff/agent/c/<id>.json?after=     one conversation (messages after a transcript id)
    /staff/agent/c/<id>/take|reply|handback|close   POST, form-encoded with csrf_token
    /staff/agent/answers.json?q=        knowledge-base and curated answers to insert

Every action is audited; every agent message is also a turn of the conversation in the log.
"""
from __future__ import annotations

import json
import logging

from flask import current_app, jsonify, render_template, request

from bot.core.messages import say
from bot.core.turn import Citation
from bot.dashboard import auth
from bot.dashboard.auth import login_required
from bot.dashboard.views import bp
from bot.errors import error_response
from bot.handoff import AGENT_ROLE, CALLBACK_ROLE
from bot.handoff.desk import DeskError

log = logging.getLogger(__name__)

POLL_MS = 1000
ANSWER_HITS = 3


def _desk():
    return current_app.extensions["hotline"].handoff


def _me() -> str:
    return auth.current_user().username


def _json(payload):
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response


def _desk_error(error: DeskError):
    return error_response(error.code, error.message, error.status)


@bp.get("/agent")
@login_required(AGENT_ROLE)
def agent_console():
    desk = _desk()
    desk.seen(_me())
    return render_template("staff/agent.html", hours=desk.hours.label(), poll_ms=POLL_MS)


@bp.get("/agent/queue.json")
@login_required(AGENT_ROLE)
def agent_queue():
    desk = _desk()
    desk.seen(_me())
    desk.expire()  # requests nobody took in time leave the queue (and bump the version)
    version = desk.version()
    head = {"version": version, "online": desk.agents_online(), "on_duty": desk.on_duty(), "me": _me()}
    if request.args.get("v") == str(version):
        return _json({**head, "unchanged": True})
    return _json({**head, "items": desk.queue()})


@bp.get("/agent/c/<int:session_id>.json")
@login_required(AGENT_ROLE)
def agent_conversation(session_id: int):
    desk = _desk()
    after = request.args.get("after", type=int) or 0
    try:
        if after:
            return _json({"id": session_id, "messages": desk.transcript(session_id, after)})
        reveal = auth.role_at_least(auth.current_user().role, CALLBACK_ROLE)
        return _json(desk.detail(session_id, reveal_number=reveal))
    except DeskError as error:
        return _desk_error(error)


# Actions on a conversation that carry no form fields: URL word → (desk method, audit action).
DESK_ACTIONS = {"take": ("take", "handoff_take"), "handback": ("hand_back", "handoff_handback"),
                "close": ("close", "handoff_close")}


@bp.post("/agent/c/<int:session_id>/<any(take, handback, close):action>")
@login_required(AGENT_ROLE)
def agent_action(session_id: int, action: str):
    method, audit = DESK_ACTIONS[action]
    try:
        getattr(_desk(), method)(session_id, _me())
    except DeskError as error:
        return _desk_error(error)
    auth.record(audit, f"handoff:{session_id}")
    return _json({"ok": True})


@bp.post("/agent/c/<int:session_id>/reply")
@login_required(AGENT_ROLE)
def agent_reply(session_id: int):
    try:
        citations = json.loads(request.form.get("citations") or "[]")
        if not isinstance(citations, list):
            raise ValueError
        citations = [[str(c[0]), int(c[1]), str(c[2]) if len(c) > 2 else ""] for c in citations]
    except (ValueError, TypeError, IndexError):
        return error_response("invalid_citations", "引用条款格式不正确。", 400)
    text = request.form.get("text", "")
    try:
        result = _desk().reply(session_id, _me(), text, citations)
    except DeskError as error:
        return _desk_error(error)
    auth.record("handoff_reply", f"handoff:{session_id}", f"{len(text.strip())} 字；{result['delivery']}")
    return _json(result)


@bp.get("/agent/answers.json")
@login_required(AGENT_ROLE)
def agent_answers():
    """Answers an agent may insert: curated ones matching the words, then cited articles."""
    query = (request.args.get("q") or "").strip()[:200]
    services = current_app.extensions["hotline"]
    items = []
    for row in services.curated.all():
        if getattr(row, "active", True) and (not query or query in row.question or query in row.answer):
            items.append({"kind": "curated", "label": f"人工答案：{row.question}", "text": row.answer,
                          "citations": [[row.document, row.article, ""]] if row.document else []})
    items = items[:5]
    if query:
        try:
            hits = services.retriever.run(query, top_k=ANSWER_HITS).hits
        except Exception:  # noqa: BLE001 - the curated answers still help
            log.exception("console: retrieval failed for an agent's search")
            hits = []
        for hit in hits:
            quote = "".join(clause.text for clause in hit.clauses)[:800]
            items.append({"kind": "article", "label": f"{hit.document} 第{hit.article}条 {hit.title}",
                          "text": say("answer", reference=Citation(hit.document, hit.article, hit.title, "").reference, sentences=quote),
                          "citations": [[hit.document, hit.article, hit.title]]})
    return _json({"items": items})
