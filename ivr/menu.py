"""The voice menu: every key, every spoken prompt and the navigation words, in one place.

Prompts are written for the ear (single keys as digits, which Polly reads as 一/二/…, and the
hotline number digit by digit). Answers come from the shared turn logic and are rewritten by
`ivr.speech`; the questions behind the submenu keys go through that same logic.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# --- keys ------------------------------------------------------------------------------------
KEY_REPEAT = "9"
KEY_AGENT = "0"
KEY_BACK = "*"
KEY_END = "#"

# --- timing (seconds) -------------------------------------------------------------------------
MENU_TIMEOUT = 5  # silence after the prompt before the caller counts as silent
NUMBER_TIMEOUT = 10  # keypad entry of a number takes longer
MAX_HINTS = 100  # <Gather hints>: enough for the notice's terms, small enough for fast TwiML
HINT_MAX_CHARS = 50


@dataclass(frozen=True)
class Question:
    """A common question offered on a submenu key; its text goes to the turn logic as is."""

    key: str
    label: str  # how the menu announces it
    text: str  # what is asked on the caller's behalf


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


TOPICS: tuple[Topic, ...] = (
    Topic(
        "1",
        "企业稳岗与用工",
        (
            Question("1", "稳岗返还的裁员率标准", "稳岗返还的裁员率标准是多少？"),
            Question("2", "测算企业能否申请稳岗返还", "我们企业能申请稳岗返还吗？"),
            Question("3", "失业保险费率阶段性降低", "失业保险费率降低到多少，执行到什么时候？"),
            Question("4", "企业吸纳失业人员就业的补贴", "企业吸纳登记失业人员就业有什么补贴？"),
        ),
    ),
    Topic(
        "2",
        "失业保险待遇",
        (
            Question("1", "失业保险金标准提高了多少", "失业保险金标准提高了多少？"),
            Question("2", "因个人原因离职能否领取失业补助金", "因个人原因解除劳动合同能领失业补助金吗？"),
            Question("3", "失业保险金和失业补助金能否同时领取", "失业保险金和失业补助金能同时领取吗？"),
        ),
    ),
    Topic(
        "3",
        "职业培训补贴",
        (
            Question("1", "职业培训补贴的标准", "职业培训补贴的标准是多少？"),
            Question("2", "企业组织线上培训能否申请补贴", "中小微企业组织职工线上培训能申请培训补贴吗？"),
            Question("3", "每人每年补贴上限", "培训补贴每人每年的上限是多少？"),
        ),
    ),
    Topic(
        "4",
        "高校毕业生",
        (
            Question("1", "非大连生源毕业生报到期限", "非大连生源高校毕业生的报到期限延长到什么时候？"),
            Question("2", "招聘活动如何开展", "疫情期间高校毕业生招聘活动怎么开展？"),
            Question("3", "困难家庭毕业生的帮扶", "困难家庭毕业生有哪些就业帮扶？"),
        ),
    ),
    Topic(
        "5",
        "农民工与创业",
        (
            Question("1", "农民工就业帮扶", "农民工暂时难以外出有什么就业帮扶？"),
            Question("2", "农民工人身意外伤害保险补贴", "农民工人身意外伤害保险补贴是多少？"),
            Question("3", "创业担保贷款展期还款", "创业担保贷款的借款人感染新冠肺炎可以展期还款吗？"),
            Question("4", "创业孵化载体减免租金补助", "创业孵化基地减免租金有补助吗？"),
        ),
    ),
)


def topic(key: str) -> Topic | None:
    """The main-menu topic on a key, or None."""
    return next((t for t in TOPICS if t.key == key), None)


# --- prompts ----------------------------------------------------------------------------------
GREETING = "您好，欢迎致电大连一二三三三人力资源和社会保障政策咨询热线。"
MAIN_MENU = (
    "请直接说出您要咨询的问题，或按键选择："
    + "，".join(f"{t.label}请按{t.key}" for t in TOPICS)
    + f"；重听请按{KEY_REPEAT}，转人工服务请按{KEY_AGENT}。"
)
KEYPAD_MENU_INTRO = "您也可以使用电话按键选择。"
KEYPAD_MENU = (
    "请按键选择："
    + "，".join(f"{t.label}请按{t.key}" for t in TOPICS)
    + f"；重听请按{KEY_REPEAT}，转人工服务请按{KEY_AGENT}。"
)


def topic_menu(t: Topic) -> str:
    """The submenu prompt of one topic."""
    options = "；".join(f"{q.label}请按{q.key}" for q in t.questions)
    return (
        f"{t.label}。{options}。也可以直接说出您的问题。"
        f"重听请按{KEY_REPEAT}，返回主菜单请按星号键，转人工服务请按{KEY_AGENT}。"
    )


FOLLOW_UP = (
    "还有别的问题吗？请直接说出您的问题。"
    f"重听请按{KEY_REPEAT}，返回主菜单请按星号键，转人工服务请按{KEY_AGENT}，结束通话请按井号键。"
)
NUMBER_ENTRY_HINT = "也可以直接说出数字。"
NO_INPUT = "抱歉，没有听到您的声音。"
NOT_UNDERSTOOD = "抱歉，我没有听懂。"
INVALID_KEY = "抱歉，您的按键无效。"
INVALID_NUMBER = "抱歉，请只输入数字，并以井号键结束。"
TRY_AGAIN = "请您换个说法再说一遍，或按键选择。"
SUGGESTION = "您可以这样问：{suggestion}"
AGENT_HINT = f"需要人工服务请按{KEY_AGENT}。"
TRANSFERRING = "正在为您转接人工服务，请稍候。"
AGENTS_BUSY = "抱歉，人工坐席暂时无法接听。"
NO_AGENTS = "抱歉，目前没有可以接听的人工坐席。"
VOICEMAIL_PROMPT = "请在提示音后留言，说明您的问题和联系电话，按井号键结束，我们会尽快给您回电。"
VOICEMAIL_RECEIVED = "您的留言已收到，我们会尽快给您回电。"
VOICEMAIL_EMPTY = "没有录到您的留言。"
GOODBYE = "感谢您的来电，再见。"
SYSTEM_BUSY = "抱歉，系统暂时繁忙。"
MORE_INFO = "详细内容可关注大连人社12333公众号。"

# --- what a caller may say instead of pressing a key -------------------------------------------
_SPOKEN_DIGITS = {
    "零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
    "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
}  # fmt: skip
_SPOKEN_KEY = re.compile(r"^(?:按|选|选择)?(?:数字)?([0-9零〇洞一幺二两三四五六七八九])(?:号|键)?$")
_FILLER = re.compile(r"^(?:我要|我想|请|帮我|麻烦)+|(?:吧|呀|啊|了吗|吗)+$")
_PUNCTUATION = re.compile(r"[\s，。！？、；：,.!?;:…~～\"'“”‘’]+")

SPOKEN_AGENT = frozenset({"转人工", "人工", "人工服务", "转人工服务", "找人工", "人工客服", "客服", "接人工", "转接人工"})
# A request for a person anywhere in what was said (我要找人工客服 / 帮我接一下真人), whatever the menu.
_ASKS_FOR_AGENT = re.compile(r"转人工|人工(?!智能)|真人|话务员|接线员|坐席|客服")
SPOKEN_REPEAT = frozenset({"重听", "再说一遍", "再说一次", "重复", "没听清", "重播", "再听一遍"})
SPOKEN_MENU = frozenset({"主菜单", "返回", "返回主菜单", "回到主菜单", "菜单", "上一级", "返回上一级"})
SPOKEN_DONE = frozenset({"没有", "没有了", "没了", "不用", "不用了", "没有问题了", "没问题了", "好了", "结束", "挂了"})
_THANKS = re.compile(r"(?:谢谢|谢了|多谢|再见|拜拜|好的|你)+$")


def spoken_suggestion(suggestions) -> str:
    """What a caller hears after a question the assistant could not answer: the first question
    offered (您可以这样问：…); 转人工, a chat quick reply, is said as the key that does it."""
    for suggestion in suggestions or ():
        if normalise_speech(suggestion) not in SPOKEN_AGENT:
            return SUGGESTION.format(suggestion=suggestion)
    return AGENT_HINT if suggestions else ""


def normalise_speech(text: str) -> str:
    """Speech as a short command: no punctuation or polite filler (`我要转人工。` → `转人工`)."""
    text = _PUNCTUATION.sub("", text or "")
    return _FILLER.sub("", text) or text


def asks_for_agent(text: str) -> bool:
    """The caller asks for a person (`我要找人工客服`, `转人工`, `接线员`), in any words around it."""
    command = normalise_speech(text)
    return command in SPOKEN_AGENT or bool(_ASKS_FOR_AGENT.search(command))


def is_done(text: str) -> bool:
    """The caller says they have no more questions (没有了，谢谢 / 再见 / 不用了)."""
    command = normalise_speech(text)
    core = _THANKS.sub("", command)
    return bool(command) and (not core or core in SPOKEN_DONE)


def spoken_key(text: str) -> str | None:
    """A single spoken digit as its key (`按二` / `2` / `幺` → `"2"`/`"1"`), else None."""
    match = _SPOKEN_KEY.match(normalise_speech(text))
    if not match:
        return None
    char = match.group(1)
    return char if char.isdigit() else _SPOKEN_DIGITS[char]


def speech_hints(terms, limit: int = MAX_HINTS) -> str:
    """`<Gather hints>`: the menu's words first, then the knowledge base's terms, deduplicated.

    :param terms: article titles and lexicon words, best first.
    :param limit: the most phrases to send.
    :returns: the comma-separated phrases.
    """
    seen: dict[str, None] = {}
    menu_words = [t.label for t in TOPICS] + ["转人工", "重听", "主菜单"]
    for phrase in [*menu_words, *terms]:
        phrase = _PUNCTUATION.sub("", str(phrase))[:HINT_MAX_CHARS]
        if phrase and phrase not in seen:
            seen[phrase] = None
        if len(seen) >= limit:
            break
    return ",".join(seen)
