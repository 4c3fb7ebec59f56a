"""Fuzzing /wechat: random messages with random fields, malformed and hostile XML, huge bodies, random
query parameters; signed like WeChat (wechatpy), in plaintext and AES safe mode.

Whatever arrives: never a 5xx; a 200 is `success` or a reply XML addressed back to the sender; a
4xx is the JSON error shape with a Chinese message.
"""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.messages import say
from bot.core.turn import TEXT_MAX
from tests.fuzz.conftest import FUZZ_SETTINGS, WECHAT_AES_KEY, WeChatSender, assert_error_shape

FUZZ = settings(FUZZ_SETTINGS, max_examples=60)

MSG_TYPES = ["text", "voice", "image", "event", "location", "link", "video", "shortvideo", "file", "miniprogrampage"]
EVENTS = ["subscribe", "unsubscribe", "SCAN", "LOCATION", "CLICK", "VIEW", "subscribe_scan"]
# Unicode without surrogates (not encodable) and without the characters XML 1.0 forbids outright.
xml_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
xml_text = st.text(xml_chars, max_size=300)
# Characters XML 1.0 allows: what a well-formed message from WeChat can carry.
legal_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff", whitelist_characters="\t\n"),
    max_size=300,
)
questions = st.sampled_from([
    "稳岗返还的裁员率标准是多少？", "失业金涨了吗", "我们公司30人裁了3人能申请吗", "转人工", "1", "",
    "]]>", "<b>粗体</b>", "%s%n", "'; DROP TABLE turns; --", "<script>alert(1)</script>", "１２３３３",
])


def value_of(kind: str, text: str) -> str:
    """One field as WeChat writes it (CDATA), escaped text, or raw (possibly breaking the XML)."""
    if kind == "cdata":
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    if kind == "escaped":
        return escape(text)
    return text


field_value = st.tuples(st.sampled_from(["cdata", "cdata", "escaped", "raw"]), st.one_of(xml_text, questions))
name_char = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
element_name = st.text(name_char, min_size=1, max_size=12)


@st.composite
def wechat_messages(draw) -> bytes:
    """A message XML: the usual fields with random values, some missing, plus random extra fields."""
    fields: dict[str, str] = {
        "ToUserName": value_of("cdata", draw(st.sampled_from(["gh_fuzz", ""]) | xml_text)),
        "FromUserName": value_of("cdata", draw(st.sampled_from(["oFuzzUser1", "oFuzzUser2"]) | xml_text)),
        "CreateTime": draw(st.sampled_from([str(int(time.time()))] * 4) | st.integers(-2**63, 2**63).map(str) | xml_text.map(escape)),
        "MsgType": value_of("cdata", draw(st.sampled_from(MSG_TYPES * 3) | xml_text)),
        "MsgId": draw(st.integers(0, 2**64).map(str) | xml_text.map(escape)),
        "Content": value_of(*draw(field_value)),
        "Recognition": value_of(*draw(field_value)),
        "Event": value_of("cdata", draw(st.sampled_from(EVENTS) | xml_text)),
        "EventKey": value_of(*draw(field_value)),
        "MediaId": value_of(*draw(field_value)),
    }
    if draw(st.booleans()):  # well-formed: every field, random values (these reach the conversation)
        kept = sorted(fields)
        fields["CreateTime"] = draw(st.integers(0, 2**40).map(str))
        fields["MsgId"] = draw(st.integers(0, 2**64).map(str))
        fields["MsgType"] = value_of("cdata", draw(st.sampled_from(MSG_TYPES) | legal_text))
        fields["Event"] = value_of("cdata", draw(st.sampled_from(EVENTS) | legal_text))
        for name in ("ToUserName", "FromUserName", "Content", "Recognition", "EventKey", "MediaId"):
            fields[name] = value_of("cdata", draw(st.one_of(legal_text, questions)))
        extras = draw(st.dictionaries(element_name, legal_text.map(lambda t: value_of("cdata", t)), max_size=4))
    else:  # fields missing, values that may break the XML
        kept = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, min_size=0, max_size=len(fields)))
        extras = draw(st.dictionaries(element_name, field_value.map(lambda kv: value_of(*kv)), max_size=4))
    body = "".join(f"<{k}>{fields[k]}</{k}>" for k in kept) + "".join(f"<{k}>{v}</{k}>" for k, v in extras.items())
    root = draw(st.sampled_from(["xml"] * 9 + ["root"]))
    return f"<{root}>{body}</{root}>".encode("utf-8")


def check_answer(response: requests.Response, body: bytes) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300], body[:300])
    if response.status_code >= 400:
        assert_error_shape(response)
        return
    assert response.status_code == 200
    if response.text == "success":
        return
    try:  # the passive reply is well-formed XML
        reply = ET.fromstring(response.content)
    except ET.ParseError as error:
        raise AssertionError(f"reply is not XML ({error}): {response.content[:500]!r} for {body[:500]!r}") from None
    assert reply.tag == "xml"
    assert reply.findtext("MsgType") == "text"
    assert reply.findtext("Content")


def test_random_messages_never_5xx(fuzz_system):
    sender = WeChatSender(fuzz_system.url + "/wechat")

    @FUZZ
    @given(wechat_messages())
    def run(body: bytes) -> None:
        check_answer(sender.post(body), body)

    run()


def test_random_bytes_never_5xx(fuzz_system):
    sender = WeChatSender(fuzz_system.url + "/wechat")

    @FUZZ
    @given(st.binary(max_size=4000) | st.text(xml_chars, max_size=2000).map(lambda t: t.encode("utf-8")))
    def run(body: bytes) -> None:
        response = sender.post(body)
        assert response.status_code < 500, (response.status_code, response.text[:300])
        if response.status_code != 200:
            assert_error_shape(response)

    run()


