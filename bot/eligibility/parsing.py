"""Natural Chinese answers → slot values.

`parse_slot_value(slot, text)` reads the answer to one question (二十八个人 → 28, 一年半 → 1.5,
百分之五点五 → 5.5, 不是 → False, 小微企业 → "sme"); `extract_slots(text)` pulls whatever slot
values a free sentence contains ("我们公司28个人裁了3个" → employees 28, layoffs 3), for Rasa
custom actions that fill several slots at once or take a correction ("不对，是35个人").

Numbers go through cn2an; "半" is protected from it (cn2an turns 一个半小时 into 1个0.5小时)
and read here. Vague answers (十来个, 二十多人, 大概一年, 半年以上) give None so that the form
asks again: eligibility turns on exact bounds, so a guess would decide the verdict.
"""
from __future__ import annotations

import re
import warnings
from fractions import Fraction

import cn2an

from bot.core import slots as S
from bot.eligibility.table import load_rules
from knowledge_base.text import join_blanks

HALF = "H"  # stands in for 半 while cn2an converts the numerals around it
_NUM = r"\d+(?:\.\d+)?"

_TO_ASCII = str.maketrans("０１２３４５６７８９．％／", "0123456789.%/")
# English words that stand for a fact's Chinese words (mixed-language messages).
_ENGLISH = (
    # before the staff words: "migrant workers" are 农民工, not 职工
    (re.compile(r"(?i)(?<![a-z])migrant workers?(?![a-z])"), "农民工"),
    # the cause and its negation first, before covid → 新冠: "not affected by COVID" → 没受疫情影响
    (re.compile(r"(?i)(?<![a-z])(?:affected|impacted|hit)\s+(?:(?:hard|badly|a lot|much)\s+)?by\s+(?:the\s+)?"
                r"(?:covid(?:-19)?|coronavirus|pandemic|epidemic|outbreak)(?![a-z])"), "受疫情影响"),
    (re.compile(r"(?i)(?<![a-z])(?:not|never|wasn't|weren't|isn't|aren't|hasn't|haven't)\s+(?:(?:been|really|much|too|that|so|badly|seriously)\s+)*(?=受)"), "没"),
    (re.compile(r"(?i)(?<![a-z])(?:not|never)\s+(?:been\s+)?(?:affected|impacted)(?![a-z])"), "没受影响"),
    (re.compile(r"(?i)(?<![a-z])(?:pandemic|epidemic)(?![a-z])"), "疫情"),
    # falling ill, before covid → 新冠 (得了新冠, 阳了 are how the Chinese says it)
    (re.compile(r"(?i)(?<![a-z])(?:didn't|did not|never|haven't|hasn't|have not|has not|not)\s+(?:get|got|had|have|has|caught|catch|contracted?)"
                r"\s+(?:the\s+)?(?:covid(?:-19)?|coronavirus|the virus)(?![a-z-])"), "没得新冠"),
    (re.compile(r"(?i)(?<![a-z])(?:got|get|gets|had|have|has|caught|contracted)\s+(?:the\s+)?(?:covid(?:-19)?|coronavirus)(?![a-z-])"), "得了新冠"),
    (re.compile(r"(?i)(?<![a-z])tested\s+positive(?:\s+for\s+(?:covid(?:-19)?|coronavirus))?(?![a-z])"), "阳了"),
    # the worker's own dismissal, before the firm's layoffs: "I got laid off" → 被裁了
    (re.compile(r"(?i)(?<![a-z])(?:got|get|gets|getting|was|were|been|be)\s+(?:laid\s*-?off|fired|dismissed|sacked|let go)(?![a-z])"), "被裁了"),
    (re.compile(r"(?i)(?<![a-z])layoff rate(?![a-z])"), "裁员率"),
    (re.compile(r"(?i)(?<![a-z])(?:no|zero|0)\s+lay\s*-?offs?(?![a-z])"), "没裁员"),
    # "3 layoffs", "4 people laid off": the count before the word
    (re.compile(r"(?i)(?<![\d.])(\d+)\s*(?:people\s+|persons\s+|staff\s+|employees\s+)?(?:lay\s*-?offs?|laid\s+off)(?![a-z])"), r"裁了\1个"),
    (re.compile(r"(?i)(?<=\d)\s*(?:people|persons)(?![a-z])"), "人"),
    (re.compile(r"(?i)(?<![a-z])(?:lay\s*-?offs?|laid off|fired)(?![a-z])"), "裁了"),
    (re.compile(r"(?i)(?<![a-z])(?:resign(?:ed)?|quit)(?![a-z])"), "辞职了"),
    (re.compile(r"(?i)(?<![a-z])social insurance(?![a-z])"), "社保"),
    (re.compile(r"(?i)(?<=社保)\s*(?:paid|covered)(?![a-z])"), "交了"),  # "社保 paid"
    (re.compile(r"(?i)(?<![a-z])accident insurance(?![a-z])"), "人身意外伤害保险"),
    (re.compile(r"(?i)(?<![a-z])premiums?(?![a-z])"), "保费"),
    (re.compile(r"(?i)(?<![a-z])(?:rent|rental)(?![a-z])"), "租金"),
    (re.compile(r"(?i)(?<![a-z])office (?:building|tower)s?(?![a-z])"), "写字楼"),
    (re.compile(r"(?i)(?<![a-z])tenants?(?![a-z])"), "租户"),
    (re.compile(r"(?i)(?<![a-z])application forms?(?![a-z])"), "申请表"),
    (re.compile(r"(?i)(?<![a-z])(?:startup |business )?incubators?(?![a-z])"), "孵化基地"),
    (re.compile(r"(?i)(?<![a-z])(?:insured\s+)?(?:staff|employees|headcount|workers)(?![a-z])"), "职工"),
    (re.compile(r"(?i)(?<![a-z])(?:not|isn'?t|is not|aren'?t|are not|non-?)\s*(?:an? )?smes?(?![a-z])"), "不属于中小企业"),
    # sizes before company: "big company" is 大企业, not 公司
    (re.compile(r"(?i)(?<![a-z])(?:large|big) (?:company|enterprise|firm|business)(?![a-z])"), "大企业"),
    (re.compile(r"(?i)(?<![a-z])(?:msmes?|micro[\s-]*(?:and small\s+)?(?:compan(?:y|ies)|business(?:es)?|firms?|enterprises?))(?![a-z])"), "小微企业"),
    (re.compile(r"(?i)(?<![a-z])(?:smes?|small(?:\s+(?:and|&)\s+medium)?(?:[\s-]+sized)?\s+(?:business(?:es)?|compan(?:y|ies)|firms?|enterprises?))(?![a-z])"), "中小企业"),
    (re.compile(r"(?i)(?<![a-z])start-?ups?(?![a-z])(?!\s*(?:guarantee|guaranteed|business|entrepreneurship)?\s*loans?)"), "小企业"),
    (re.compile(r"(?i)(?<![a-z])our (?:company|firm|business)(?![a-z])"), "我们公司"),
    (re.compile(r"(?i)(?<![a-z])company(?![a-z])"), "公司"),
    (re.compile(r"(?i)(?<=\d)\s*years?(?![a-z])"), "年"),
    (re.compile(r"(?i)(?<=\d)\s*months?(?![a-z])"), "个月"),
    (re.compile(r"(?i)(?<![a-z])personal reasons?(?![a-z])"), "个人原因"),
    (re.compile(r"(?i)(?<![a-z])(?:another|other|a different) provinces?(?![a-z])|(?<![a-z])out of province(?![a-z])"), "外省"),
    (re.compile(r"(?i)(?<![a-z])last month(?![a-z])"), "上个月"),
    (re.compile(r"(?i)(?<![a-z])last year(?![a-z])"), "去年"),
    (re.compile(r"(?i)(?<![a-z])this year(?![a-z])"), "今年"),
    (re.compile(r"(?i)(?<![a-z])lost (?:my|his|her|our|the) jobs?(?![a-z])"), "失业了"),
    (re.compile(r"(?i)(?<![a-z])(?:we are|we're)(?![a-z])"), "我们是"),
    (re.compile(r"(?i)(?<![a-z])(?:i am|i'm|im)(?![a-z])"), "我是"),
    (re.compile(r"(?i)(?<![a-z])graduated in (\d{4})(?![\d])"), r"\1年毕业"),
    (re.compile(r"(?<![A-Za-z])I(?![A-Za-z'])"), "我"),
    (re.compile(r"(?i)(?<![a-z])non-?dalian(?![a-z])"), "非大连"),
    (re.compile(r"(?i)(?<![a-z])grad(?:s|uat(?:e|ed|es|ion))?(?![a-z])"), "毕业"),
    (re.compile(r"(?i)(?<![a-z])deadline(?![a-z])"), "期限"),
    (re.compile(r"(?i)(?<![a-z])impact(?:ed)?(?![a-z])"), "影响"),
    (re.compile(r"(?i)(?<![a-z])unemployment (?:benefits?|insurance benefits?)(?![a-z])"), "失业金"),
    (re.compile(r"(?i)(?<![a-z])unemployment insurance(?![a-z])"), "失业保险"),
    # paying premiums: "paid unemployment insurance 8 years", "contributed 10 years" (not "paid rent")
    (re.compile(r"(?i)(?<![a-z])contribut(?:e|ed|es|ing|ions?)(?![a-z])"), "缴费"),
    (re.compile(r"(?i)(?<![a-z])(?:paid|pay|pays|paying)(?:\s+(?:in|into|for))?(?=\s*(?:(?:my|the|our)\s+)?(?:失业保险|社保|\d))"), "交了"),
    (re.compile(r"(?i)(?<![a-z])subsid(?:y|ies)(?![a-z])"), "补贴"),
    (re.compile(r"(?i)(?<![a-z])training (?:projects?|programmes?|programs?|courses?)(?![a-z])"), "培训项目"),
    (re.compile(r"(?i)(?<![a-z])training(?![a-z])"), "培训"),
    (re.compile(r"(?i)(?<![a-z])projects?(?![a-z])"), "项目"),
    (re.compile(r"(?i)(?<![a-z])courses?(?![a-z])"), "课程"),
    (re.compile(r"(?i)(?<![a-z])claim(?:ed|s|ing)?(?![a-z])"), "申领"),
    (re.compile(r"(?i)(?<![a-z])(?:return|refund) (?:ratio|rate|share)(?![a-z])"), "返还比例"),
    (re.compile(r"(?i)(?<![a-z])application (?:materials?|documents?)(?![a-z])"), "申请材料"),
    (re.compile(r"(?i)(?<![a-z])(?:hr|staffing|recruit(?:ment|ing)?) agency(?![a-z])"), "人力资源服务机构"),
    (re.compile(r"(?i)(?<=\d)\s*(?:mins?|minutes)(?![a-z])"), "分钟"),
    (re.compile(r"(?i)(?<![a-z])online(?![a-z])"), "线上"),
    (re.compile(r"(?i)(?<![a-z])standard(?![a-z])"), "标准"),
    (re.compile(r"(?i)(?<![a-z])(?:covid|coronavirus)(?:-19)?(?![a-z])"), "新冠"),
    (re.compile(r"(?i)(?<![a-z])(?:startup|start-up|entrepreneurship)(?:\s+guaranteed?)?\s+loans?(?![a-z])"), "创业担保贷款"),
    (re.compile(r"(?i)(?<![a-z])guaranteed?\s+loans?(?![a-z])"), "担保贷款"),
    (re.compile(r"(?i)(?<![a-z])loans?(?![a-z])"), "贷款"),
    (re.compile(r"(?i)(?<![a-z])repay(?:ments?|ing)?(?![a-z])"), "还款"),
    # a loan is extended by a length (展期一年); a deadline is extended to a date (延长至)
    (re.compile(r"(?i)((?:贷款|还款)[^。？?！!]*?)(?<![a-z])(?:extend(?:ed|s|ing)?|extension)(?![a-z])"), r"\1展期"),
    (re.compile(r"(?i)(?<![a-z])(?:extend(?:ed|s|ing)?|extension)(?:\s+(?:it|them|my|the|our))?"
                r"(?=\s*(?:贷款|还款|(?:for\s+)?[\d一二两三四五六七八九十半]+\s*个?(?:年|月)))"), "展期"),
    (re.compile(r"(?i)(?<![a-z])(?:extend(?:ed|s|ing)?|extension)(?![a-z])"), "延长"),
    (re.compile(r"(?i)(?<![a-z])factor(?:y|ies)(?![a-z])"), "厂"),
    (re.compile(r"(?i)(?<![a-z])(?:face\s+)?masks?(?![a-z])"), "口罩"),
    (re.compile(r"(?i)(?<![a-z])exactly(?![a-z])"), "正好"),
    (re.compile(r"(?i)(?<![a-z])contracts?(?![a-z])"), "合同"),
)


