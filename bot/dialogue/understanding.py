"""Dialogue understanding: one message and the dialogue state in, commands out.

Every signal counts together, as in Rasa's CALM (without an LLM): Rasa's intent, the fact
parser's slot values, retrieval's evidence (its article, confidence and abstention), the cue
words of `bot.dialogue.cues`, and what the dialogue is doing (an open check, the slot asked
for, the last verdict, the article in focus). The commands are carried out by
`bot.dialogue.engine`; nothing here has side effects.

The rules, in order:
1. 转人工 hands off, whatever else the message says.
2. In a check: 算了 cancels; facts of the check are set (several at once, any order, corrections);
   "不知道" explains the slot asked for; another measure asked about for oneself switches the
   check; a question is answered (and the check closed or resumed); small talk resumes;
   anything else is not understood.
3. Outside a check: "那要是…呢" with a fact re-judges the last verdict; whether a measure still
   runs or how long it lasts is answered first, even with a fact of one's case; a question about
   one's own case (or facts stated about it) starts the check of that measure (named by its
   words, by the facts, or by the clause retrieval found); a question about the notice itself
   (its date, issuers) is answered from its heading; a class of cases asked with the facts of a
   verdict gets the verdict when they settle it; a question about what a measure says is
   answered; a follow-up that names no topic is answered from the article in focus, unless Rasa
   is sure it is about something else; a near miss or a question outside the notice says so.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.messages import say
from bot.dialogue import cues
from bot.dialogue.state import DialogueState
from bot.eligibility import RuleTable
from bot.eligibility.engine import SlotValueError, missing_slots
from bot.eligibility.parsing import candidate_values, extract_slots, infer_facts, unit_facts

# Rasa intents: confident small talk is small talk; a confident check_<rule> names the measure.
SMALL_TALK_INTENTS = frozenset({"greet", "thank", "goodbye", "affirm", "deny", "chitchat"})
NLU_CONFIDENT = 0.6
CHECK_PREFIX = "check_"
# A message this short that retrieval cannot place is a follow-up on the article in focus.
SHORT_MESSAGE = 6
# Retrieval this sure of another article outweighs the one in focus ("那疫情时候现场招聘会还开吗"
# after the graduates' deadline): the message names its own topic.
SURE_ELSEWHERE = 0.9
SMALL_TALK_SURE = 0.8  # small talk this sure wins over a follow-up reading
OUT_OF_SCOPE_SURE = 0.9  # Rasa this sure of out_of_scope, with retrieval NOWHERE_NEAR, wins over the focus
NOWHERE_NEAR = 0.2
# Facts of one measure that make a question about a class of cases a case to judge ("中小微企业裁员率
# 正好5.5%能不能申请"): the verdict answers it, when they settle it.
CLASS_CASE_FACTS = 2
MAX_TOPIC_CLAUSES = 6  # clauses kept for a topic named alone (the answer quotes at most 3 sentences)
# Facts that belong to one person's or one firm's case (a head count, years paid): stating them
# is telling one's own case. Choices and rates alone ("中小微企业裁员率5.5%…") describe a class.
CASE_FACTS = frozenset({
    "employees", "layoffs", "layoff_rate", "contribution_years", "class_hours", "unemployed_registered_months",
    "contract_years", "accident_insurance_premium", "same_project_subsidized", "class_minutes",
})
# Facts that are events in one person's life: own case when told as a completed event.
EVENT_FACTS = frozenset({"separation_reason", "covid_infected", "lost_income", "rent_waived"})


@dataclass(frozen=True)
class Nlu:
    """Rasa's reading of a message; `available=False` when Rasa could not be asked."""

    intent: str = ""
    confidence: float = 0.0
    available: bool = True

    def says(self, *intents: str, at_least: float = NLU_CONFIDENT) -> bool:
        return self.intent in intents and self.confidence >= at_least


