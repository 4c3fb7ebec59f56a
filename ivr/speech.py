"""Answers rewritten for the ear: short, no URLs or markup, numbers and symbols as words.

Chat answers are written to be read; a caller only hears them once, through Polly. So:

- markup, URLs, emoji and brackets go (a short parenthesis such as （含） keeps its words, a longer
  one becomes a clause between commas);
- numbers become Mandarin words with `cn2an` after the forms it cannot know are rewritten first:
  300元/人 → 每人三百元, 3/28 → 三除以二十八, ≈ ≤ ≥ → 约等于 / 不超过 / 不少于, hotline and phone
  numbers digit by digit (12333 → 一二三三三), document numbers 〔2017〕213号 → 二零一七年第二百一十三号;
- the result is cut at a sentence boundary to about 40 seconds of speech (Polly speaks 4–5 Chinese
  characters a second), and a caller who did not hear everything is pointed to the WeChat account.
"""
from __future__ import annotations

import re

import cn2an

from bot.core.messages import say

# About 40 s of Mandarin at 4–5 characters a second.
SPEECH_MAX_CHARS = 180

_DIGIT_WORDS = dict(zip("0123456789", "零一二三四五六七八九"))
_SENTENCE_END = "。！？；"
_CLAUSE_END = "，、：" + _SENTENCE_END

# A link and the words that only point at it (详见：…, 网址：…).
_URL = re.compile(
    r"(?:(?:详见|请见|参见|请访问|访问|请登录|登录|网址|网站|链接)[：:]?\s*)?"
    r"<?(?:https?://|www\.)[^\s<>（）()，。；！？\u4e00-\u9fff]+>?",
    re.IGNORECASE,
)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\u2B00-\u2BFF\uFE0F\u200D]"
)
_MARKDOWN_LINE = re.compile(r"^\s*(?:#{1,6}\s*|>\s*|[-*•·]\s+|\d+[.)]\s+)", re.MULTILINE)
_MARKDOWN_INLINE = re.compile(r"\*\*|__|`+|~~")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_STRAY_MARKS = re.compile(r"[#*_|^\\]")

_NUMBER = r"\d+(?:\.\d+)?"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
# cn2an reads every number before 年 as a year, digit by digit (10年 → 一零年); only four digits
# are a year, shorter ones are a count of years.
_YEARS = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?=\s*年)")
_PER_UNIT = re.compile(rf"({_NUMBER})\s*元\s*/\s*(人次|人|月|年|天|课时|次|户)")
_FRACTION = re.compile(rf"({_NUMBER})\s*/\s*({_NUMBER})")
_RANGE = re.compile(rf"({_NUMBER})\s*[-–—~～]\s*(?={_NUMBER})")
_DOC_NUMBER = re.compile(r"[〔\[［(（](\d{4})[〕\]］)）]\s*(\d+)\s*号")
# Five or more digits that are not an amount: hotline, phone and account numbers, read digit by
# digit (a 0411 area code with its dash too).
_DIGIT_STRING = re.compile(r"(?<![\d.])(?:0\d{2,3}-)?\d{5,}(?![\d.]|\s*(?:元|万|亿|人|个|%|％|年|户|次))")
_SPACE_NEAR_CJK = re.compile(r"\s*([^\x00-\x7f])\s*")
_SPACES = re.compile(r"\s+")

# Comparison symbols (each of an entry in turn) as the notice words them. After a number some start
# a new clause: 3/28 ≈ 10.7% ≤ 20% → 三除以二十八约等于百分之十点七，不超过百分之二十.
_COMPARISONS = (
    ("≈", "约等于", False),
    ("≤⩽", "不超过", True),
    ("≥⩾", "不少于", True),
    ("<＜", "低于", True),
    (">＞", "高于", True),
    ("＝=", "等于", False),
    ("×", "乘以", False),
    ("÷", "除以", False),
    ("＋+", "加", False),
)
_ENUMERATOR = re.compile(r"(第)?[（(]([一二三四五六七八九十]{1,3})[）)]")
_BRACKETS = re.compile(r"[（(【\[［〔{]([^（(【\[［〔{）)】\]］〕}]*)[）)】\]］〕}]")
_QUOTES = re.compile(r"[“”\"‘’'「」『』《》〈〉]")
_PUNCT_RUN = re.compile(r"([，、：；。！？])[，、：；。！？\s]*")


def digits_one_by_one(digits: str) -> str:
    """Read a digit string one digit at a time: `12333` → `一二三三三`.

    :param digits: digits, possibly with a dash after an area code (`0411-…`).
    :returns: the Mandarin words.
    """
    return "".join(_DIGIT_WORDS.get(ch, "") for ch in digits)


def strip_markup(text: str) -> tuple[str, bool]:
    """Remove what a listener cannot hear: markup, HTML, emoji, URLs.

    :param text: the answer as written for chat.
    :returns: the text and whether a URL was removed (then the caller is pointed elsewhere).
    """
    had_url = bool(_URL.search(text))
    text = _MARKDOWN_LINK.sub(r"\1", text)
    for noise in (_URL, _HTML_TAG, _EMOJI, _MARKDOWN_LINE, _MARKDOWN_INLINE, _STRAY_MARKS):
        text = noise.sub("", text)
    return text, had_url


