"""/wechat over real HTTP, with wechatpy playing WeChat's server: it builds, signs and (in safe mode)
encrypts each message and parses (and decrypts) each reply."""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager

import pytest
import requests

from bot.app import create_app
from bot.channels import ApiChannel, WeChatChannel
from bot.channels.wechat import TEXT_MAX_BYTES
from bot.config import ConfigError
from bot.core.messages import say
from bot.core.turn import TEXT_MAX, Reply
from tests.channels.conftest import AES_KEY, APP_ID, APP_SECRET, OPENID, TOKEN, WeChatServerSim
from tests.fixtures.app import serve_app

# Every file Python opens while `_watching` is set, to prove an XXE payload reads nothing.
_opened: list[str] = []
_watching = threading.Event()


def _audit(event, args):
    if event == "open" and _watching.is_set() and args and isinstance(args[0], (str, bytes)):
        _opened.append(str(args[0]))


sys.addaudithook(_audit)


@contextmanager
def wechat(services, **channel_options):
    """The app with a WeChat channel configured by `channel_options`, served over HTTP."""
    options = {"token": TOKEN, **channel_options}
    app = create_app({"TESTING": True}, services=services, channels=[WeChatChannel(**options), ApiChannel()])
    with serve_app(app) as server:
        yield WeChatServerSim(server.url, token=TOKEN, aes_key=options.get("encoding_aes_key", ""))


@pytest.fixture
def sim(services):
    with wechat(services) as sim:
        yield sim


@pytest.fixture
def safe_sim(services, wechat_api):
    with wechat(services, encoding_aes_key=AES_KEY, app_id=APP_ID, app_secret=APP_SECRET,
                api_base_url=wechat_api.url) as sim:
        yield sim


# --- URL verification ----------------------------------------------------------------------------

def test_url_verification_echoes_echostr(sim):
    response = requests.get(sim.url, params={**sim.params(), "echostr": "8723468726"}, timeout=10)
    assert (response.status_code, response.text) == (200, "8723468726")


@pytest.mark.parametrize("tamper", ["signature", "token", "missing"])
def test_bad_signature_is_403(sim, conversation, tamper):
    params = sim.params()
    if tamper == "signature":
        params["signature"] = "0" * 40
    elif tamper == "token":
        params = sim.params(token="wrongtoken")
    else:
        del params["signature"]
    assert requests.get(sim.url, params={**params, "echostr": "x"}, timeout=10).status_code == 403
    response = sim.post(sim.text("你好"), params)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert conversation.turns == []


# --- messages ------------------------------------------------------------------------------------

def test_text_is_answered_with_a_text_reply(sim, conversation):
    reply = sim.reply_of(sim.post(sim.text("稳岗返还裁员率")))
    assert reply.type == "text"
    assert reply.source == "gh_1234567890ab" and reply.target == OPENID
    assert "不高于5.5%" in reply.content
    assert "依据：大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”" in reply.content
    assert "1. 失业保险金标准提高了多少？" in reply.content
    (turn,) = conversation.turns
    assert (turn.channel, turn.user_id, turn.text) == ("wechat", OPENID, "稳岗返还裁员率")


def test_a_suggestion_can_be_picked_by_its_number(sim, conversation):
    sim.post(sim.text("稳岗返还裁员率"))
    sim.post(sim.text("1"))
    assert conversation.turns[-1].text == "失业保险金标准提高了多少？"


def test_a_number_answers_the_slot_question_when_one_is_asked(sim, conversation):
    conversation.scripted["能申请稳岗返还吗"] = Reply(
        reply="请问参保职工有多少人？", asking_for="employees", suggestions=["30人以下", "30人以上"]
    )
    reply = sim.reply_of(sim.post(sim.text("能申请稳岗返还吗")))
    assert "您可以直接回复：30人以下 / 30人以上" in reply.content
    sim.post(sim.text("1"))
    assert conversation.turns[-1].text == "1"


