"""The evaluator of the rule table: which facts are still missing, and the verdict once they are known.

It holds no numbers: every threshold, amount, date and text comes from `rules.yaml` (see its header
for the schema). Arithmetic at the bounds is exact (`fractions.Fraction`), so 11/200 is exactly
5.5% and 362/10000 is exactly 3.62%. Conditions are evaluated in three-valued logic (True, False,
None = not known yet), which gives `missing_slots` the facts the current branch still needs and
lets it stop asking once the verdict is already decided.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
import string
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable

from bot.config import EPIDEMIC_END
from bot.core.messages import say
from bot.core.slots import EVENT_DATE, Slot
from bot.core.turn import Citation
from bot.eligibility import event_dates
from bot.eligibility.table import Case, Param, Rule, RuleTable, RuleTableError, load_rules
from knowledge_base.validity import validity_as_of

PERCENT = 100  # a ratio's scale when the rule table asks for a percentage
# Texts of one outcome by what is known, fullest first: `eligible_with_total` once the number of
# persons is told, `eligible`, and `eligible_without_amount` before an optional amount fact is told.
TEXT_VARIANTS = ("_with_total", "", "_without_amount")
# Fields every verdict text may use besides the rule's own names.
VERDICT_FIELDS = frozenset({"case", "reasons"})

# The comparison sign actually shown for (bound op, inclusive bound, does it hold).
_SIGNS = {
    ("max", True, True): "≤",
    ("max", True, False): ">",
    ("max", False, True): "<",
    ("max", False, False): "≥",
    ("min", True, True): "≥",
    ("min", True, False): "<",
    ("min", False, True): ">",
    ("min", False, False): "≤",
}
_BOOL_TEXT = {True: "是", False: "否"}


class SlotValueError(ValueError):
    """A slot value the rules cannot use; `str(err)` is a Chinese message for the user.

    :param slot: the canonical slot name to ask again.
    """

    def __init__(self, slot: str, message: str):
        super().__init__(message)
        self.slot = slot
        self.message = message


class MissingSlots(LookupError):
    """`evaluate` was called before the facts the rule needs were known.

    :param slots: the canonical slot names still needed, in asking order.
    """

    def __init__(self, rule_id: str, slots: list[str]):
        super().__init__(f"rule {rule_id!r} still needs {slots}")
        self.rule_id = rule_id
        self.slots = slots


@dataclass(frozen=True)
class Verdict:
    """The answer of one rule for one set of facts.

    :param outcome: `eligible` | `not_eligible` | `not_covered` (the notice does not say) | `info`.
    :param text: the full Chinese answer: verdict, computation, clause with its citation, validity.
    :param body: the verdict sentence alone (for voice, where the clause is too long to read out).
    :param computation: e.g. `参保职工 28 人 ≤ 30 人；裁员率 3/28 ≈ 10.7% ≤ 20%`; "" when none.
    :param facts: inputs, derived values and the rule's parameters as plain numbers / strings.
    :param case: the branch of the rule that applied, e.g. `30人（含）以下的参保企业`.
    :param validity: the validity note; `expired` is True when an explicit end date has passed.
    """

    rule_id: str
    outcome: str
    text: str
    computation: str
    citation: Citation
    facts: dict[str, Any]
    body: str = ""
    case: str = ""
    validity: str = ""
    expired: bool = False
    reasons: list[str] = field(default_factory=list)
    near_miss: bool = False  # the case is about something else than the measure (see `Case.near_miss`)
    # The rule table's text this verdict was written from: two verdicts from one template say the
    # same thing of different cases (the 5.5% and the 3.62% bound both passed).
    template: str = ""


# -- public API ---------------------------------------------------------------------------------


def validate_slot(slot: str, value: Any, known: dict | None = None, *, table: RuleTable | None = None):
    """Coerce one slot value to its canonical type and check its range.

    Strings are parsed as natural answers (`二十八个人` → 28). Cross-slot bounds are checked
    against `known` (e.g. layoffs may not exceed employees).

    :returns: int / Fraction / bool / choice code.
    :raises SlotValueError: with a Chinese message naming what is wrong.
    :raises KeyError: `slot` has no spec in the rule table.
    """
    table = table or load_rules()
    spec = table.slots[slot]
    value = _coerce(spec, value, table)
    if spec.max_slot and known and known.get(spec.max_slot) not in (None, ""):
        limit = _coerce(table.slots[spec.max_slot], known[spec.max_slot], table)
        if value > limit:
            other = table.slots[spec.max_slot]
            raise SlotValueError(
                slot,
                say("slot_more_than", label=spec.label, value=_prose(spec, value, table), other=other.label,
                    limit=_prose(other, limit, table)),
            )
    return value


def missing_slots(
    rule_id: str,
    slots: dict,
    *,
    table: RuleTable | None = None,
    as_of: dt.date | None = None,
    epidemic_end: dt.date | None = EPIDEMIC_END,
) -> list[str]:
    """The facts still needed for this rule's current branch, in asking order.

    Slots of other branches are left out (a firm of 28 staff is never asked whether it was
    affected by the epidemic), optional slots are never asked, and once the verdict is already
    decided (e.g. the employer is not an epidemic-supply firm) nothing more is asked.

    :param slots: known slot values by canonical name; None / "" count as unknown.
    :param as_of: / :param epidemic_end: as for `evaluate` (an event after the measure decides alone).
    :returns: canonical slot names; [] when `evaluate` can answer.
    :raises UnknownRule: no rule has this id.
    :raises SlotValueError: a given value is unusable (the caller should ask for it again).
    """
    table = table or load_rules()
    rule = table[rule_id]
    values = _coerce_all(rule, table, slots)
    if _event_end(rule, values, as_of or dt.date.today(), epidemic_end) is not None:
        return []  # the event came after the measure ended: nothing else decides
    ctx = _Context(rule, table, values)
    needed = [i.slot for i in rule.inputs if _must_ask(i, ctx)]
    if needed and _decided(rule, ctx):
        return []
    return needed


def evaluate(
    rule_id: str,
    slots: dict,
    as_of: dt.date | None = None,
    *,
    epidemic_end: dt.date | None = EPIDEMIC_END,
    table: RuleTable | None = None,
    assumed: Iterable[str] = (),
) -> Verdict:
    """Apply one rule of the notice to the known facts.

    :param slots: slot values by canonical name (natural-language strings are parsed).
    :param as_of: the date validity is judged against (default: today).
    :param epidemic_end: the end of 疫情防控期间 (HOTLINE_EPIDEMIC_END); None keeps it open.
    :param assumed: slots whose values stand in for an unknown fact (any value gives this verdict):
        the computation leaves them out, so it never shows a number the user did not give.
    :returns: the `Verdict` with its computation, citation and validity note.
    :raises UnknownRule: no rule has this id.
    :raises MissingSlots: facts are still missing (see `missing_slots`).
    :raises SlotValueError: a given value is unusable.
    """
    table = table or load_rules()
    rule = table[rule_id]
    as_of = as_of or dt.date.today()
    if as_of < rule.valid_from:
        return _not_yet(rule, table, as_of)
    values = _coerce_all(rule, table, slots)
    late = _late_event(rule, table, values, as_of, epidemic_end)
    if late is not None:
        return late
    ctx = _Context(rule, table, values, frozenset(assumed))
    needed = [i.slot for i in rule.inputs if _must_ask(i, ctx)]
    if needed and not _decided(rule, ctx):
        raise MissingSlots(rule_id, needed)
    case = _select_case(rule, ctx)
    results = [(check, ctx.holds(check)) for check in case.check]
    failed = [check for check, ok in results if ok is False]
    if not failed and any(ok is None for _, ok in results):
        raise MissingSlots(rule_id, [check["of"] for check, ok in results if ok is None])
    outcome = case.otherwise if failed else case.outcome
    reasons = [ctx.format(check["requires"]) for check in failed if check.get("requires")]
    computation = "；".join(_computation(case, ctx, passed=not failed))
    # The fullest text whose values are known: with the total for all persons, with the amount, without it.
    variants = [case.texts.get(outcome + v) or rule.texts.get(outcome + v) for v in TEXT_VARIANTS]
    known = [t for t in variants if t and ctx.knows_all(t)]
    template = known[0] if known else case.texts.get(outcome) or rule.texts[outcome]
    body = ctx.format(template, case=ctx.format(case.label), reasons="；".join(reasons))
    validity, expired = _validity_note(rule, as_of, epidemic_end)
    text = _compose(rule, table, outcome, body, computation, validity, expired)
    return Verdict(
        rule_id=rule.id,
        outcome=outcome,
        text=text,
        computation=computation,
        citation=rule.citation,
        facts=ctx.facts(),
        body=body,
        case=ctx.format(case.label),
        validity=validity,
        expired=expired,
        reasons=reasons,
        template=template,
        near_miss=case.near_miss,
    )


def assumptions(rule_id: str, facts: dict, *, table: RuleTable | None = None) -> tuple[bool, list[str]]:
    """Whether facts agree with what the rule assumes (`assume` in the table), and the assumptions
    that apply, as sentences; on a contradiction, the one contradicted:
    ({enterprise_size: other, employees: 20}) → (False, ["大型企业按参保职工30人以上计"]).

    :raises UnknownRule: no rule has this id.
    """
    table = table or load_rules()
    rule = table[rule_id]
    ctx = _Context(rule, table, _coerce_all(rule, table, facts))
    used = []
    for a in rule.assume:
        if ctx.all_hold(a["when"]) is True:
            if ctx.holds(a["then"]) is False:
                return False, [ctx.format(a["says"])]
            used.append(ctx.format(a["says"]))
    return True, used


def referral(rule_id: str, facts: dict, *, table: RuleTable | None = None) -> str | None:
    """The measure that covers these facts instead of this one (`refer` in the table), or None.

    :raises UnknownRule: no rule has this id.
    """
    table = table or load_rules()
    rule = table[rule_id]
    ctx = _Context(rule, table, _coerce_all(rule, table, facts))
    return next((r["to"] for r in rule.refer if ctx.all_hold(r["when"]) is True), None)


def rule_summary(rule_id: str, *, table: RuleTable | None = None) -> str:
    """The rule in one sentence (`summary` of the table, its parameters filled in); "" when none.

    :raises UnknownRule: no rule has this id.
    """
    table = table or load_rules()
    rule = table[rule_id]
    return _Context(rule, table, {}).format(rule.summary) if rule.summary else ""


def branches(rule_id: str, *, table: RuleTable | None = None) -> list[str]:
    """The labels of a rule's cases as verdicts report them (`Verdict.case`), for docs and tests.

    :raises UnknownRule: no rule has this id.
    """
    table = table or load_rules()
    rule = table[rule_id]
    ctx = _Context(rule, table, {})
    return [ctx.format(case.label) for case in rule.cases]


# -- slot values --------------------------------------------------------------------------------


def _coerce_all(rule: Rule, table: RuleTable, slots: dict) -> dict[str, Any]:
    known = {k: v for k, v in (slots or {}).items() if v is not None and v != ""}
    return {name: validate_slot(name, known[name], known, table=table) for name in rule.reads if name in known}


def _coerce(spec: Slot, value: Any, table: RuleTable):
    if spec.type == "date" and isinstance(value, dt.date):
        value = value.isoformat()
    if spec.type == "date" and isinstance(value, str) and event_dates.VALUE.fullmatch(value):
        return value
    if isinstance(value, str) and spec.type == "choice" and value in spec.choices:
        return value
    if isinstance(value, str):
        from bot.eligibility.parsing import parse_slot_value

        parsed = parse_slot_value(spec.name, value)
        if parsed is None:
            options = say("slot_choose", choices="、".join(spec.choices.values())) if spec.type == "choice" else ""
            raise _ask_again(spec, say("slot_unclear", value=value, options=options))
        value = parsed
    if spec.type == "date":
        return value
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise _ask_again(spec, say("slot_yes_no"))
        return value
    if spec.type == "choice":
        if value not in spec.choices:
            raise _ask_again(spec, say("slot_choose", choices="、".join(spec.choices.values())))
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, Decimal)):
        raise _ask_again(spec, say("slot_needs_number", label=spec.label))
    number = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if spec.type in ("int", "year"):
        if number != int(number):
            raise _ask_again(spec, say("slot_needs_integer", label=spec.label))
        number = int(number)
    if (spec.min is not None and number < spec.min) or (spec.max is not None and number > spec.max):
        raise _ask_again(spec, say("slot_out_of_range", label=spec.label, value=_prose(spec, number, table)))
    return number


def _event_end(rule: Rule, values: dict, as_of: dt.date, epidemic_end: dt.date | None) -> dt.date | None:
    """The end of the measure when the case's event (`event_date`) surely came after it, else None."""
    event = values.get(EVENT_DATE)
    if event is None:
        return None
    judged = validity_as_of(rule.validity, event_dates.earliest_day(event, as_of), epidemic_end, until=rule.valid_until, text=rule.clause)
    return judged.end if judged.ended else None


