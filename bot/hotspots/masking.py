"""Mask personal data in a question before it is stored: phone numbers, ID-card numbers (18 and
15 digits, grouped or not), bank cards, e-mails, passport and social-security card numbers, and the
name or home address a user gives after 我叫 / 住在. Numbers written in Chinese numerals
(一三九一二三四五六七八) are masked like Arabic ones.

Policy figures must survive (5.5%, 2021年, 3000元, 大人社发[2020]38号, 12333), so each pattern is
anchored on digit boundaries and shapes that policy text does not have. Placeholders are fixed
tokens, so paraphrases that differ only in a number still count as the same question.
"""
from __future__ import annotations

import re

PHONE_TOKEN = "[手机号]"
LANDLINE_TOKEN = "[电话]"
ID_TOKEN = "[身份证号]"
BANK_CARD_TOKEN = "[银行卡号]"
EMAIL_TOKEN = "[邮箱]"
PASSPORT_TOKEN = "[护照号]"
SOCIAL_SECURITY_TOKEN = "[社保卡号]"
NAME_TOKEN = "[姓名]"
ADDRESS_TOKEN = "[地址]"

# Full-width digits, letters and phone signs become ASCII first, so "１３８…" is caught like "138…".
# Chinese punctuation (，。？) is left as typed.
_FULLWIDTH = str.maketrans(
    {chr(ord(c) + 0xFEE0): c for c in "0123456789+-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}
)

_NOT_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9A-Za-z])"

# Order matters: the most specific shapes first, so a bank card is not half-eaten by a phone rule.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), EMAIL_TOKEN),
    # 18-digit resident ID: region(6) birth date(8) sequence(3) check digit (0-9 or X).
    (
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
            + _NOT_DIGIT_AFTER
        ),
        ID_TOKEN,
    ),
    # The same written in groups: 210202 19900101 123X, 210202-1990-0101-1234.
    (
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"[1-9]\d{5}[\s-]?(?:18|19|20)\d{2}[\s-]?(?:0[1-9]|1[0-2])[\s-]?(?:0[1-9]|[12]\d|3[01])"
            r"[\s-]?\d{3}[\s-]?[\dXx]" + _NOT_DIGIT_AFTER
        ),
        ID_TOKEN,
    ),
    # Any other 17 digits + check character is still an ID number (mistyped date), grouped or not.
    (re.compile(_NOT_DIGIT_BEFORE + r"\d(?:[\s-]?\d){16}[\s-]?[Xx]" + _NOT_DIGIT_AFTER), ID_TOKEN),
    # 15-digit resident ID (issued before 1999): region(6) birth date yymmdd(6) sequence(3).
    (
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"[1-9]\d{5}[\s-]?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[\s-]?\d{3}"
            + _NOT_DIGIT_AFTER
        ),
        ID_TOKEN,
    ),
    # Social-security card and passport numbers announced by their name (any letters and digits).
    (
        re.compile(r"(社会保障卡号|社保卡号|社会保障卡|社保卡|社保号|医保卡号|医保卡|社保编号|个人编号)"
                   r"([是为:：\s]*)[A-Za-z0-9][A-Za-z0-9\s-]{4,22}[A-Za-z0-9]"),
        "\\1\\2" + SOCIAL_SECURITY_TOKEN,
    ),
    (
        re.compile(r"(护照号码|护照号|护照|通行证号|通行证)([是为:：\s]*)[A-Za-z0-9][A-Za-z0-9\s-]{4,14}[A-Za-z0-9]"),
        "\\1\\2" + PASSPORT_TOKEN,
    ),
    # Passport shapes without the word: E12345678, EA1234567, G12345678, and permits C/H/M + 8 digits.
    (re.compile(_NOT_DIGIT_BEFORE + r"(?:[EeGgDdSsPp][A-Za-z]?\d{7,8}|[CcHhMm]\d{8,10})" + _NOT_DIGIT_AFTER),
     PASSPORT_TOKEN),
    # Bank cards: 16-19 digits, possibly grouped by spaces or dashes. Before the phone rules,
    # which would otherwise take the last 12 digits of a grouped card for a landline.
    (re.compile(r"(?<![0-9])\d(?:[\s-]?\d){15,18}(?![0-9])"), BANK_CARD_TOKEN),
    # Mobile: optional +86 / 0086 / 86, then 1[3-9]x xxxx xxxx with optional spaces or dashes.
    (
        re.compile(
            r"(?<![0-9])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?![0-9])"
        ),
        PHONE_TOKEN,
    ),
    # Landline with area code: 0411-12345678, (0411)1234567, +86-411-12345678, 0411 8765 4321.
    (
        re.compile(
            r"(?<![0-9])(?:(?:\+|00)?86[\s-]?0?[1-9]\d{1,2}|\(0?\d{2,3}\)|（0?\d{2,3}）|0\d{2,3})"
            r"[\s-]?\d{3,4}[\s-]?\d{4}(?:-\d{1,5})?(?![0-9])"
        ),
        LANDLINE_TOKEN,
    ),
    # A bare 7-8 digit local number only counts as a phone when the words say so.
    (
        re.compile(r"(?<=电话|手机|座机|号码|致电|拨打|联系|热线)([是为:：\s]*)(\d{3,4}[\s-]?\d{4})(?![0-9])"),
        "\\1" + LANDLINE_TOKEN,
    ),
)