def _flatten_lines(text: str) -> str:
    """Line breaks become sentence ends unless the line already ends with punctuation."""
    out = []
    for line in (part.strip() for part in text.splitlines()):
        if not line:
            continue
        out.append(line if line[-1] in _CLAUSE_END else line + "。")
    return "".join(out)


def _enumerator(match: re.Match) -> str:
    return f"第{match.group(2)}" if match.group(1) else f"{match.group(2)}，"


def _year_or_count(match: re.Match) -> str:
    number = match.group(1)
    if len(number) == 4 and number.isdigit():
        return digits_one_by_one(number)
    return cn2an.an2cn(number)


def _unbracket(match: re.Match) -> str:
    inner = match.group(1).strip()
    if not inner:
        return ""
    # （含） stays a word in the sentence; a longer aside is spoken as its own clause.
    return inner if len(inner) <= 2 else f"，{inner}，"


def _comparisons(text: str) -> str:
    for symbols, words, new_clause in _COMPARISONS:
        for symbol in symbols:
            if new_clause:
                text = re.sub(rf"(?<=[\d%％\u4e00-\u9fff])\s*{re.escape(symbol)}\s*", f"，{words}", text)
            text = re.sub(rf"\s*{re.escape(symbol)}\s*", words, text)
    return text


def read_aloud(text: str) -> str:
    """Rewrite numbers and symbols as Mandarin words, and drop brackets and quotes.

    :param text: plain text (markup already removed).
    :returns: text Polly reads correctly, e.g. `300元/人` → `每人三百元`, `5.5%` → `百分之五点五`.
    """
    text = text.replace("％", "%")
    text = _THOUSANDS.sub("", text)
    text = _ISO_DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = _DOC_NUMBER.sub(lambda m: f"{digits_one_by_one(m.group(1))}年第{m.group(2)}号", text)
    text = _DIGIT_STRING.sub(lambda m: digits_one_by_one(m.group(0)), text)
    text = _YEARS.sub(_year_or_count, text)
    text = _PER_UNIT.sub(lambda m: f"每{m.group(2)}{m.group(1)}元", text)
    text = _FRACTION.sub(r"\1除以\2", text)
    text = _RANGE.sub(r"\1至", text)
    text = _comparisons(text)
    # （四） numbers an article or an item: 第（四）条 → 第四条, a leading （四） → 四，
    text = _ENUMERATOR.sub(_enumerator, text)
    # Brackets nest rarely; two passes undo one level of nesting.
    for _ in range(2):
        text = _BRACKETS.sub(_unbracket, text)
    text = re.sub(r"[（）()【】\[\]［］〔〕{}]", "", text)
    text = _QUOTES.sub("", text)
    text = _SPACE_NEAR_CJK.sub(r"\1", text)
    text = _SPACES.sub(" ", text).strip()
    text = cn2an.transform(text, "an2cn")
    return _tidy(text)


def _tidy(text: str) -> str:
    """One punctuation mark where rewriting left several; none at the start."""
    text = _PUNCT_RUN.sub(lambda m: _strongest(m.group(0)), text)
    return text.lstrip("，、：；。！？ ").strip()


def _strongest(run: str) -> str:
    for mark in "？！。；：，、":
        if mark in run:
            return mark
    return run[0]


def shorten(text: str, max_chars: int = SPEECH_MAX_CHARS) -> tuple[str, bool]:
    """Cut spoken text to at most `max_chars`, at a sentence boundary when one fits.

    :param text: spoken text (after `read_aloud`).
    :param max_chars: the limit, about 40 s of speech by default.
    :returns: the text and whether anything was cut.
    :raises ValueError: `max_chars` is not positive.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    if len(text) <= max_chars:
        return text, False
    for ends in (_SENTENCE_END, _CLAUSE_END):
        cut = max((text.rfind(mark, 0, max_chars) for mark in ends), default=-1)
        if cut >= max_chars // 3:  # a boundary that keeps a useful part of the answer
            return text[:cut].rstrip("，、：；") + "。", True
    return text[: max_chars - 1] + "。", True


def for_ear(text: str, max_chars: int = SPEECH_MAX_CHARS) -> str:
    """The whole rewrite of a chat answer for the telephone.

    :param text: the `Reply.reply` as the chat shows it.
    :param max_chars: the spoken-length cap (characters after rewriting).
    :returns: plain Mandarin text ending with a full stop; empty for an empty answer. When the
        answer was cut or had a link, it ends by pointing to the 大连人社12333 WeChat account.
    """
    text, had_url = strip_markup(text or "")
    spoken = read_aloud(_flatten_lines(text))
    if not spoken:
        return read_aloud(say("ivr_more_info")) if had_url else ""
    if spoken[-1] not in _SENTENCE_END:
        spoken += "。"
    spoken, cut = shorten(spoken, max_chars)
    if cut or had_url:
        spoken += read_aloud(say("ivr_more_info"))
    return spoken