def _late_event(rule: Rule, table: RuleTable, values: dict, as_of: dt.date, epidemic_end: dt.date | None) -> Verdict | None:
    """Not eligible when the case's event came after the measure ended ("2023年2月辞职的" for 失业补助金)."""
    end = _event_end(rule, values, as_of, epidemic_end)
    if end is None:
        return None
    event = values[EVENT_DATE]
    told = say("event_now") if event == "now" else event_dates.text(event_dates.absolute(event, as_of))
    key = "event_after_deadline" if rule.validity == "deadline" else "event_after_end"
    body = table.validity_notes[key].format(event=told, end=_date(end))
    validity, expired = _validity_note(rule, as_of, epidemic_end)
    return Verdict(
        rule_id=rule.id,
        outcome="not_eligible",
        text=_compose(rule, table, "not_eligible", body, "", validity),
        computation="",
        citation=rule.citation,
        facts={EVENT_DATE: told},
        body=body,
        validity=validity,
        expired=expired,
        reasons=[body],
        template=table.validity_notes[key],
    )


def _ask_again(spec: Slot, problem: str) -> SlotValueError:
    return SlotValueError(spec.name, f"{problem}{spec.chat}")


# -- evaluation in three-valued logic ------------------------------------------------------------


class _Context:
    """The known values of one evaluation, derived values included, with their renderings."""

    def __init__(self, rule: Rule, table: RuleTable, values: dict[str, Any], assumed: frozenset = frozenset()):
        self.rule = rule
        self.table = table
        self.values = values
        self.assumed = assumed
        self.derived: dict[str, Any] = {}
        self.renders: dict[str, Any] = {}
        for name, spec in rule.derive.items():
            self._derive(name, spec)

    # values

    def operand(self, name: str):
        if name in self.rule.params:
            return self.rule.params[name].value
        return self.value(name)

    def value(self, name: str):
        if name in self.derived:
            return self.derived[name]
        return self.values.get(name)

    def _derive(self, name: str, spec: dict) -> None:
        cap = self.rule.params[spec["cap"]] if spec.get("cap") else None
        if "ratio" in spec:
            num, den = (self.value(n) for n in spec["ratio"])
            if num is None or den is None:
                return  # falls back to a slot of the same name, if any (layoff_rate given directly)
            value = Fraction(num) / Fraction(den)
            if spec.get("percent"):
                value *= PERCENT
            self.derived[name] = value
            self.renders[name] = ("ratio", num, den, spec)
            return
        operands = spec.get("product") or [spec["of"]]
        known = [self.operand(n) for n in operands]
        if any(v is None for v in known):
            return
        raw = _product(known)
        value = min(raw, cap.value) if cap is not None else raw
        self.derived[name] = value
        self.renders[name] = ("product" if "product" in spec else "of", operands, raw, cap, spec)

    # filters

    def holds(self, f: dict) -> bool | None:
        if "not" in f:
            if self._untold_optional(f["not"]):  # "not more than a year" of an untold extension: no case either
                return False
            inner = self.holds(f["not"])
            return None if inner is None else not inner
        if "any" in f:
            results = [self.holds(sub) for sub in f["any"]]
            if any(r is True for r in results):
                return True
            return None if any(r is None for r in results) else False
        value = self.value(f["of"])
        if value is None:
            # an optional fact is never asked: untold, the case it decides does not apply
            return False if any(i.optional and i.slot == f["of"] for i in self.rule.inputs) else None
        if "eq" in f:
            return value == f["eq"]
        if "is" in f:
            return value == self.rule.params[f["is"]].value
        op = "max" if "max" in f else "min"
        return _bound_holds(op, value, self.rule.params[f[op]])

    def _untold_optional(self, f: dict) -> bool:
        return "of" in f and self.value(f["of"]) is None and any(i.optional and i.slot == f["of"] for i in self.rule.inputs)

    def all_hold(self, filters: Iterable[dict]) -> bool | None:
        results = [self.holds(f) for f in filters]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True

    # rendering

    def unit_of(self, name: str) -> str:
        if name in self.rule.params:
            return self.rule.params[name].unit
        spec = self.rule.derive.get(name)
        if spec is not None:
            if spec.get("percent"):
                return "%"
            if spec.get("cap"):
                return _per_unit(self.rule.params[spec["cap"]].unit)
            if "product" in spec:  # count × amount per unit (a parameter or a derived amount): the amount's unit
                rate = next(n for n in spec["product"] if n in self.rule.params or n in self.rule.derive)
                return _per_unit(self.unit_of(rate))
            return self.unit_of(spec["of"])
        return self.table.slots[name].unit

    def label_of(self, name: str) -> str:
        if name in self.table.slots:
            return self.table.slots[name].label
        return self.rule.derive.get(name, {}).get("label", "")

    def render_filter(self, f: dict) -> str | None:
        """`裁员率 3/28 ≈ 10.7% ≤ 20%` for a bound filter whose value is known; None otherwise."""
        if "not" in f:
            return self.render_filter(f["not"])
        op = "max" if "max" in f else "min" if "min" in f else None
        if op is None or self.value(f["of"]) is None or f["of"] in self.assumed:
            return None
        param = self.rule.params[f[op]]
        value = self.value(f["of"])
        sign = _SIGNS[(op, bool(param.inclusive), _bound_holds(op, value, param))]
        expr = self.render_value(f["of"], against=param.value)
        return f"{self.label_of(f['of'])} {expr} {sign} {_spaced(param.value, param.unit, self.table)}".strip()

    def render_value(self, name: str, against: Fraction | None = None) -> str:
        render = self.renders.get(name)
        unit = self.unit_of(name)
        if render is None:
            return _spaced(self.value(name), unit, self.table, against=against)
        if render[0] == "ratio":
            _, num, den, spec = render
            text, exact = _decimal(self.derived[name], self.table, against=against)
            if self.assumed & set(spec["ratio"]):  # 0 laid off: 0% whatever the head count
                return f"{text}{_unit_suffix(unit)}"
            return f"{num}/{den} {'=' if exact else '≈'} {text}{_unit_suffix(unit)}"
        return self.render_amount(name)

    def render_amount(self, name: str) -> str:
        """`每人补贴 120 课时 × 10 元 = 1200 元 → 上限 1000 元`, or for a capped copy of a slot
        `人身意外伤害保险保费 800 元 > 上限 500 元/人 → 补贴最多 500 元`."""
        kind, operands, raw, cap, spec = self.renders[name]
        unit = self.unit_of(name)
        label = spec.get("label", "")
        if kind == "of":
            source = operands[0]
            text = f"{self.label_of(source)} {self._render_operand(source)}"
            if cap is not None:
                sign = ">" if raw > cap.value else "≤"
                text += f" {sign} 上限 {_spaced(cap.value, cap.unit, self.table)}"
            return f"{text} → {label}最多 {_spaced(self.derived[name], unit, self.table)}"
        factors = " × ".join(self._render_operand(n) for n in operands)
        text = f"{label} {factors} = {_spaced(raw, unit, self.table)}".strip()
        if cap is not None:
            cap_text = _spaced(cap.value, cap.unit, self.table)
            text += f" → 上限 {cap_text}" if raw > cap.value else f"（未超过上限 {cap_text}）"
        return text

    def _render_operand(self, name: str) -> str:
        if name in self.rule.params:
            p = self.rule.params[name]
            return _spaced(p.value, _per_unit(p.unit), self.table)
        return _spaced(self.value(name), self.unit_of(name), self.table)

    def prose(self, name: str) -> str:
        if name in self.rule.params:
            p = self.rule.params[name]
            return _prose_value(p.value, p.unit, self.table)
        value = self.value(name)
        if value is None:
            raise RuleTableError(f"rule {self.rule.id!r}: a text uses {name!r}, which is not known here")
        if name in self.table.slots and name not in self.derived:
            return _prose(self.table.slots[name], value, self.table)
        return _prose_value(value, self.unit_of(name), self.table)

    def knows_all(self, template: str) -> bool:
        """Whether every `{name}` of a text has a value (parameters, facts, derived values, the
        verdict's own fields)."""
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        return all(n in self.rule.params or self.value(n) is not None or n in VERDICT_FIELDS for n in names)

    def format(self, template: str, **extra: str) -> str:
        return template.format_map(_Lookup(self, extra))

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, p in self.rule.params.items():
            out[name] = p.value.isoformat() if isinstance(p.value, dt.date) else _plain(p.value)
        for name, value in {**self.values, **self.derived}.items():
            out[name] = _plain(value)
        return out