@dataclass(frozen=True)
class Signals:
    """Everything known about one message before deciding what it does.

    :param text: the message, simplified and stripped.
    :param nlu: Rasa's intent.
    :param facts: slot values the message states (fact parser; not yet validated).
    :param retrieval: `PolicyRetriever.run(text)`.
    :param focused: retrieval of the text with the article in focus as context, when the message
        may be a follow-up; None otherwise.
    :param rule: the measure the message names (words of the rule table, else Rasa's check intent).
    :param near_miss: what the notice lacks that the message asks for (`near_miss.tsv`).
    """

    text: str
    nlu: Nlu
    facts: dict[str, Any]
    retrieval: Any
    focused: Any = None
    rule: str | None = None
    near_miss: str | None = None


# -- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """Answer a policy question from `result` (a retrieval result)."""

    result: Any
    resume: bool = False  # a check is open on this article: ask its next fact again after
    broad: bool = False  # a topic named alone: quote every sentence found, not only the best


@dataclass(frozen=True)
class StartCheck:
    rule: str


@dataclass(frozen=True)
class SetSlots:
    values: dict[str, Any] = field(default_factory=dict)
    correction: bool = False


@dataclass(frozen=True)
class ReJudge:
    """Judge the last verdict's rule again with changed facts ("那要是…呢")."""

    rule: str


@dataclass(frozen=True)
class SetRange:
    """A vague answer to the slot asked ("两三年"): the values it leaves open."""

    slot: str
    values: tuple


@dataclass(frozen=True)
class ExplainSlot:
    """The user does not know the fact asked for: where to find it, or the outcome per case."""

    slot: str


@dataclass(frozen=True)
class Resume:
    """Ask the open check's next fact again (after small talk, or "继续")."""


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Handoff:
    pass


@dataclass(frozen=True)
class SmallTalk:
    intent: str


@dataclass(frozen=True)
class OutOfScope:
    topic: str | None = None  # a near miss names what the notice lacks


@dataclass(frozen=True)
class JudgeOrAnswer:
    """A class of cases asked about with every fact a verdict needs ("大企业，没受疫情影响，裁员率3.62%，
    能申请稳岗返还吗"): the verdict when the facts settle it, else `answer`; never a question back."""

    rule: str
    values: dict
    answer: Answer


@dataclass(frozen=True)
class AboutNotice:
    """Say what the notice is: its number, title, issuers and date ("38号文是哪天发的")."""


@dataclass(frozen=True)
class Clarify:
    """Ask which measure is meant (`topic`), or say the message was not understood."""

    kind: str  # "topic" | "not_understood"


Command = (Answer | StartCheck | SetSlots | SetRange | ReJudge | ExplainSlot | Resume | Cancel | Handoff | SmallTalk
           | OutOfScope | JudgeOrAnswer | AboutNotice | Clarify)


# -- signals -----------------------------------------------------------------------------------


def named_rule(text: str, nlu: Nlu, table: RuleTable, retrieval=None) -> str | None:
    """The measure a message names: the longest word of a rule that it contains (the last one said
    among equals), else Rasa's confident check intent when retrieval does not point to another article."""
    best, key = None, (0, -1)
    text = cues.RECEIVING.sub("", text)
    for rule in table:
        for word in rule.words:
            at = text.rfind(word)
            # The longest word wins; between words as long, the one said last ("领着失业金，还能领失业补助金吗").
            if at >= 0 and (len(word), at) > key:
                best, key = rule.id, (len(word), at)
    if best is None and nlu.intent.startswith(CHECK_PREFIX) and nlu.confidence >= NLU_CONFIDENT:
        candidate = nlu.intent[len(CHECK_PREFIX):]
        top = _top_article(retrieval) if _answerable(retrieval) else None
        if candidate in table and table[candidate].needs_word:
            candidate = next((r.id for r in table if r.article == table[candidate].article and r.checkable
                              and not r.needs_word), None)
        if candidate in table and top in (None, table[candidate].article):
            best = candidate
    return best


def rule_of_facts(facts: dict, table: RuleTable) -> str | None:
    """The checkable rule that asks for the most of the stated facts; between equals, the one that
    reads more of them (an amount it would not ask: "一年上了200个课时"), then one any asker may mean
    (a firm that hired, not the agency that needs its word said), then table order."""
    best, count = None, (0, 0, False)
    for rule in table:
        if not rule.checkable:
            continue
        n = (len(set(facts) & asked_by(rule)), len(set(facts) & set(rule.reads)), not rule.needs_word)
        if n[0] and n > count:
            best, count = rule.id, n
    return best


