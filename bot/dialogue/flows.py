"""Checks as deterministic flows over the rule table: take facts, find the next missing one,
judge. The flow holds no numbers or sentences of its own: the rule table (`bot.eligibility`)
has the rules, prompts and verdicts; the message catalogue (`bot.core.messages`) the sentences."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from bot.core.messages import say
from bot.core.turn import article_label
from bot.dialogue.state import DialogueState
from bot.eligibility import (
    MissingSlots,
    RuleTable,
    SlotValueError,
    Verdict,
    evaluate,
    missing_slots,
    prompt_for,
    validate_slot,
)
from bot.eligibility import event_dates
from bot.eligibility.engine import assumptions, referral, rule_summary
from bot.eligibility.parsing import infer_facts
from knowledge_base.validity import chinese_date, validity_as_of

BOOL_SUGGESTIONS = ("是", "否")
BOOL_WORDS = {True: "是", False: "否"}


@dataclass
class Step:
    """Where a check stands after a turn: a fact to ask, or the verdict.

    :param ask: the slot to ask for next, or None.
    :param verdict: the verdict once every needed fact is known.
    :param problems: why given values were not taken (Chinese, for the user).
    :param noted: the facts taken this turn, as `label：value` phrases.
    """

    ask: str | None = None
    verdict: Verdict | None = None
    problems: list[str] = field(default_factory=list)
    noted: list[str] = field(default_factory=list)


class CheckFlow:
    """Runs the checks of one rule table.

    :param table: the rule table.
    :param as_of: the date validity is judged against.
    :param epidemic_end: the end of 疫情防控期间 (HOTLINE_EPIDEMIC_END).
    """

    def __init__(self, table: RuleTable, as_of: dt.date, epidemic_end: dt.date | None):
        self.table = table
        self.as_of = as_of
        self.epidemic_end = epidemic_end
        self.assumed: list[str] = []  # the assumptions the last settled verdict relied on

    # -- starting ----------------------------------------------------------------------------

    def opening(self, rule_id: str) -> str:
        """The first sentence of a check: the measure, its article and the rule in one sentence."""
        rule = self.table[rule_id]
        summary = rule_summary(rule_id, table=self.table) or rule.topic
        text = say("check_start", topic=rule.topic, label=article_label(rule.article), summary=summary)
        judged = validity_as_of(rule.validity, self.as_of, self.epidemic_end, until=rule.valid_until, text=rule.clause)
        if judged.ended:
            text += say("check_start_ended", end=chinese_date(judged.end))
        return text

    # -- facts -------------------------------------------------------------------------------

    def take(self, state: DialogueState, values: dict[str, Any]) -> Step:
        """Validate and store facts of the open check; bad ones are reported, not stored."""
        step = Step()
        known = dict(state.facts)
        # Head counts before the counts they bound (layoffs ≤ employees), whatever the order given.
        for slot in sorted(values, key=lambda s: self.table.slots[s].max_slot is not None):
            try:
                value = validate_slot(slot, values[slot], {**known, **values}, table=self.table)
            except SlotValueError as err:
                step.problems.append(_without_prompt(err.message, err.slot))
                continue
            if value is None:
                continue
            known[slot] = value
            step.noted.append(f"{self.table.slots[slot].label}{self.describe(slot, value)}")
        # A directly given rate stands in for layoffs; a later head count or layoffs replace it.
        if "layoffs" in values and "layoff_rate" in known and "layoff_rate" not in values:
            known.pop("layoff_rate")
        for slot, value in infer_facts(known).items():
            known.setdefault(slot, value)
        state.facts = {k: _plain(v) for k, v in known.items()}
        return step

    def describe(self, slot: str, value: Any) -> str:
        """A value as the user reads it: 28人, 中小微企业, 是."""
        spec = self.table.slots[slot]
        if spec.type == "choice":
            return "：" + spec.choices.get(value, str(value))
        if spec.type == "bool":
            return "：" + BOOL_WORDS[bool(value)]
        if spec.type == "date":  # "上个月" told on 2026-12-04: 2026年11月
            return " " + (say("event_now") if value == "now" else event_dates.text(event_dates.absolute(value, self.as_of)))
        number = _plain(value)
        return f" {number}{spec.unit or ''}"

    # -- the next step -----------------------------------------------------------------------

    def next_step(self, state: DialogueState, step: Step | None = None) -> Step:
        """Ask the next missing fact of the open check, or judge it."""
        step = step or Step()
        if step.verdict is not None:  # settled already (a vague answer that could not change it)
            return step
        self.follow_referral(state, step)
        rule_id = state.check
        try:
            missing = missing_slots(rule_id, state.facts, table=self.table, as_of=self.as_of, epidemic_end=self.epidemic_end)
        except SlotValueError as err:  # a stored value the rule cannot use: ask for it again
            state.facts.pop(err.slot, None)
            missing = [err.slot]
        if missing:
            settled = self._settled_anyway(state.check, state.facts, missing)
            if settled is None:
                step.ask = missing[0]
                return step
            verdict, unknown = settled
            if self.assumed:  # "大型企业按参保职工30人以上计": say what was taken as known
                step.problems.append(say("assumed", assumptions="；".join(self.assumed)))
            else:
                labels = "、".join(self._what(slot) for slot in unknown)
                step.problems.append(say("settled_anyway", labels=labels))
            step.verdict = verdict
            return step
        try:
            step.verdict = evaluate(rule_id, state.facts, self.as_of, epidemic_end=self.epidemic_end, table=self.table)
        except MissingSlots as err:
            step.ask = err.slots[0]
        return step

    def _settled_anyway(self, rule_id: str, facts: dict, missing: list[str], depth: int = 3):
        """When only choices or yes/no facts are missing and every answer gives the same outcome
        (6 laid off of 31 fails even the most lenient bound), that verdict and the facts it did
        not need; else None. "The same" is the same outcome from the same text of the table.
        The verdict shown is the most lenient case's when not eligible and the strictest one's when
        eligible (choices are listed lenient first in the table)."""
        paths: list[tuple[Verdict, list[str], dict]] = []
        relied: dict[str, None] = {}  # the assumptions that ruled out a value, in order

        def walk(known: dict, needed: list[str], unknown: list[str], left: int) -> bool:
            if not needed:
                paths.append((evaluate(rule_id, known, self.as_of, epidemic_end=self.epidemic_end, table=self.table), unknown, known))
                return True
            slot = needed[0]
            # Values the rule's assumptions exclude stand for no real case (a 其他企业 of 20 staff).
            values = []
            for value in self._possible_values(rule_id, slot, known):
                agrees, says = assumptions(rule_id, {**known, slot: value}, table=self.table)
                if agrees:
                    values.append(value)
                else:
                    relied.update(dict.fromkeys(says))
            if not values or left == 0:
                return False
            for value in values:
                facts = {**known, slot: value}
                if not walk(facts, missing_slots(rule_id, facts, table=self.table, as_of=self.as_of, epidemic_end=self.epidemic_end), [*unknown, slot], left - 1):
                    return False
            return True

        # The same outcome said the same way: 90% and 95% are both "eligible", but not the same.
        # Not eligible on every path settles it, for whichever reason (30-minute classes fail at any firm).
        if not walk(dict(facts), missing, [], depth):
            return None
        outcomes = {v.outcome for v, _, _ in paths}
        if len(outcomes) != 1 or (outcomes != {"not_eligible"} and len({v.template for v, _, _ in paths}) != 1):
            return None
        _, shown, known = paths[-1] if paths[0][0].outcome == "eligible" else paths[0]
        # The verdict again, its computation without the values that only stand in for unknown facts.
        verdict = evaluate(rule_id, known, self.as_of, epidemic_end=self.epidemic_end, table=self.table, assumed=shown)
        unknown = list(dict.fromkeys(slot for _, slots, _ in paths for slot in slots))
        self.assumed = list(relied)
        return verdict, unknown

    def _verdict_for(self, rule_id: str, facts: dict) -> tuple[Verdict | None, list[str]]:
        """The verdict these facts give (settled anyway where the missing ones cannot change it),
        or None and the facts still missing."""
        facts = {**infer_facts(facts), **facts}
        missing = missing_slots(rule_id, facts, table=self.table, as_of=self.as_of, epidemic_end=self.epidemic_end)
        if not missing:
            return evaluate(rule_id, facts, self.as_of, epidemic_end=self.epidemic_end, table=self.table), []
        settled = self._settled_anyway(rule_id, facts, missing)
        return (settled[0], []) if settled else (None, missing)

    def follow_referral(self, state: DialogueState, step: Step) -> None:
        """Move the check to the measure that covers the facts told ("是她自己不干的": the 失业补助金),
        and say so."""
        other = referral(state.check, state.facts, table=self.table)
        if other is not None:
            state.check = other
            step.problems.append(say("referred", topic=self.table[other].topic))

    def settle_range(self, state: DialogueState, slot: str, values) -> Step:
        """A vague answer: the verdict when every value it leaves open gives the same one (said so),
        else the question again, saying why the exact number matters."""
        referred = Step()
        self.follow_referral(state, referred)
        verdicts = [self._verdict_for(state.check, {**state.facts, slot: value})[0] for value in values]
        said = [self.describe(slot, v).lstrip("：").strip() for v in values]
        # said as "两三年": 2年、3年; "最多3个": 0人至3人; "七个月以上"; "快一年": 11个月
        spec = self.table.slots[slot]
        spans = len(values) == 2 and abs(values[1] - values[0]) > 1
        open_ended = spans and spec.max is not None and values[1] == spec.max  # "七个月以上"
        # "不超过4个" (0至4) is worked out with its bound; "一年多" (12至23个月) with what was said
        shown = -1 if spans and not open_ended and spec.min is not None and values[0] == spec.min else 0
        spoken = f"{said[0]}以上" if open_ended else "至".join(said) if spans else "、".join(said)
        several = len(values) > 1 and not open_ended
        settled = say("range_settled", values=spoken) if several else say("range_taken", values=spoken)
        if None not in verdicts and len({(v.outcome, v.template) for v in verdicts}) == 1:
            step = Step(verdict=verdicts[shown], problems=referred.problems)
            step.problems.append(settled)
            return step
        if None in verdicts and self._same_side(state.check, slot, values, state.facts):
            # "七八个月" where only 半年 counts: either value serves, and the check goes on
            self.take(state, {slot: values[shown]})
            return Step(problems=[*referred.problems, settled])
        step = Step(ask=slot, problems=referred.problems)
        step.problems.append(say("range_matters", values=spoken, label=self.table.slots[slot].label))
        return step

    def _what(self, slot: str) -> str:
        """A fact as a question word: 企业类型, 参保职工人数."""
        spec = self.table.slots[slot]
        return spec.label + ("人数" if spec.unit == "人" else "")

    def _same_side(self, rule_id: str, slot: str, values, known: dict) -> bool:
        """Whether every value lies on the same side of each bound the rule compares `slot` with."""
        if self.table.slots[slot].type not in ("int", "number", "percent"):
            return False
        derived = self.table[rule_id].derive.items()
        if any(slot in (d.get("ratio") or d.get("product") or [d.get("of")]) and name not in known for name, d in derived):
            return False  # it enters a figure still to work out (a rate, an amount): the exact number matters
        bounds = self._bounds(rule_id, slot, known)
        if not bounds:
            return False
        return len({tuple((v < b, v <= b) for b in sorted(bounds)) for v in values}) == 1

    def _bounds(self, rule_id: str, slot: str, known: dict) -> set | None:
        """The values the rule compares a number slot with; None when it enters a computation
        still open (employees of 3 laid off)."""
        rule = self.table[rule_id]
        for name, derived in rule.derive.items():
            operands = derived.get("ratio") or derived.get("product") or [derived.get("of")]
            if slot in operands and name not in known:
                return None
        bounds: set = set()

        def visit(f: dict) -> None:
            if "not" in f:
                visit(f["not"])
            for inner in f.get("any") or ():
                visit(inner)
            if f.get("of") == slot:
                bounds.update(rule.params[f[op]].value for op in ("max", "min") if op in f and f[op] in rule.params)

        for case in rule.cases:
            for f in (*case.when, *case.check):
                visit(f)
        for inp in rule.inputs:
            for f in inp.when:
                visit(f)
        return bounds

    def _possible_values(self, rule_id: str, slot: str, known: dict) -> list:
        """Values that stand for every answer to `slot`: each choice, yes and no, or for a number
        that the rule only compares with bounds (a head count against 30), each side of every bound.
        [] for a number that enters a computation still open (employees of 3 laid off)."""
        spec = self.table.slots[slot]
        if spec.type == "choice":
            return list(spec.choices)
        if spec.type == "bool":
            return [True, False]
        bounds = self._bounds(rule_id, slot, known)
        if bounds is None:
            return []
        step = 1 if spec.type in ("int", "year") else Fraction(1, 100)
        return sorted({v for b in bounds for v in (b - step, b, b + step) if spec.min is None or v >= spec.min})

    def outcomes_by_value(self, state: DialogueState, slot: str) -> list[tuple[str, str]]:
        """For a choice or yes/no fact the user does not know: per value, the verdict it gives, or
        which fact would still be needed; [] for other facts."""
        spec = self.table.slots[slot]
        values = list(spec.choices) if spec.type == "choice" else [True, False] if spec.type == "bool" else []
        found = []
        for value in values:
            verdict, missing = self._verdict_for(state.check, {**state.facts, slot: value})
            if verdict is None:
                outcome = say("dont_know_still_needed", label=self.table.slots[missing[0]].label)
            else:
                outcome = verdict.body + (f"（{verdict.computation}）" if verdict.computation else "")
            found.append((self.describe(slot, value).lstrip("：").strip(), outcome))
        return found

    def suggestions(self, slot: str) -> list[str]:
        """Quick replies for a question: the choices of a choice slot, 是/否 for a yes/no slot."""
        spec = self.table.slots.get(slot)
        if spec is None:
            return []
        if spec.type == "bool":
            return list(BOOL_SUGGESTIONS)
        if spec.type == "choice":
            return list(spec.choices.values())
        return []

    def prompt(self, slot: str, channel: str) -> str:
        return prompt_for(slot, channel)


def _plain(value: Any) -> Any:
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def _without_prompt(message: str, slot: str) -> str:
    """The problem part of a `SlotValueError` message (the flow asks the question itself)."""
    prompt = prompt_for(slot)
    return message[: -len(prompt)] if message.endswith(prompt) and message != prompt else message
