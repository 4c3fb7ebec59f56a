"""Structure of the parsed notices: sections, articles, titles, page-break joins, offsets."""
from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_base.parser import ParseError, clean_line, normalise, parse_notice, split_sentences

from knowledge_base.store import SOURCES_DIR

from .conftest import SLUG_38


@functools.cache
def _parsed_38():
    """(source, parsed) for hypothesis tests, which cannot take pytest fixtures."""
    source = (SOURCES_DIR / f"{SLUG_38}.txt").read_text(encoding="utf-8")
    return source, parse_notice(source, SLUG_38)

TITLES_38 = [
    "开展企业用工精准服务",
    "积极鼓励企业吸纳就业",
    "加强企业复工疫情防控",
    "扩大稳岗返还政策范围",
    "支持中小微企业开展职业培训",
    "发挥创业政策作用",
    "统筹用好用足各项资金",
    "提高失业人员基本待遇标准",
    "加大托底安置工作力度",
    "加强劳动者安抚疏导工作",
    "坚决维护劳动者合法权益",
    "做好就业信息公开发布",
    "推进校企线上招聘对接",
    "跟踪掌握毕业生就业形势",
    "动态调整就业服务时间",
    "强化高校毕业生心理疏导",
    "加大线上就业服务力度",
    "做好就业政策咨询服务",
    "加强就业形势分析研判",
    "切实压实就业工作责任",
]
SECTIONS_38 = [
    (1, "全力保障企业复工用工需求", [1, 2, 3]),
    (2, "加大企业稳定就业支持力度", [4, 5, 6, 7]),
    (3, "关爱帮扶重点群体劳动者", [8, 9, 10, 11]),
    (4, "做好高校毕业生就业服务", [12, 13, 14, 15, 16]),
    (5, "推进就业服务优化升级", [17, 18, 19, 20]),
]


def assert_offsets(doc):
    """Every article, clause and fact points at its own text."""
    for art in doc.articles():
        assert doc.text[art.start:art.end] == art.text
        for clause in art.clauses:
            assert doc.text[clause.start:clause.end] == clause.text, clause.id
            assert art.start <= clause.start < clause.end <= art.end
            for fact in clause.facts:
                assert art.text[fact.start:fact.end] == fact.text
                assert fact in art.facts
        for fact in art.facts:
            assert art.text[fact.start:fact.end] == fact.text
        numbers = [c.number for c in art.clauses]
        assert numbers == list(range(1, len(numbers) + 1))