def asked_by(rule) -> set[str]:
    """The facts a rule reads that it would ask for: an optional one ("没交失业保险" for 稳岗返还)
    decides when told, but does not make a message about that measure."""
    return set(rule.reads) - {i.slot for i in rule.inputs if i.optional}


def checkable_rule(rule_id: str | None, table: RuleTable) -> str | None:
    """The rule itself when it has facts to ask, else the first checkable rule of its article."""
    if rule_id is None or rule_id not in table:
        return None
    rule = table[rule_id]
    if rule.checkable:
        return rule.id
    return article_rule(rule.article, table)


def article_rule(article: int | None, table: RuleTable) -> str | None:
    """The first checkable rule of an article of the notice for any asker (not one that needs its
    word said, like the agency's), or None."""
    rules = [r for r in table if r.article == article and r.checkable]
    return next((r.id for r in rules if not r.needs_word), rules[0].id if rules else None)


def relevant(facts: dict, rule_id: str | None, table: RuleTable) -> dict:
    """The facts a rule reads, with what follows from the others (years paid: insured)."""
    if rule_id is None or rule_id not in table:
        return {}
    reads = set(table[rule_id].reads)
    return {slot: value for slot, value in {**infer_facts(facts), **facts}.items() if slot in reads}


def kin_facts(facts: dict, rule_id: str, table: RuleTable) -> dict:
    """The facts any measure of the rule's article reads: a referral to one of them ("自己辞职的" turns
    失业金 into 失业补助金) finds them already told."""
    article = table[rule_id].article
    return {k: v for r in table if r.article == article for k, v in relevant(facts, r.id, table).items()}


def _named(sig: Signals, table: RuleTable) -> bool:
    """Whether the message says a word of the measure it is about, rather than Rasa guessing it."""
    return sig.rule is not None and any(w in sig.text for w in table[sig.rule].words)


def _plainly_elsewhere(sig: Signals) -> bool:
    """Rasa sure the message is outside the notice, and retrieval nowhere near an article: not a
    follow-up on the measure in focus, however the focus would read it ("明天大连会下雨吗")."""
    return sig.nlu.says("out_of_scope", at_least=OUT_OF_SCOPE_SURE) and not cues.FOLLOW_UP.search(sig.text) \
        and sig.retrieval is not None and sig.retrieval.abstained and sig.retrieval.confidence < NOWHERE_NEAR


def _answerable(result) -> bool:
    return result is not None and not result.abstained and bool(result.hits or result.curated)


def _top_article(result) -> int | None:
    return result.hits[0].article if result is not None and result.hits else None


# -- the decision ------------------------------------------------------------------------------


def understand(sig: Signals, state: DialogueState, table: RuleTable) -> list[Command]:
    """The commands one message gives in the current dialogue state (see the module docstring)."""
    text = sig.text
    if cues.HANDOFF.search(text) or sig.nlu.says("ask_human", at_least=0.8):
        return [Handoff()]
    if state.check is not None and state.check in table:
        return _in_check(sig, state, table)
    return _outside_check(sig, state, table)


