"""knowledge_base.answers: the user-facing reply, citations and validity notes."""
import datetime as dt

import pytest

from knowledge_base.answers import article_label, chinese_date, citation, policy_reply, validity_note
from knowledge_base.curated import CuratedAnswer
from knowledge_base.model import Validity
from knowledge_base.retrieval import HANDOFF_SUGGESTION, RetrievalResult

AS_OF = dt.date(2026, 11, 25)
EPIDEMIC_END = dt.date(2023, 1, 8)


@pytest.mark.parametrize(("number", "label"), [(1, "（一）"), (4, "（四）"), (10, "（十）"), (12, "（十二）"), (20, "（二十）")])
def test_article_label(number, label):
    assert article_label(number) == label


def test_chinese_date():
    assert chinese_date(dt.date(2021, 8, 31)) == "2021年8月31日"


class TestValidityNote:
    def test_past_end_date_is_said_plainly(self, kb):
        note = validity_note(kb.document("大人社发[2020]38号").article(4), AS_OF, EPIDEMIC_END)
        assert "至2021年8月31日，已于2021年8月31日结束" in note
        assert "疫情防控期间，已于2023年1月8日结束" in note

    def test_end_date_not_yet_past(self, kb):
        note = validity_note(kb.document("大人社发[2020]38号").article(4), dt.date(2021, 5, 1), EPIDEMIC_END)
        assert "结束" not in note.replace("疫情防控期间结束计", "")
        assert "至2021年8月31日，截至2021年5月1日尚未到期" in note

    def test_the_end_day_itself_is_not_past(self, kb):
        note = validity_note(kb.document("大人社发[2020]38号").article(4), dt.date(2021, 8, 31), EPIDEMIC_END)
        assert "已于" not in note

    def test_deadline(self, kb):
        note = validity_note(kb.document("大人社发[2020]38号").article(15), dt.date(2020, 10, 1), EPIDEMIC_END)
        assert "期限：延长至2020年9月30日前，已于2020年9月30日届满" in note

    def test_after_epidemic(self, kb):
        note = validity_note(kb.document("大人社发[2020]38号").article(8), AS_OF, EPIDEMIC_END)
        assert "至疫情结束后3个月，已于2023年4月8日结束" in note

    def test_without_an_epidemic_end_the_period_stays_open(self, kb):
        note = validity_note(kb.document("大人社发[2020]38号").article(8), AS_OF, None)
        assert "疫情结束后3个月" in note and "已于" not in note

    def test_from_the_closing_clause(self):
        class Art:
            validity = [Validity(kind="epidemic_period", text="统一为疫情防控期间。", explicit=False)]

        assert "补贴类政策" in validity_note(Art(), AS_OF)

    def test_none_stated(self, kb):
        assert validity_note(kb.document("大人社发[2020]38号").article(1), AS_OF).startswith("有效期：通知未对这项措施单独规定")


class TestPolicyReply:
    def test_answer_cites_article_and_quotes_clauses(self, retriever):
        reply = policy_reply(retriever.run("稳岗返还的裁员率现在放宽到多少了"), AS_OF, EPIDEMIC_END)
        assert reply.answered and reply.intent == "ask_policy"
        assert reply.reply.startswith("这项措施已于2023年1月8日结束")  # ended: said first
        assert "根据大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”：" in reply.reply
        assert "不高于5.5%" in reply.reply and "不超过企业职工总数的20%" in reply.reply  # the whole sentence
        assert "有效期：疫情防控期间，已于2023年1月8日结束" in reply.reply
        [cited] = reply.citations
        assert cited.document == "大人社发[2020]38号" and cited.article == 4
        assert cited.title == "扩大稳岗返还政策范围"
        assert cited.quote and cited.quote in reply.reply
        assert 0 < reply.confidence <= 1
        api = reply.to_api()
        assert api["citations"][0] == {
            "document": "大人社发[2020]38号", "article": 4, "title": "扩大稳岗返还政策范围", "quote": cited.quote,
        }

    def test_measures_quoted_together_keep_their_own_validity(self, retriever):
        # the 5.5% bound ran for the epidemic period, the 1% rate to 2021-08-31: one line each
        reply = policy_reply(retriever.run("稳岗返还这个政策什么时候出台的"), AS_OF, EPIDEMIC_END)
        assert "1%" in reply.reply and "不高于5.5%" in reply.reply
        assert "有效期：疫情防控期间，已于2023年1月8日结束" in reply.reply
        assert "有效期：至2021年8月31日，已于2021年8月31日结束" in reply.reply
        assert reply.reply.startswith("这项措施已于2023年1月8日结束")

    def test_citation_quote_is_not_the_bare_title(self, retriever):
        hit = retriever.run("稳岗返还").hits[0]
        assert citation(hit).quote.rstrip("。") != hit.title

    def test_abstention_is_honest(self, retriever):
        reply = policy_reply(retriever.run("住房公积金怎么提取"), AS_OF)
        assert not reply.answered and reply.citations == []
        assert "本通知" in reply.reply and "未涉及" in reply.reply and "住房公积金" in reply.reply
        assert HANDOFF_SUGGESTION in reply.suggestions
        assert reply.abstain_reason == "out_of_scope"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [("", "请输入您要咨询的问题"), ("😀😀", "请输入您要咨询的问题"), ("What about pensions?", "只支持用中文提问")],
    )
    def test_bad_input_messages(self, retriever, text, expected):
        reply = policy_reply(retriever.run(text), AS_OF)
        assert not reply.answered and expected in reply.reply

    def test_curated_answer(self, retriever):
        hit = retriever.run("失业保险金标准").hits[0]
        answer = CuratedAnswer(id=1, question="失业金几号发", answer="每月15日前发放。", document=hit.document, article=8)
        result = RetrievalResult("失业金几号发", [hit], 0.97, False, None, curated=answer)
        reply = policy_reply(result, AS_OF)
        assert reply.answered and reply.reply.startswith("每月15日前发放。")
        assert "第（八）条" in reply.reply
        assert reply.citations[0].article == 8

    def test_a_curated_answer_citing_nothing_is_signed_as_a_staff_reply(self, retriever):
        hits = retriever.run("社保卡丢了怎么补办").hits
        answer = CuratedAnswer(id=2, question="社保卡丢了怎么补办", answer="请携带身份证到社保卡服务网点挂失补办。",
                               team="大连市12333热线政策组", updated=__import__("datetime").date(2026, 12, 3))
        result = RetrievalResult("社保卡丢了怎么补办", hits, 0.95, False, None, curated=answer,
                                 suggestions=[h.title for h in hits[1:]])
        reply = policy_reply(result, AS_OF)
        assert reply.answered and reply.citations == [] and reply.suggestions == []  # no unrelated articles
        assert reply.reply == "请携带身份证到社保卡服务网点挂失补办。\n——工作人员答复（大连市12333热线政策组，2026年12月3日）"
        assert "依据" not in reply.reply and "第（" not in reply.reply
