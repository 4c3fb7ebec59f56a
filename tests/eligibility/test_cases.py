"""The data cases of cases.yaml: one per edge of every rule (at, above and below each bound,
outside validity dates, not covered by the notice).

Run: .venv/bin/python -m pytest -q tests/eligibility/test_cases.py
"""
from __future__ import annotations

import pytest

from bot.core import slots as S
from bot.eligibility import evaluate, missing_slots
from bot.eligibility.engine import branches

from .conftest import CASES

DEFAULT_AS_OF = CASES["defaults"]["as_of"]
ALL_CASES = CASES["cases"]


def _case_id(case: dict) -> str:
    return case["name"]


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_case(case):
    assert set(case["input"]) <= set(S.ALL), "case inputs must be canonical slot names"
    assert "missing" in case or "output" in case, "a case must check something"
    if "missing" in case:
        assert missing_slots(case["rule"], case["input"]) == case["missing"]
    expected = case.get("output")
    if not expected:
        return
    verdict = evaluate(case["rule"], case["input"], case.get("as_of", DEFAULT_AS_OF))
    assert verdict.rule_id == case["rule"]
    assert verdict.outcome == expected["outcome"], verdict.text
    if "computation" in expected:
        assert verdict.computation == expected["computation"]
    if "case" in expected:
        assert verdict.case == expected["case"]
    if "expired" in expected:
        assert verdict.expired is expected["expired"]
    for name, value in (expected.get("facts") or {}).items():
        assert verdict.facts[name] == pytest.approx(value, abs=1e-3), name
    for fragment in expected.get("text_contains") or ():
        assert fragment in verdict.text
    for fragment in expected.get("text_excludes") or ():
        assert fragment not in verdict.text


def test_case_names_are_sentences_and_unique():
    names = [c["name"] for c in ALL_CASES]
    assert len(names) == len(set(names))
    for name in names:
        assert name[0].isupper() and name.endswith("."), name


def test_every_branch_of_every_rule_has_a_case(rules):
    """Each case of each rule in rules.yaml is reached by at least one data case."""
    reached: set[tuple[str, str]] = set()
    for case in ALL_CASES:
        if case.get("output") and case.get("as_of", DEFAULT_AS_OF) >= rules[case["rule"]].valid_from:
            verdict = evaluate(case["rule"], case["input"], case.get("as_of", DEFAULT_AS_OF))
            reached.add((verdict.rule_id, verdict.case))
    for rule_id in rules.ids():
        for label in branches(rule_id):
            assert (rule_id, label) in reached, f"no case reaches {rule_id} / {label}"
