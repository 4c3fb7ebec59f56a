"""Mask personal data in a question before it is stored: phone numbers, ID-card numbers, bank cards.

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
    # Any other 17 digits + check character is still an ID number (mistyped date).
    (re.compile(_NOT_DIGIT_BEFORE + r"\d{17}[Xx]" + _NOT_DIGIT_AFTER), ID_TOKEN),
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


def mask_personal_data(text: str) -> str:
    """Return `text` with phone numbers, ID-card numbers, bank-card numbers and e-mails replaced by tokens.

    :param text: the user's words as received.
    :returns: the text safe to store; figures such as 5.5%, 2021年 or 12333 are kept.
    """
    masked = (text or "").translate(_FULLWIDTH)
    for pattern, token in _PATTERNS:
        masked = pattern.sub(token, masked)
    return masked


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