def test_voice_is_answered_from_its_recognition(sim, conversation):
    reply = sim.reply_of(sim.post(sim.voice("失业保险金标准提高了多少？")))
    assert "失业保险金标准提高了多少" in reply.content
    assert conversation.turns[0].text == "失业保险金标准提高了多少？"
    assert conversation.turns[0].metadata["msg_type"] == "voice"


def test_voice_without_recognition_asks_again(sim, conversation):
    reply = sim.reply_of(sim.post(sim.voice("")))
    assert reply.content == say("wechat_voice_not_recognised")
    assert conversation.turns == []


def test_subscribe_gets_a_welcome_and_a_topic_menu_to_pick_by_number(sim, conversation):
    reply = sim.reply_of(sim.post(sim.event("subscribe")))
    assert "欢迎关注“大连人社 12333”" in reply.content
    assert "1. 我的企业能申请稳岗返还吗？" in reply.content
    sim.post(sim.text("2"))
    assert conversation.turns[0].text == "失业保险金标准提高了多少？"


def test_other_message_types_get_a_polite_reply(sim, conversation):
    assert sim.reply_of(sim.post(sim.image())).content == say("wechat_unsupported")
    assert sim.post(sim.event("unsubscribe")).text == "success"
    assert conversation.turns == []


def test_answer_text_cannot_break_the_reply_xml(sim, conversation):
    conversation.scripted["xml"] = Reply(reply="a]]>b<c>&d")
    assert sim.reply_of(sim.post(sim.text("xml"))).content == "a]]>b<c>&d"


# --- bad XML -------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"<xml><MsgType>text</MsgType", b"not xml at all", b"", "<xml/>".encode("utf-16"),
                                  b"<xml><ToUserName>a</ToUserName></xml>"])
def test_malformed_xml_is_400(sim, conversation, body):
    response = sim.post(body)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message"}
    assert conversation.turns == []


def xxe_payload(path) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file://{path}">]>\n'
        f"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        "<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&xxe;</Content><MsgId>7</MsgId></xml>"
    )


@pytest.mark.parametrize("safe_mode", [False, True])
def test_external_entities_are_400_and_no_file_is_read(services, conversation, tmp_path, safe_mode):
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-7f3a9c")
    options = {"encoding_aes_key": AES_KEY, "app_id": APP_ID} if safe_mode else {}
    with wechat(services, **options) as sim:
        _opened.clear()
        _watching.set()
        try:
            response = sim.post(xxe_payload(secret))
        finally:
            _watching.clear()
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "forbidden_xml"
    assert "MARKER" not in response.text
    assert str(secret) not in _opened
    assert conversation.turns == []


# --- replays and duplicates ----------------------------------------------------------------------

def test_a_stale_timestamp_is_403(sim, conversation):
    response = sim.post(sim.text("你好"), sim.params(timestamp=str(int(time.time()) - 3600)))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "stale_request")
    assert conversation.turns == []


def test_a_nonce_reused_for_another_message_is_403(sim, conversation):
    params = sim.params()
    assert sim.post(sim.text("第一条"), params).status_code == 200
    response = sim.post(sim.text("第二条"), params)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "replayed_request")
    assert [t.text for t in conversation.turns] == ["第一条"]


def test_a_repeated_msgid_is_answered_once_with_the_same_answer(sim, conversation):
    conversation.delay = 0.3  # the retries arrive while the first is still being answered
    xml = sim.text("稳岗返还", msg_id=424242)
    replies = [None] * 3

    def post(i):
        replies[i] = sim.reply_of(sim.post(xml))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    later = sim.reply_of(sim.post(xml))  # a retry after the answer was stored
    assert len(conversation.turns) == 1
    assert conversation.turns[0].message_id == "424242"
    contents = {r.content for r in replies + [later]}
    assert len(contents) == 1 and "稳岗返还" in contents.pop()


def test_a_repeated_subscribe_event_is_welcomed_once(sim, services):
    xml = sim.event("subscribe", create_time=1_700_000_000)
    first = sim.reply_of(sim.post(xml))
    again = sim.reply_of(sim.post(xml))
    assert first.content == again.content


# --- AES safe mode, the deadline, long answers ---------------------------------------------------

