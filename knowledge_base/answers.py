"""The user-facing policy answer, in one place for every channel.

    reply = policy_reply(retriever.run("失业金标准提高了吗"), settings.today, settings.epidemic_end)
    reply.reply       # 这项措施已于2023年4月8日结束，以下是通知当时的规定。
                      # 根据大人社发[2020]38号第（八）条“提高失业人员基本待遇标准”：失业人员…上调至95%。
                      # 有效期：至疫情结束后3个月，已于2023年4月8日结束（…）。
    reply.citations   # [Citation(document="大人社发[2020]38号", article=8, title=…, quote=…)]

Validity is judged by `knowledge_base.validity.validity_as_of` for the entries that govern the
quoted clauses; when every quoted measure has ended, the answer says so first, with its date.
"""
from __future__ import annotations

import datetime as dt
import re

from bot.core.messages import say
from bot.core.turn import Citation, Reply, article_label
from knowledge_base.model import Clause, Validity
from knowledge_base.retrieval import HANDOFF_SUGGESTION, ArticleHit, RetrievalResult
from knowledge_base.text import has_chinese
from knowledge_base.validity import ValidityAsOf, chinese_date, validity_as_of  # noqa: F401 (chinese_date re-exported)

INTENT = "ask_policy"
MAX_QUOTED_CLAUSES = 2
MAX_QUOTE_CHARS = 160

# Question words that ask for more than one point: quote up to MAX_SENTENCES sentences.
BROAD_QUESTION = re.compile(r"哪些|有什么|都有|包括|分别|各|政策|措施|帮扶|服务")
MAX_SENTENCES = 3
# What a question asks for, and the kinds of fact (`knowledge_base.facts`) that answer it.
ASKS_AMOUNT = re.compile(r"多少|标准|比例|百分|几成|金额|上限|多高|提高|上调|涨|调高|增加|补贴多|补助多|费率|裁员率|钱|返多|补多")
ASKS_TIME = re.compile(r"多久|多长|期限|什么时候|到什么时|啥时候|截止|几个月|几年|哪天|日期|延长|到期")
AMOUNT_FACTS = frozenset({"percent", "amount", "count"})
TIME_FACTS = frozenset({"duration", "date"})
DEFAULT_DOCUMENT = "大人社发[2020]38号"


def _judged(v: Validity, as_of: dt.date, epidemic_end: dt.date | None) -> ValidityAsOf:
    return validity_as_of(v.kind, as_of, epidemic_end, until=v.until_date, text=v.text, explicit=v.explicit)


def governing_validity(article, clause_numbers: list[int]) -> list[Validity]:
    """The validity entries that govern the quoted clauses: the entry a clause states itself,
    else the nearest one stated before it in the article, else the closing clause's."""
    entries: list[Validity] = list(getattr(article, "validity", None) or [])
    chosen: list[Validity] = []
    for number in clause_numbers or [0]:
        before = [v for v in entries if v.clause is not None and v.clause <= number]
        own = [v for v in before if v.clause == number]
        pick = own or before[-1:] or [v for v in entries if v.clause is None] or entries[:1]
        chosen += [v for v in pick if v not in chosen]
    return chosen  # one entry per measure quoted: the 5.5% bound and the 1% rate ended on different days


def validity_note(article, as_of: dt.date, epidemic_end: dt.date | None = None, clauses: list[int] | None = None) -> str:
    """The validity of an article's measures (or of the quoted clauses), one sentence each.

    :param article: anything with a `validity` list (`Article` or `ArticleHit`).
    :param as_of: the date against which end dates are judged.
    :param epidemic_end: the end of 疫情防控期间 (HOTLINE_EPIDEMIC_END); None keeps it open.
    :param clauses: the quoted clause numbers; None for every entry of the article.
    :returns: e.g. "有效期：至2021年8月31日，已于2021年8月31日结束。"
    """
    entries = governing_validity(article, clauses) if clauses is not None else list(getattr(article, "validity", None) or [])
    lines = list(dict.fromkeys(_judged(v, as_of, epidemic_end).line for v in entries))
    return "".join(lines) or validity_as_of("none_stated", as_of, epidemic_end).line


