"""The user-facing policy answer, in one place for chat, Rasa actions and the IVR.

    reply = policy_reply(retriever.run("失业金标准提高了吗"), as_of=settings.today)
    reply.reply       # 根据《…》（大人社发[2020]38号）第（八）条“提高失业人员基本待遇标准”：…
    reply.citations   # [Citation(document="大人社发[2020]38号", article=8, title=…, quote=…)]

Validity is stated from the parsed `Validity` entries; an explicit end date that lies before
`as_of` is called out plainly: 该措施的截止日期2021年8月31日已过（按2026年11月25日计）。
"""
from __future__ import annotations

import datetime as dt
from bot.reply import Citation, Reply
from knowledge_base.model import Validity
from knowledge_base.retrieval import HANDOFF_SUGGESTION, ArticleHit, RetrievalResult
from knowledge_base.text import has_chinese

INTENT = "ask_policy"
MAX_QUOTED_CLAUSES = 2
MAX_QUOTE_CHARS = 160
CHINESE_NUMERALS = "零一二三四五六七八九"

# Answer templates (Simplified Chinese); every channel renders these.
ANSWER_HEAD = "根据《{title}》（{document}）第{label}条“{article_title}”："
CURATED_SOURCE = "（参考：{document}第{label}条“{article_title}”）"
# A staff answer that cites nothing from the notice: who wrote it and when, on a line of its own.
CURATED_STAFF = "——工作人员答复（{signature}）"  # signature: "大连市12333热线，2026年12月3日"
ABSTAIN_EMPTY = "请输入您要咨询的问题，例如：“失业保险金标准提高了吗？”"
ABSTAIN_NOT_CHINESE = "目前只支持用中文提问，请用中文描述您的问题，例如：“失业保险金标准提高了吗？”"
ABSTAIN_TOPIC = "本通知（{document}）未涉及{topic}方面的规定，我无法据此回答。{next_step}"
ABSTAIN_GENERIC = "本通知（{document}）未涉及您问的这个问题，或者我没能准确理解。{next_step}"
NEXT_STEP = "您可以换个说法再问，或回复“转人工”由人工客服为您解答。"
RELATED = "相关的内容有：{titles}。"

VALIDITY_EPIDEMIC = "有效期：疫情防控期间（通知未写明具体截止日期，请以最新政策为准）。"
VALIDITY_EPIDEMIC_CLOSING = "有效期：通知规定补贴类政策除已明确时限外，统一执行至疫情防控期间结束（未写明具体日期）。"
VALIDITY_AFTER_EPIDEMIC = "时限：{text}（通知未写明具体日期，请以最新政策为准）。"
VALIDITY_UNTIL = "时限：{text}"
VALIDITY_PAST = "该措施的截止日期{date}已过（按{as_of}计）。"
VALIDITY_CURRENT = "截至{as_of}，该期限尚未届满。"
VALIDITY_NONE = "有效期：通知未对本条规定单独的执行期限。"
DEFAULT_DOCUMENT = "大人社发[2020]38号"


def chinese_date(day: dt.date) -> str:
    """2021-08-31 → 2021年8月31日."""
    return f"{day.year}年{day.month}月{day.day}日"


def article_label(number: int) -> str:
    """4 → （四）, 12 → （十二）, 20 → （二十）: the numbering as the notice prints it."""
    if number <= 0:
        return f"（{number}）"
    tens, units = divmod(number, 10)
    if number < 10:
        text = CHINESE_NUMERALS[units]
    elif number < 100:
        text = ("" if tens == 1 else CHINESE_NUMERALS[tens]) + "十" + (CHINESE_NUMERALS[units] if units else "")
    else:
        text = str(number)
    return f"（{text}）"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(("。", "；", "！", "？")) else text + "。"


def validity_note(article, as_of: dt.date) -> str:
    """The validity of an article's measures, in one or two sentences.

    :param article: anything with a `validity` list (`Article` or `ArticleHit`).
    :param as_of: the date against which explicit end dates are judged.
    :returns: e.g. "时限：失业保险继续执行总费率为1%的阶段性降低费率政策至2021年8月31日。
        该措施的截止日期2021年8月31日已过（按2026年11月25日计）。"
    """
    entries: list[Validity] = list(getattr(article, "validity", None) or [])
    kinds = {v.kind: v for v in entries}
    notes: list[str] = []
    if "epidemic_period" in kinds:
        notes.append(VALIDITY_EPIDEMIC if kinds["epidemic_period"].explicit else VALIDITY_EPIDEMIC_CLOSING)
    if "after_epidemic" in kinds:
        text = kinds["after_epidemic"].text.rstrip("。") or "至疫情结束后3个月"
        notes.append(VALIDITY_AFTER_EPIDEMIC.format(text=text))
    for v in entries:
        until = v.until_date
        if until is None:
            continue
        if v.text:
            notes.append(VALIDITY_UNTIL.format(text=_sentence(v.text)))
        template = VALIDITY_PAST if until < as_of else VALIDITY_CURRENT
        notes.append(template.format(date=chinese_date(until), as_of=chinese_date(as_of)))
    return "".join(notes) or VALIDITY_NONE


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
        return ABSTAIN_EMPTY
    if result.abstain_reason == "no_match" and not has_chinese(result.query or ""):
        return ABSTAIN_NOT_CHINESE
    if topic:
        text = ABSTAIN_TOPIC.format(document=document, topic=topic, next_step=NEXT_STEP)
    else:
        text = ABSTAIN_GENERIC.format(document=document, next_step=NEXT_STEP)
    related = [s for s in result.suggestions if s != HANDOFF_SUGGESTION]
    if related and result.abstain_reason in ("low_confidence", "out_of_scope"):
        text += RELATED.format(titles="、".join(f"“{t}”" for t in related))
    return text


def policy_reply(result: RetrievalResult, as_of: dt.date) -> Reply:
    """Render a retrieval result as the assistant's reply.

    :param result: what `PolicyRetriever.run` returned.
    :param as_of: the date validity is judged against (`Settings.today`).
    :returns: a `Reply` with `intent="ask_policy"`; `answered=False` when abstaining.
    """
    suggestions = list(result.suggestions)
    if result.curated is not None:
        answer = result.curated
        cited = [h for h in result.hits if answer.article is not None and h.article == answer.article][:1]
        text = answer.answer.strip()
        if cited:
            hit = cited[0]
            text += CURATED_SOURCE.format(document=hit.document, label=_label(hit), article_title=hit.title)
        elif answer.article is None:  # cites nothing: say who answered, and when; no unrelated articles
            signature = [answer.team, chinese_date(answer.updated) if answer.updated else ""]
            text += "\n" + CURATED_STAFF.format(signature="，".join(p for p in signature if p)).replace("（）", "")
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
    lines = [
        ANSWER_HEAD.format(
            title=hit.document_title or "政策通知", document=hit.document, label=_label(hit), article_title=hit.title
        )
    ]
    lines += [f"“{q}”" for q in _quoted_clauses(hit)]
    lines.append(validity_note(hit, as_of))
    return Reply(
        reply="\n".join(lines),
        citations=[citation(hit)],
        answered=True,
        intent=INTENT,
        confidence=result.confidence,
        suggestions=suggestions,
    )
