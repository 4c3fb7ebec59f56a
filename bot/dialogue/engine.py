"""The dialogue engine: one turn in, one `Reply` out, the same for every channel.

    signals (Rasa's NLU, the fact parser, retrieval, the dialogue state)
      → `understanding.understand` → commands
      → carried out here: policy answers (`knowledge_base.answers`), checks (`flows.CheckFlow`)
      → the reply, and the dialogue state saved for the next turn.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
import re
from dataclasses import replace
from typing import Any, Callable

from bot.core.messages import say, starter_questions
from bot.dialogue import cues
from bot.dialogue.flows import CheckFlow, Step
from bot.dialogue.state import DialogueState, DialogueStates
from bot.dialogue.understanding import (
    SHORT_MESSAGE,
    AboutNotice,
    Answer,
    Cancel,
    Clarify,
    ExplainSlot,
    Handoff,
    JudgeOrAnswer,
    Nlu,
    OutOfScope,
    ReJudge,
    Resume,
    SetRange,
    SetSlots,
    Signals,
    SmallTalk,
    StartCheck,
    article_rule,
    asked_by,
    named_rule,
    rule_of_top_clause,
    understand,
)
from bot.core.slots import help_for
from bot.core.turn import Reply, Turn
from bot.eligibility import RuleTable, extract_slots, load_rules
from bot.eligibility.parsing import candidate_values, chinese_terms, with_arabic_numbers
from knowledge_base.answers import policy_reply
from knowledge_base.lexicon import Lexicon
from knowledge_base.scope import Scope
from knowledge_base.text import join_blanks, to_simplified

log = logging.getLogger(__name__)

CHECK_INTENT = "check_{rule}"
MISSES_BEFORE_HUMAN = 2
VOICE = "ivr"  # the channel whose replies are read out: prompts and verdicts for the ear
# Small talk that offers the starter topics as quick replies.
OFFER_TOPICS = frozenset({"greet", "chitchat"})
# Small talk with a sentence of its own; the rest (affirm, deny, stop) is acknowledged.
SMALL_TALK = frozenset({"greet", "thank", "goodbye", "chitchat"})
# Retrieval this sure of a plain question leaves Rasa's intent nothing to decide.
SURE_ANSWER = 0.9


def needs_nlu(text: str, state: DialogueState, retrieval) -> bool:
    """Whether Rasa's intent can still change what a message does. Not for a plain policy question
    that retrieval answers with confidence outside a check: no small talk, stop or handoff reads
    like that, and the measure is named by words. A hotline hears mostly such questions, and each
    skipped parse saves an HTTP round trip and Rasa's CPU."""
    if state.check or len(text) <= SHORT_MESSAGE or not cues.QUESTION.search(text):
        return True
    if cues.asks_own_case(text) or cues.HANDOFF.search(text) or cues.WHAT_IF.search(text):
        return True
    return retrieval.abstained or retrieval.confidence < SURE_ANSWER or retrieval.curated is not None


def read_facts(text: str, asking: str | None) -> dict[str, Any]:
    """The slot values a message states. A bare answer ("3个") fills the slot asked for; other
    facts in the same message count too; a correction ("不对，是35个人") names its own fact."""
    said_instead = cues.SAID_INSTEAD.search(text)
    if said_instead:  # "员工不是50个，是35个": the value after 是 is the fact
        corrected = extract_slots(said_instead.group(1), expected=asking)
        if corrected:
            return corrected
    unbiased = extract_slots(text)
    if cues.DONT_KNOW.search(text):  # "不知道算不算中小微企业，参保150人": the size is the doubt, not a fact
        sure = extract_slots("，".join(p for p in cues.CLAUSES.split(text) if p and not cues.DONT_KNOW.search(p)))
        unbiased = {k: v for k, v in unbiased.items() if k in sure or not isinstance(v, (bool, str))}
    if not asking or (cues.CORRECTION.search(text) and unbiased):
        return unbiased
    biased = extract_slots(text, expected=asking)
    if not biased:
        return unbiased
    used = {str(v) for v in biased.values()}
    extra = {k: v for k, v in unbiased.items() if k not in biased and str(v) not in used}
    return {**extra, **biased}