class _Lookup(dict):
    """format_map source: params, slots and derived values rendered for prose."""

    def __init__(self, ctx: _Context, extra: dict[str, str]):
        super().__init__(extra)
        self.ctx = ctx

    def __missing__(self, key: str) -> str:
        return self.ctx.prose(key)


def _must_ask(inp, ctx: _Context) -> bool:
    if inp.optional or inp.slot in ctx.values:
        return False
    if inp.unless and ctx.value(inp.unless) is not None:
        return False
    return ctx.all_hold(inp.when) is True


def _decided(rule: Rule, ctx: _Context) -> bool:
    """True when a requirement of the applicable case has already failed, so the verdict is
    "not eligible" whatever the remaining answers are, and asking them would be pointless."""
    for case in rule.cases:
        applies = ctx.all_hold(case.when)
        if applies is None:
            return False
        if applies:  # a case with no conditions to check gives its outcome whatever else is told
            return (not case.check and case.outcome != "eligible") or any(ctx.holds(c) is False for c in case.check)
    return False


def _select_case(rule: Rule, ctx: _Context) -> Case:
    for case in rule.cases:
        if ctx.all_hold(case.when):
            return case
    raise RuleTableError(f"rule {rule.id!r}: no case applies to {ctx.values}")


def _computation(case: Case, ctx: _Context, passed: bool) -> list[str]:
    parts = [r for r in (ctx.render_filter(f) for f in (*case.when, *case.check)) if r]
    if passed:
        shown = {c["of"] for c in case.check}
        parts += [ctx.render_amount(n) for n in ctx.derived if n not in shown and ctx.renders[n][0] != "ratio"]
        if case.formula:
            parts.append(ctx.format(case.formula))
    return parts


