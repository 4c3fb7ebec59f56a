"""Query and passage normalisation, shared by every retriever so both sides match.

`normalize("失業保險金標準是多少？？😀")` → `"失业保险金标准是多少"`:

- full-width → half-width (Unicode NFKC: `３０％` → `30%`);
- traditional → simplified Chinese (OpenCC `t2s`, the reference converter, maintained upstream);
- Chinese numerals before a unit → digits (`三十人` → `30人`, `百分之五点五` → `5.5%`), via cn2an,
  but only there: `一次性`, `统一`, `一对一` keep their characters;
- emoji, symbols and punctuation → a single space; Latin letters lower-cased;
- at most `MAX_QUERY_CHARS` characters, so a pasted 10,000-character text costs no more than a question.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import cn2an

# A policy question is a sentence or two; longer input is cut here before any heavy work.
MAX_QUERY_CHARS = 256

_NUMERAL = "零〇一二两三四五六七八九十百千万点"
_UNITS = "个月|人|年|月|日|号|元|块|课时|分钟|岁|周|天|小时|倍|项|条"
# 百分之五点五 → 5.5% ; 三十人 → 30人 ; 二零二一年 → 2021年
_PERCENT = re.compile(rf"百分之([{_NUMERAL}]+)")
_BEFORE_UNIT = re.compile(rf"([{_NUMERAL}]+)(?=(?:{_UNITS}))")
_SPACES = re.compile(r"\s+")
# A space between two CJK characters or a CJK character and a digit carries no meaning
# (the notice writes "30 人", "2021 年 8 月"), so it is removed to keep tokens together.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_INNER_SPACE = re.compile(rf"(?<=[{_CJK}0-9%.]) (?=[{_CJK}0-9%])|(?<=[{_CJK}]) (?=[0-9%.])")
_CJK_CHAR = re.compile(rf"[{_CJK}]")

_opencc_lock = threading.Lock()


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # imported lazily: a converter is built once per process

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (`失業保險金` → `失业保险金`); other text is unchanged."""
    converter = _t2s()
    with _opencc_lock:  # the C++ converter is not documented as thread-safe
        return converter.convert(text)


def _numeral_to_digits(numeral: str) -> str:
    try:
        value = cn2an.cn2an(numeral, "smart")
    except (ValueError, KeyError, IndexError):
        return numeral
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _digit_run(numeral: str) -> str:
    """`二零二一` (digits read one by one, as in years) → `2021`; otherwise cn2an's reading."""
    if len(numeral) > 1 and all(ch in "零〇一二三四五六七八九" for ch in numeral):
        return "".join(str("零一二三四五六七八九".index(ch) if ch != "〇" else 0) for ch in numeral)
    return _numeral_to_digits(numeral)


def convert_numerals(text: str) -> str:
    """Chinese numerals that count something → Arabic digits; idioms stay as they are.

    :param text: simplified Chinese text.
    :returns: the text with `百分之X` → `X%` and numerals directly before a unit as digits.
    """
    text = _PERCENT.sub(lambda m: _numeral_to_digits(m.group(1)) + "%", text)
    return _BEFORE_UNIT.sub(lambda m: _digit_run(m.group(1)), text)


def _is_kept(ch: str) -> bool:
    """Letters, digits, `%` and `.` carry meaning; punctuation, symbols and emoji do not."""
    return ch in "%." or unicodedata.category(ch)[0] in ("L", "N")


def strip_symbols(text: str) -> str:
    """Replace every punctuation mark, symbol, emoji or control character by a space."""
    return "".join(ch if _is_kept(ch) else " " for ch in text)


def normalize(text: str | None, max_chars: int = MAX_QUERY_CHARS) -> str:
    """The canonical form of a query or passage for matching (not for display).

    :param text: raw user or source text; `None` is treated as empty.
    :param max_chars: cut the input to this many characters before the work (0: no cut).
    :returns: simplified, half-width, lower-case text without symbols; `""` when nothing is left.
    """
    if not text:
        return ""
    if max_chars and len(text) > max_chars:
        text = text[:max_chars]
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    text = _INNER_SPACE.sub("", _SPACES.sub(" ", text))
    text = strip_symbols(text).lower()
    text = convert_numerals(text)
    # "5.5" keeps its point, a lone "." does not
    text = re.sub(r"(?<![0-9])\.|\.(?![0-9])", " ", text)
    return _SPACES.sub(" ", text).strip()


def has_chinese(text: str) -> bool:
    """True when the text contains at least one CJK character."""
    return bool(_CJK_CHAR.search(text))


# Voice transcripts put blanks between words ("二十五个人 交社保的 辞了 六个"): blanks next to a
# Chinese character go, blanks between Latin words stay.
_CJK_BLANK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef])")


def join_blanks(text: str) -> str:
    """Remove the blanks a voice transcript leaves between Chinese words."""
    return _CJK_BLANK.sub("", text)
