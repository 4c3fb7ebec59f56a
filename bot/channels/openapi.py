"""The OpenAPI 3.1 document of the chat API, served at `/api/openapi.json`.

Built from the same constants the views use (field limits, feedback values, headers), so the
document cannot drift from the code; `tests/channels/test_openapi.py` checks it against replies.
"""
from __future__ import annotations

from functools import lru_cache

from bot.core.turn import TEXT_MAX, USER_ID_MAX

def non_blank_pattern() -> str:
    """A regex for "at least one character that Python's `str.strip()` keeps" (blank → 400)."""
    blanks = [i for i in range(0x110000) if chr(i).isspace()]
    ranges, start = [], blanks[0]
    for previous, current in zip(blanks, blanks[1:] + [None]):
        if current != previous + 1:
            ranges.append(f"\\u{start:04x}" + (f"-\\u{previous:04x}" if previous != start else ""))
            start = current
    return "[^" + "".join(ranges) + "]"


ERROR_EXAMPLE = {"error": {"code": "text_too_long", "message": "问题内容 text不能超过 1000 个字符。"}}


def _json(schema: str, **example) -> dict:
    """A `content` of one JSON body, the named component schema (and `example=`, when given)."""
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}, **example}}


def _error_response(description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": _json("Error", example=ERROR_EXAMPLE)}
    if headers:
        response["headers"] = headers
    return response


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    """The OpenAPI document as a dict.

    :returns: an OpenAPI 3.1 document describing `POST /api/chat`, `POST /api/feedback` and
        `GET /api/handoff`.
    """
    from bot.channels.api import CHANNEL_HEADER, FEEDBACK_VALUES, TURN_ID_HEADER, TURN_ID_MAX

    non_blank = non_blank_pattern()
    retry_after = {
        "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
    }
    errors = {
        "400": _error_response("invalid input: not JSON, not an object, a missing, empty, oversized or mistyped field"),
        "413": _error_response("the body is larger than the server accepts"),
        "415": _error_response("the body is not sent as application/json"),
        "429": _error_response("too many requests from this user or address", retry_after),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hotline12333 chat API",
            "version": "1.0.0",
            "description": (
                "大连 12333 政策问答助手的聊天接口。Answers questions about the notice 大人社发[2020]38号 "
                "with citations, checks eligibility by the notice's rules and abstains when unsure. "
                "Every error answers `{\"error\": {\"code\", \"message\"}}` with a Chinese message."
            ),
        },
        "paths": {
            "/api/chat": {
                "post": {
                    "operationId": "chat",
                    "summary": "Send one user message and get the assistant's reply",
                    "parameters": [
                        {
                            "name": CHANNEL_HEADER,
                            "in": "header",
                            "required": False,
                            "description": "set to `web` by the bundled web page so its turns are logged as `web`",
                            "schema": {"type": "string", "enum": ["web"]},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": _json("ChatRequest", example={"user_id": "u-123", "text": "稳岗返还的裁员率标准是多少？"}),
                    },
                    "responses": {
                        "200": {
                            "description": "the reply",
                            "headers": {
                                TURN_ID_HEADER: {
                                    "description": "the id of this turn, for `POST /api/feedback`",
                                    "schema": {"type": "string"},
                                }
                            },
                            "content": _json("ChatReply"),
                        },
                        **errors,
                    },
                }
            },
            "/api/feedback": {
                "post": {
                    "operationId": "feedback",
                    "summary": "Rate one answer 👍 (`up`) or 👎 (`down`)",
                    "requestBody": {
                        "required": True,
                        "content": _json("FeedbackRequest", example={"turn_id": "9f1c…", "value": "up"}),
                    },
                    "responses": {
                        "200": {"description": "stored", "content": _json("FeedbackRequest")},
                        **errors,
                    },
                }
            },
            "/api/handoff": {
                "get": {
                    "operationId": "handoff",
                    "summary": "After 转人工: the queue position and the agents' new messages (poll every few seconds)",
                    "parameters": [
                        {"name": "user_id", "in": "query", "required": True,
                         "schema": {"type": "string", "minLength": 1, "maxLength": USER_ID_MAX, "pattern": non_blank},
                         "description": "the conversation, as sent to /api/chat"},
                        {"name": "after", "in": "query", "required": False, "schema": {"type": "integer"},
                         "description": "the id of the last message already shown (default 0)"},
                    ],
                    "responses": {
                        "200": {
                            "description": "where the conversation stands",
                            "content": _json("HandoffView"),
                        },
                        "400": _error_response("a missing or oversized user_id, a non-integer after, or an "
                                               "unknown X-Hotline-Channel"),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "HandoffView": {
                    "type": "object",
                    "required": ["status", "ahead", "agent", "messages", "poll_seconds"],
                    "properties": {
                        "status": {"type": "string", "enum": ["none", "waiting", "held"]},
                        "ahead": {"type": ["integer", "null"], "description": "conversations waiting in front"},
                        "agent": {"type": ["string", "null"], "description": "the agent holding the conversation"},
                        "off_duty": {"type": "boolean", "description": "queued outside the agents' hours"},
                        "poll_seconds": {"type": "integer"},
                        "messages": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "from", "text"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "from": {"type": "string", "enum": ["agent", "system"]},
                                    "agent": {"type": ["string", "null"]},
                                    "text": {"type": "string"},
                                    "citations": {"type": "array"},
                                    "at": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "ChatRequest": {
                    "type": "object",
                    "required": ["user_id", "text"],
                    "properties": {
                        "user_id": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": USER_ID_MAX,
                            "pattern": non_blank,
                            "description": "identifies the conversation; the log keeps only a salted hash",
                        },
                        "text": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX, "pattern": non_blank},
                    },
                },
                "Citation": {
                    "type": "object",
                    "required": ["document", "article", "title", "quote"],
                    "properties": {
                        "document": {"type": "string", "examples": ["大人社发[2020]38号"]},
                        "article": {"type": "integer", "examples": [4]},
                        "title": {"type": "string", "examples": ["扩大稳岗返还政策范围"]},
                        "quote": {"type": "string"},
                    },
                },
                "ChatReply": {
                    "type": "object",
                    "required": [
                        "reply", "citations", "answered", "intent",
                        "confidence", "asking_for", "handoff", "suggestions",
                    ],
                    "properties": {
                        "reply": {"type": "string", "description": "the full answer in Simplified Chinese"},
                        "citations": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Citation"},
                            "description": "best first; empty when nothing is cited",
                        },
                        "answered": {
                            "type": "boolean",
                            "description": "false when the assistant could not answer from the knowledge base",
                        },
                        "intent": {"type": "string", "description": "what the assistant understood"},
                        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                        "asking_for": {
                            "type": ["string", "null"],
                            "description": "the canonical slot name when the reply asks for a missing fact",
                        },
                        "handoff": {"type": "boolean", "description": "true when transferred to a human agent"},
                        "suggestions": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "quick replies or \"did you mean\" questions",
                        },
                    },
                },
                "FeedbackRequest": {
                    "type": "object",
                    "required": ["turn_id", "value"],
                    "properties": {
                        "turn_id": {"type": "string", "minLength": 1, "maxLength": TURN_ID_MAX, "pattern": non_blank},
                        "value": {"type": "string", "enum": list(FEEDBACK_VALUES)},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string", "description": "a stable English slug"},
                                "message": {"type": "string", "description": "the explanation in Chinese"},
                            },
                        }
                    },
                },
            }
        },
    }
