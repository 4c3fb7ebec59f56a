"""`knowledge_base.scope.Scope`: what the notice does not cover, for questions that sound as if it
did — the near-miss table, and programmes the notice never names. One row per edge."""
import pytest

from knowledge_base.lexicon import Lexicon
from knowledge_base.scope import Scope


@pytest.fixture(scope="module")
def scope(kb):
    return Scope(kb, Lexicon.load())


@pytest.mark.parametrize("question, missing", [
    ("失业金最长领几个月", "失业保险金、失业补助金的领取期限"),
    ("稳岗返还什么时候到账", "稳岗返还的申请手续和发放时间"),
    ("以工代训补贴一个人一个月多少", "以工代训补贴"),
    ("那个一次性扩岗补助招一个应届生给多少钱", "一次性扩岗补助"),
    ("助学贷款感染新冠能延期还吗", "助学贷款"),
    ("创业担保贷款贴息是多少比例", "创业担保贷款贴息的比例"),
    ("留工培训补助现在还能领不", "留工培训补助"),  # another programme beside a synonym of the notice's term
    ("稳岗返还在哪个网站上申请", "稳岗返还的申请手续和发放时间"),
    ("就业见习补贴一个月给多少钱", "就业见习补贴的标准"),
    ("失业补助金的申请表去哪里下载", "申请材料和办理流程"),
    ("帮我核对一下以工代训补贴", "以工代训补贴"),
])
def test_what_the_notice_lacks_is_named(scope, question, missing):
    assert scope.missing(question) == missing


@pytest.mark.parametrize("question", [
    "失业金标准提高了多少",
    "培训补贴每课时多少钱",
    "一次性吸纳就业补贴怎么领",  # the notice's own name
    "企业一次性吸纳就业补贴",  # with a generic word before it
    "社保补贴",  # the synonym table's 社会保险补贴
    "职业介绍补贴",  # a measure of the notice in other words
    "线上培训补贴",
    "给农民工买意外险有补贴吗",  # no programme name: a question about one
    "每课时一个小时补贴能给多少",  # a quantity, not a name
    "创业担保贷款能展期多久",
    "给农民工上人身意外险补贴一个人多少",  # 人身意外险 is the notice's 人身意外伤害保险
    "我没阳过就是疫情那会儿生意不行贷款能延期不",  # a clause before 贷款, not a programme's name
    "帮我核对失业补助金",  # the ask before the name is not part of it
    "我想了解一下稳岗补贴",
    "同一个培训项目已经补贴过一次还能再领吗",
    "借款人得了新冠 创业担保贷款展期最多能展多久",  # a clause run into the notice's programme name
    "疫情期间还举办就业见习洽谈会吗",
])
def test_questions_the_notice_answers_are_left_alone(scope, question):
    assert scope.missing(question) is None