def chinese_terms(text: str) -> str:
    """English words of the domain in a mixed message, in Chinese ("layoff rate 4%" → 裁员率 4%);
    the rest of the text is unchanged."""
    if not _LATIN.search(text):  # most messages: no English word to map, and sixty patterns saved
        return text
    for pattern, words in _ENGLISH:
        text = pattern.sub(words, text)
    return text


_LATIN = re.compile(r"[A-Za-z]")


def _clean(text: str) -> str:
    return join_blanks(chinese_terms((text or "").translate(_TO_ASCII).strip().lower()))


_PUNCT = re.compile(r"[\s，,。．!！?？、；;：:“”\"'（）()～~…—-]+")

_VAGUE = re.compile(
    rf"{_NUM}(?:来|多|几|余)|{_NUM}个?(?:{HALF})?(?:年|月|人|个|课时|分钟|小时)?(?:多|左右|上下|以上|以下|出头)"
    rf"|{HALF}个?(?:年|月)?(?:多|以上|以下)|几十|十几|好几|左右|大概|大约|(?<!签)约{_NUM}|差不多|差点|差某|估计|不到|不足|至少|最多|超过|将近|接近|快{_NUM}|快{HALF}|差{_NUM}|几个"
)
# "裁员率算下来百分之四", "裁员率正好3.62%": words between the rate and its number
_RATE_FILLER = r"是|为|有|在|达到|算下来|算起来|下来|正好|刚好|恰好|大概|大约|约|差不多"
_VAGUE_LOOKAHEAD = 2  # characters after a number that may still qualify it (多了, 左右)
# "2020年" is a date, never a duration ("没给我交过社保 我2020年自己不干了")
_NOT_A_YEAR = r"(?<!\d)(?!(?:19|20)\d\d年)"
_ZERO = re.compile(r"^(?:0|没有?|无|零|都没有?|没有?裁(?:员|人)?|不裁(?:员|人)?|1个(?:人)?(?:都|也)没(?:有)?裁?(?:员|人)?|没有?缴(?:过|费)?|没有?交(?:过)?)$")

# Duration pieces on cn2an output: 1年H, H年, 18个月, 5个H月, 1个H小时, 45分钟.
_DURATION = re.compile(
    rf"(?P<num>{_NUM})?个?(?P<h1>{HALF})?个?(?P<unit>年|月|小时|钟头|分钟|分)(?P<h2>{HALF})?"
)
# Size of each spoken unit in the base unit of its family.
_UNIT_BASE = {
    "年": ("time", 12),
    "月": ("time", 1),
    "小时": ("clock", 60),
    "钟头": ("clock", 60),
    "分钟": ("clock", 1),
    "分": ("clock", 1),
}
# A slot's unit → (family, how many base units make one slot unit).
_SLOT_UNIT = {"年": ("time", 12), "个月": ("time", 1), "分钟": ("clock", 1)}
_COUNT_UNITS = r"(?:个|名|位)?(?:人|员工|职工)|个|名|位|课时|节课|学时|元|块钱|块"
_MONEY = re.compile(rf"({_NUM})(?:元|块钱|块)")