class TestNotice38:
    def test_header(self, notice_38):
        assert notice_38.slug == SLUG_38
        assert notice_38.doc_number == "大人社发[2020]38号"
        assert notice_38.title == "关于做好疫情防控期间有关就业工作的通知"
        assert notice_38.issuers == [
            "大连市人力资源和社会保障局",
            "大连市教育局",
            "大连市财政局",
            "大连市交通运输局",
            "大连市卫生健康委员会",
        ]
        assert notice_38.issued == "2020-02-21"
        assert notice_38.preamble.startswith("各区市县（先导区）人力资源和社会保障（劳动人事）局")
        assert notice_38.preamble.endswith("现就有关事项通知如下：")
        assert len(notice_38.source_sha256) == 64

    def test_sections(self, notice_38):
        got = [(s.number, s.title, [a.number for a in s.articles]) for s in notice_38.sections]
        assert got == SECTIONS_38
        for section in notice_38.sections:
            assert all(a.section == section.number for a in section.articles)

    def test_twenty_articles_with_their_titles(self, notice_38):
        articles = list(notice_38.articles())
        assert [a.number for a in articles] == list(range(1, 21))
        assert [a.title for a in articles] == TITLES_38
        assert articles[3].label == "（四）"
        assert articles[19].label == "（二十）"

    def test_title_is_first_clause(self, notice_38):
        for art in notice_38.articles():
            assert art.clauses[0].text == art.title + "。"
            assert art.text.startswith(art.title + "。")

    def test_closing_is_not_part_of_article_20(self, notice_38):
        assert notice_38.closing == "上述有关补贴类政策执行期限除已明确规定时限外，统一为疫情防控期间。"
        art20 = notice_38.article(20)
        assert art20.text.endswith("确保社会大局稳定。")
        assert "上述有关补贴类政策" not in art20.text
        assert "2020年2月21日" not in art20.text

    @pytest.mark.parametrize(
        "number, joined, cut",
        [
            (3, "根据防控疫情安排，通过电话、网络、微信等社交网络手段", "通过电\n"),
            (4, "《关于印发〈统计上大中小微型企业划分办法（2017）》的通知》", "型企业\n"),
            (7, "《关于下达2019年工业企业结构调整专项奖补资金用于稳定就业的通知》", "结构调\n"),
            (13, "疫情防控期间，各高校要认真落实省市关于做好疫情防控期间高校毕业生工作的有关文件", "高校要\n"),
            (15, "延缓2020年度事业单位和国有企业招聘", "年度\n"),
            (17, "采取电话预约、分批办理的方式进行，加快审核进度", "方式\n"),
            (20, "坚决落实党中央、国务院关于应对疫情的重大决策部署", "应对疫\n"),
        ],
    )
    def test_page_breaks_are_joined(self, notice_38, number, joined, cut):
        art = notice_38.article(number)
        assert joined in art.text
        assert cut not in art.text
        assert any(joined in c.text for c in art.clauses)

    def test_joins_in_article_4_and_20_as_clauses(self, notice_38):
        clause = notice_38.article(4).clauses[-1]
        assert "大中小微型企业划分办法" in clause.text
        assert clause.text.endswith("规定的相关标准确定（下同）。")
        assert any("应对疫情的重大决策" in c.text for c in notice_38.article(20).clauses)
        assert any("通过电话、网络" in c.text for c in notice_38.article(3).clauses)

    def test_paragraph_inside_an_article_stays_in_it(self, notice_38):
        """Article 9 goes on after a real paragraph break (its sentence ended with 。)."""
        art9 = notice_38.article(9)
        assert "补贴。\n生活确实困难的，可按规定申请临时救助。" in art9.text
        assert art9.clauses[-1].text == "因疫情影响滞留我市且有就业创业意愿的外省籍农民工，可按规定享受我市就业创业政策。"

    def test_markdown_noise_is_gone(self, notice_38):
        for section in notice_38.sections:
            assert not set(section.title) & set("#*")
        assert "#" not in notice_38.text and "**" not in notice_38.text and "---" not in notice_38.text
        assert "（http://www.dl-hr.com）" in notice_38.article(1).text  # autolink keeps its URL

    def test_spaces_between_chinese_and_digits_are_removed(self, notice_38):
        text = notice_38.article(4).text
        assert "不高于5.5%；对30人（含）以下" in text
        assert "至2021年8月31日。" in text

    def test_clauses_split_on_semicolons_and_keep_quotes_whole(self, notice_38):
        texts = [c.text for c in notice_38.article(4).clauses]
        assert texts[1].endswith("裁员率标准放宽到不高于5.5%；")
        assert texts[2] == "对30人（含）以下的参保企业，裁员率放宽至不超过企业职工总数的20%。"
        quoted = [c.text for c in notice_38.article(18).clauses]
        assert quoted[1].startswith("开展“疫情防控在路上，就业服务伴你行”主题活动")

    def test_clause_ids(self, notice_38):
        clause = notice_38.article(4).clauses[1]
        assert clause.id == f"{SLUG_38}/4/2"
        ids = [c.id for a in notice_38.articles() for c in a.clauses]
        assert len(ids) == len(set(ids))

    def test_offsets(self, notice_38):
        assert_offsets(notice_38)

    @settings(max_examples=25, deadline=None)
    @given(line_pick=st.integers(min_value=0, max_value=10_000), cut_pick=st.integers(min_value=0, max_value=10_000))
    def test_any_page_break_inside_a_sentence_is_joined(self, line_pick, cut_pick):
        """Cutting an article line with a page break anywhere mid-sentence, once its text has begun
        (a fragment with no ，。； at all reads as a heading line and is kept apart), parses the same."""
        source_38, notice_38 = _parsed_38()
        lines = source_38.split("\n")
        article_lines = [i for i, line in enumerate(lines) if line.startswith("（") and len(line) > 40]
        i = article_lines[line_pick % len(article_lines)]
        line = lines[i]
        candidates = [
            k
            for k in range(8, len(line) - 1)
            if line[k - 1] not in "。！？；：”）" and not line[k].isspace() and any(p in line[:k] for p in "，。；")
        ]
        k = candidates[cut_pick % len(candidates)]
        cut = "\n".join(lines[:i] + [line[:k] + "\n\n" + line[k:]] + lines[i + 1:])
        doc = parse_notice(cut, SLUG_38)
        assert doc.text == notice_38.text
        assert [a.text for a in doc.articles()] == [a.text for a in notice_38.articles()]

    @pytest.mark.parametrize("before", ["（<", "（<http:", "（<http://", "（<http://www.dl-", "dl-hr.com", "dl-hr.com>"])
    def test_a_page_break_inside_a_link_is_joined(self, before):
        """Found by the property above: a cut after `http:` (a colon ends a lead-in sentence
        elsewhere) and a cut before the autolink's `>` (a line starting with `>` is a quote)."""
        source_38, notice_38 = _parsed_38()
        at = source_38.index(before) + len(before)
        doc = parse_notice(source_38[:at] + "\n\n" + source_38[at:], SLUG_38)
        assert doc.text == notice_38.text