def test_safe_mode_round_trip(safe_sim, conversation):
    response = safe_sim.post(safe_sim.text("稳岗返还裁员率"))
    assert "<Encrypt>" in response.text and "稳岗" not in response.text
    reply = safe_sim.reply_of(response)
    assert "不高于5.5%" in reply.content and reply.target == OPENID
    assert conversation.turns[0].text == "稳岗返还裁员率"


def test_safe_mode_voice_and_subscribe(safe_sim):
    assert "失业" in safe_sim.reply_of(safe_sim.post(safe_sim.voice("失业金"))).content
    assert "欢迎关注" in safe_sim.reply_of(safe_sim.post(safe_sim.event("subscribe"))).content


def test_safe_mode_refuses_plaintext_and_bad_envelopes(safe_sim, conversation):
    response = safe_sim.post(safe_sim.text("你好"), encrypt=False)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "encryption_required")
    params = safe_sim.params()
    params.update(encrypt_type="aes", msg_signature="0" * 40)
    response = safe_sim.post("<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>", params, encrypt=False)
    assert response.status_code == 403
    assert conversation.turns == []


def test_safe_mode_with_another_accounts_key_is_refused(services, conversation):
    with wechat(services, encoding_aes_key=AES_KEY, app_id=APP_ID) as sim:
        from wechatpy.crypto import WeChatCrypto

        sim.crypto = WeChatCrypto(TOKEN, AES_KEY, "wx_other_account")
        assert sim.post(sim.text("你好")).status_code == 403
    assert conversation.turns == []


def test_a_slow_answer_goes_out_as_a_customer_service_message(services, conversation, wechat_api):
    conversation.delay = 1.0
    with wechat(services, app_id=APP_ID, app_secret=APP_SECRET, api_base_url=wechat_api.url,
                reply_deadline=0.2) as sim:
        response = sim.post(sim.text("稳岗返还"))
        assert response.text == "success"
        (message,) = wechat_api.wait_for(1)
    assert message["touser"] == OPENID and message["msgtype"] == "text"
    assert "不高于5.5%" in message["text"]["content"]
    assert len(conversation.turns) == 1


def test_a_long_answer_is_split_to_fit_wechat(services, conversation, wechat_api):
    paragraph = "失业保险金标准临时性提高至疫情结束后3个月。" * 30  # ~1.9 KB per line
    conversation.scripted["长"] = Reply(reply="\n".join([paragraph] * 3))
    with wechat(services, app_id=APP_ID, app_secret=APP_SECRET, api_base_url=wechat_api.url,
                extra_part_delay=0.0) as sim:
        passive = sim.reply_of(sim.post(sim.text("长")))
        pushed = wechat_api.wait_for(2)
    parts = [passive.content] + [m["text"]["content"] for m in pushed]
    assert all(len(p.encode("utf-8")) <= TEXT_MAX_BYTES for p in parts)
    assert "\n".join(parts) == "\n".join([paragraph] * 3)


def test_without_app_credentials_a_long_answer_is_cut_with_a_note(sim, conversation):
    conversation.scripted["长"] = Reply(reply="很长的回答。" * 400)
    reply = sim.reply_of(sim.post(sim.text("长")))
    assert len(reply.content.encode("utf-8")) <= TEXT_MAX_BYTES
    assert reply.content.endswith("拨打 12333 咨询。）")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"token": "x"}, "WECHAT_TOKEN"),
        ({"token": TOKEN, "encoding_aes_key": "short"}, "WECHAT_ENCODING_AES_KEY"),
        ({"token": TOKEN, "encoding_aes_key": AES_KEY}, "WECHAT_APP_ID"),
    ],
)
def test_bad_settings_fail_at_construction(options, message):
    with pytest.raises(ConfigError, match=message):
        WeChatChannel(**options)


def test_from_config_uses_the_development_token_when_unset(settings):
    from bot.config import development_token

    channel = WeChatChannel.from_config(settings)
    assert channel.token == development_token(settings.var_dir, "WECHAT_TOKEN")
    assert not channel.safe_mode and not channel.can_push