# Words whose numeral is no number (一家小饭店, 一直, 统一): hidden from cn2an, so "我是一家小店的
#老板" never reads as one year. A numeral must also stand alone or before a unit to answer a question.
_NOT_NUMBERS = re.compile(
    r"一家|一下|一直|一起|一样|一点|一般|一些|一定|统一|唯一|(?<![零〇一二两三四五六七八九十百千万\d])万一|一律|一切|一致|一旦|一边|一方面|第[一二三四五六七八九十]|"
    r"一对一|一条龙|一次性|一线|一时|一会|一度|一体|一句|一声|一心|一块儿|一块去|一趟|一遍|一共|一下子|不一|一身|"
    r"一把|一伙|一批|一手|一口气|一阵|一概|一向|一番|一贯|三位一体|六位一体|一带|之一|同一个?|一个?课时|每个?人|一个人的|一个人(?=一年|能|给|补|多少|每|最多)"
)
_AFTER_NUMBER_END = r"$|[\s，,。．.!！?？、；;：:~～…)）]|[吧啊呢呀哈了的吗嘛哦喔]"
# What may follow a bare number that answers a question, by the slot's unit: "8%" is no head count.
_AFTER_NUMBER_BY_UNIT = {
    "人": r"个|名|位|人|员|职工",
    "%": r"%|百分",
    "年": r"年|岁",
    "个月": r"个|月",
    "分钟": r"分|小时|钟头",
    "课时": r"个|课|节|学时|堂",
    "元": r"元|块",
}
_AFTER_NUMBER_ANY = r"个|名|位|人|员|职工|年|届|月|%|百分|课|节|学时|小时|钟头|分|元|块|岁"


def _after_number_ok(spec) -> re.Pattern:
    return re.compile(rf"{_AFTER_NUMBER_END}|{_AFTER_NUMBER_BY_UNIT.get(spec.unit, _AFTER_NUMBER_ANY)}")

# "算不算中小微", "是不是大连生源": a question, not a negation.
_A_NOT_A = re.compile(r"(.)不\1$|(.)没\2$")
# "不是他自己走的": a pronoun may stand between the negation and the word.
_NEGATION_BEFORE = re.compile(r"(?:不是|不属于|并非|不算|非|不)(?:他|她|我|他们|她们|我们)?$")

# Words per choice, for answers to the question itself. Longest words win where they overlap.
CHOICE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    S.ENTERPRISE_SIZE: {
        "sme": ("中小微", "小微", "中小", "中型", "小型", "微型", "小企业", "小公司", "小单位", "个体", "小店", "小厂"),
        "other": ("大型", "大企业", "大公司", "国企", "国有", "央企", "其他企业", "其他", "上市公司", "大单位", "集团", "大厂"),
    },
    S.SEPARATION_REASON: {
        "employer": ("被辞退", "辞退", "被裁", "裁员", "裁掉", "开除", "解雇", "单位解除", "公司解除", "被迫辞职",
                     "被迫离职", "被炒", "炒鱿鱼", "劝退", "资遣", "被单位", "被公司", "倒闭", "黄了"),
        "contract_end": ("合同到期", "合同期满", "期满", "到期", "不续签", "没续签", "没有续签"),
        "personal": ("个人原因", "本人原因", "自己原因", "自己辞职", "主动辞职", "辞职", "主动离职", "自愿离职",
                     "离职", "不想干", "自己走", "跳槽", "自己提出"),
    },
    S.ORIGIN: {
        "non_dalian": ("非大连", "外地", "外省", "外市", "省外", "市外", "异地", "外埠"),
        "dalian": ("大连", "本地", "本市", "本埠"),
    },
}
# In free sentences only unmistakable words count (裁员 there is the firm's, not the worker's).
_EXTRACT_CHOICE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    S.ENTERPRISE_SIZE: {
        "sme": ("中小微", "小微", "中小企业", "中型企业", "小型企业", "微型企业", "小企业", "小公司", "个体户", "小店", "小饭店", "小作坊",
                "面包店", "早点铺", "饭店", "饭馆", "餐馆", "小卖部", "理发店", "便利店", "超市", "门店", "网店", "工作室"),
        "other": ("大型企业", "大型", "大企业", "大公司", "国企", "国有企业", "央企", "上市公司", "大厂"),
    },
    S.SEPARATION_REASON: {
        # 资遣 (資遣): the Taiwanese word for a dismissal with severance pay, always the employer's act
        "employer": ("被辞退", "被裁", "被开除", "被解雇", "被迫辞职", "被迫离职", "被炒", "把我辞退", "把我裁", "资遣",
                     "公司辞退", "单位辞退", "被公司辞", "被单位辞", "被公司裁", "被单位裁", "公司倒闭", "单位倒闭", "倒闭了",
                     "给裁了", "给辞了", "给开了", "单位黄了", "厂子黄了", "公司黄了", "公司裁员", "单位裁员", "厂里裁员",
                     "把她辞", "把他辞", "把她裁", "把他裁", "把她开", "把他开", "把我开",
                     "被厂里辞", "被厂里裁", "厂里辞退", "被老板辞", "老板辞退", "被辞了"),
        "contract_end": ("合同到期", "合同期满"),
        "personal": ("个人原因", "自己辞职", "主动辞职", "主动离职", "自愿离职", "我辞职", "辞职了", "自己不干", "自己走的",
                     "辞的职", "自己辞的", "自己不想干"),
    },
    S.ORIGIN: {
        "non_dalian": ("非大连生源", "外地生源", "外省生源", "非大连", "外地的"),
        "dalian": ("大连生源", "本地生源"),
    },
}

_YES_OVERRIDES = ("没错", "没问题", "不错", "是不是都", "对对")
_NO_WORDS = ("不是", "没有", "没", "不", "否", "无", "未", "并非", "no")
_YES_WORDS = ("是", "对", "有", "嗯", "好", "可以", "属于", "当然", "确实", "yes", "ok", "交了", "缴了", "参保",
              "阳", "感染", "确诊", "患", "农民工", "受", "领过", "享受过")


def parse_slot_value(slot: str, text: str, channel: str = "chat"):
    """Read one natural answer as the value of `slot`.

    :param slot: a canonical slot name.
    :param text: the user's words (or keypad digits; `channel="ivr"`: `*` is the decimal point,
        `#` ends the input, and 1/2/3 select the options the IVR prompt reads out).
    :returns: int (counts, years of graduation), int/float (durations in the slot's unit, percent
        values), bool, or the choice code ("sme", "personal", "non_dalian" ...); None when the
        answer is vague or not understood, so the question is asked again.
    :raises KeyError: `slot` has no spec in the rule table.
    """
    spec = load_rules().slots[slot]
    raw = _clean(text)
    if channel == "ivr":
        keyed = raw.replace("#", "").replace("*", ".").strip()
        if (option := spec.by_key(keyed)) is not None:
            return option.value
        if re.fullmatch(_NUM, keyed):
            raw = keyed
    if not raw:
        return None
    if spec.type == "bool":
        return _parse_bool(raw)
    if spec.type == "choice":
        choice = _parse_choice(raw, CHOICE_WORDS.get(slot, {}))
        if choice is None and slot == S.ORIGIN:  # "我是丹东的": a place other than Dalian
            place = re.search(r"(?:我是|是|来自|老家|家在)([\u4e00-\u9fff]{2,3}?)(?:人|的|市|县|省|那边)", raw)
            if place and place.group(1) not in ("哪里", "哪儿", "什么", "外地") and not place.group(1).startswith(("自己", "这个", "那个")):
                choice = "dalian" if place.group(1).startswith("大连") else "non_dalian"
        return choice
    arabic = _arabic(_NEIGHBOURS.sub(_vague_pair, raw))
    if spec.type == "date":
        return _event_date(arabic, bare=True)
    if _VAGUE.search(arabic):
        return None
    if spec.type == "year":
        return _parse_year(arabic)
    if spec.type == "percent":
        return _parse_percent(arabic)
    if spec.min == 0 and _ZERO.match(_PUNCT.sub("", arabic)):
        return 0
    if spec.unit in _SLOT_UNIT:
        value = _parse_duration(arabic, *_SLOT_UNIT[spec.unit])
        if value is not None:
            return _plain(value)
    if spec.unit == "元":
        money = _MONEY.findall(arabic)
        if len(set(money)) == 1:
            return _plain(Fraction(money[0]))
    after_ok = _after_number_ok(spec)
    numbers = [m.group() for m in re.finditer(_NUM, arabic) if after_ok.match(arabic, m.end())]
    if len(set(numbers)) == 1:
        value = Fraction(numbers[0])
    elif numbers:
        found = extract_slots(text).get(slot)
        return found
    else:
        return None
    if spec.type == "int" and value.denominator != 1:
        return None
    return _plain(value)