HOSTILE = [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>',
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml>&lol2;</xml>',
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x SYSTEM "http://127.0.0.1:1/x"><xml/>'.encode("utf-16"),
    b"<xml><ToUserName>",
    b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>",
    b"<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[x]]></Content></xml>",  # no sender
    b"\xef\xbb\xbf<xml/>",
    b"<?xml-stylesheet href='file:///etc/passwd'?><xml/>",
]


@FUZZ
@given(st.sampled_from(HOSTILE), st.integers(0, 200))
def test_hostile_and_truncated_xml_is_refused_cleanly(fuzz_system, body, cut):
    sender = WeChatSender(fuzz_system.url + "/wechat")
    for candidate in (body, body[: max(1, len(body) - cut)]):
        check_answer(sender.post(candidate), candidate)


def test_huge_bodies_are_refused_with_413_or_answered(fuzz_system):
    sender = WeChatSender(fuzz_system.url + "/wechat")
    for size in (63 * 1024, 65 * 1024, 1024 * 1024):
        content = "问" * (size // 3)
        body = (
            f"<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><FromUserName><![CDATA[oHuge]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{size}</MsgId></xml>"
        ).encode()
        response = sender.post(body)
        assert response.status_code < 500, response.status_code
        if len(body) > 64 * 1024:
            assert response.status_code == 413
            assert_error_shape(response)
        else:
            check_answer(response, body)


def test_random_query_parameters_never_5xx(fuzz_system):
    url = fuzz_system.url + "/wechat"
    params = st.dictionaries(
        st.sampled_from(["signature", "timestamp", "nonce", "echostr", "encrypt_type", "msg_signature", "openid"])
        | st.text(xml_chars, max_size=10),
        xml_text,
        max_size=7,
    )

    @FUZZ
    @given(params, st.booleans(), st.text(xml_chars, max_size=12), st.text(xml_chars, max_size=20))
    def run(query: dict, signed: bool, timestamp: str, nonce: str) -> None:
        if signed:  # a valid signature over random timestamp and nonce
            query = {**query, **WeChatSender.params(timestamp, nonce)}
        for method in (requests.get, requests.post):
            response = method(url, params=query, data=b"<xml/>", timeout=60)
            assert response.status_code < 500, (response.status_code, response.text[:300])
            if response.status_code != 200:
                assert_error_shape(response)

    run()


def test_safe_mode_random_messages_never_5xx(fuzz_system):
    sender = WeChatSender(fuzz_system.aes_url + "/wechat", aes_key=WECHAT_AES_KEY)

    @settings(FUZZ, max_examples=30)
    @given(wechat_messages())
    def run(body: bytes) -> None:
        response = sender.post(body)
        assert response.status_code < 500, (response.status_code, response.text[:300])
        if response.status_code >= 400:
            assert_error_shape(response)

    run()


def test_safe_mode_random_envelopes_never_5xx(fuzz_system):
    url = fuzz_system.aes_url + "/wechat"

    @FUZZ
    @given(st.text(st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="]"), max_size=400),
           st.text(xml_chars, max_size=50))
    def run(encrypted: str, msg_signature: str) -> None:
        params = {**WeChatSender.params(), "encrypt_type": "aes", "msg_signature": msg_signature}
        body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        response = requests.post(url, params=params, data=body.encode(), timeout=60)
        assert response.status_code < 500, (response.status_code, response.text[:300])
        assert response.status_code in (400, 403)
        assert_error_shape(response)

    run()


def test_sender_and_account_ids_cannot_break_the_reply_xml(fuzz_system):
    """The shortest case the message fuzzer found: an id with `]]>` must not end up raw in the reply's
    CDATA (the reply must stay well-formed XML, or the message be refused)."""
    sender = WeChatSender(fuzz_system.url + "/wechat")
    for to_user, from_user in (("]]>", "oFuzzUser1"), ("gh_fuzz", "o]]><Evil>1</Evil><![CDATA[")):
        body = (
            f"<xml><ToUserName><![CDATA[{to_user.replace(']]>', ']]]]><![CDATA[>')}]]></ToUserName>"
            f"<FromUserName><![CDATA[{from_user.replace(']]>', ']]]]><![CDATA[>')}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[失业金涨了吗]]></Content><MsgId>{time.time_ns()}</MsgId></xml>"
        ).encode()
        check_answer(sender.post(body), body)


# --- digits of every script and texts around the length limit (issue 17, finding 7) --------------

digit_text = st.text(st.characters(whitelist_categories=("Nd", "No", "Nl")), min_size=1, max_size=12)
long_digits = st.integers(TEXT_MAX - 2, 5000).map(lambda n: "9" * n)


def text_message(content: str, openid: str = "oFuzzDigits") -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{time.time_ns()}</MsgId></xml>"
    ).encode("utf-8")


@pytest.mark.parametrize("mode", ["plaintext", "aes"])
def test_digits_and_long_texts_are_answered_never_5xx(fuzz_system, mode):
    url = fuzz_system.url if mode == "plaintext" else fuzz_system.aes_url
    sender = WeChatSender(url + "/wechat", aes_key=WECHAT_AES_KEY if mode == "aes" else "")
    sender.post(text_message("失业金涨了吗"))  # leaves a numbered menu: digits are then looked up in it

    @settings(FUZZ, max_examples=30)
    @given(digit_text | long_digits)
    def run(content: str) -> None:
        response = sender.post(text_message(content))
        assert response.status_code == 200, (response.status_code, response.text[:300], content[:50])
        if mode == "plaintext":
            check_answer(response, content.encode())
            if len(content) > TEXT_MAX:
                assert ET.fromstring(response.content).findtext("Content") == say("text_too_long", max=TEXT_MAX)

    run()