# Numbers spoken digit by digit in Chinese numerals (幺 is "one" on the phone), judged by their
# length like Arabic ones: policy figures are 二〇二〇年 or 三千元, never eleven digits or more.
_CN_DIGITS = "〇零一二三四五六七八九幺"
_PHONE_WORDS = re.compile(r"(?:电话|手机|座机|号码|致电|拨打|联系|热线)[是为:：\s]*$")
_CN_DIGIT_VALUES = str.maketrans(_CN_DIGITS, "001234567891")
_CN_NUMBER = re.compile(
    rf"(?<![0-9{_CN_DIGITS}])[0-9{_CN_DIGITS}](?:[\s-]?[0-9{_CN_DIGITS}Xx]){{6,}}(?![0-9{_CN_DIGITS}])"
)


def _cn_number_token(match: re.Match[str]) -> str:
    raw = match.group(0)
    if not any(ch in _CN_DIGITS for ch in raw):
        return raw  # only Arabic digits: the rules above decided about it
    digits = re.sub(r"[\s-]", "", raw).translate(_CN_DIGIT_VALUES)
    if len(digits) == 11 and re.fullmatch(r"1[3-9]\d{9}", digits):
        return PHONE_TOKEN
    if len(digits) in (15, 18):
        return ID_TOKEN
    if 16 <= len(digits) <= 19:
        return BANK_CARD_TOKEN
    # Seven or eight digits are a local number only when the words say so (a document number
    # such as 辽财指经二零二零八零零三号 is not).
    if len(digits) in (7, 8) and _PHONE_WORDS.search(match.string[max(0, match.start() - 6):match.start()]):
        return LANDLINE_TOKEN
    return raw


# A name given by the user: two to four characters after 我叫 / 我的名字是 / 本人叫 / 姓名是,
# ending where the sentence goes on (punctuation, or a word that starts the rest of the question).
_NAME_STOP = r"[\s，。,.!?！？；;、：:（(]|$|我|今年|在|是|住|想|要|的|从|去|原|家|男|女|以|因|现|单|公|工|需|请|能|可|问|咨|有|已|刚|被|和|跟|，"
_NAME = re.compile(
    r"(我叫|我的名字是|我的名字叫|我名字叫|本人叫|本人姓名|姓名[是为:：]?)\s*"
    rf"(?:[\u4e00-\u9fff·]{{2,4}}?(?={_NAME_STOP})|[\u4e00-\u9fff·]{{2,3}})"
)
# A home address after 住在 / 家住 / 住址: the part that ends with a place word (区 路 号 室 …),
# so "住在外地能领吗" keeps its question and "住在甘井子区红旗西路12号3单元" loses the address.
_ADDRESS_TRIGGER = re.compile(r"(住在|家住|住址[是为:：]?|家庭住址[是为:：]?|地址[是为:：]|我家在)\s*")
_ADDRESS_RUN = re.compile(r"[^\s，。,.!?！？；;、\[\]]{1,60}")  # stops at tokens such as [电话]
_ADDRESS_END = re.compile(
    r".*(?:省|市|区|县|旗|镇|乡|村|路|街|巷|弄|胡同|小区|花园|公寓|大厦|号楼|号|栋|幢|单元|楼|室|屯|组)"
    r"(?:[0-9一二三四五六七八九十〇零]+(?:号楼|号|栋|幢|单元|楼|室|层))*"
)


def _mask_addresses(text: str) -> str:
    out, position = [], 0
    for trigger in _ADDRESS_TRIGGER.finditer(text):
        if trigger.start() < position:
            continue
        run = _ADDRESS_RUN.match(text, trigger.end())
        address = _ADDRESS_END.match(run.group(0)) if run else None
        if address is None:
            continue
        out.append(text[position:trigger.end()] + ADDRESS_TOKEN)
        position = trigger.end() + address.end()
    return "".join(out) + text[position:]


def mask_personal_data(text: str) -> str:
    """Return `text` with personal data replaced by tokens: phone numbers, ID-card numbers,
    bank-card numbers, e-mails, passport and social-security card numbers (also in Chinese
    numerals), and a name or home address the user gives.

    :param text: the user's words as received.
    :returns: the text safe to store; figures such as 5.5%, 2021年 or 12333 are kept.
    """
    masked = (text or "").translate(_FULLWIDTH)
    for pattern, token in _PATTERNS:
        masked = pattern.sub(token, masked)
    masked = _CN_NUMBER.sub(_cn_number_token, masked)
    masked = _NAME.sub(lambda m: m.group(1) + NAME_TOKEN, masked)
    return _mask_addresses(masked)


_NORMALISE_DROP = re.compile(r"[\s\u3000，。！？、；：,.!?;:\"'“”‘’（）()【】\[\]<>《》…~—-]+")
_POLITE_PREFIX = re.compile(r"^(?:您好|你好|请问|咨询一下|问一下|我想问一下|我想问|想问一下|想问)+")
_TRAILING_PARTICLES = re.compile(r"(?:吗|呢|啊|呀|吧|哦|嘛|谢谢|谢谢你|谢谢您)+$")


def normalise_question(masked: str) -> str:
    """The dedupe key text: masked question without spacing, punctuation, greetings or trailing particles.

    Tokens such as [手机号] keep their letters so different kinds of data stay apart.

    :param masked: a question already passed through `mask_personal_data`.
    :returns: a compact lower-case form; identical forms are counted as one question before clustering.
    """
    text = masked.lower()
    text = _NORMALISE_DROP.sub("", text.replace("[", "⟦").replace("]", "⟧"))
    text = _POLITE_PREFIX.sub("", text)
    text = _TRAILING_PARTICLES.sub("", text)
    return text or masked.strip().lower()