# "我开了个美甲店，就5个员工": a shop one runs, or a handful of staff, is a small or micro firm
_SMALL_BUSINESS = re.compile(r"开(?:了)?(?:个|一个|一家)(?:小)?[\u4e00-\u9fff]{0,3}(?:店|铺|馆|摊)(?![\u4e00-\u9fff]{0,2}(?:集团|连锁))"
                             r"|(?:就|只有|才|总共就|一共就)(?:[1-9]|1\d)(?:个|名|位)?(?:员工|人|伙计|工人)(?!\d)")

# "裁了4个，不对，是裁了3个": what follows the correction replaces what it corrects
_IN_MESSAGE_CORRECTION = re.compile(r"[，,。\s]*(?:不对|说错了|搞错了|记错了|口误)[，,。\s]*(?:应该)?(?:是)?")
_BARE_COUNT = re.compile(r"^\D*?(\d+)个(?!人)")


def extract_slots(text: str, expected: str | None = None) -> dict:
    """Every slot value a free sentence states.

    :param text: e.g. "我们公司28个人裁了3个" or "不对，是35个人".
    :param expected: the slot the assistant just asked for, if any: a bare answer ("3个人", "是")
        fills it, and a bare "N个人" is read as the head count only when no other count is expected.
    :returns: canonical slot name → value (same types as `parse_slot_value`); {} when none.
    """
    corrections = [m for m in _IN_MESSAGE_CORRECTION.finditer(text or "") if m.start() > 0 and text[m.end():].strip()]
    if corrections:
        at = corrections[-1]
        before = _extract(text[: at.start()], expected)
        # a bare "3个" corrects the layoffs just told, not the head count
        after = _extract(text[at.end():], S.LAYOFFS if S.LAYOFFS in before and _BARE_COUNT.match(_arabic(_clean(text[at.end():]))) else expected)
        if after:
            return {**before, **after}
    return _extract(text, expected)