def _quoted_clauses(hit: ArticleHit) -> list[str]:
    """The best clauses, skipping a clause that only repeats the article title."""
    quotes = []
    for clause in hit.clauses:
        text = clause.text.strip()
        if text.rstrip("。；") == hit.title:
            continue
        quotes.append(text if len(text) <= MAX_QUOTE_CHARS else text[: MAX_QUOTE_CHARS - 1] + "…")
        if len(quotes) == MAX_QUOTED_CLAUSES:
            break
    if not quotes and hit.clauses:
        quotes.append(hit.clauses[0].text.strip())
    return quotes


def citation(hit: ArticleHit) -> Citation:
    """The chat-API citation of one hit (its best clause as the quote)."""
    quotes = _quoted_clauses(hit)
    return Citation(document=hit.document, article=hit.article, title=hit.title, quote=quotes[0] if quotes else "")


def _label(hit: ArticleHit) -> str:
    return hit.label or article_label(hit.article)


def _abstain_text(result: RetrievalResult) -> str:
    topic = "、".join(result.out_of_scope_topics) if result.abstain_reason == "out_of_scope" else ""
    document = result.hits[0].document if result.hits else DEFAULT_DOCUMENT
    if result.abstain_reason == "empty":
        return say("abstain_empty")
    if result.abstain_reason == "no_match" and not has_chinese(result.query or ""):
        return say("abstain_not_chinese")
    if topic:
        text = say("abstain_topic", document=document, topic=topic)
    else:
        text = say("abstain_generic", document=document)
    related = [s for s in result.suggestions if s != HANDOFF_SUGGESTION]
    if related and result.abstain_reason in ("low_confidence", "out_of_scope"):
        text += say("related", titles="、".join(f"“{t}”" for t in related))
    return text


def policy_reply(result: RetrievalResult, as_of: dt.date, epidemic_end: dt.date | None = None, broad: bool = False) -> Reply:
    """Render a retrieval result as the assistant's reply: when every quoted measure has ended,
    a first sentence that says so; then the answer (the whole sentences of the notice that hold
    it, with the citation); then the validity as of `as_of`.

    :param result: what `PolicyRetriever.run` returned.
    :param as_of: the date validity is judged against (`Settings.today`).
    :param epidemic_end: the end of 疫情防控期间 (HOTLINE_EPIDEMIC_END); None keeps it open.
    :param broad: quote the sentences of every clause found, as for "有哪些…" (a topic named alone).
    :returns: a `Reply` with `intent="ask_policy"`; `answered=False` when abstaining.
    """
    suggestions = list(result.suggestions)
    if result.curated is not None:
        answer = result.curated
        cited = [h for h in result.hits if answer.article is not None and h.article == answer.article][:1]
        text = answer.answer.strip()
        if cited:
            hit = cited[0]
            text += say("curated_source", reference=say("citation", document=hit.document, label=_label(hit), title=hit.title))
        elif answer.article is None:  # cites nothing: say who answered, and when; no unrelated articles
            signature = [answer.team, chinese_date(answer.updated) if answer.updated else ""]
            text += "\n" + say("curated_staff", signature="，".join(p for p in signature if p)).replace("（）", "")
            suggestions = [s for s in suggestions if s == HANDOFF_SUGGESTION]
        return Reply(
            reply=text,
            citations=[citation(h) for h in cited],
            answered=True,
            intent=INTENT,
            confidence=result.confidence,
            suggestions=suggestions,
        )
    if result.abstained or not result.hits:
        return Reply(
            reply=_abstain_text(result),
            citations=[],
            answered=False,
            intent=INTENT,
            confidence=result.confidence,
            suggestions=suggestions or [HANDOFF_SUGGESTION],
            abstain_reason=result.abstain_reason or "no_match",
        )
    hit = result.hits[0]
    quoted = _answer_clauses(hit, result.query, broad)
    sentences = "".join(c.text.strip() for c in quoted)
    judged = [_judged(v, as_of, epidemic_end) for v in governing_validity(hit, [c.number for c in quoted])]
    ended = [j for j in judged if j.ended]
    lines = [ended[0].headline] if ended and len(ended) == len(judged) else []
    cited = Citation(document=hit.document, article=hit.article, title=hit.title, quote=sentences)
    lines.append(say("answer", reference=cited.reference, sentences=sentences))
    lines.append("\n".join(dict.fromkeys(j.line for j in judged)) or validity_as_of("none_stated", as_of, epidemic_end).line)
    return Reply(
        reply="\n".join(lines),
        citations=[cited],
        answered=True,
        intent=INTENT,
        confidence=result.confidence,
        suggestions=suggestions,
    )


