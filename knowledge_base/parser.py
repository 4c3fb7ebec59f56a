"""Parse a Chinese government notice (通知/意见/办法) into Document → Section → Article → Clause.

The source is plain text, often converted from PDF or Markdown. The parser
1. normalises it: Markdown noise in headings goes (`##`, `**…**`, `---`, `<http://…>` keeps the
   URL), spaces between Chinese and digits go ("不高于 5.5%" → "不高于5.5%"), full-width digits
   become ASCII, and a line that a page break cut mid-sentence is joined to the next one
   ("通过电\\n\\n话、网络" → "通过电话、网络");
2. reads the header: issuers (the red-head lines), document number (大人社发[2020]38号), title
   (关于…的通知), then the addressees and preamble;
3. reads the body by its numbering: 一、 sections, （一） articles (numbered 1..n through the
   whole notice), 1. / （1） sub-items inside an article. A notice without （一） uses 1. as
   articles; a section without any numbered article becomes one article;
4. reads the tail: the closing clause after the last article (上述…/本通知…), the signature and
   the issue date;
5. splits each article into clauses (sentences, split on 。！？ and on ；), extracts facts
   and validity.

`Document.text` is the normalised text; every offset refers to it:
`doc.text[clause.start:clause.end] == clause.text`.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from knowledge_base.facts import cn_number, extract_facts
from knowledge_base.model import Article, Clause, Document, Section
from knowledge_base.validity import article_validity, closing_rules, resolve_validity


class ParseError(ValueError):
    """The text is not a notice this parser understands; the message says why, in Chinese."""


# --- numbering -------------------------------------------------------------------------------
_CN = "一二三四五六七八九十百"
SECTION_RE = re.compile(rf"^([{_CN}]+)、\s*")
ARTICLE_CN_RE = re.compile(rf"^[（(]([{_CN}]+)[）)]\s*")
ITEM_DOT_RE = re.compile(r"^(\d{1,2})[.．、](?!\d)\s*")
ITEM_PAREN_RE = re.compile(r"^[（(](\d{1,2})[）)]\s*")
# article levels from the highest; the first one present in a notice numbers its articles
_LEVELS = (ARTICLE_CN_RE, ITEM_DOT_RE, ITEM_PAREN_RE)
_LABEL_FORMAT = {ARTICLE_CN_RE: "（{}）", ITEM_DOT_RE: "{}.", ITEM_PAREN_RE: "（{}）"}

# --- header and tail -----------------------------------------------------------------------
DOC_NUMBER_RE = re.compile(r"^[\u4e00-\u9fff]{1,12}\s*[〔\[【(（]\s*\d{4}\s*[〕\]】)）]\s*第?\s*\d+\s*号$")
_DOC_TYPES = "通知|意见|办法|规定|方案|决定|细则|公告|通告|措施|批复|函"
TITLE_END_RE = re.compile(rf"(?:{_DOC_TYPES})$")
DATE_LINE_RE = re.compile(
    r"^(?:\d{4}年\d{1,2}月\d{1,2}日|[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)$"
)
# a paragraph after the last article that starts like this closes the notice
CLOSING_RE = re.compile(r"^(?:上述|以上|本通知|本意见|本办法|本规定|本方案|本措施|特此通知|此前)")

# --- normalisation -------------------------------------------------------------------------
_PROSE = re.compile(r"[，。；,;]")
_TERMINAL = "。！？；：!?;:…"
_OPENERS = "（(《“‘「『【〈["
_CLOSERS = "）)》”’」』】〉]"
_SENTENCE_END = "。！？!?"
_CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_SPACE_CJK_ASCII = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0]+(?=[0-9A-Za-z%])|(?<=[0-9A-Za-z%.])[ \t\u00a0]+(?=[{_CJK}])")
# full-width digits and ％ become ASCII; byte-order marks and zero-width characters go
_FULLWIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "％": "%", "\ufeff": None, "\u200b": None, "\u200c": None, "\u200d": None}
)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+|^\s{0,3}#{1,6}$")
_MD_HEADING_TAIL = re.compile(r"\s+#+\s*$")
_MD_RULE = re.compile(r"^\s*(?:([-*_])\s*){3,}$")
_MD_STRONG = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_MD_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+|mailto:[^>\s]+)>")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(((?:https?|ftp)://[^)\s]+)\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>])")
# A quote marker, but not the `>` that closes an autolink a page break cut off: `>）和…`.
_MD_QUOTE_OR_BULLET = re.compile(rf"^\s*(?:>(?![{re.escape(_CLOSERS)}])\s*)+|^\s*[-*+]\s+")
_URL_SCHEME_END = re.compile(r"(?:https?|ftp|mailto):/{0,2}$")


def _links(line: str) -> str:
    """Markdown links and autolinks as plain text (again after a page-break join: a cut may fall
    inside a link)."""
    line = _MD_LINK.sub(lambda m: f"{m.group(1)}（{m.group(2)}）", line)
    return _MD_AUTOLINK.sub(r"\1", line)


def clean_line(line: str) -> str:
    """One source line without Markdown noise, trailing hard breaks and stray spacing."""
    line = line.translate(_FULLWIDTH).rstrip().rstrip("\\").rstrip()
    if _MD_RULE.match(line):
        return ""
    line = _MD_HEADING.sub("", line)
    line = _MD_HEADING_TAIL.sub("", line)
    line = _MD_QUOTE_OR_BULLET.sub("", line)
    line = _MD_STRONG.sub(lambda m: m.group(1) or m.group(2), line)
    line = line.replace("**", "")  # bold that spans two lines of a wrapped heading
    line = _links(line)
    line = _MD_ESCAPE.sub(r"\1", line)
    line = _SPACE_CJK_ASCII.sub("", line)
    return line.strip()


def _is_marker(line: str) -> bool:
    return any(r.match(line) for r in (SECTION_RE, *_LEVELS))


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip(_CLOSERS)  # 。” and ！）end a sentence, 213号） does not
    if _URL_SCHEME_END.search(stripped):  # `http:` cut off from `//…` by a page break
        return False
    return bool(stripped) and stripped[-1] in _TERMINAL


def _cut_by_page_break(previous: str, following: str) -> bool:
    """True when `following` continues the sentence `previous` was cut in (a page break)."""
    return (
        bool(_PROSE.search(previous))  # headings, issuers and dates never join
        and not _ends_sentence(previous)
        and not _is_marker(following)
        and not DATE_LINE_RE.match(following)
    )


def normalise(source: str) -> list[str]:
    """The notice as a list of logical lines (paragraphs), page-break cuts joined.

    :param source: the raw notice text.
    :returns: non-empty lines; `"\\n".join(lines)` is `Document.text`.
    """
    lines = [clean_line(raw) for raw in source.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    body_seen = False
    out: list[str] = []
    for line in lines:
        if body_seen and out and _cut_by_page_break(out[-1], line):
            out[-1] = _links(out[-1] + line)
            continue
        body_seen = body_seen or _is_marker(line)
        out.append(line)
    return out


# --- sentences -------------------------------------------------------------------------------
def split_sentences(text: str, start: int, end: int, semicolons: bool = True) -> list[tuple[int, int]]:
    """Spans of the sentences in text[start:end], whitespace trimmed.

    A sentence ends at 。！？ (and ； when `semicolons`) outside brackets and quotes, or at a
    line break; a closing quote after 。 stays with its sentence. A piece after ； shorter than
    a few characters stays with the piece before it.
    """
    spans: list[tuple[int, int]] = []
    depth, s, i = 0, start, start
    while i < end:
        ch = text[i]
        if ch == "\n":
            spans.append((s, i))
            s, depth = i + 1, 0
        elif ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
            if depth == 0 and i > start and text[i - 1] in _SENTENCE_END:
                spans.append((s, i + 1))
                s = i + 1
        elif depth == 0 and (ch in _SENTENCE_END or (semicolons and ch in "；;")):
            j = i + 1
            while j < end and text[j] in _SENTENCE_END + "…":
                j += 1
            if j < end and text[j] in _CLOSERS and text[j] not in "）)":
                j += 1
            spans.append((s, j))
            s = i = j
            continue
        i += 1
    spans.append((s, end))
    trimmed: list[tuple[int, int]] = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if not re.search(rf"[0-9A-Za-z{_CJK}]", text[a:b]) or not re.sub(r"[\W_]", "", text[a:b]):
            continue
        short = len(re.sub(r"[\W_]", "", text[a:b])) < 4
        after_semicolon = trimmed and text[trimmed[-1][1] - 1] in "；;"
        if after_semicolon and short and "\n" not in text[trimmed[-1][1]:a]:
            trimmed[-1] = (trimmed[-1][0], b)
        else:
            trimmed.append((a, b))
    return trimmed


# --- structure -----------------------------------------------------------------------------
@dataclass
class _Line:
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class _ArticleDraft:
    label: str
    marker_number: int
    lines: list[_Line]
    body_start: int  # absolute offset after the marker
    title: str | None = None  # set for a section that has no numbered articles


@dataclass
class _SectionDraft:
    number: int
    label: str
    title: str
    articles: list[_ArticleDraft] = field(default_factory=list)
    loose: list[_Line] = field(default_factory=list)  # text before the section's first article


def _number(token: str) -> int:
    value = cn_number(token)
    if value is None:
        raise ParseError(f"无法识别编号“{token}”")
    return int(value)


def parse_notice(text: str, slug: str) -> Document:
    """Parse one notice.

    :param text: the notice as plain text (Markdown noise allowed).
    :param slug: the document's file stem, used in clause ids (e.g. "dalian-hrss-2020-38").
    :returns: the parsed document; offsets refer to `Document.text`.
    :raises ParseError: empty text, no numbered articles, or broken numbering.
    """
    if not text or not text.translate(_FULLWIDTH).strip():
        raise ParseError(f"通知“{slug}”内容为空，无法解析。")
    lines_text = normalise(text)
    lines: list[_Line] = []
    pos = 0
    for line in lines_text:
        lines.append(_Line(line, pos))
        pos += len(line) + 1
    full = "\n".join(lines_text)

    first_marker = next((i for i, ln in enumerate(lines) if _is_marker(ln.text)), None)
    if first_marker is None:
        raise ParseError(f"通知“{slug}”中没有找到编号条款（一、 /（一）/ 1.），无法解析。")
    header, body = lines[:first_marker], lines[first_marker:]

    level = next((r for r in _LEVELS if any(r.match(ln.text) for ln in body)), None)
    body, tail = _split_tail(body, level)
    sections = _read_body(body, level, slug)
    if not any(s.articles for s in sections):
        raise ParseError(f"通知“{slug}”中没有找到编号条款（一、 /（一）/ 1.），无法解析。")

    doc_number, title, issuers, preamble = _read_header(header)
    issued = _issued(tail)
    closing_lines = [ln for ln in tail if _PROSE.search(ln.text)]
    closing = "\n".join(ln.text for ln in closing_lines)
    if not issuers:
        issuers = [ln.text for ln in tail if not _PROSE.search(ln.text) and not DATE_LINE_RE.match(ln.text)]
    default_year = int(issued[:4]) if issued else None
    closing_facts = extract_facts(closing, default_year)
    rules = closing_rules(closing, [(f.start, f.end, f.text, str(f.value)) for f in closing_facts if f.kind == "date"])

    built: list[Section] = []
    number = 0
    for sec in sections:
        articles = []
        for draft in sec.articles:
            number += 1
            articles.append(_build_article(full, draft, number, sec.number, slug, default_year, rules))
        built.append(Section(number=sec.number, title=sec.title, articles=articles))

    return Document(
        slug=slug, doc_number=doc_number or (f"《{title}》" if title else slug), title=title, issuers=issuers,
        issued=issued, text=full, sections=built, closing=closing,
        source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), preamble=preamble,
    )


def _split_tail(body: list[_Line], level: re.Pattern | None) -> tuple[list[_Line], list[_Line]]:
    """Separate the closing, signature and date that follow the last article."""
    last = max(
        (i for i, ln in enumerate(body) if (level and level.match(ln.text)) or SECTION_RE.match(ln.text)),
        default=0,
    )
    end = len(body)
    # signature lines and the date: no sentence punctuation, at the very end
    while end > last + 1 and not _PROSE.search(body[end - 1].text):
        end -= 1
    for i in range(last + 1, end):
        if CLOSING_RE.match(body[i].text):
            end = i
            break
    return body[:end], body[end:]


def _read_body(body: list[_Line], level: re.Pattern | None, slug: str) -> list[_SectionDraft]:
    sections: list[_SectionDraft] = []
    current: _SectionDraft | None = None
    for ln in body:
        m = SECTION_RE.match(ln.text)
        if m:
            current = _SectionDraft(_number(m.group(1)), m.group(0).strip(), ln.text[m.end():].rstrip("。：:"))
            sections.append(current)
            continue
        if current is None:  # articles without any 一、 heading: one untitled section
            current = _SectionDraft(1, "", "")
            sections.append(current)
        m = level.match(ln.text) if level else None
        if m:
            label = _LABEL_FORMAT[level].format(m.group(1))
            current.articles.append(_ArticleDraft(label, _number(m.group(1)), [ln], ln.start + m.end()))
        elif current.articles:
            current.articles[-1].lines.append(ln)
        else:
            current.loose.append(ln)
    for sec in sections:
        # a section with prose but no numbered articles is one article titled by the section
        if not sec.articles and sec.loose:
            sec.articles.append(_ArticleDraft(sec.label, sec.number, sec.loose, sec.loose[0].start, sec.title))
    _check_numbering(sections, slug)
    return sections


def _check_numbering(sections: list[_SectionDraft], slug: str) -> None:
    """Section numbers run 1..n; article numbers run through the notice or restart per section."""
    for expected, sec in enumerate(sections, 1):
        if sec.label and sec.number != expected:
            raise ParseError(f"通知“{slug}”的部分编号不连续：应为第{expected}部分，实际为“{sec.label}”。")
    per_section = [[a for a in sec.articles if a.title is None] for sec in sections]
    flat = [a for arts in per_section for a in arts]
    if all(a.marker_number == i for i, a in enumerate(flat, 1)):
        return  # numbered through the notice: （一）…（二十）
    if all(a.marker_number == i for arts in per_section for i, a in enumerate(arts, 1)):
        return  # restarting in each section
    previous = "（无）"
    for i, art in enumerate(flat, 1):
        if art.marker_number != i:
            raise ParseError(f"通知“{slug}”的条款编号不连续：“{previous}”之后是“{art.label}”。")
        previous = art.label


def _read_header(header: list[_Line]) -> tuple[str, str, list[str], str]:
    """(doc number, title, issuers, preamble) from the lines before the first section."""
    texts = [ln.text for ln in header]
    number_at = next((i for i, t in enumerate(texts) if DOC_NUMBER_RE.match(t)), None)
    doc_number = re.sub(r"\s+", "", texts[number_at]) if number_at is not None else ""
    after = (number_at + 1) if number_at is not None else 0

    title, title_at, title_end = "", None, None
    for i in range(after, len(texts)):
        if _PROSE.search(texts[i]):
            break
        at = texts[i].find("关于")
        if at < 0:
            continue
        candidate, j = texts[i][at:], i
        while not TITLE_END_RE.search(candidate) and j + 1 < len(texts) and j - i < 2 and not _PROSE.search(texts[j + 1]):
            j += 1
            candidate += texts[j]
        if not TITLE_END_RE.search(candidate):
            candidate, j = texts[i][at:], i
        title, title_at, title_end = candidate, i, j
        break
    if title_at is None:  # no 关于…: the last short line ending with a document type
        for i in range(after, len(texts)):
            if _PROSE.search(texts[i]):
                break
            if TITLE_END_RE.search(texts[i]):
                title, title_at, title_end = texts[i], i, i

    issuer_lines = texts[:number_at] if number_at else []
    if not issuer_lines and title_at is not None:
        issuer_lines = texts[after:title_at] + [texts[title_at][: texts[title_at].find("关于")]]
    issuers: list[str] = []
    for line in issuer_lines:
        for name in line.split():
            name = re.sub(r"文件$", "", name)
            if len(name) >= 2 and name not in issuers:
                issuers.append(name)

    rest = texts[(title_end + 1) if title_end is not None else after:]
    return doc_number, title, issuers, "\n".join(rest)


def _issued(tail: list[_Line]) -> str | None:
    for ln in reversed(tail):
        if DATE_LINE_RE.match(ln.text):
            dates = [f for f in extract_facts(ln.text) if f.kind == "date"]
            if dates:
                return str(dates[0].value)
    return None


def _build_article(
    full: str, draft: _ArticleDraft, number: int, section: int, slug: str, default_year: int | None, rules
) -> Article:
    start = draft.body_start
    while start < draft.lines[-1].end and full[start].isspace():
        start += 1
    end = draft.lines[-1].end
    text = full[start:end]
    facts = extract_facts(text, default_year)

    clauses: list[Clause] = []
    item_top = ""
    for ln in draft.lines:
        seg_start = max(ln.start, start)
        label = ""
        if ln.start >= start:  # a line after the marker line may open a sub-item
            for r in (ITEM_DOT_RE, ITEM_PAREN_RE):
                m = r.match(ln.text)
                if m:
                    label = _LABEL_FORMAT[r].format(m.group(1))
                    seg_start = ln.start + m.end()
                    if r is ITEM_DOT_RE:
                        item_top = label
                    elif item_top:
                        label = item_top + label
                    break
            else:
                item_top = ""
        for a, b in split_sentences(full, seg_start, ln.end):
            n = len(clauses) + 1
            clause_facts = [f for f in facts if a - start <= f.start and f.end <= b - start]
            clauses.append(Clause(id=f"{slug}/{number}/{n}", number=n, text=full[a:b], start=a, end=b,
                                  facts=clause_facts, item=label))
    if not clauses:
        raise ParseError(f"通知“{slug}”第{number}条（{draft.label}）没有内容。")

    if draft.title is not None:
        title = draft.title
    else:
        first = split_sentences(full, start, end, semicolons=False)[0]
        title = full[first[0]:first[1]].rstrip(_TERMINAL + "，,")

    def clause_at(offset: int) -> int:
        return next((c.number for c in clauses if c.start <= offset < c.end), clauses[-1].number)

    sentences = [(a - start, b - start, clause_at(a)) for a, b in split_sentences(full, start, end, semicolons=False)]
    date_facts = [(f.start, f.end, f.text, str(f.value)) for f in facts if f.kind == "date"]
    validity = resolve_validity(text, article_validity(sentences, text, date_facts), rules)
    return Article(number=number, title=title, text=text, start=start, end=end, section=section, clauses=clauses,
                   facts=facts, validity=validity, label=draft.label)

