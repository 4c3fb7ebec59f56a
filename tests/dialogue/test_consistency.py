"""Issue 15's three consistency fixes, through the real app and Rasa: one citation style, one
validity word, and WeChat's 依据 line printed once. Each reply is rendered by the code that serves it."""
from __future__ import annotations

import re

import pytest

from bot.channels.wechat import render_reply
from bot.core.turn import Citation, Reply

pytestmark = pytest.mark.integration

# An article named without the notice's brackets: 第十五条 / 第15条 instead of 第（十五）条.
BARE_ARTICLE = re.compile(r"第[一二三四五六七八九十百\d]+条")


def as_reply(body: dict) -> Reply:
    """The chat API's body back as the `Reply` every channel renders."""
    return Reply(
        reply=body["reply"],
        citations=[Citation(**c) for c in body["citations"]],
        answered=body["answered"],
        intent=body["intent"],
        asking_for=body["asking_for"],
        suggestions=body["suggestions"],
    )


def graduate_conversation(talk) -> list[dict]:
    """An answer about article 15, then a check of the same measure to its verdict."""
    user = talk()
    return [user("毕业生报到期限延长到什么时候"), user("我是2020届的外地生源毕业生，报到期限能延长吗")]


def test_every_reply_writes_an_article_as_the_notice_does(talk):
    replies = graduate_conversation(talk)
    for body in replies:
        assert "第（十五）条" in body["reply"], body["reply"]
        assert not BARE_ARTICLE.search(body["reply"]), body["reply"]
        wechat, _ = render_reply(as_reply(body))
        assert not BARE_ARTICLE.search(wechat), wechat


def test_the_web_page_names_a_citation_as_the_replies_do(dialogue_server):
    import json

    import cn2an
    import requests

    page = requests.get(dialogue_server.url + "/", timeout=30).text
    config = json.loads(re.search(r'<script id="chat-config" type="application/json">(.*?)</script>', page, re.S).group(1))
    citation = Citation("大人社发[2020]38号", 15, "延长高校毕业生报到期限", "")
    label = config["citationLabel"].format(document=citation.document, article_cn=cn2an.an2cn(15), title=citation.title)
    assert label == citation.reference == "大人社发[2020]38号第（十五）条“延长高校毕业生报到期限”"


@pytest.mark.parametrize("question, check", [
    ("创业担保贷款能展期多久", "我得了新冠，我的创业担保贷款能展期吗"),
    ("失业金标准提高了多少", "我交了5年失业保险，失业金能领多少"),
])
def test_answers_and_verdicts_call_validity_by_one_word(talk, question, check):
    user = talk()
    answer, verdict = user(question), talk()(check)
    assert answer["answered"] and verdict["answered"] and verdict["intent"].startswith("check_"), verdict
    for body in (answer, verdict):
        validity = [line for line in body["reply"].splitlines() if line.startswith(("有效期：", "期限："))]
        assert validity, body["reply"]
        assert all("执行期限" not in line for line in validity), validity
    assert answer["reply"].splitlines()[-1].split("：")[0] == verdict["reply"].splitlines()[-1].split("：")[0] == "有效期"


def test_wechat_names_the_source_once(talk):
    user = talk()
    turns = [user("我们公司能申请稳岗返还吗"), user("二十八个人"), user("裁了三个"), user("稳岗返还的裁员率标准是多少")]
    assert turns[0]["asking_for"] and "【符合条件" in turns[2]["reply"] and turns[3]["answered"]
    for body in turns:
        wechat, _ = render_reply(as_reply(body))
        # A check names its article with 依据 (its start, its verdict); an answer with 根据 and no 依据.
        assert wechat.count("依据") == (0 if body is turns[3] else 1), wechat
        assert wechat.count("第（四）条") == 1, wechat
