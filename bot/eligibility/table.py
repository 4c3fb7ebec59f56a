"""The eligibility rule table (`rules.yaml`) loaded into typed, validated objects.

Loading checks the table against the notice and the slot names, so a typo in the data fails at
start-up, not in the middle of a conversation: every clause must occur verbatim in the notice,
every input must be a slot of the slot table (`bot.core.slots`), every slot must belong to a
check, every filter must name a known value and parameter, and every bound must say whether it
is inclusive. The loaded table's slot rows carry the ids of the checks that read them.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import cn2an
import yaml

from bot.config import REPO_ROOT
from bot.core import slots as slot_table
from bot.core.slots import Slot
from bot.core.turn import Citation

RULES_PATH = Path(__file__).with_name("rules.yaml")

OUTCOMES = ("eligible", "not_eligible", "not_covered", "info")
VALIDITY_KINDS = (
    "epidemic_period",
    "epidemic_period_by_closing",
    "after_epidemic_3_months",
    "none_stated",
    "until_date",
    "deadline",
)
DATED_VALIDITY = ("until_date", "deadline")
BOUND_OPS = ("max", "min")


class RuleTableError(ValueError):
    """`rules.yaml` is inconsistent with itself, the notice or the slot names; the message says where."""


class UnknownRule(KeyError):
    """No rule has this id."""


def normalise_space(text: str) -> str:
    """Drop all whitespace: the notice's typesetting puts spaces around numbers (`不高于 5.5%`)."""
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Param:
    """One number or date the notice states, with its own words.

    :param value: a `Fraction` (exact arithmetic at the bounds) or a `datetime.date`.
    :param inclusive: whether the bound includes its value, as the wording says; None when not a bound.
    """

    name: str
    value: Fraction | dt.date
    unit: str = ""
    inclusive: bool | None = None
    text: str = ""


@dataclass(frozen=True)
class Input:
    slot: str
    when: tuple = ()
    unless: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class Case:
    label: str
    when: tuple = ()
    check: tuple = ()
    outcome: str = "eligible"
    otherwise: str = "not_eligible"
    formula: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    # The case asks about something the measure is not (a mortgage, not a guarantee loan): a near
    # miss, which the staff queue should see, rather than a case the measure decides.
    near_miss: bool = False


@dataclass(frozen=True)
class Rule:
    """One row of the table: a measure of the notice with its inputs, bounds and answer texts."""

    id: str
    article: int
    topic: str
    title: str
    clause: str
    document: str
    validity: str
    valid_from: dt.date
    valid_until: dt.date | None
    params: dict[str, Param]
    inputs: tuple[Input, ...]
    derive: dict[str, dict]
    cases: tuple[Case, ...]
    texts: dict[str, str]
    # Words that name this measure in a question (稳岗返还, 失业补助金 …), longest match wins.
    words: tuple[str, ...] = ()
    # Only when one of `words` is said (not on Rasa's intent alone): a measure for one kind of asker
    # (人力资源服务机构) beside another of the same article for everyone else.
    needs_word: bool = False
    # The rule in one sentence, said when a check starts ({param} placeholders).
    summary: str = ""
    # What may be taken as known from other facts ({when, then, says}): a firm that is not 中小微
    # has more than 30 staff. A check uses it instead of asking, and says so.
    assume: tuple[dict, ...] = ()
    # Another measure that covers a case instead ({when, to}): who quit of their own accord is
    # judged for the 失业补助金, not the 失业保险金.
    refer: tuple[dict, ...] = ()

    @property
    def checkable(self) -> bool:
        """Whether the rule has facts to ask (a rule without inputs only states the measure)."""
        return bool(self.inputs)

    @property
    def slots(self) -> list[str]:
        """Every slot the rule reads, in asking order (optional ones included)."""
        return [i.slot for i in self.inputs]

    @property
    def reads(self) -> list[str]:
        """Every slot whose value can change the verdict: the inputs, the slots that make an
        input unnecessary (`unless`), and slots that a derived value stands in for."""
        names = [*self.slots, *(i.unless for i in self.inputs if i.unless), *self.derive,
                 *(f.get("of") for r in self.refer for f in r["when"])]
        return [n for n in dict.fromkeys(names) if n in slot_table.BY_NAME]

    @property
    def citation(self) -> Citation:
        return Citation(document=self.document, article=self.article, title=self.title, quote=self.clause)