class DialogueEngine:
    """Understands a turn in its dialogue and answers it.

    :param retriever: a warmed-up `PolicyRetriever`.
    :param parse: `text -> Nlu` (Rasa's NLU through the circuit breaker).
    :param states: where dialogue states live (`DialogueStates`).
    :param settings: `today` and `epidemic_end` are read per turn.
    :param table: the rule table (default: `rules.yaml`).
    """

    def __init__(self, retriever, parse: Callable[[str], Nlu], states: DialogueStates, settings, table: RuleTable | None = None):
        self.retriever = retriever
        self.parse = parse
        self.states = states
        self.settings = settings
        self.table = table or load_rules()
        self.scope: Scope | None = None

    # -- one turn ----------------------------------------------------------------------------

    def reply(self, turn: Turn, key: str) -> Reply:
        """Answer `turn` in the conversation `key` and save its dialogue state."""
        state = self.states.load(key)
        signals = self.signals(turn.text, state)
        commands = understand(signals, state, self.table)
        flow = CheckFlow(self.table, self.settings.today, self.settings.epidemic_end)
        reply = self._execute(commands, state, signals, flow, turn.channel)
        reply.degraded = not signals.nlu.available
        self.states.save(key, state)
        return reply

    def signals(self, raw_text: str, state: DialogueState) -> Signals:
        simplified = join_blanks(to_simplified(raw_text).strip())
        # "layoff rate" → 裁员率, then the blanks of voice transcripts go: for retrieval and facts alike.
        text = join_blanks(chinese_terms(to_simplified(raw_text).strip()))
        asking = state.asking if state.check else None
        retrieval = self.retriever.run(text)
        nlu = self.parse(simplified) if needs_nlu(text, state, retrieval) else Nlu()
        rule = named_rule(text, nlu, self.table, retrieval)
        focused = None
        if state.focus and (retrieval.abstained or cues.FOLLOW_UP.search(text) or len(text) <= cues.FOLLOW_UP_MAX_CHARS):
            focused = self._focused(text, state.focus, state.last_rule)
        return Signals(
            text=text,
            nlu=nlu,
            facts=read_facts(text, asking),
            retrieval=retrieval,
            focused=focused,
            rule=rule,
            near_miss=self._scope().missing(text),
        )

    def warm_up(self) -> None:
        """Load what the first turn would otherwise wait for (the scope check's dictionary)."""
        self._scope().warm_up()

    def _scope(self) -> Scope:
        if self.scope is None:  # the retriever's lexicon is loaded by its warm-up
            self.scope = Scope(self.retriever.kb, self.retriever.lexicon or Lexicon.load())
        return self.scope

    def _focused(self, text: str, focus: tuple[str, int], last_rule: str | None = None):
        """Retrieval of a follow-up with the article in focus as its topic (and the measure last
        checked there: article 6 holds three); None when that does not lead back to the article."""
        document, article = focus
        title = next((a.title for d, a in self.retriever.kb.articles() if d.doc_number == document and a.number == article), "")
        if not title:
            return None
        if last_rule in self.table and self.table[last_rule].article == article:
            title = f"{title}{self.table[last_rule].topic}"
        result = self.retriever.run(f"{title}：{text}")
        top = result.hits[0] if result.hits else None
        if top is None or top.article != article or top.document != document or result.curated is not None:
            return None
        # The article is known from the dialogue: retrieval's doubt about the topic does not apply.
        return replace(result, abstained=False, abstain_reason=None) if result.abstain_reason == "low_confidence" else result

    # -- carrying out commands ---------------------------------------------------------------

    def _execute(self, commands: list, state: DialogueState, sig: Signals, flow: CheckFlow, channel: str) -> Reply:
        first = commands[0]
        confidence = sig.nlu.confidence
        if isinstance(first, Handoff):
            state.close_check()
            state.misses = 0
            return Reply(reply=say("handoff"), intent="ask_human", confidence=1.0, handoff=True, answered=False)
        if isinstance(first, Cancel):
            state.close_check()
            rest = cues.after_cancel(sig.text)
            if rest:  # "算了，先问个别的：2018届报到截止是哪天": stopped, and the new question answered
                rest_sig = self.signals(rest, state)
                reply = self._execute(understand(rest_sig, state, self.table), state, rest_sig, flow, channel)
                return replace(reply, reply=f"{say('check_stopped_for_question')}\n{reply.reply}")
            return Reply(reply=say("goodbye") if sig.nlu.intent == "goodbye" else say("check_stopped"), intent="stop",
                         confidence=confidence, answered=False)
        if isinstance(first, StartCheck):
            values = commands[1].values if len(commands) > 1 else {}
            if state.last_rule == first.rule and len(set(values) & asked_by(self.table[first.rule])) >= 2:
                state.facts = {}  # a new case of the measure just judged ("那国企大厂呢…"): nothing carried over
            # Facts told earlier stay (a check interrupted may be taken up again); those this rule reads count, said so.
            reads = self.table[first.rule].reads
            carried = [f"{self.table.slots[k].label}{flow.describe(k, v)}" for k, v in state.facts.items()
                       if k in reads and k not in values]
            rule = self.table[first.rule]
            state.check, state.asking, state.misses = first.rule, None, 0
            state.focus = (rule.document, rule.article)
            lines = [flow.opening(first.rule)]
            if carried:
                lines.append(say("noted_before", facts="，".join(carried)))
            return self._check_step(state, flow, channel, lines, flow.take(state, values) if values else None, confidence,
                                    sig.text)
        if isinstance(first, ReJudge):
            state.check, state.misses = first.rule, 0
            step = flow.take(state, commands[1].values)
            lead = say("follow_up_changed", facts="，".join(step.noted)) if step.noted else ""
            return self._check_step(state, flow, channel, [lead] if lead else [], step, confidence, sig.text)
        if isinstance(first, SetSlots):
            state.misses = 0
            step = flow.take(state, first.values)
            lines = []
            if first.correction or len(step.noted) > 1 or (step.noted and state.asking not in first.values):
                lines.append(say("noted", facts="，".join(step.noted)))
            return self._check_step(state, flow, channel, lines, step, confidence, sig.text)
        if isinstance(first, SetRange):
            state.misses = 0
            if len(commands) > 1:  # facts told with the vague one count first
                flow.take(state, commands[1].values)
            step = flow.settle_range(state, first.slot, first.values)
            if step.verdict is None:  # ask again, saying why the exact number matters
                return self._check_step(state, flow, channel, step.problems, None, confidence)
            return self._check_step(state, flow, channel, [], step, confidence)
        if isinstance(first, ExplainSlot):
            return self._explain(state, flow, channel, first.slot)
        if isinstance(first, Resume):
            rule = self.table[state.check]
            return self._check_step(state, flow, channel, [say("check_continue", topic=rule.topic)], None, confidence)
        if isinstance(first, SmallTalk):
            reply = Reply(
                reply=say(first.intent if first.intent in SMALL_TALK else "acknowledge"),
                intent=first.intent,
                confidence=confidence,
                answered=False,
                suggestions=[*starter_questions(), say("human")] if first.intent in OFFER_TOPICS else [],
            )
            if state.check and any(isinstance(c, Resume) for c in commands):
                if first.intent == "goodbye":
                    state.close_check()
                    return reply
                rule = self.table[state.check]
                follow = self._check_step(state, flow, channel, [say("check_continue", topic=rule.topic)], None, confidence)
                follow.reply = f"{reply.reply}\n{follow.reply}"
                follow.intent = reply.intent
                return follow
            return reply
        if isinstance(first, (Answer, OutOfScope)) and not state.check and sig.facts \
                and cues.ASKER.search(cues.strip_intro(sig.text)):
            flow.take(state, sig.facts)  # "我们是小微企业，…": the asker's own facts, for a check later
        if isinstance(first, Answer):
            return self._answer(first, state, flow, channel, confidence)
        if isinstance(first, OutOfScope):
            return self._out_of_scope(first, state, sig, confidence)
        if isinstance(first, Clarify):
            return self._clarify(first, state, flow, channel, confidence)
        if isinstance(first, AboutNotice):
            return self._about_notice(sig.text, confidence)
        if isinstance(first, JudgeOrAnswer):
            trial = copy.deepcopy(state)
            reply = self._execute([StartCheck(first.rule), SetSlots(first.values)], trial, sig, flow, channel)
            if reply.asking_for is None and trial.check is None and trial.last_rule == first.rule:
                vars(state).update(vars(trial))  # settled: the verdict answers the question
                return reply
            return self._execute([first.answer], state, sig, flow, channel)
        raise ValueError(f"unknown command {first!r}")

    def _check_step(self, state: DialogueState, flow: CheckFlow, channel: str, lines: list[str], step: Step | None,
                    confidence: float, text: str = "") -> Reply:
        step = flow.next_step(state, step)
        if step.ask and text and (values := candidate_values(step.ask, text)):
            # The same message gave the next fact only vaguely ("交了五年多"): it may be enough.
            settled = flow.settle_range(state, step.ask, values)
            if settled.verdict is not None:
                step = Step(verdict=settled.verdict, problems=[*step.problems, *settled.problems], noted=step.noted)
            elif step.ask in state.facts:  # either value serves: on to the next fact
                step = flow.next_step(state, Step(problems=[*step.problems, *settled.problems], noted=step.noted))
        rule = self.table[state.check]
        lines = [*lines, *step.problems]
        intent = CHECK_INTENT.format(rule=rule.id)
        if step.verdict is None:
            state.asking = step.ask
            lines.append(flow.prompt(step.ask, channel))
            return Reply(
                reply="\n".join(lines),
                citations=[rule.citation],
                answered=False,
                intent=intent,
                confidence=confidence,
                asking_for=step.ask,
                suggestions=flow.suggestions(step.ask),
            )
        verdict = self._against_share_asked(step.verdict, text)
        if channel == VOICE:  # the clause is too long to read out: verdict, computation, validity, said first
            lines.insert(0, verdict.body + (say("verdict_computation", computation=verdict.computation) if verdict.computation else "") + verdict.validity)
        else:
            lines.append(verdict.text)
        state.last_rule, state.focus = rule.id, (rule.document, rule.article)
        state.close_check()
        # "房贷能展期吗": about another programme than the measure, so the staff queue sees it.
        covered = not verdict.near_miss
        return Reply(
            reply="\n".join(lines),
            citations=[verdict.citation],
            answered=covered,
            intent=intent,
            confidence=1.0,  # the rule table's verdict is exact once the facts are known
            suggestions=[] if covered else [say("human")],
            abstain_reason=None if covered else "near_miss",
        )

    def _against_share_asked(self, verdict, text: str):
        """"交了9年，能按95%那档领吗": eligible, but not for the share asked for, which is above every
        share the verdict gives: said as not eligible for it, with what the case does give."""
        m = cues.ASKED_SHARE.search(with_arabic_numbers(text)) if verdict.outcome == "eligible" else None
        if m is None:
            return verdict
        asked = float(m.group(1))
        rule = self.table[verdict.rule_id]
        shares = [float(p.value) for p in rule.params.values() if p.unit == "%"]
        given = [float(n) for n in re.findall(r"(\d+(?:\.\d+)?)%", verdict.body)]
        if asked not in shares or not given or asked <= max(given):
            return verdict
        body = say("share_not_reached", asked=m.group(1) + "%") + verdict.body
        head = say("verdict_head", label=self.table.outcome_labels["not_eligible"], body=body)
        return replace(verdict, outcome="not_eligible", body=body, text="\n".join([head, *verdict.text.split("\n")[1:]]))

    def _explain(self, state: DialogueState, flow: CheckFlow, channel: str, slot: str) -> Reply:
        by_value = flow.outcomes_by_value(state, slot)
        if by_value:
            cases = [say("dont_know_case", value=value, outcome=outcome) for value, outcome in by_value]
            lines = [say("dont_know_by_case"), *cases, say("dont_know_ask_again")]
        else:
            lines = [help_for(slot), say("dont_know_ask_again")]
        rule = self.table[state.check]
        state.asking = slot
        return Reply(
            reply="\n".join(line for line in lines if line),
            citations=[rule.citation],
            answered=False,
            intent=CHECK_INTENT.format(rule=rule.id),
            confidence=1.0,
            asking_for=slot,
            suggestions=flow.suggestions(slot) + [say("human")],
        )

    def _answer(self, command: Answer, state: DialogueState, flow: CheckFlow, channel: str, confidence: float) -> Reply:
        reply = policy_reply(command.result, self.settings.today, self.settings.epidemic_end, broad=command.broad)
        if not reply.answered:
            return self._missed(reply, state, flow, channel)
        state.misses = 0
        if reply.citations:
            cited = reply.citations[0]
            state.focus = (cited.document, cited.article)
            state.focus_rule = rule_of_top_clause(command.result, self.table)
        if state.check:
            rule = self.table[state.check]
            if command.resume:  # a question about the measure being checked: the check waits
                label = self.table.slots[state.asking].label if state.asking else rule.topic
                reply.reply = f"{reply.reply}\n{say('check_paused', topic=rule.topic, label=label)}"
                reply.suggestions = [say("resume"), *reply.suggestions]
                return reply
            reply.reply = f"{reply.reply}\n{say('check_closed', topic=rule.topic)}"
            state.close_check()
        elif reply.citations and article_rule(reply.citations[0].article, self.table):
            reply.suggestions = [say("check_offer"), *[s for s in reply.suggestions if s != say("check_offer")]]
        return reply

    def _missed(self, reply: Reply, state: DialogueState, flow: CheckFlow, channel: str) -> Reply:
        """An answer the notice does not give: offer a person, and after two misses in a row say so."""
        state.misses += 1
        if state.misses >= MISSES_BEFORE_HUMAN:
            reply.reply = f"{reply.reply}\n{say('two_misses')}" if say("offer_human") not in reply.reply else reply.reply
        return offer_human(reply)

    def _out_of_scope(self, command: OutOfScope, state: DialogueState, sig: Signals, confidence: float) -> Reply:
        if sig.retrieval is not None and sig.retrieval.curated is not None:
            return policy_reply(sig.retrieval, self.settings.today, self.settings.epidemic_end)
        text = say("near_miss", topic=command.topic) if command.topic else say("out_of_scope")
        if command.topic and sig.retrieval is not None and sig.retrieval.hits and not state.check:
            top = sig.retrieval.hits[0]  # the measure talked about: a follow-up ("那标准呢") is about it
            state.focus = (top.document, top.article)
        if state.check:
            rule = self.table[state.check]
            text += say("check_paused", topic=rule.topic, label=self.table.slots[state.asking].label if state.asking else "")
        state.misses += 1
        return offer_human(Reply(
            reply=text,
            intent="out_of_scope",
            confidence=confidence,
            answered=False,
            abstain_reason="near_miss" if command.topic else "out_of_scope",
        ))

    def _about_notice(self, text: str, confidence: float) -> Reply:
        """The notice itself (the one whose number the message names, else the first), from its metadata;
        an answer from the notice, though no article holds it."""
        documents = self.retriever.kb.documents
        doc = next((d for d in documents if re.sub(r"\D", "", d.doc_number) in re.sub(r"\D", "", text)), documents[0])
        issued = dt.date.fromisoformat(doc.issued) if doc.issued else None
        return Reply(
            reply=say("about_notice", doc_number=doc.doc_number, title=doc.title, issuers="、".join(doc.issuers),
                      issued=f"{issued.year}年{issued.month}月{issued.day}日" if issued else "",
                      sections=len(doc.sections), articles=sum(1 for _ in doc.articles())),
            intent="about_notice",
            confidence=confidence,
            answered=True,
        )

    def _clarify(self, command: Clarify, state: DialogueState, flow: CheckFlow, channel: str, confidence: float) -> Reply:
        state.misses += 1
        if command.kind == "topic" or not state.check:
            topics = list(dict.fromkeys(r.topic for r in self.table if r.checkable))
            reply = Reply(reply=say("which_topic"), intent="clarify", confidence=confidence, answered=False,
                          suggestions=topics[:5], abstain_reason="clarify")
            return offer_human(reply) if state.misses >= MISSES_BEFORE_HUMAN else reply
        lead = say("two_misses") if state.misses >= MISSES_BEFORE_HUMAN else say("not_understood")
        reply = self._check_step(state, flow, channel, [lead], None, confidence)
        reply.abstain_reason = "not_understood"
        if state.misses >= MISSES_BEFORE_HUMAN and say("human") not in reply.suggestions:
            reply.suggestions.append(say("human"))
        return reply


def offer_human(reply: Reply) -> Reply:
    """Make sure an unanswered reply offers a human agent (text and the 转人工 quick reply)."""
    if not reply.answered:
        if "人工" not in reply.reply:
            reply.reply = f"{reply.reply}{say('offer_human')}" if reply.reply else say("offer_human")
        if say("human") not in reply.suggestions:
            reply.suggestions.append(say("human"))
    return reply