def _in_check(sig: Signals, state: DialogueState, table: RuleTable) -> list[Command]:
    text, check = sig.text, state.check
    own = relevant(sig.facts, check, table)
    other = checkable_rule(sig.rule, table)
    if (other is None or (other == check and not _named(sig, table))) and not set(own) & asked_by(table[check]):
        # "先不说这个，我老婆交了三年失业保险被辞退了": two facts another measure asks for outweigh Rasa's guess
        by_facts = rule_of_facts(sig.facts, table)
        if by_facts is not None and len(set(sig.facts) & asked_by(table[by_facts])) >= 2:
            other = by_facts
    switching = other is not None and other != check and table[other].article != table[check].article
    if cues.CANCEL.search(text) or (sig.nlu.says("stop", "goodbye") and not own):
        return [Cancel()]
    if state.asking:
        values = candidate_values(state.asking, text)
        # "两三年吧", "九年还是十年": the check may not need the exact number (a range beats the
        # first number the fact parser took; one vague number only when nothing exact was said).
        if len(values) > 1 or (values and state.asking not in own):
            # "七八年吧，是她自己不干的": a choice told with it counts, and a number in another unit
            # ("7个月以上，签了一年半合同"); one in the same unit may be the vague one misread
            unit = table.slots[state.asking].unit
            others = {k: v for k, v in own.items() if k != state.asking
                      and (table.slots[k].type in ("bool", "choice") or table.slots[k].unit != unit)}
            return [SetRange(state.asking, tuple(values)), *([SetSlots(others)] if others else [])]
    if cues.ASIDE.search(text) and cues.QUESTION.search(text) and _answerable(sig.retrieval):
        # "等下先问一个，培训补贴每课时多少钱": answered, and the check waits
        return [Answer(sig.retrieval, resume=True)]
    told_other = set(relevant(sig.facts, other, table)) & asked_by(table[other]) if other else set()
    # "先不说这个，培训补贴一个人一年最多给多少": the standard of another measure, answered first
    standard_asked = bool(cues.HOW_MUCH.search(text)) and not told_other and _answerable(sig.retrieval)
    if switching and not standard_asked and (cues.asks_own_case(text) or told_other):
        return [StartCheck(other), SetSlots(kin_facts(sig.facts, other, table))]
    question = bool(cues.QUESTION.search(text))

    # "不知道算不算中小微企业": the fact named is the doubt, not an answer; "记不清，两三年吧" is no question.
    asks_back = bool(cues.ASKS_BACK.search(text))
    if cues.DONT_KNOW.search(text) and state.asking in own and _told_beside_doubt(text, state.asking):
        return [SetSlots(own)]  # "不知道算不算，我2022年12月阳过一次": the doubt is whether it counts
    if cues.DONT_KNOW.search(text) and state.asking and set(own) <= {state.asking} and not (asks_back and not own and _answerable(sig.retrieval)):
        return [ExplainSlot(state.asking)]
    if own:
        # "不对，我是被辞退的，交了五年": the years go with it, for the measure of the same article it leads to
        return [SetSlots({**kin_facts(sig.facts, check, table), **own}, correction=bool(cues.CORRECTION.search(text)))]
    if cues.RESUME.search(text):
        return [Resume()]
    if sig.near_miss:
        return [OutOfScope(sig.near_miss)]
    if cues.FILLER_ONLY.match(text) or (sig.nlu.intent in ("affirm", "deny") and not cues.YES_OR_NO.search(text)):
        return [Clarify("not_understood")]
    if sig.nlu.says(*SMALL_TALK_INTENTS, at_least=SMALL_TALK_SURE) and not question:
        return [SmallTalk(sig.nlu.intent), Resume()]
    if question and _plainly_elsewhere(sig):
        return [OutOfScope()]
    if question:
        if _answerable(sig.focused):  # a question about the measure being checked
            return [Answer(sig.focused, resume=True)]
        if _answerable(sig.retrieval) and len(text) > SHORT_MESSAGE:
            return [Answer(sig.retrieval, resume=_top_article(sig.retrieval) == table[check].article)]
    if sig.nlu.says(*SMALL_TALK_INTENTS):
        return [SmallTalk(sig.nlu.intent), Resume()]
    if question and (sig.nlu.says("out_of_scope") or (sig.retrieval is not None and sig.retrieval.abstain_reason == "out_of_scope")):
        return [OutOfScope()]
    return [Clarify("not_understood")]