class TestSampleNotice:
    """A second, made-up notice in the same style proves the parser is general."""

    def test_header(self, sample_notice):
        assert sample_notice.doc_number == "示人社发〔2021〕7号"
        assert sample_notice.title == "关于做好2021年高校毕业生就业见习工作的通知"  # wrapped bold heading
        assert sample_notice.issuers == ["示例市人力资源和社会保障局"]
        assert sample_notice.issued == "2021-03-01"
        assert sample_notice.preamble == "各县区人力资源和社会保障局：\n为进一步做好高校毕业生就业工作，现将有关事项通知如下："
        assert sample_notice.closing == "本通知自印发之日起施行，有效期至2022年12月31日。"

    def test_structure(self, sample_notice):
        got = [(s.number, s.title, [(a.number, a.title) for a in s.articles]) for s in sample_notice.sections]
        assert got == [
            (1, "扩大见习规模", [(1, "募集见习岗位"), (2, "落实见习补贴")]),
            (2, "强化服务保障", [(3, "做好人身意外伤害保险"), (4, "加强组织领导")]),
        ]

    def test_sub_items(self, sample_notice):
        art = sample_notice.article(2)
        assert [(c.item, c.text) for c in art.clauses] == [
            ("", "落实见习补贴。"),
            ("", "对吸纳见习人员的单位，按以下标准给予补贴："),
            ("1.", "见习期3个月以上的，按当地最低工资标准的60%给予见习补贴；"),
            ("2.", "见习期满留用率达到50%以上的，见习补贴标准提高至70%："),
            ("2.（1）", "每人每月不超过1500元；"),
            ("2.（2）", "留用人员签订1年以上劳动合同的，另给予一次性奖励2000元/人。"),
        ]

    def test_page_break_and_markdown(self, sample_notice):
        art = sample_notice.article(3)
        assert "所需费用由见习补贴资金列支。" in art.text
        assert "https://jianxi.example.gov.cn/gangwei发布" in sample_notice.article(1).text
        assert not set("#*<>\\") & set(sample_notice.text)

    def test_offsets(self, sample_notice):
        assert_offsets(sample_notice)


NO_ARTICLES = "关于某事的通知\n\n各单位：\n\n现将有关事项通知如下，请遵照执行。\n\n2020年1月1日\n"


