"""/api/openapi.json describes both endpoints and agrees with what they actually answer."""
from __future__ import annotations

from bot.core.turn import TEXT_MAX, USER_ID_MAX


def test_document_is_served_and_describes_both_endpoints(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/chat", "/api/feedback", "/api/handoff"}
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


def test_both_endpoints_conform_to_the_document_under_fuzzing(services):
    """schemathesis generates valid and invalid requests from the document; every answer must
    match it (status, content type, body schema) and none may be a 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings

    from bot.app import create_app
    from bot.channels import ApiChannel

    app = create_app({"TESTING": True}, services=services, channels=[ApiChannel(user_limit=0, ip_limit=0)])
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=60, deadline=None, derandomize=True,
                             suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate()

        check()
    assert sorted(labels) == ["GET /api/handoff", "POST /api/chat", "POST /api/feedback"]