def _outside_check(sig: Signals, state: DialogueState, table: RuleTable) -> list[Command]:
    text = sig.text
    if state.last_rule in table and (cues.WHAT_IF.search(text) or cues.CORRECTION.search(text) or len(text) <= 12):
        # "那4%呢": a bare value whose unit names one fact of the last check
        changed = relevant(sig.facts, state.last_rule, table) or unit_facts(sig.text, table[state.last_rule].reads)
        changed = _bare_count_as_layoffs(changed, state, text, table)
        if cues.MORE.search(text):  # "再多裁一个呢": one more than before
            changed = {k: v + state.facts[k] if isinstance(v, (int, float)) and not isinstance(v, bool)
                       and isinstance(state.facts.get(k), (int, float)) else v for k, v in changed.items()}
        other = checkable_rule(sig.rule, table) or (state.last_rule if changed else rule_of_facts(sig.facts, table))
        # Rasa's guess of a measure does not outweigh the check just done; a measure named does, unless
        # it is a word of the same article describing the case ("如果是给公益性岗位上的农民工买的呢")
        same_article = other in table and table[other].article == table[state.last_rule].article \
            and bool(set(changed) & asked_by(table[state.last_rule]))
        if changed and (other in (None, state.last_rule) or not _named(sig, table) or same_article):
            answer = sig.focused if _answerable(sig.focused) else sig.retrieval
            if cues.HOW_MUCH.search(text) and _answerable(answer) and _still_missing(state.last_rule, {**state.facts, **changed}, table):
                return [Answer(answer)]  # "那中小企业的话每人每年最多补多少": the figure, not the next question
            # the rule's own facts as `changed` reads them; the article's other measures' from the message
            kin = {k: v for k, v in kin_facts(sig.facts, state.last_rule, table).items() if k not in table[state.last_rule].reads}
            return [ReJudge(state.last_rule), SetSlots({**kin, **changed}, correction=True)]
        if other is not None and relevant(sig.facts, other, table):  # "那如果是我自己辞职呢"
            return [StartCheck(other), SetSlots(kin_facts(sig.facts, other, table))]
        if not changed and other is None and cues.TOTAL.search(text) and cues.HOW_MUCH.search(text):
            return [ReJudge(state.last_rule), SetSlots({})]  # "那一共能拿多少": the verdict's total again
    own_case = cues.asks_own_case(text)
    # "我闺女失业了，想问问失业金的事": an event of the asker's and a measure named, no question
    told = sig.rule is not None and bool(cues.ASKER.search(cues.strip_intro(text))) and bool(cues.EVENT.search(text)) \
        and not cues.QUESTION.search(text)
    stated = told or _states_own_case(sig, table)
    if sig.near_miss and not (own_case and sig.rule and relevant(sig.facts, checkable_rule(sig.rule, table), table)):
        return [OutOfScope(sig.near_miss)]  # what the notice lacks wins, unless a case of its measures is told
    if cues.ACKNOWLEDGE.match(text):
        return [SmallTalk("acknowledge")]
    if cues.THANKS_BYE.match(text):
        return [SmallTalk("goodbye" if cues.BYE.search(text) else "thank")]
    if cues.ABOUT_ASSISTANT.search(text):
        return [SmallTalk("greet")]
    if cues.ABOUT_NOTICE.search(text) and not own_case:
        return [AboutNotice()]
    topics = getattr(sig.retrieval, "out_of_scope_topics", ()) if sig.retrieval is not None else ()
    # 养老金, 公积金 …: topics the notice never covers, even asked as one's own case ("那我医保能在大连报销吗")
    if topics and sig.rule is None and (not own_case or not relevant(sig.facts, checkable_rule(state.last_rule, table), table)):
        return [OutOfScope(say("topic_aspect", topics="、".join(topics)))]
    how_long = bool(cues.HOW_LONG.search(text)) and not (CASE_FACTS & set(sig.facts))
    if (own_case or stated) and (cues.VALIDITY_ASK.search(text) or how_long) and not cues.CHECK_REQUEST.search(text) \
            and _answerable(sig.retrieval):
        rule = checkable_rule(sig.rule, table) if _named(sig, table) else _rule_of_facts_agreeing(sig, table)
        if how_long and not cues.VALIDITY_ASK.search(text) and cues.ELIGIBILITY_ASK.search(text) and rule \
                and len(set(sig.facts) & asked_by(table[rule])) >= CLASS_CASE_FACTS:
            # "得了新冠，能申请展期吗？最长多久": the verdict, which states how long
            return [JudgeOrAnswer(rule, kin_facts(sig.facts, rule, table), Answer(sig.retrieval))]
        return [Answer(sig.retrieval)]  # "裁员率5.5%现在还能用不": whether the measure still runs comes first
    if own_case or stated:
        focus_article = state.focus[1] if state.focus else None
        # "我们是大型企业 两千多人 能领不" after the training answer: the measure in focus, unless one is named
        focus_rule = next((r.id for r in table if r.article == focus_article and r.checkable
                           and set(relevant(sig.facts, r.id, table)) & asked_by(r)), None)
        # Two or more facts that one measure asks outweigh Rasa's guess of another ("招了一批农民工，
        # 交了社保，有什么补贴": the employer's subsidy, not the agency's)
        facts_rule = _rule_of_facts_agreeing(sig, table)
        if facts_rule is not None and len(set(relevant(sig.facts, facts_rule, table)) & asked_by(table[facts_rule])) < 2:
            facts_rule = None
        guessed = checkable_rule(sig.rule, table) if sig.rule is not None and not _named(sig, table) else None
        if guessed is not None and focus_rule is None and focus_article is not None and cues.FOLLOW_UP.search(text) \
                and table[guessed].article != focus_article:
            # "那个我拖到现在了，还能按延期办吗" after the graduates' answer: Rasa's guess of another
            # measure does not outweigh the one in focus when the message goes on from it
            focus_rule = state.focus_rule if state.focus_rule in table and table[state.focus_rule].article == focus_article \
                else article_rule(focus_article, table)
        rule = (
            (checkable_rule(sig.rule, table) if _named(sig, table) or (focus_rule is None and facts_rule is None) else None)
            or focus_rule
            or facts_rule
            or _rule_of_facts_agreeing(sig, table)
            or (rule_of_top_clause(sig.retrieval, table) if _answerable(sig.retrieval) else None)
            or (state.focus_rule if state.focus_rule in table and table[state.focus_rule].article == focus_article
                else article_rule(focus_article, table))
        )
        if rule is not None:
            return [StartCheck(rule), SetSlots(kin_facts(sig.facts, rule, table))]
        if own_case and not _answerable(sig.retrieval):
            return [Clarify("topic")]
    if (cues.ELIGIBILITY_ASK.search(text) or cues.QUESTION.search(text)) and _answerable(sig.retrieval):
        # "2018届非大连生源报到延到哪天" too: the verdict states the figure for that case
        rule = checkable_rule(sig.rule, table) if _named(sig, table) else _rule_of_facts_agreeing(sig, table)
        values = kin_facts(sig.facts, rule, table) if rule else {}
        if rule and len(set(sig.facts) & asked_by(table[rule])) >= CLASS_CASE_FACTS:  # said, not inferred
            return [JudgeOrAnswer(rule, values, Answer(sig.retrieval))]
    # Before small talk: "喂你好，我想问一下稳岗返还" greets, and names what it is about.
    topic = _topic_answer(sig.retrieval, text, table, sig.rule, guess_ok=not _answerable(sig.focused)) \
        if not _answerable(sig.retrieval) else None
    if topic is not None:
        return [Answer(_lead_with_rule(topic, sig.rule, table, text, whole=True), broad=True)]
    question = bool(cues.QUESTION.search(text))
    if sig.nlu.says(*SMALL_TALK_INTENTS, at_least=SMALL_TALK_SURE) and not question:
        return [SmallTalk(sig.nlu.intent)]
    elsewhere = _answerable(sig.retrieval) and sig.retrieval.confidence >= SURE_ELSEWHERE \
        and state.focus is not None and _top_article(sig.retrieval) != state.focus[1] and len(text) > SHORT_MESSAGE
    # "补助金按多少发" after the 失业补助金 verdict: a short question read surer with the article in focus
    surer_in_focus = len(text) <= cues.FOLLOW_UP_MAX_CHARS and _answerable(sig.focused) and _answerable(sig.retrieval) \
        and sig.focused.confidence > sig.retrieval.confidence
    follow_up = not _answerable(sig.retrieval) or (sig.rule is None and not elsewhere
                                                   and (bool(cues.FOLLOW_UP.search(text)) or surer_in_focus))
    if _plainly_elsewhere(sig):
        return [OutOfScope()]  # "今天天气怎么样" after a verdict: not a follow-up on the measure
    if sig.focused is not None and follow_up and _answerable(sig.focused):
        # "要是实在找不着呢" goes on from the measure just judged; "那返还多少" asks by its own words
        lead = sig.rule if _named(sig, table) else state.last_rule \
            if cues.HYPOTHETICAL.search(text) and not cues.HOW_MUCH.search(text) else None
        return [Answer(_lead_with_rule(sig.focused, lead, table, text))]
    if sig.nlu.says(*SMALL_TALK_INTENTS) and (len(text) <= SHORT_MESSAGE or not _answerable(sig.retrieval)):
        return [SmallTalk(sig.nlu.intent)]
    if _answerable(sig.retrieval):
        return [Answer(sig.retrieval)]
    if sig.nlu.says("out_of_scope") or (sig.retrieval is not None and sig.retrieval.abstain_reason == "out_of_scope"):
        return [OutOfScope()]
    if sig.nlu.says("stop", "inform"):
        return [Clarify("topic")]
    return [Answer(sig.retrieval)]  # the retriever's own abstention: no match, low confidence