class TestBadInput:
    @pytest.mark.parametrize("text", ["", "   \n\n\t  \n", "\ufeff"])
    def test_empty(self, text):
        with pytest.raises(ParseError, match="内容为空"):
            parse_notice(text, "empty")

    def test_no_articles(self):
        with pytest.raises(ParseError, match="没有找到编号条款"):
            parse_notice(NO_ARTICLES, "no-articles")

    def test_headings_without_any_text(self):
        with pytest.raises(ParseError, match="没有找到编号条款"):
            parse_notice("一、总体要求\n\n二、主要措施\n", "headings-only")

    def test_broken_article_numbering(self):
        text = "一、措施\n\n（一）第一项。内容。\n\n（三）第三项。内容。\n"
        with pytest.raises(ParseError, match="条款编号不连续：“（一）”之后是“（三）”"):
            parse_notice(text, "gap")

    def test_broken_section_numbering(self):
        text = "一、甲\n\n（一）第一项。内容。\n\n三、丙\n\n（二）第二项。内容。\n"
        with pytest.raises(ParseError, match="部分编号不连续"):
            parse_notice(text, "gap")


class TestGeneralForms:
    def test_articles_numbered_per_section_run_through(self):
        text = "一、甲\n\n（一）甲一。内容。\n\n（二）甲二。内容。\n\n二、乙\n\n（一）乙一。内容。\n"
        doc = parse_notice(text, "restart")
        assert [(a.number, a.label, a.title, a.section) for a in doc.articles()] == [
            (1, "（一）", "甲一", 1),
            (2, "（二）", "甲二", 1),
            (3, "（一）", "乙一", 2),
        ]

    def test_dot_numbered_articles_without_sections(self):
        doc = parse_notice("各单位：\n\n1. 第一件事。内容一。\n\n2. 第二件事。内容二。\n", "dots")
        assert [(a.number, a.label, a.title) for a in doc.articles()] == [(1, "1.", "第一件事"), (2, "2.", "第二件事")]
        assert doc.sections[0].title == ""

    def test_section_without_numbered_articles_is_one_article(self):
        text = "一、总体要求\n\n坚持稳中求进。做好就业工作。\n\n二、主要措施\n\n（一）发放补贴。按规定发放。\n"
        doc = parse_notice(text, "mixed")
        assert [(a.number, a.title, a.text) for a in doc.articles()] == [
            (1, "总体要求", "坚持稳中求进。做好就业工作。"),
            (2, "发放补贴", "发放补贴。按规定发放。"),
        ]
        assert_offsets(doc)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("## 二、加大企业稳定就业支持力度", "二、加大企业稳定就业支持力度"),
        ("### 三、关爱帮扶重点群体劳动者", "三、关爱帮扶重点群体劳动者"),
        ("#### **四、做好高校毕业生就业服务**", "四、做好高校毕业生就业服务"),
        ("---", ""),
        ("大连市财政局 文件  ", "大连市财政局 文件"),
        ("网（<http://www.dl-hr.com>）和", "网（http://www.dl-hr.com）和"),
        ("见[办事指南](https://a.example/b)。", "见办事指南（https://a.example/b）。"),
        ("1\\. 见习期", "1.见习期"),
        ("　　不高于 5.5%；对 30 人（含）以下", "不高于5.5%；对30人（含）以下"),
        ("费率为１％的", "费率为1%的"),
        ("> 引用的段落", "引用的段落"),
    ],
)
def test_clean_line(raw, clean):
    assert clean_line(raw) == clean


def test_normalise_joins_only_mid_sentence():
    lines = normalise(
        "一、标题\n\n（一）根据安排，通过电\n\n话、网络。\n\n（二）完整的一句。\n\n下一段。\n\n（三）标题行\n\n正文，内容。\n"
    )
    assert lines == ["一、标题", "（一）根据安排，通过电话、网络。", "（二）完整的一句。", "下一段。", "（三）标题行", "正文，内容。"]


def test_split_sentences_keeps_closing_quotes():
    text = "他说：“要做好。”然后离开。最后；一"
    spans = split_sentences(text, 0, len(text))
    assert [text[a:b] for a, b in spans] == ["他说：“要做好。”", "然后离开。", "最后；一"]
