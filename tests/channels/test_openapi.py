"""/api/openapi.json describes both endpoints and agrees with what they actually answer."""
from __future__ import annotations

from bot.reply import TEXT_MAX, USER_ID_MAX


def test_document_is_served_and_describes_both_endpoints(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/chat", "/api/feedback"}
    request = doc["components"]["schemas"]["ChatRequest"]["properties"]
    assert request["user_id"]["maxLength"] == USER_ID_MAX and request["text"]["maxLength"] == TEXT_MAX
    chat = doc["paths"]["/api/chat"]["post"]["responses"]
    assert {"200", "400", "413", "415", "429"} <= set(chat)
    assert "X-Hotline-Turn-Id" in chat["200"]["headers"]


def test_reply_schema_matches_a_real_reply(client):
    doc = client.get("/api/openapi.json").get_json()
    schema = doc["components"]["schemas"]["ChatReply"]
    body = client.post("/api/chat", json={"user_id": "o", "text": "你好"}).get_json()
    assert set(schema["required"]) == set(body) == set(schema["properties"])
    json_types = {"string": str, "boolean": bool, "number": (int, float), "array": list, "null": type(None)}
    for name, value in body.items():
        declared = schema["properties"][name]["type"]
        allowed = tuple(json_types[t] for t in (declared if isinstance(declared, list) else [declared]))
        assert isinstance(value, allowed), name
    citation = doc["components"]["schemas"]["Citation"]
    assert set(citation["required"]) == set(body["citations"][0])


def test_error_schema_matches_a_real_error(client):
    doc = client.get("/api/openapi.json").get_json()
    error = client.post("/api/chat", json={}).get_json()
    schema = doc["components"]["schemas"]["Error"]
    assert set(schema["properties"]["error"]["required"]) == set(error["error"])