def _extract(text: str, expected: str | None) -> dict:
    raw = _clean(text)
    if not raw:
        return {}
    arabic = _arabic(_NEIGHBOURS.sub(_vague_pair, raw))
    found: dict = {}
    masked = _WHOLE_UNITS_AND_MORE.sub(r"\1", arabic)

    def take(pattern: str, slot: str, convert=None, *, about_ok: bool = False) -> None:
        nonlocal masked
        m = re.search(pattern, masked)
        if m is None or slot in found:
            return
        span_text = m.group(0)
        start = m.start(1) if about_ok else m.start()
        if _VAGUE.search(masked[start: m.end() + _VAGUE_LOOKAHEAD]):
            return  # "失业半年多了": the words right after a number can make it vague
        value = convert(m) if convert else _plain(Fraction(m.group(1)))
        if value is None:
            return
        found[slot] = value
        masked = masked[: m.start()] + "_" * len(span_text) + masked[m.end():]

    # Rates, layoffs, class hours and durations first, so their numbers are not read as head counts.
    # "裁员率大概3%": the rate the firm states, shown in the working (计算：裁员率 3% …).
    take(rf"裁员率(?:{_RATE_FILLER})*({_NUM})%?", S.LAYOFF_RATE, about_ok=True)
    # "二十个里裁一个": the head count and the layoffs together
    share = re.search(r"(?<![\d.])(\d+)个?(?:人)?(?:里|中|当中|里面|里头)(?:面)?(?:就|只)?(?:裁|辞退|减)(?:了|掉)?(\d+)个", masked)
    if share and S.EMPLOYEES not in found and S.LAYOFFS not in found:
        if re.search(r"(?:也就是|就是说|相当于|等于|平均)(?:每)?$", masked[: share.start()]):
            # "裁员率5%左右，也就是二十个里裁一个": a rate explained, not the firm's head count
            found[S.LAYOFF_RATE] = _plain(Fraction(100 * int(share.group(2)), int(share.group(1))))
        else:
            found[S.EMPLOYEES], found[S.LAYOFFS] = int(share.group(1)), int(share.group(2))
        masked = masked[: share.start()] + "_" * len(share.group(0)) + masked[share.end():]
    take(rf"(?:裁(?:员|掉|了|减)*|辞(?:退|掉)?(?:了)?|开除(?:了)?|减员(?:了)?|下岗(?:了)?)(\d+)(?:{_COUNT_UNITS})?", S.LAYOFFS)
    take(rf"(\d+)(?:个|名|位)?(?:人|员工|职工)?被(?:裁|辞退)", S.LAYOFFS)
    take(r"(?:1个(?:人)?(?:都|也)?没(?:有)?|没有?|不|零|未)裁(?:员|人)?", S.LAYOFFS, lambda m: 0)  # "一个没裁": no head count
    # "一节课得多长时间": a unit asked about, not a count of classes
    take(rf"(?<!每)({_NUM})(?:个)?(?:课时|学时|节课|堂课|节(?!课)|堂(?!课))(?!\d*(?:\.\d+)?(?:分|小时))(?![^，,。！？]{{0,4}}(?:多长|多久|多少分钟|几分钟))",
         S.CLASS_HOURS, _int_group)
    take(rf"(?:{_NUM})?个?{HALF}?个?(?:小时|钟头|分钟)(?:{_NUM}分钟)?", S.CLASS_MINUTES,
         lambda m: _duration_value(m.group(0), "分钟"))
    duration = rf"(?:{_NUM})?个?{HALF}?个?(?:年|月){HALF}?(?:零?{_NUM}个?{HALF}?个?月)?"
    take(rf"(?:缴费|缴纳|缴了?|交了?|参保)[^，,。！？]{{0,8}}?{_NOT_A_YEAR}({duration})", S.CONTRIBUTION_YEARS,
         lambda m: _duration_value(m.group(1), "年"))
    # "干了十一年 一直交失业保险" (一直 is hidden from cn2an as 某)
    take(rf"(?:干了|做了|工作了|上了)?{_NOT_A_YEAR}({duration})[^。！？]{{0,8}}(?:一直|都|某)(?:有)?(?:交|缴)(?:着)?(?:失业保险|社保|保险)", S.CONTRIBUTION_YEARS,
         lambda m: _duration_value(m.group(1), "年"))
    take(rf"(?:登记失业|失业登记|失业(?!保险|金|补助)了?)[^，,。！？]{{0,4}}?({duration})", S.UNEMPLOYED_REGISTERED_MONTHS,
         lambda m: _duration_value(m.group(1), "个月"))
    take(rf"签(?:了|订|的)?(?:是)?(?:一份)?({duration})(?:的|期)?(?:劳动)?合同", S.CONTRACT_YEARS,
         lambda m: _duration_value(m.group(1), "年"))
    take(rf"合同(?:期限)?(?:都|也|只|就|才)?(?:是|为|签了?|签的)?({duration})", S.CONTRACT_YEARS, lambda m: _duration_value(m.group(1), "年"))
    # "2020年应届毕业生", "2019届的往届生": 应届/往届 only say which class
    take(r"(\d{4}|\d{2})(?:届|年?(?:的)?(?:应届|往届)?(?:大学|本科|大专|专科|研究生|硕士)?毕业|年的毕业生|年毕业生|年的毕业)", S.GRAD_YEAR,
         lambda m: _year(m.group(1)))
    take(rf"(?:推荐|介绍|输送)(?:了)?(?:就业)?(\d+)(?:个|名|位)?(?:人|员工|职工)?", S.PERSONS)
    # "保费一个人800": the 1 counts people, not yuan
    take(rf"保费(?:是|为|每人|每个人|1个人|1人|某)?({_NUM})(?!\d|\.\d|个|人|名|位)(?:元|块)?", S.ACCIDENT_INSURANCE_PREMIUM)
    take(rf"({_NUM})(?:元|块)(?:钱)?的?(?:人身意外伤害)?(?:保险)?保费", S.ACCIDENT_INSURANCE_PREMIUM)
    take(rf"(?:意外伤害保险|意外险|意外保险)[^，,。]{{0,6}}?(?:每(?:人|个人)|某)({_NUM})(?!\d|个|人)(?:元|块)?", S.ACCIDENT_INSURANCE_PREMIUM)
    # "买人身意外伤害保险一人花了六百": the 1 counts people, not the staff
    take(rf"(?:意外伤害保险|意外险|意外保险)[^，,。]{{0,6}}?(?:每(?:人|个人)|1个?人|人均)(?:花了?|交了?|是|为|要)({_NUM})(?!\d|个|人)(?:元|块)?",
         S.ACCIDENT_INSURANCE_PREMIUM)
    take(
        rf"(?:参保职工|参保|职工|员工|参保人数|总人数|人数|总共|一共|共有)(?:总数)?(?:有|是|为|共|总共|一共)?(\d+)(?:个|名|位)?(?:人)?",
        S.EMPLOYEES,
    )
    take(rf"(?:公司|单位|企业|我们|厂里|店里)(?:里)?(?:有|是|共|一共|总共)?(\d+)(?:个|名|位)?(?:人|员工|职工)", S.EMPLOYEES)
    take(r"(?<![\d.])(\d+)(?:个|名|位)?参保(?:的)?(?:职工|员工|人员|工人|的人)", S.EMPLOYEES)
    # "疫情那阵子走了4个": those who left in the epidemic, told for the layoffs
    take(r"疫情(?:那阵子?|期间|那会儿?|的时候|那时候)[^，,。\d]{0,4}走了(\d+)(?:个|名|位)", S.LAYOFFS)
    if expected in (None, S.EMPLOYEES):
        # A bare "N个人" is the head count only when no other count was asked for.
        # "N个人", or "N个" at the end of a phrase; never "哪3个", "同1个培训项目".
        take(r"(?<![\d哪几这前后第每同])(?:(\d+)(?:个|名|位)(?:人|员工|职工)|(\d+)(?:个|名|位)(?=$|[\s，,。！？!?；;了吧呢啊呀的_]|裁|辞)|(\d+)(?:人|员工|职工))",
             S.EMPLOYEES, lambda m: int(m.group(1) or m.group(2) or m.group(3)))

    for slot, words in _EXTRACT_CHOICE_WORDS.items():
        # A firm's size class is read in the whole text ("中小企业150人": the head count took 企业150人);
        # a separation reason only outside the counts ("3个人被裁" is the firm's layoffs).
        value = _parse_choice(masked if slot == S.SEPARATION_REASON else arabic, words)
        if value is not None:
            found.setdefault(slot, value)
    if S.ENTERPRISE_SIZE not in found and _SMALL_BUSINESS.search(arabic):
        found[S.ENTERPRISE_SIZE] = "sme"
    _flag(found, arabic, S.AFFECTED_BY_EPIDEMIC,
          no=r"(?:没|没有|未|不|不算|不是)(?:怎么|太|算)?受(?:到)?(?:疫情)?(?:的)?(?:影响|冲击)|疫情(?:对我们)?(?:没|没有)(?:什么)?影响"
             r"|(?:影响|冲击)(?:不大|很小|不太大)|正常生产",
          # "疫情冲击挺大的", "受冲击很大", "停工了两个月" (not 没停工, nor "停工那段时间工资" asked about)
          yes=r"受(?:到|了)?疫情(?:的)?(?:影响|冲击)|疫情影响|疫情[^，,。]{0,10}(?:影响|冲击)(?:挺|很|非常|比较|特别|太|蛮)?大|订单(?:少|减|没)了"
              r"|冲击(?:挺|很|非常|比较|特别|太|蛮)大|受(?:到|了)?[^，,。]{0,4}冲击|(?<![没不未])停(?:工|产)(?:了|\d)"
              # "影响肯定有啊，停了好几个月"
              r"|影响(?:肯定|当然|确实|那)(?:是)?有|(?<![没不未])停了(?:好几|几|\d+)个?月")
    _flag(found, arabic, S.SOCIAL_INSURANCE_PAID,
          no=r"(?:没|没有|未|不)(?:有)?(?:给(?:我|我们|他|她|他们|她们|人家|员工|职工|工人)?)?(?:交|缴|缴纳|上|参)(?:过|了)?(?:失业)?(?:社保|社会保险|保险|保)"
             r"|(?:社保|社会保险|失业保险)(?:还|也|都|某)?(?:没|没有|未)(?:有)?(?:给(?:他|她|他们|她们)?)?(?:交|缴|上)",
          # "失业保险一直交着呢", "之前一直有缴失业保险", "社保一直在交" (一直 is hidden as 某)
          yes=r"(?:交|缴|缴纳|上)(?:了|过)?(?:\d+年)?(?:的)?(?:社保|社会保险)|(?:交|缴|缴纳)(?:了|过)(?:\d+年)?(?:的)?失业(?:保险(?!金)|险)|已参保|参保了|有社保|参保人员"
              r"|(?:社保|社会保险|失业保险(?!金))(?:厂里|公司|单位|企业)?(?:也|都|还|才|某|给|帮)*(?:按规定|按时|正常)?(?:(?:在|有)(?:交|缴)|(?:交|缴|缴纳|上)(?:了|着))"
              r"|某(?:在|有)?(?:交|缴|缴纳)(?:着)?(?:社保|社会保险|失业保险(?!金))")
    _flag(found, arabic, S.EMPLOYER_EPIDEMIC_SUPPLY_FIRM,
          no=r"(?:没|没有|不是|未|不)(?:有)?[^，,。]{0,6}(?:防疫物资|防控物资|急需物资|口罩|防护服)"
             # "开饭店的", "一家普通超市": a business of another trade
             r"|普通(?:的)?(?:超市|企业|公司|饭店|餐馆|饭馆|餐厅|商店|小店|门店|单位|工厂|厂)|(?:开|是)(?:个|一个|一家)?(?:小)?(?:饭店|餐馆|饭馆|餐厅|理发店|面包店|小卖部|奶茶店)"
             # "春节期间没开工，2月20号才复工": not open in the Spring Festival, whatever it makes
             r"|春节(?:期间|那会儿?|的时候)?[^，,。]{0,4}(?:没|没有|未)(?:有)?(?:开工|复工|生产|营业)|(?:\d+号|节后)才(?:复工|开工)"
             # "2020年3月份才开工", "2月15号复工": open after 2月9日
             r"|(?<!\d)(?:[3-9]|1[0-2])月(?:份)?[^，,。\d]{0,3}(?:才)?(?:开工|复工)|2月(?:1\d|2\d)(?:号|日)[^，,。]{0,3}(?:才)?(?:开工|复工)",
          # "要是我们2月8号就开工了呢": open before 2月9日, the Spring Festival's end in the notice
          yes=r"(?:生产|配送|做|运|供应)[^，,。]{0,6}(?:防疫物资|防控物资|急需物资|口罩|防护服|消毒)|(?:防疫物资|防控物资|急需物资)的?(?:企业|厂|公司)|口罩厂|防护服厂"
              r"|2月[1-9](?:号|日)[^，,。]{0,3}(?:开工|复工|生产)")
    _flag(found, arabic, S.OTHER_LOAN_NAMED, no=r"(?!)",
          yes=r"房贷|车贷|信用卡|消费贷|网贷|房屋贷款|住房贷款|购房贷款|公积金贷款|助学贷款")
    _flag(found, arabic, S.STARTUP_GUARANTEE_LOAN,
          no=r"房贷|车贷|信用卡|消费贷|网贷|房屋贷款|住房贷款|购房贷款|公积金贷款|助学贷款|(?:不是|并非|没有?)[^，,。]{0,4}创业担保",
          yes=r"创业担保贷款|担保贷款|创业贷")
    _flag(found, arabic, S.RECEIVING_UNEMPLOYMENT_BENEFIT,
          no=r"没(?:有)?(?:在)?领(?:过|到)?(?:失业保险金|失业金)",
          yes=r"(?:在|正在|已经在|还在|现在)领(?:着|取)?(?:失业保险金|失业金)|领着(?:失业保险金|失业金)")
    # "失业金和补助金两个一起领": both at once, the two named (the notice pays one or the other)
    _flag(found, arabic, S.WANTS_BOTH_BENEFITS,
          no=r"只领(?:一|1)(?:项|个|样)",
          yes=r"^(?=.*(?:失业金|失业保险金))(?=.*补助).*(?:某|一起|同时|[一1]块儿?|(?:两|2|俩)(?:个|项|样)?都)[^，,。？?]{0,3}(?:领|拿|发)")  # 某, 1块: 一起, 一块 after cn2an
    _flag(found, arabic, S.RECEIVING_UNEMPLOYMENT_SUBSIDY,
          no=r"没(?:有)?(?:在)?领(?:过|到)?失业补助",
          yes=r"(?:在|正在|已经在|还在|现在)领(?:着|取)?失业补助|领着失业补助")
    _flag(found, arabic, S.LOAN_DISBURSED,
          no=r"贷款[^，,。]{0,4}(?:还)?(?:没|没有|未)(?:有)?(?:放|发放|批|下来|到账)|(?:还)?(?:没|没有|未)(?:有)?(?:放款|发放|批下来|贷下来)"
             # "我还没贷呢", "还没批"; a loan still to be applied for is not paid out (but 申请展期/贴息 is of one that is)
             r"|(?:还|都|也)?(?:没|没有|未)(?:有)?(?:贷|批)(?!评)"
             r"|(?:打算|准备|想|计划|正在|要)(?:去|要)?(?:申请|申办|办理?)[^，,。？?]{0,10}贷款?(?![^，,。？?]{0,3}(?:展期|延期|贴息|续贷))",
          yes=r"(?:已经|已)(?:发放|放款|到账)|放下来了|贷下来了|批下来了")
    _flag(found, arabic, S.INCUBATOR,
          # "普通写字楼出租，不是孵化基地": a landlord, not a carrier of the notice's kind
          no=r"(?:不是|并非|不属于|不算)[^，,。]{0,4}(?:孵化|创业园|众创空间)|普通(?:的)?(?:写字楼|办公楼|商铺|门面|房东|楼)|(?:写字楼|商铺|门面|厂房)(?:出租|租给)|(?:我是|我们是)(?:个|一个)?房东|(?:个人|私人)房东",
          yes=r"(?:我们|我)(?:是|就是)[^，,。]{0,6}(?:孵化基地|孵化器|创业园|众创空间|孵化载体)")
    _flag(found, arabic, S.LOST_INCOME,
          no=r"(?:收入|生意)(?:还行|正常|没受影响)|有收入",
          yes=r"没(?:有)?(?:了)?收入|失去(?:了)?收入|断了收入|收入(?:来源)?(?:没了|断了|中断)|没(?:有)?进项|停业|停工了|歇业")
    _flag(found, arabic, S.RENT_WAIVED,
          no=r"(?:没|没有|未)(?:给)?(?:入驻\w{0,6})?(?:减免|免)(?:了)?(?:场地)?(?:房租|租金)|(?:房租|租金)[^，,。]{0,3}(?:照收|照交|全收|没减|没免|没有减|没有免)|(?:没|没有|未)(?:有)?(?:减免|免)(?=$|[，,。！!？?])"
             r"|只是[^，,。]{0,12}(?:延期|缓)(?:交|缴)",
          yes=r"(?:减免|免|减)(?:了)?(?:\w{0,4})?(?:场地)?(?:房租|租金)|(?:房租|租金)(?:全)?免了")
    _flag(found, arabic, S.COVID_INFECTED,
          no=r"(?:没|没有|未)(?:有)?(?:感染|确诊|得|患|阳)|(?:我|本人)(?:自己)?(?:没事|好好的|没感染|没阳)",
          yes=r"感染了|感染过|确诊|得了新冠|得过新冠|患了?新冠|患新型冠状|患了新型冠状|阳了|阳过|新冠肺炎患者")
    _flag(found, arabic, S.SAME_PROJECT_SUBSIDIZED,
          no=r"(?:不同的?|另一个|另外的?|新的?|别的)[^，,。]{0,6}?(?:培训|项目|课程)",
          # cn2an's pass hides 同一 as 某 (see `_arabic`).
          yes=r"(?:同一|某|同样的?|一样的?)(?:个|批|门)?[^。]{0,8}(?:项目|课程)[^。]{0,16}(?:领过|享受过|拿过|申领过|补过|补贴过|再|重复|又)"
              r"|重复(?:享受|领|申领|申请)|(?:领过|享受过|拿过)[^。]{0,8}(?:同一|某|同样的?|一样的?)[^。]{0,6}(?:培训|项目|课程)")
    # "展期两年", "延期还款一年半": the length of the extension asked for
    take(rf"(?:展期|延期还款|延长还款|还款延期|延期|延)(?:还款)?(?:申请)?(?:个|到)?({duration})", S.EXTENSION_YEARS,
         lambda m: _duration_value(m.group(1), "年"))
    # "做一年的公益性岗位", "公益性岗位干8个月"
    take(rf"({duration})的?(?:短期)?公益(?:性)?岗", S.POST_MONTHS, lambda m: _duration_value(m.group(1), "个月"))
    take(rf"公益(?:性)?岗(?:位)?[^，,。\d]{{0,4}}?({duration})", S.POST_MONTHS, lambda m: _duration_value(m.group(1), "个月"))
    _flag(found, arabic, S.TRAINING_RECORDS,
          no=r"(?:没|没有|未)(?:留|保存|存|有|做)?(?:下)?(?:任何)?(?:的)?(?:培训)?(?:记录|课件|录像|签到)"
             r"|(?:记录|课件|录像)[^，,。]{0,3}(?:都|也)?(?:没|没有|未)(?:留|保存|存|有|做)",
          yes=r"(?:有|留了?|保存了?|存了?)(?:培训)?(?:记录|课件|录像)")
    # on the words as written: cn2an would make 四川 "4川"
    _flag(found, raw, S.OUT_OF_PROVINCE, no=r"辽宁|本省|省内",
          yes=r"外省|(?:北京|天津|河北|山西|内蒙古?|吉林|黑龙江|上海|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|广西|海南|重庆|四川|贵州|云南|西藏|陕西|甘肃|青海|宁夏|新疆)(?:省|市|人|的|来的|籍)")
    # 农民工 are rural people working in town: "农村出来打工的"; an urban household register says not
    _flag(found, arabic, S.MIGRANT_WORKER, no=r"(?:不是|并非|不属于)农民工|(?:城镇|城市|非农业?)(?:户口|户籍)",
          yes=r"农民工|(?:进城|外出)(?:务工|打工)|(?:农村|农业户口|农业户籍)[^，,。]{0,6}(?:打工|务工)")
    origin = re.search(r"(?:生源地?(?:是|在|属于)?|老家(?:是|在)?|户口(?:是|在)|籍贯(?:是)?)([\u4e00-\u9fff]{2,3})"
                       r"|([\u4e00-\u9fff]{2})生源|我是([\u4e00-\u9fff]{2,3}?)(?:市|县)?人", arabic)
    place = origin and (origin.group(1) or origin.group(2) or origin.group(3))
    if place and S.ORIGIN not in found and not place.startswith(("哪里", "哪儿", "什么", "外地", "本地", "那边", "这边", "那里", "这里", "非大", "农民", "工人", "个人", "本人", "外省")):
        found[S.ORIGIN] = "dalian" if place.startswith("大连") else "non_dalian"

    event = _event_date(arabic)
    if event is not None:
        found.setdefault(S.EVENT_DATE, event)

    if expected and expected not in found:
        value = parse_slot_value(expected, text)
        if value is not None:
            found[expected] = value
    return found