def _bound_holds(op: str, value, param: Param) -> bool:
    if op == "max":
        return value <= param.value if param.inclusive else value < param.value
    return value >= param.value if param.inclusive else value > param.value


def _product(values: list) -> Fraction:
    return math.prod(Fraction(v) for v in values)


# -- the answer text ---------------------------------------------------------------------------


def _validity_note(rule: Rule, as_of: dt.date, epidemic_end: dt.date | None) -> tuple[str, bool]:
    judged = validity_as_of(rule.validity, as_of, epidemic_end, until=rule.valid_until, text=rule.clause)
    return judged.line, judged.ended


def _compose(
    rule: Rule, table: RuleTable, outcome: str, body: str, computation: str, validity: str, expired: bool = False
) -> str:
    label = table.outcome_labels[f"{outcome}_expired" if expired and f"{outcome}_expired" in table.outcome_labels else outcome]
    lines = [say("verdict_head", label=label, body=body)]
    if computation:
        lines.append(say("verdict_computation", computation=computation))
    lines.append(say("verdict_source", reference=rule.citation.reference, clause=rule.clause))
    lines.append(validity)
    return "\n".join(lines)


def _not_yet(rule: Rule, table: RuleTable, as_of: dt.date) -> Verdict:
    body = table.validity_notes["not_yet"].format(issued=_date(rule.valid_from), as_of=_date(as_of))
    return Verdict(
        rule_id=rule.id,
        outcome="not_covered",
        text=_compose(rule, table, "not_covered", body, "", body),
        computation="",
        citation=rule.citation,
        facts={},
        body=body,
        validity=body,
    )


