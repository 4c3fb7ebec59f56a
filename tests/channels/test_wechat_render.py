"""The plain functions behind /wechat: XML safety, splitting to WeChat's limit, rendering a Reply."""
from __future__ import annotations

import pytest

from bot.channels.wechat import TEXT_MAX_BYTES, render_reply, safe_xml_text, split_text, welcome_text
from bot.core.turn import Citation, Reply
from bot.errors import ApiError


def size(text: str) -> int:
    return len(text.encode("utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "短回答。",
        "第一段。\n第二段。",
        "一句话。" * 1000,  # one long line: cut at sentence ends
        "无标点" * 1000,  # no sentence end at all: cut between characters
        ("段落。" * 300 + "\n") * 5,
        "混合 ascii and 中文，" * 300 + "😀" * 700,  # 4-byte characters must never be cut in half
    ],
)
def test_split_text_fits_the_limit_and_loses_nothing(text):
    parts = split_text(text)
    assert all(0 < size(p) <= TEXT_MAX_BYTES for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "").strip()


def test_split_text_prefers_line_breaks():
    lines = ["甲" * 600, "乙" * 600, "丙" * 600]  # 1800 bytes each: one line per part
    assert split_text("\n".join(lines)) == lines


def test_short_text_is_one_part():
    assert split_text("你好") == ["你好"]


@pytest.mark.parametrize(
    "raw",
    [
        b'<!DOCTYPE xml [<!ENTITY a "b">]><xml/>',
        b"<!doctype xml><xml/>",
        b'<xml><!ENTITY % p SYSTEM "http://x/">></xml>',
        "<xml/>".encode("utf-16"),
        b"   ",
    ],
)
def test_unsafe_or_undecodable_xml_is_refused(raw):
    with pytest.raises(ApiError) as error:
        safe_xml_text(raw)
    assert error.value.status == 400


def test_plain_xml_passes():
    assert safe_xml_text("<xml><Content><![CDATA[你好]]></Content></xml>".encode()).startswith("<xml>")


ART4 = Citation("大人社发[2020]38号", 4, "扩大稳岗返还政策范围", "……")
ART18 = Citation("大人社发[2020]38号", 18, "做好就业政策咨询服务", "……")


def test_citations_are_named_as_the_notice_numbers_its_articles():
    assert ART4.reference == "大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”"
    assert ART18.reference == "大人社发[2020]38号第（十八）条“做好就业政策咨询服务”"


def test_render_reply_adds_sources_and_numbered_suggestions():
    text, numbered = render_reply(Reply(reply="答案。", citations=[ART4, ART18], suggestions=["问一", "问二"]))
    assert text == (
        "答案。\n依据：大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”；大人社发[2020]38号第（十八）条“做好就业政策咨询服务”\n"
        "您可能还想问（回复序号即可）：\n1. 问一\n2. 问二"
    )
    assert numbered == ["问一", "问二"]


def test_render_reply_does_not_repeat_a_source_the_answer_names():
    text, _ = render_reply(Reply(reply="依据：" + ART4.reference, citations=[ART4]))
    assert text.count("第（四）条") == 1


def test_render_reply_names_a_source_once_when_the_answer_names_its_article_alone():
    # A check's first sentence: 依据第（四）条：… (issue 15: WeChat printed a second 依据 line).
    text, _ = render_reply(Reply(reply="好的，帮您核对稳岗返还。依据第（四）条：裁员率不超过20%。", citations=[ART4]))
    assert text.count("依据") == 1 and text.count("第（四）条") == 1


def test_render_reply_offers_quick_replies_without_numbers_when_asking_for_a_slot():
    text, numbered = render_reply(Reply(reply="企业规模？", asking_for="enterprise_size", suggestions=["中小微企业", "其他企业"]))
    assert text.endswith("您可以直接回复：中小微企业 / 其他企业")
    assert numbered == []


def test_welcome_lists_the_topics():
    from bot.core.messages import starter_questions

    lines = welcome_text().splitlines()
    assert lines[-len(starter_questions()):] == [f"{i}. {t}" for i, t in enumerate(starter_questions(), 1)]