@dataclass(frozen=True)
class RuleTable:
    """All rules plus the slot rows (with their checks), texts and display settings.

    `table[rule_id]` returns a `Rule` or raises `UnknownRule`.
    """

    document: str
    source_text: str
    issued: dt.date
    display: dict[str, int]
    outcome_labels: dict[str, str]
    validity_notes: dict[str, str]
    slots: dict[str, Slot]
    rules: dict[str, Rule]

    def ids(self) -> list[str]:
        return list(self.rules)

    def __getitem__(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise UnknownRule(f"no eligibility rule {rule_id!r}; known: {', '.join(self.rules)}") from None

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())

    def __len__(self) -> int:
        return len(self.rules)


@functools.lru_cache(maxsize=None)
def load_rules(path: Path | str = RULES_PATH) -> RuleTable:
    """Load and validate the rule table (cached per path).

    :param path: the YAML file; the default is the package's `rules.yaml`.
    :returns: the validated `RuleTable`.
    :raises RuleTableError: the table is inconsistent (unknown slot, missing clause, ...).
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return _build_table(data)


def _build_table(data: dict) -> RuleTable:
    source_text = (REPO_ROOT / data["source"]).read_text(encoding="utf-8")
    rules: dict[str, Rule] = {}
    for raw in data["rules"]:
        rule = _rule(raw, data, source_text)
        if rule.id in rules:
            raise RuleTableError(f"duplicate rule id {rule.id!r}")
        rules[rule.id] = rule
    slots = {s.name: replace(s, checks=tuple(r.id for r in rules.values() if s.name in r.reads)) for s in slot_table.SLOTS}
    unread = [name for name, s in slots.items() if not s.checks]
    if unread:
        raise RuleTableError(f"slots {unread} belong to no check; remove them from bot/core/slots.py or add a rule input")
    if "not_yet" not in data["validity_notes"]:
        raise RuleTableError("validity_notes lacks 'not_yet'")
    return RuleTable(
        document=data["document"],
        source_text=source_text,
        issued=data["issued"],
        display=dict(data["display"]),
        outcome_labels=dict(data["outcome_labels"]),
        validity_notes=dict(data["validity_notes"]),
        slots=slots,
        rules=rules,
    )


def _number(value: Any) -> Fraction:
    # str() first so that 5.5 becomes exactly 11/2, not the binary float's expansion.
    return Fraction(str(value))


def _param(name: str, raw: dict) -> Param:
    value = raw["value"]
    return Param(
        name=name,
        value=value if isinstance(value, dt.date) else _number(value),
        unit=raw.get("unit", ""),
        inclusive=raw.get("inclusive"),
        text=raw.get("text", ""),
    )


def article_title(source_text: str, article: int) -> str:
    """The article's first sentence without its full stop, e.g. 4 → `扩大稳岗返还政策范围`.

    :raises RuleTableError: the notice has no such article.
    """
    match = re.search(rf"（{cn2an.an2cn(article)}）(?P<title>[^。]+)。", source_text)
    if not match:
        raise RuleTableError(f"the notice has no article （{cn2an.an2cn(article)}）")
    return normalise_space(match.group("title"))


def _rule(raw: dict, data: dict, source_text: str) -> Rule:
    rid = raw["id"]

    def fail(message: str) -> RuleTableError:
        return RuleTableError(f"rule {rid!r}: {message}")

    clause = " ".join(raw["clause"].split())
    if normalise_space(clause) not in normalise_space(source_text):
        raise fail("its clause does not occur verbatim in the notice")
    params = {name: _param(name, p) for name, p in (raw.get("params") or {}).items()}
    for p in params.values():
        if p.text and normalise_space(p.text) not in normalise_space(clause):
            raise fail(f"param {p.name!r}: its text {p.text!r} is not in the clause")
    derive = dict(raw.get("derive") or {})
    inputs = tuple(
        Input(slot=i["slot"], when=tuple(i.get("when") or ()), unless=i.get("unless"), optional=bool(i.get("optional")))
        for i in raw.get("inputs") or ()
    )
    for i in inputs:
        if i.slot not in slot_table.BY_NAME:
            raise fail(f"input {i.slot!r} is not a canonical slot (bot/core/slots.py)")
    known_values = set(slot_table.BY_NAME) | set(derive)
    cases = tuple(
        Case(
            label=c["label"],
            when=tuple(c.get("when") or ()),
            check=tuple(c.get("check") or ()),
            outcome=c.get("outcome", "eligible"),
            otherwise=c.get("else", "not_eligible"),
            formula=c.get("formula", ""),
            texts=dict(c.get("texts") or {}),
            near_miss=bool(c.get("near_miss")),
        )
        for c in raw["cases"]
    )
    if not cases:
        raise fail("has no cases")
    texts = dict(raw.get("texts") or {})
    for case in cases:
        for f in (*case.when, *case.check):
            _validate_filter(f, known_values, params, fail)
        for outcome in (case.outcome, case.otherwise if case.check else case.outcome):
            if outcome not in OUTCOMES:
                raise fail(f"case {case.label!r}: unknown outcome {outcome!r}")
            if outcome not in case.texts and outcome not in texts:
                raise fail(f"case {case.label!r}: no text for outcome {outcome!r}")
    for i in inputs:
        for f in i.when:
            _validate_filter(f, known_values, params, fail)
    for name, spec in derive.items():
        for operand in spec.get("ratio") or spec.get("product") or [spec.get("of")]:
            if operand not in known_values and operand not in params:
                raise fail(f"derived {name!r} uses unknown operand {operand!r}")
        if "product" in spec and not any(n in params or n in derive for n in spec["product"]):
            raise fail(f"derived {name!r}: a product needs an amount per unit among its params")
        if spec.get("cap") and spec["cap"] not in params:
            raise fail(f"derived {name!r}: unknown cap {spec['cap']!r}")
    assume = tuple({"when": tuple(a.get("when") or ()), "then": a["then"], "says": a["says"]} for a in raw.get("assume") or ())
    for a in assume:
        for f in (*a["when"], a["then"]):
            _validate_filter(f, known_values, params, fail)
    refer = tuple({"when": tuple(r["when"]), "to": r["to"]} for r in raw.get("refer") or ())
    for r in refer:
        for f in r["when"]:
            _validate_filter(f, known_values, params, fail)
    validity = raw["validity"]
    if validity not in VALIDITY_KINDS:
        raise fail(f"validity must be one of {VALIDITY_KINDS}, got {validity!r}")
    valid_until = raw.get("valid_until")
    if (validity in DATED_VALIDITY) != (valid_until is not None):
        raise fail("`valid_until` goes with validity until_date/deadline, and only with them")
    return Rule(
        id=rid,
        article=int(raw["article"]),
        topic=raw["topic"],
        title=article_title(source_text, int(raw["article"])),
        clause=clause,
        document=data["document"],
        validity=validity,
        valid_from=raw.get("valid_from", data["issued"]),
        valid_until=valid_until,
        params=params,
        inputs=inputs,
        derive=derive,
        cases=cases,
        texts=texts,
        words=tuple(raw.get("words") or ()),
        needs_word=bool(raw.get("needs_word", False)),
        summary=" ".join(str(raw.get("summary") or "").split()),
        assume=assume,
        refer=refer,
    )


def _validate_filter(f: dict, known_values: set[str], params: dict[str, Param], fail) -> None:
    if "not" in f:
        _validate_filter(f["not"], known_values, params, fail)
        return
    if "any" in f:
        for sub in f["any"]:
            _validate_filter(sub, known_values, params, fail)
        return
    if f.get("of") not in known_values:
        raise fail(f"filter {f} reads unknown value {f.get('of')!r}")
    try:
        (op,) = [op for op in ("eq", "is", *BOUND_OPS) if op in f]
    except ValueError:
        raise fail(f"filter {f} needs exactly one of eq / is / max / min") from None
    if op in ("is", *BOUND_OPS):
        param = params.get(f[op])
        if param is None:
            raise fail(f"filter {f} names unknown param {f[op]!r}")
        if op in BOUND_OPS and param.inclusive is None:
            raise fail(f"param {param.name!r} is used as a bound but does not say `inclusive`")