# -- number formatting -------------------------------------------------------------------------


def _decimal(x, table: RuleTable, against=None) -> tuple[str, bool]:
    """Exact decimals when short enough; otherwise rounded to `ratio_places`, with more places
    when the rounded figure would not compare with the bound as the exact one does
    (362/9999 is shown as 3.6204%, not as 3.6% or 3.62%, against a bound of 3.62%)."""
    x = Fraction(x)
    dec = Decimal(x.numerator) / Decimal(x.denominator)
    max_places = table.display["max_places"]
    if Fraction(dec) == x and -dec.normalize().as_tuple().exponent <= max_places:
        return _plain_decimal(dec), True
    for places in itertools.count(table.display["ratio_places"]):
        rounded = round(dec, places)
        if places >= max_places or against is None or _side(Fraction(rounded), against) == _side(x, against):
            return _plain_decimal(rounded), False
    raise AssertionError("unreachable")  # pragma: no cover


def _side(value: Fraction, bound) -> int:
    """-1, 0 or 1: below, at or above the bound."""
    return (value > bound) - (value < bound)


def _plain_decimal(dec: Decimal) -> str:
    return format(dec.normalize(), "f")


def _unit_suffix(unit: str) -> str:
    return unit if unit == "%" or not unit else f" {unit}"