_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# "两三年", "三四个人", "十一二年": two neighbouring numerals say "one or the other".
# "二三年三月份" is March 2023, not two or three years
_NEIGHBOURS = re.compile(r"(十)?([一二两三四五六七八九])([二三四五六七八九十])(?=个|年|月|人|名|位|课时|分钟|%|岁)"
                         r"(?!年(?:[一二三四五六七八九十]{1,2}|\d{1,2})月)")
_EITHER = re.compile(r"(?:还是|或者|或|到|至|~|～|-)")
_UP_TO = re.compile(r"(?:不到|不足|不满|少于|没到|没有)\s*$")


def candidate_values(slot: str, text: str) -> list:
    """The values a vague answer leaves open for a number slot, at most a few: "两三年" → [2, 3],
    "十一年还是十二年" → [11, 12], "大概3%" → [3], "不到十年" → [lowest, just under 10]. [] when the
    text names no number for the slot. A check may still be settled when every value gives the same
    verdict (`bot.dialogue.flows`); a single exact number is `parse_slot_value`'s, not this.
    """
    spec = load_rules().slots[slot]
    if spec.type not in ("int", "number", "percent"):
        return []
    raw = _clean(text)
    pair = _NEIGHBOURS.search(raw)
    if pair:
        tens = 10 if pair.group(1) else 0
        low, high = _DIGIT[pair.group(2)], 10 if pair.group(3) == "十" else _DIGIT[pair.group(3)]
        if high == low + 1:
            return [tens + low, tens + high]
    pieces = [p for p in _EITHER.split(raw) if p.strip()]
    if len(pieces) == 2:
        values = [parse_slot_value(slot, _strip_vague(p)) for p in pieces]
        if all(v is not None for v in values):
            return sorted(set(values))
    step = 1 if spec.type == "int" or spec.unit == "个月" else Fraction(1, 100)
    # "不到十年": below it; "反正不超过4个": up to it; "快一年了": just below it
    for m in re.finditer(r"(不到|不足|不满|少于|没到)|(不超过|最多|顶多|至多)|(快|将近|接近)", raw):
        bound = parse_slot_value(slot, raw[m.end():])
        if bound is None or spec.min is None or bound <= spec.min:
            continue
        if m.group(3):
            return [_plain(Fraction(bound) - step)]
        return [_plain(Fraction(spec.min)), _plain(Fraction(bound) - (0 if m.group(2) else step))]
    for above in re.finditer(rf"(?:超过|至少|不止|多于)?({_NUM}个?(?:年|个月|月|人|个|课时|分钟|%)?)(以上)?", _arabic(raw)):
        if (above.group(2) or above.group(0) != above.group(1)) and spec.max is not None:
            low = parse_slot_value(slot, above.group(1))  # "七个月以上": at least seven, as far as the slot goes
            if low is not None:
                return [low, _plain(Fraction(spec.max))]
    more = re.search(rf"({_NUM})(个?)(年|月|人|个|课时|分钟|%)?(多|来|余)个?(年|月|人|课时|分钟)?", _arabic(raw))
    # "五年多": at least five, less than six; "五十多人", "五十来个", "一百余人": the tens (hundreds) left open
    round_number = more and not more.group(2) and not more.group(3) and re.fullmatch(r"[1-9]\d*0", more.group(1))
    if more and (round_number or more.group(4) != "来"):  # "一年来" is "over the past year"
        unit = more.group(3) or more.group(5) or ""  # "十多年", "三个多月": the unit may follow
        scale = 10 ** (len(more.group(1)) - len(more.group(1).rstrip("0"))) if round_number else 1
        low = parse_slot_value(slot, more.group(1) + unit)
        high = parse_slot_value(slot, str(int(Fraction(more.group(1))) + scale) + unit)
        if low is not None and high is not None:
            return [low, _plain(Fraction(high) - step)]
    value = parse_slot_value(slot, _strip_vague(raw))
    return [value] if value is not None and _VAGUE.search(_arabic(raw)) else []