def _states_own_case(sig: Signals, table: RuleTable) -> bool:
    """Whether the facts of a message are the asker's own case: "28个人，裁了3个" (a firm's counts),
    "我交了6年，失业金按多少发" (the asker's years), "被公司辞退了，失业金按啥标准" (an event), "我们是
    小微企业，能申请吗" (the asker's firm, asking to qualify); not "正好30人的企业算不算…" (a class of
    firms), "中小微企业裁员率5.5%能不能…" or a bare "大企业" after an answer (a follow-up)."""
    rule = checkable_rule(sig.rule, table) or rule_of_facts(sig.facts, table)
    if rule is None or not sig.facts:
        return False
    text = sig.text
    asker = bool(cues.ASKER.search(cues.strip_intro(text)))
    facts = set(sig.facts)
    # "正好交满十年 被裁了": an event that happened is a case, unless it is supposed (如果被裁了).
    if EVENT_FACTS & facts and cues.EVENT.search(text) and not cues.HYPOTHETICAL.search(text):
        return True
    if cues.GENERIC.search(text) and not asker:
        return False
    if CASE_FACTS & set(relevant(sig.facts, rule, table)):
        return True
    if asker and len(relevant(sig.facts, rule, table)) >= 2:  # "我是2018届的，外地生源，报到截止哪天"
        return True
    return asker and bool(relevant(sig.facts, rule, table)) and (
        not cues.QUESTION.search(text) or bool(cues.ELIGIBILITY_ASK.search(text))
    )


