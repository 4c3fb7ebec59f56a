"""The rule table as data: consistent with the notice, the slot table and itself; and the
evaluator holds no numbers of its own.

Run: .venv/bin/python -m pytest -q tests/eligibility/test_table.py
"""
from __future__ import annotations

import ast
import datetime as dt
import re
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from bot.core import slots as S
from bot.config import REPO_ROOT
from bot.eligibility import engine, table
from bot.eligibility.table import RULES_PATH, RuleTableError, load_rules, normalise_space

NOTICE = (REPO_ROOT / "knowledge_base/sources/dalian-hrss-2020-38.txt").read_text(encoding="utf-8")

# The Rasa domain has one intent `check_<rule_id>` per rule: these ids are a contract.
RULE_IDS = {
    "stabilization_refund",
    "stranded_migrant_worker",
    "unemployment_insurance_rate",
    "unemployment_benefit",
    "unemployment_subsidy",
    "training_subsidy",
    "job_service_subsidy",
    "absorption_subsidy",
    "migrant_public_welfare_post",
    "migrant_employer_subsidy",
    "migrant_accident_insurance",
    "loan_extension",
    "loan_priority",
    "incubator_rent_subsidy",
    "graduate_reporting_deadline",
}
INCLUSIVE_WORDS = ("不高于", "不超过", "（含）", "不少于", "以上", "满", "上限", "至")  # 3至6个月: both ends
EXCLUSIVE_WORDS = ("低于", "不足")


def test_rule_ids_are_the_fixed_contract(rules):
    assert set(rules.ids()) == RULE_IDS
    assert len(rules) == len(RULE_IDS)


def test_every_clause_occurs_verbatim_in_the_notice(rules):
    for rule in rules:
        assert normalise_space(rule.clause) in normalise_space(NOTICE), rule.id


def test_the_slot_table_is_complete_and_consistent_with_the_rules(rules):
    """One row per slot (bot/core/slots.py): every rule input is a row, every row belongs to a
    check, every choice has its own key, prompts are questions, and the voice prompt offers the keys."""
    constants = {v for k, v in vars(S).items() if k.isupper() and isinstance(v, str)}
    assert constants == set(S.ALL), "every name constant has a row and vice versa"
    assert set(rules.slots) == set(S.ALL)
    for rule in rules:
        assert set(rule.slots) <= set(S.ALL), rule.id
        for name in rule.reads:
            assert rule.id in rules.slots[name].checks, (rule.id, name)
    for slot in rules.slots.values():
        assert slot.checks and set(slot.checks) <= set(rules.ids()), slot.name
        assert slot.max_slot in (None, *S.ALL), slot.name
        assert "？" in slot.chat and slot.voice.endswith("。") and slot.help, slot.name
        assert slot.prompt("wechat") == slot.chat and slot.prompt("ivr") == slot.voice
        keys = [o.key for o in slot.options]
        assert len(set(keys)) == len(keys) and all(k.isdigit() and len(k) == 1 for k in keys), slot.name
        if slot.type == "bool":
            assert {o.value for o in slot.options} == {True, False}, slot.name
        for option in slot.options:
            assert f"请按{option.key}" in slot.voice, slot.name
        if slot.type in S.NUMBER_TYPES:
            assert "按井号键结束" in slot.voice and not slot.options, slot.name
    assert rules.slots[S.LAYOFF_RATE].checks == ("stabilization_refund",), "a derived input belongs to its check"
    assert rules.slots[S.ENTERPRISE_SIZE].voice == "中小微企业请按1，其他企业请按2。"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (dict(type="text"), "type must be one of"),
        (dict(type="bool"), "needs options"),
        (dict(type="int", options=(S.Option(1, "一", "1"),)), "needs options"),
        (dict(type="bool", voice="请按1。", options=(S.Option(True, "是", "1"), S.Option(False, "不是", "2"))), "built"),
        (dict(type="choice", options=(S.Option("a", "甲", "1"), S.Option("b", "乙", "1"))), "repeat"),
    ],
    ids=["unknown type", "yes/no without keys", "number with keys", "keys written twice", "a key twice"],
)
def test_a_broken_slot_row_is_refused(row, message):
    with pytest.raises(ValueError, match=message):
        S.Slot("x", label="某", chat="？", help="", **row)


def test_a_slot_no_rule_reads_is_refused_at_load(tmp_path, monkeypatch):
    monkeypatch.setattr(S, "SLOTS", (*S.SLOTS, S.Slot("shoe_size", "int", "鞋码", chat="？", help="", voice="。")))
    with pytest.raises(RuleTableError, match="belong to no check"):
        load_rules(_broken(tmp_path, lambda d: None))