def _vague_pair(m: re.Match) -> str:
    """"两三个" is two or three, not 23: a vague number the fact parser leaves alone (几)."""
    if m.group(3) != "十" and _DIGIT[m.group(3)] == _DIGIT[m.group(2)] + 1:
        return "几"
    return m.group(0)


def _strip_vague(text: str) -> str:
    return re.sub(r"大概|大约|约|差不多|估计|左右|上下|吧|吗|呢|嗯|反正|我也记不清|记不清|不记得了?", "", text)


_DATED = re.compile(r"(?<!\d)((?:19|20)\d\d)年(\d{1,2})月(?:份)?(?:(\d{1,2})(?:号|日))?")
_CORRECTED_AWAY = re.compile(rf"不是[^，,。\d]{{0,4}}{_NUM}\s*(?:%|个月|年|分钟|课时|元)")
_UNIT_OF_NUMBER = re.compile(rf"({_NUM})\s*(%|个月|年|分钟|课时|元)")


def with_arabic_numbers(text: str) -> str:
    """The text with Chinese numerals as digits ("百分之九十五" → "95%"), for matching numbers."""
    return _arabic(_clean(chinese_terms(text)))


def unit_facts(text: str, slots: list[str]) -> dict:
    """A bare value whose unit names the fact among `slots` ("那4%呢" → layoff_rate when only the
    rate is in percent); {} when no unit or more than one slot has it (人: head count or layoffs)."""
    arabic = _arabic(_clean(text))
    # "那要是2020年9月就去了呢": a year with its month is when the event happened, never a count of years
    dated = _DATED.search(arabic)
    if dated:
        return {S.EVENT_DATE: _iso(dated.group(1), dated.group(2), dated.group(3))} if S.EVENT_DATE in slots else {}
    # "他说是十二个月，不是十二年": the value corrected away does not count
    m = _UNIT_OF_NUMBER.search(_CORRECTED_AWAY.sub("", arabic))
    if not m:
        return {}
    unit = {"%": "%"}.get(m.group(2), m.group(2))
    table = load_rules()
    family = _SLOT_UNIT.get(unit, (None,))[0]
    # "十二个月" for years paid: a length in another unit of the same kind
    matching = [slot for slot in slots if table.slots[slot].unit == unit] or \
        [slot for slot in slots if family and _SLOT_UNIT.get(table.slots[slot].unit, (None,))[0] == family]
    if len(matching) != 1:
        return {}
    value = parse_slot_value(matching[0], m.group(0))
    return {matching[0]: value} if value is not None else {}


def infer_facts(facts: dict) -> dict:
    """Facts that follow from others: years of contributions paid make an insured person; no
    layoffs make a layoff rate of 0, whatever the head count."""
    inferred = {}
    if facts.get(S.CONTRIBUTION_YEARS):
        inferred[S.SOCIAL_INSURANCE_PAID] = True
    if facts.get(S.LAYOFFS) == 0:
        inferred[S.LAYOFF_RATE] = 0

    return inferred


# -- helpers -----------------------------------------------------------------------------------


def _arabic(text: str) -> str:
    """Chinese numerals → Arabic, keeping 半 as HALF for `_parse_duration`."""
    # cn2an leaves 两 alone before some measure words (两人), but reads 二 everywhere.
    text = _NOT_NUMBERS.sub("某", text)
    text = text.replace("俩", "二个").replace("仨", "三个").replace("两", "二").replace("半", HALF).replace("整", "")
    try:
        with warnings.catch_warnings():  # cn2an warns before it raises on a lone 亿 or 百
            warnings.simplefilter("ignore")
            text = cn2an.transform(text, "cn2an")
    except (ValueError, KeyError, IndexError):
        pass
    return _SHORT_OF.sub(_short_of, text)


