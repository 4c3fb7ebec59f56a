"""POST /api/chat and /api/feedback: the DESIGN.md contract, validation, rate limits."""
from __future__ import annotations

import pytest
import requests

from bot.app import create_app
from bot.channels import ApiChannel, WebChannel
from bot.core.turn import Reply
from tests.channels.conftest import ARTICLE_4

CONTRACT_FIELDS = ["reply", "citations", "answered", "intent", "confidence", "asking_for", "handoff", "suggestions"]


def chat(client, payload, **kwargs):
    return client.post("/api/chat", json=payload, **kwargs)


def test_a_question_gets_the_contract_fields_and_a_turn_id(client, conversation):
    response = chat(client, {"user_id": "u1", "text": "  稳岗返还的裁员率标准？ "})
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == CONTRACT_FIELDS
    assert body["citations"] == [{
        "document": "大人社发[2020]38号", "article": 4, "title": "扩大稳岗返还政策范围", "quote": ARTICLE_4.quote,
    }]
    assert isinstance(body["reply"], str) and body["answered"] is True
    assert body["asking_for"] is None and body["handoff"] is False
    assert 0 <= body["confidence"] <= 1
    turn = conversation.turns[0]
    assert (turn.channel, turn.user_id, turn.text) == ("api", "u1", "稳岗返还的裁员率标准？")
    assert response.headers["X-Hotline-Turn-Id"] == turn.message_id
    assert "稳岗返还" in response.get_data(as_text=True)  # Chinese is not \u-escaped


def test_asking_for_and_handoff_are_passed_through(client, conversation):
    conversation.scripted["我的企业能申请稳岗返还吗？"] = Reply(
        reply="请问贵单位参保职工有多少人？", intent="check_job_retention", confidence=0.8,
        asking_for="employees", suggestions=["30人", "100人"],
    )
    conversation.scripted["转人工"] = Reply(reply="正在为您转接人工。", intent="handoff", handoff=True)
    body = chat(client, {"user_id": "u1", "text": "我的企业能申请稳岗返还吗？"}).get_json()
    assert body["asking_for"] == "employees" and body["suggestions"] == ["30人", "100人"]
    assert body["citations"] == []
    assert chat(client, {"user_id": "u1", "text": "转人工"}).get_json()["handoff"] is True


def test_the_web_page_is_logged_as_its_own_channel(client, conversation):
    chat(client, {"user_id": "w1", "text": "你好"}, headers={"X-Hotline-Channel": "web"})
    chat(client, {"user_id": "w1", "text": "你好"})
    assert [t.channel for t in conversation.turns] == ["web", "api"]


@pytest.mark.parametrize("value", ["ivr", "WEB", "", "wechat"])
def test_only_our_own_front_end_may_name_a_channel(client, conversation, value):
    response = chat(client, {"user_id": "w1", "text": "你好"}, headers={"X-Hotline-Channel": value})
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "invalid_channel")
    assert conversation.turns == []


def test_a_failing_conversation_still_answers_and_logs(client, conversation, turn_log):
    conversation.fail = True
    response = chat(client, {"user_id": "u1", "text": "你好"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["answered"] is False and "12333" in body["reply"]
    (turn, reply, _), = turn_log.records
    assert turn.text == "你好" and reply.abstain_reason == "error"


@pytest.mark.parametrize(
    "payload, code, message",
    [
        ({"text": "你好"}, "missing_user_id", "缺少用户标识 user_id"),
        ({"user_id": "u", "text": None}, "missing_text", "缺少问题内容 text"),
        ({"user_id": 42, "text": "你好"}, "invalid_user_id", "必须是字符串"),
        ({"user_id": "u", "text": ["你好"]}, "invalid_text", "必须是字符串"),
        ({"user_id": "   ", "text": "你好"}, "empty_user_id", "不能为空"),
        ({"user_id": "u", "text": ""}, "empty_text", "不能为空"),
        ({"user_id": "u" * 129, "text": "你好"}, "user_id_too_long", "不能超过 128 个字符"),
        ({"user_id": "u", "text": "问" * 1001}, "text_too_long", "不能超过 1000 个字符（收到 1001 个）"),
        (["u", "你好"], "invalid_body", "必须是 JSON 对象"),
        ("你好", "invalid_body", "必须是 JSON 对象"),
    ],
)
def test_bad_input_is_400_with_a_chinese_message(client, conversation, payload, code, message):
    response = chat(client, payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert message in response.get_json()["error"]["message"]
    assert conversation.turns == []


def test_limits_are_inclusive(client):
    assert chat(client, {"user_id": "u" * 128, "text": "问" * 1000}).status_code == 200


def test_not_json_and_too_large(client):
    response = client.post("/api/chat", data="{not json", content_type="application/json")
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "invalid_json")
    response = client.post("/api/chat", data="user_id=u&text=hi")
    assert (response.status_code, response.get_json()["error"]["code"]) == (415, "unsupported_media_type")
    response = client.post("/api/chat", data='{"user_id": "u", "text": "' + "x" * 70000 + '"}',
                           content_type="application/json")
    assert (response.status_code, response.get_json()["error"]["code"]) == (413, "request_too_large")


def test_per_user_rate_limit_answers_429_with_retry_after(services, conversation):
    app = create_app({"TESTING": True}, services=services, channels=[ApiChannel(user_limit=3, ip_limit=0)])
    client = app.test_client()
    for _ in range(3):
        assert chat(client, {"user_id": "flood", "text": "你好"}).status_code == 200
    response = chat(client, {"user_id": "flood", "text": "你好"})
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert "秒后再试" in response.get_json()["error"]["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert chat(client, {"user_id": "someone-else", "text": "你好"}).status_code == 200
    assert len(conversation.turns) == 4


def test_per_ip_rate_limit_spares_loopback(services):
    app = create_app({"TESTING": True}, services=services, channels=[ApiChannel(user_limit=0, ip_limit=2)])
    client = app.test_client()
    remote = {"REMOTE_ADDR": "203.0.113.7"}
    codes = [chat(client, {"user_id": f"u{i}", "text": "你好"}, environ_base=remote).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert all(chat(client, {"user_id": f"l{i}", "text": "你好"}).status_code == 200 for i in range(3))


def test_feedback_is_stored_with_its_turn(client, turn_log):
    turn_id = chat(client, {"user_id": "u1", "text": "你好"}).headers["X-Hotline-Turn-Id"]
    response = client.post("/api/feedback", json={"turn_id": turn_id, "value": "down"})
    assert response.status_code == 200
    assert response.get_json() == {"turn_id": turn_id, "value": "down"}
    assert turn_log.feedbacks == [(turn_id, "down")]


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"value": "up"}, "missing_turn_id"),
        ({"turn_id": "", "value": "up"}, "empty_turn_id"),
        ({"turn_id": "t" * 65, "value": "up"}, "turn_id_too_long"),
        ({"turn_id": "abc", "value": "meh"}, "invalid_value"),
        ({"turn_id": "abc"}, "invalid_value"),
    ],
)
def test_bad_feedback_is_400(client, turn_log, payload, code):
    response = client.post("/api/feedback", json=payload)
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, code)
    assert turn_log.feedbacks == []