def test_every_parameter_quotes_the_notice_and_its_bound_matches_the_wording(rules):
    for rule in rules:
        for param in rule.params.values():
            assert param.text, (rule.id, param.name)
            assert normalise_space(param.text) in normalise_space(rule.clause), (rule.id, param.name)
            if param.inclusive is True:
                assert any(w in param.text for w in INCLUSIVE_WORDS), (rule.id, param.name, param.text)
                assert not any(w in param.text for w in EXCLUSIVE_WORDS), (rule.id, param.name)
            elif param.inclusive is False:
                assert any(w in param.text for w in EXCLUSIVE_WORDS), (rule.id, param.name, param.text)


@pytest.mark.parametrize(
    ("rule_id", "article", "title"),
    [
        ("stabilization_refund", 4, "扩大稳岗返还政策范围"),
        ("training_subsidy", 5, "支持中小微企业开展职业培训"),
        ("job_service_subsidy", 2, "积极鼓励企业吸纳就业"),
        ("loan_extension", 6, "发挥创业政策作用"),
        ("unemployment_benefit", 8, "提高失业人员基本待遇标准"),
        ("migrant_accident_insurance", 9, "加大托底安置工作力度"),
        ("graduate_reporting_deadline", 15, "动态调整就业服务时间"),
    ],
)
def test_citation_names_the_article_by_its_title(rules, rule_id, article, title):
    citation = rules[rule_id].citation
    assert (citation.document, citation.article, citation.title) == ("大人社发[2020]38号", article, title)
    assert citation.quote == rules[rule_id].clause


def test_dated_rules_end_on_the_dates_of_the_notice(rules):
    assert rules["unemployment_insurance_rate"].valid_until == dt.date(2021, 8, 31)
    assert rules["graduate_reporting_deadline"].valid_until == dt.date(2020, 9, 30)
    assert {r.valid_from for r in rules} == {dt.date(2020, 2, 21)}


def _thresholds(rules) -> tuple[set[Fraction], set[dt.date]]:
    numbers, dates = set(), set()
    for rule in rules:
        for param in rule.params.values():
            (dates if isinstance(param.value, dt.date) else numbers).add(param.value)
        if rule.valid_until:
            dates.add(rule.valid_until)
    return numbers, dates


@pytest.mark.parametrize("module", [engine, table], ids=lambda m: Path(m.__file__).name)
def test_the_evaluator_holds_no_threshold_numbers(rules, module):
    """No number or date of the rule table appears as a literal in the evaluator's code
    (docstrings aside): thresholds live in rules.yaml only."""
    numbers, dates = _thresholds(rules)
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    offending = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in docstrings or isinstance(node.value, bool):
            continue
        if isinstance(node.value, (int, float)) and Fraction(str(node.value)) in numbers:
            offending.append((node.lineno, node.value))
        if isinstance(node.value, str):
            # Digits inside identifiers (after_epidemic_3_months) are names, not numbers.
            for literal in re.findall(r"(?<![A-Za-z_])\d+(?:\.\d+)?(?![A-Za-z_])", node.value):
                if Fraction(literal) in numbers:
                    offending.append((node.lineno, node.value))
            for d in dates:
                if d.isoformat() in node.value or f"{d.year}年{d.month}月{d.day}日" in node.value:
                    offending.append((node.lineno, node.value))
    assert not offending, f"threshold literals in {module.__name__}: {offending}"


# -- a broken table fails at load time, naming the problem ---------------------------------------


def _broken(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _rule(data: dict, rule_id: str) -> dict:
    return next(r for r in data["rules"] if r["id"] == rule_id)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: _rule(d, "stabilization_refund").update(clause="裁员率标准放宽到不高于 6%"), "verbatim"),
        (lambda d: _rule(d, "loan_extension")["inputs"].append({"slot": "covid"}), "canonical slot"),
        (lambda d: _rule(d, "stabilization_refund")["params"]["general_max_rate"].pop("inclusive"), "inclusive"),
        (lambda d: _rule(d, "training_subsidy")["cases"][2]["check"][0].update(min="nope"), "unknown param"),
        (lambda d: _rule(d, "unemployment_insurance_rate").pop("valid_until"), "valid_until"),
        (lambda d: _rule(d, "stabilization_refund")["params"]["refund_share"].update(text="90%"), "not in the clause"),
        (lambda d: d["rules"].append(dict(_rule(d, "loan_extension"))), "duplicate"),
    ],
    ids=["altered clause", "unknown slot", "bound without inclusive", "unknown param", "missing end date",
         "param text not in clause", "duplicate id"],
)
def test_a_broken_table_is_refused_at_load(tmp_path, edit, message):
    with pytest.raises(RuleTableError, match=message):
        load_rules(_broken(tmp_path, edit))