def _bare_count_as_layoffs(changed: dict, state: DialogueState, text: str, table: RuleTable) -> dict:
    """"那要是37人呢", "what if 20 people" after a layoff check: a bare count below the head count is
    the layoffs changed, not a new head count."""
    employees, reads = changed.get("employees"), table[state.last_rule].reads
    known = state.facts.get("employees")
    if employees is None or "layoffs" not in reads or "layoffs" in changed or cues.HEAD_COUNT.search(text) \
            or not isinstance(known, (int, float)) or employees >= known:
        return changed
    return {**{k: v for k, v in changed.items() if k != "employees"}, "layoffs": employees}


def _still_missing(rule_id: str, facts: dict, table: RuleTable) -> bool:
    """Whether the rule would still ask for a fact (a value it cannot use counts as missing)."""
    try:
        return bool(missing_slots(rule_id, facts, table=table))
    except SlotValueError:
        return True


def _told_beside_doubt(text: str, slot: str) -> bool:
    """Whether a part of the message without the doubt ("不知道算不算") states the fact asked for."""
    parts = [p for p in cues.CLAUSES.split(text) if p and not cues.DONT_KNOW.search(p)]
    return bool(parts) and slot in extract_slots("，".join(parts), expected=None)


def _rule_of_facts_agreeing(sig: Signals, table: RuleTable) -> str | None:
    """The rule the stated facts point to, unless retrieval is sure of another article and the facts
    are only a description ("早点铺" is a small firm, yet a loan question is not a layoff check)."""
    rule = rule_of_facts(sig.facts, table)
    if rule is None or not _answerable(sig.retrieval):
        return rule
    if table[rule].article == _top_article(sig.retrieval) or CASE_FACTS & set(relevant(sig.facts, rule, table)):
        return rule
    return None