def test_a_user_sending_too_fast_is_asked_to_slow_down(services, conversation):
    with wechat(services, user_limit=2) as sim:
        replies = [sim.reply_of(sim.post(sim.text(f"问题{i}"))).content for i in range(3)]
    assert replies[2] == "您发送消息太频繁了，请稍等一会儿再问。"
    assert [t.text for t in conversation.turns] == ["问题0", "问题1"]


def test_without_app_credentials_a_slow_answer_still_reaches_a_retry(services, conversation):
    """No customer-service API: the answer can only go out passively, so the first request and
    WeChat's retries stay open past the deadline until it is ready (WeChat allows 3 × 5 s)."""
    conversation.delay = 1.0
    with wechat(services, reply_deadline=0.2) as sim:
        xml = sim.text("稳岗返还", msg_id=5550001)
        results = {}

        def post(name):
            results[name] = sim.reply_of(sim.post(xml))

        first = threading.Thread(target=post, args=("first",))
        first.start()
        time.sleep(0.3)  # the retry arrives while the turn is still running (ordering, not timing, matters)
        post("retry")
        first.join()
    assert results["first"] is not None and results["retry"] is not None
    assert results["first"].content == results["retry"].content
    assert len(conversation.turns) == 1


# --- odd digits, oversized text and invalid Unicode (issue 17, findings 4 and 7) ------------------

@pytest.mark.parametrize("safe_mode", [False, True])
@pytest.mark.parametrize("text", ["²", "١", "1²", "7" * 999])
def test_digits_that_are_not_menu_numbers_are_questions(services, conversation, wechat_api, safe_mode, text):
    options = dict(encoding_aes_key=AES_KEY, app_id=APP_ID, app_secret=APP_SECRET,
                   api_base_url=wechat_api.url) if safe_mode else {}
    with wechat(services, **options) as sim:
        sim.post(sim.text("稳岗返还裁员率"))  # leaves a numbered menu behind
        reply = sim.reply_of(sim.post(sim.text(text)))
    assert reply.type == "text"
    assert conversation.turns[-1].text == text


@pytest.mark.parametrize("safe_mode", [False, True])
@pytest.mark.parametrize("text", ["9" * 4301, "问" * (TEXT_MAX + 1), "1" * 17_000])
def test_text_over_the_api_limit_is_told_the_limit_and_not_run(services, conversation, wechat_api, safe_mode, text):
    options = dict(encoding_aes_key=AES_KEY, app_id=APP_ID, app_secret=APP_SECRET,
                   api_base_url=wechat_api.url) if safe_mode else {}
    with wechat(services, **options) as sim:
        sim.post(sim.text("稳岗返还裁员率"))
        before = len(conversation.turns)
        reply = sim.reply_of(sim.post(sim.text(text)))
    assert reply.content == say("text_too_long", max=TEXT_MAX) and f"{TEXT_MAX} 字以内" in reply.content
    assert len(conversation.turns) == before  # no turn: nothing of it is stored


def test_the_limit_itself_is_a_question(sim, conversation):
    sim.reply_of(sim.post(sim.text("问" * TEXT_MAX)))
    assert conversation.turns[-1].text == "问" * TEXT_MAX


@pytest.mark.parametrize("content", [b"\xed\xa0\x80", "失业金\udfff".encode("utf-8", "surrogatepass"),
                                     b"&#xD800;", b"&#56320;"])
def test_lone_surrogates_in_plaintext_are_400(sim, conversation, content):
    body = sim.text("PLACEHOLDER").replace("<![CDATA[PLACEHOLDER]]>", "PLACEHOLDER")
    response = sim.post(body.encode("utf-8").replace(b"PLACEHOLDER", content))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_xml"
    assert conversation.turns == []


def test_lone_surrogates_in_an_aes_message_are_400(safe_sim, conversation):
    xml = safe_sim.text("PLACEHOLDER").encode("utf-8").replace(b"PLACEHOLDER", "失业金\ud800".encode("utf-8", "surrogatepass"))
    response = safe_sim.post(xml)  # wechatpy encrypts the bytes as given
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_xml"
    assert conversation.turns == []