# "交了十二年多一点", "失业一年多": at least the whole years or months told. Every bound of a duration
# in the notice is whole (满1年, 不足10年, 半年以上), so the whole number decides as the exact one would.
_WHOLE_UNITS_AND_MORE = re.compile(rf"((?<![\d.])\d+(?:年|个月))(?:多|出头)(?:一点|一些|点)?(?!\d|个|人)")

# "十年差俩月", "差一个月满十年": so many months short of the years, an exact length (9年10个月)
_SHORT_OF = re.compile(r"(\d+)年差(\d+)个?月|差(\d+)个?月(?:就|才)?(?:满|到|够)?(\d+)年")


def _short_of(m: re.Match) -> str:
    years, months = int(m.group(1) or m.group(4)), int(m.group(2) or m.group(3))
    if years < 1 or not 0 < months < 12:
        return m.group(0)
    total = years * 12 - months
    return f"{total // 12}年{total % 12}个月"


def _plain(value: Fraction):
    return int(value) if value.denominator == 1 else float(value)


def _int_group(m: re.Match):
    value = Fraction(m.group(1))
    return int(value) if value.denominator == 1 else None


def _parse_bool(text: str) -> bool | None:
    if any(w in text for w in _YES_OVERRIDES):
        return True
    if any(w in text for w in _NO_WORDS):
        return False
    if any(w in text for w in _YES_WORDS):
        return True
    return None


def _parse_choice(text: str, words: dict[str, tuple[str, ...]]) -> str | None:
    """The one choice the text names; a binary choice also reads "不是X" as the other one."""
    hits: list[tuple[int, int, str, str]] = []
    for value, keywords in words.items():
        for word in keywords:
            for m in re.finditer(re.escape(word), text):
                hits.append((m.start(), m.end(), value, word))
    # Longest word wins where words overlap (非大连 over 大连, 被辞退 over 辞退).
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    taken: list[tuple[int, int]] = []
    affirmed: set[str] = set()
    negated: set[str] = set()
    for start, end, value, _ in hits:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        before = text[max(0, start - 5):start]
        if _NEGATION_BEFORE.search(before) and not _A_NOT_A.search(before):
            negated.add(value)
        else:
            affirmed.add(value)
    if len(affirmed) == 1:
        return affirmed.pop()
    if not affirmed and len(negated) == 1 and len(words) == 2:
        return next(v for v in words if v not in negated)
    return None


def _parse_duration(text: str, family: str, per_slot_unit: int) -> Fraction | None:
    """Sum the duration pieces of one family (一年半 → 18 months) and express them in the slot's unit."""
    total = Fraction(0)
    seen = False
    for m in _DURATION.finditer(text):
        if not (m.group("num") or m.group("h1")):
            continue
        unit_family, size = _UNIT_BASE[m.group("unit")]
        if unit_family != family:
            continue
        amount = Fraction(m.group("num") or 0)
        if m.group("h1") or m.group("h2"):
            amount += Fraction(1, 2)
        total += amount * size
        seen = True
    if seen:
        return total / per_slot_unit
    # A bare number ("三十五") is in the slot's own unit; a number in another unit is not ours.
    numbers = re.findall(_NUM, text)
    if len(set(numbers)) == 1 and not re.search(r"年|月|小时|钟头|分", text):
        return Fraction(numbers[0])
    return None


def _duration_value(piece: str, slot_unit: str):
    value = _parse_duration(piece, *_SLOT_UNIT[slot_unit])
    return None if value is None else _plain(value)


def _parse_percent(text: str):
    m = re.findall(rf"({_NUM})%", text)
    if len(set(m)) == 1:
        return _plain(Fraction(m[0]))
    numbers = re.findall(_NUM, text)
    if len(set(numbers)) == 1:
        return _plain(Fraction(numbers[0]))
    return None


def _year(digits: str) -> int:
    year = int(digits)
    return year + 2000 if len(digits) == 2 else year


def _parse_year(text: str) -> int | None:
    m = re.search(r"(\d{4}|\d{2})(?:届|年)", text)
    if m:
        return _year(m.group(1))
    numbers = re.findall(r"\d+", text)
    if len(set(numbers)) == 1 and len(numbers[0]) in (2, 4):
        return _year(numbers[0])
    return None


# When the event of a case happened: "2023年2月辞职", "二三年三月份被公司裁的", "2020年10月8号才去报到",
# "resigned in 2023年2月"; a two-digit year only with its month ("23年3月"), so "交了12年" stays a duration.
_EVENT = r"(?:辞职|离职|辞的职|辞的|辞了|被裁|裁(?:的|了|掉)|被辞退|辞退|被开除|(?<!登记)失业(?!登记|保险|金|补助)|解除|不干|报到|报的到|去报|走的)"
_DAY = r"(?:(\d{1,2})月(?:份)?(?:(\d{1,2})(?:号|日))?)"
_EVENT_DATE_BEFORE = re.compile(
    rf"(?<![\d.])(?:((?:19|20)\d\d)年{_DAY}?|(\d\d)年{_DAY})(?:底|初|中|的时候|那会儿?)?[^，,。？?！!毕\d]{{0,10}}?{_EVENT}")
_EVENT_DATE_AFTER = re.compile(rf"{_EVENT}[^，,。？?！!\d]{{0,12}}?((?:19|20)\d\d)年{_DAY}?")
# "2026年了还能按那个延期报吗", "到现在一直没去报到": reporting now
_REPORT_NOW = re.compile(r"(?:现在|如今|目前)[^，,。？?！!]{0,8}?(?:去|才|再)?报到|拖到(?:了)?现在|(?:到现在|至今|一直)(?:都|还|某)?(?:没|没有)(?:去)?[^，,。]{0,6}报到"
                         r"|((?:19|20)\d\d)年了[^。？?！!]{0,12}?报")
_BARE_DATE = re.compile(rf"^((?:19|20)\d\d|\d\d)年{_DAY}?")
# "上个月被裁的", "去年辞的职": counted back from the day asked ("now-1m": the month before)
_RELATIVE = {"这个月": "now-0m", "本月": "now-0m", "上个月": "now-1m", "上月": "now-1m",
             "今年": "now-0y", "去年": "now-1y", "前年": "now-2y"}
_EVENT_RELATIVE = re.compile(rf"(?P<before>{'|'.join(_RELATIVE)})(?:{_DAY})?[^，,。？?！!\d]{{0,10}}?{_EVENT}"
                             rf"|{_EVENT}了?(?P<after>{'|'.join(_RELATIVE)})")


def _event_date(text: str, bare: bool = False) -> str | None:
    """The date of the case's event as "YYYY", "YYYY-MM", "YYYY-MM-DD", "now" or "now-<n>m|y" (months or
    years before the day asked); None when none is said."""
    m = _EVENT_DATE_BEFORE.search(text)
    if m:
        if m.group(1):
            return _iso(m.group(1), m.group(2), m.group(3))
        return _iso(m.group(4), m.group(5), m.group(6))
    m = _EVENT_DATE_AFTER.search(text)
    if m:
        return _iso(m.group(1), m.group(2), m.group(3))
    m = _EVENT_RELATIVE.search(text)
    if m:
        return _RELATIVE[m.group("before") or m.group("after")]
    m = _REPORT_NOW.search(text)
    if m:
        return m.group(1) or "now"
    m = _BARE_DATE.match(_PUNCT.sub("", text)) if bare else None
    if m and (len(m.group(1)) == 4 or m.group(2)):
        return _iso(m.group(1), m.group(2), m.group(3))
    return None


def _iso(year: str, month: str | None, day: str | None) -> str | None:
    y = int(year) + (2000 if len(year) == 2 else 0)
    if month is None:
        return f"{y:04d}"
    if not 1 <= int(month) <= 12 or (day is not None and not 1 <= int(day) <= 31):
        return None
    return f"{y:04d}-{int(month):02d}" + (f"-{int(day):02d}" if day else "")


def _flag(found: dict, text: str, slot: str, *, no: str, yes: str) -> None:
    if slot in found:
        return
    if re.search(no, text):
        found[slot] = False
    elif re.search(yes, text):
        found[slot] = True