def _lead_with_rule(result, rule_id: str | None, table: RuleTable, text: str, whole: bool = False):
    """A follow-up's answer leads with the clause of the measure it names ("自己辞职的人呢" → the
    失业补助金 sentence of article 8), when that is the article in focus; its sentences are then
    chosen by the user's own words (a follow-up's query also holds the article title). `whole`:
    every sentence of the measure's clause leads (a topic named alone is answered by its measure)."""
    if rule_id is None or not result.hits or result.hits[0].article != table[rule_id].article:
        return result
    top, rule_text = result.hits[0], _letters(table[rule_id].clause)
    if whole:
        named = [c for c in top.article_clauses if _letters(c.text) and _letters(c.text) in rule_text]
    else:
        named = [c for c in top.article_clauses if rule_text[:20] and rule_text[:20] in _letters(c.text)][:1]
    if not named or (not whole and top.clauses and top.clauses[0] == named[0]):
        return result
    size = MAX_TOPIC_CLAUSES if whole else max(len(top.clauses), 1)
    clauses = [*named, *[c for c in top.clauses if c not in named]][:size]
    return replace(result, query=text, hits=[replace(top, clauses=clauses), *result.hits[1:]])


def _topic_answer(result, text: str, table: RuleTable, rule_id: str | None = None, guess_ok: bool = True):
    """For a message that only names a topic ("稳岗返还", "问一下大学生报到的事"), or names a measure
    and asks what it gives ("招用农民工有什么补贴") or whether it still runs ("稳岗返还 still available吗"),
    the retrieval result answered from the first article found that holds the topic (in its text, or
    as a word of its measures); None when the message asks more, or no article found holds it.
    `guess_ok`: Rasa's guess of the measure may stand for a named one (no article is in focus)."""
    if result is None or not result.hits:
        return None
    # With an article in focus, "现在还有吗" follows it up: only a measure named is answered here
    validity_of = rule_id is not None and (guess_ok or any(w in text for w in table[rule_id].words)) \
        and bool(cues.VALIDITY_ASK.search(text))
    if rule_id is not None and (cues.ASKS_WHAT.search(text) and len(text) <= cues.ASKS_WHAT_MAX_CHARS or validity_of):
        article = table[rule_id].article
        hit = next((h for h in result.hits if h.article == article), None)
        if hit is not None:
            return _answered_from(result, hit)
    m = cues.TOPIC_ONLY.fullmatch(text)
    if m is None or len(m.group("topic")) > cues.TOPIC_MAX_CHARS:
        return None
    topic = _letters(m.group("topic"))
    if len(topic) < 2 or cues.QUESTION.search(topic):  # "失业金怎么申请" asks more than its topic
        return None
    for hit in result.hits:
        words = [w for rule in table if rule.article == hit.article for w in rule.words]
        held = _letters(hit.title + "".join(c.text for c in hit.article_clauses))
        # the topic is the article's own words, or one of its measures with a word or two (大学生报到)
        if topic in held or any(w in topic and len(topic) - len(w) <= 3 for w in words):
            return _answered_from(result, hit)
    return None


def _answered_from(result, hit):
    """An abstained retrieval result answered from `hit`; the other articles become the suggestions."""
    others = [h for h in result.hits if h is not hit]
    return replace(result, hits=[hit, *others], abstained=False, abstain_reason=None, suggestions=[h.title for h in others[:2]])


def rule_of_top_clause(result, table: RuleTable) -> str | None:
    """The checkable rule whose clause is the one retrieval found first: an article may hold several
    measures (article 6: loan extension, loan priority, incubator rent), and only one has a check."""
    if not result.hits or not result.hits[0].clauses:
        return None
    top = _letters(result.hits[0].clauses[0].text)
    for rule in table:
        clause = _letters(rule.clause)
        if rule.checkable and rule.article == result.hits[0].article and top and (top[:20] in clause or clause[:20] in top):
            return rule.id
    return None


@functools.lru_cache(maxsize=1024)  # the notice's clauses, over and over
def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())