def _sentence_of(clause: Clause, clauses: tuple[Clause, ...]) -> list[Clause]:
    """The whole sentence a clause belongs to: clauses joined by ；are one sentence."""
    by_number = {c.number: c for c in clauses}
    first = last = clause.number
    while first - 1 in by_number and by_number[first - 1].text.rstrip().endswith("；"):
        first -= 1
    while last in by_number and by_number[last].text.rstrip().endswith("；") and last + 1 in by_number:
        last += 1
    return [by_number[n] for n in range(first, last + 1)]


SHARED_PHRASE = 4  # characters a clause must share in one run with the question to be preferred


def _common_run(a: str, b: str) -> int:
    """The length of the longest run of characters that `a` and `b` share."""
    best = 0
    for i in range(len(b)):
        for j in range(i + best + 1, len(b) + 1):
            if b[i:j] in a:
                best = j - i
            else:
                break
    return best


def _answer_clauses(hit: ArticleHit, question: str, broad: bool = False) -> list[Clause]:
    """The clauses an answer quotes: the whole sentence of the best clause; for a broad question
    ("有哪些…") the sentences of the next best clauses too."""
    article = hit.article_clauses or tuple(sorted(hit.clauses, key=lambda c: c.number))
    ranked = [c for c in hit.clauses if c.text.strip().rstrip("。；") != hit.title] or list(hit.clauses)
    # A clause with the kind of fact asked for (an amount first, then a time) goes first, then one
    # that shares a long phrase with the question ("一次性吸纳就业补贴"); ties keep the rank.
    question = question or ""
    kinds = [k for k, asked in ((AMOUNT_FACTS, ASKS_AMOUNT), (TIME_FACTS, ASKS_TIME)) if asked.search(question)]
    if kinds and not any(f.kind in kinds[0] for c in ranked for f in c.facts):
        # None of the best clauses states it: the article's first clause that does.
        extra = next((c for c in article if any(f.kind in kinds[0] for f in c.facts)), None)
        ranked = ranked + [extra] if extra is not None else ranked

    def preference(clause: Clause) -> tuple:
        has = tuple(not any(f.kind in kind for f in clause.facts) for kind in kinds)
        return (*has, _common_run(clause.text, question) < SHARED_PHRASE)

    if not broad:  # a topic's own order stands: the measure's clause leads
        ranked.sort(key=preference)
    wanted = MAX_SENTENCES if broad or BROAD_QUESTION.search(question) else 1
    chosen: dict[int, Clause] = {}
    sentences = 0
    for clause in ranked:
        if clause.number in chosen:
            continue
        # Past the first sentence, a broad question takes the next ones; another takes one more
        # only when it states the same kind of fact about the same words (5.5% and 3.62%).
        also = kinds and any(f.kind in kinds[0] for f in clause.facts) and _common_run(clause.text, question) >= 3
        if sentences >= wanted and not (also and sentences < 2):
            break
        for c in _sentence_of(clause, article):
            chosen[c.number] = c
        sentences += 1
    return [chosen[n] for n in sorted(chosen)]