def _spaced(value, unit: str, table: RuleTable, against=None) -> str:
    """For computations: `28 人`, `10.7%`, `1000 元`."""
    if isinstance(value, dt.date):
        return _date(value)
    text, _ = _decimal(value, table, against=against)
    return f"{text}{_unit_suffix(unit)}"


def _prose_value(value, unit: str, table: RuleTable) -> str:
    """For sentences: `28人`, `95%`, `1000元`, `2020年9月30日`."""
    if isinstance(value, dt.date):
        return _date(value)
    text, _ = _decimal(value, table)
    return f"{text}{unit}"


def _prose(spec: Slot, value, table: RuleTable) -> str:
    if spec.type == "date":
        return say("event_now") if value.startswith("now") else event_dates.text(value)
    if spec.type == "bool":
        return _BOOL_TEXT[value]
    if spec.type == "choice":
        return spec.choices.get(value, str(value))
    return _prose_value(value, spec.unit, table)


def _per_unit(unit: str) -> str:
    """`元/人` → `元`: the amount itself, in a computation that is already per person."""
    return unit.split("/")[0]


def _date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _plain(value):
    """Fractions → int or float, for JSON and the facts dict."""
    if isinstance(value, Fraction):
        return int(value) if value == int(value) else float(value)
    return value