def test_chat_over_real_http(live_server, conversation):
    response = requests.post(live_server.url + "/api/chat", json={"user_id": "h1", "text": "失业金"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["citations"][0]["article"] == 4
    assert response.headers["X-Hotline-Turn-Id"] == conversation.turns[0].message_id


def test_channels_are_named_after_their_url_prefix():
    assert ApiChannel.name() == "api" and ApiChannel().url_prefix() == "/api"
    assert WebChannel.name() == "web"


@pytest.mark.parametrize("kwargs", [{"user_limit": -1}, {"ip_limit": -5}])
def test_bad_limits_fail_at_construction(kwargs):
    with pytest.raises(ValueError, match="rate limits"):
        ApiChannel(**kwargs)


def test_behind_a_local_proxy_the_forwarded_address_is_limited(services):
    app = create_app({"TESTING": True}, services=services, channels=[ApiChannel(user_limit=0, ip_limit=1)])
    client = app.test_client()

    def from_proxy(forwarded: str, peer: str = "127.0.0.1") -> int:
        return chat(client, {"user_id": "p", "text": "你好"},
                    headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": peer}).status_code

    assert [from_proxy("198.51.100.1"), from_proxy("198.51.100.1")] == [200, 429]
    assert from_proxy("spoofed, 198.51.100.2") == 200  # the proxy's own entry is the last one
    # A remote client cannot dodge its limit by writing the header itself.
    assert [from_proxy("10.0.0.1", peer="203.0.113.9"), from_proxy("10.0.0.2", peer="203.0.113.9")] == [200, 429]


# --- invalid Unicode and nesting (issue 17, findings 4 and 5): 400 at the edge, over real HTTP ---

def _post_raw(live_server, path: str, body: str, **headers) -> requests.Response:
    """POST a JSON text exactly as written (``\\udfff`` stays an escape, as a client would send it)."""
    return requests.post(live_server.url + path, data=body.encode("utf-8"),
                         headers={"Content-Type": "application/json", **headers}, timeout=30)


@pytest.mark.parametrize(
    "path, body, code, headers",
    [
        ("/api/chat", '{"user_id": "u\\udfff", "text": "失业金标准"}', "invalid_user_id", {}),
        ("/api/chat", '{"user_id": "u1", "text": "失业金\\ud800标准"}', "invalid_text", {}),
        ("/api/chat", '{"user_id": "u1", "text": "\\ud800"}', "invalid_text", {}),
        ("/api/chat", '{"user_id": "u1", "text": "\\udc00\\ud800"}', "invalid_text", {}),  # reversed pair
        ("/api/chat", '{"user_id": "w1", "text": "失业金\\udfff"}', "invalid_text", {"X-Hotline-Channel": "web"}),
        ("/api/feedback", '{"turn_id": "t\\udfff", "value": "up"}', "invalid_turn_id", {}),
    ],
)
def test_lone_surrogates_are_refused_with_a_400(live_server, conversation, turn_log, path, body, code, headers):
    response = _post_raw(live_server, path, body, **headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and "无法识别的字符" in error["message"]
    assert conversation.turns == [] and turn_log.feedbacks == []


def test_a_proper_surrogate_pair_is_text(live_server, conversation):
    response = _post_raw(live_server, "/api/chat", '{"user_id": "u1", "text": "\\ud83d\\ude00 失业金"}')
    assert response.status_code == 200
    assert conversation.turns[0].text == "😀 失业金"


@pytest.mark.parametrize("path", ["/api/chat", "/api/feedback"])
@pytest.mark.parametrize(
    "body",
    ["[" * 30_000 + "]" * 30_000, '{"user_id": ' + "[" * 30_000 + "]" * 30_000 + "}",
     '{"a":' * 9_000 + "1" + "}" * 9_000],
)
def test_deeply_nested_json_under_the_size_limit_is_400(live_server, conversation, path, body):
    assert len(body) < 64 * 1024
    response = _post_raw(live_server, path, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_json"
    assert "嵌套" in response.json()["error"]["message"]
    assert conversation.turns == []
