"""`bot.dialogue.flows.CheckFlow`: facts taken and validated, the next fact, the verdict, and a
verdict given at once when every answer to a missing choice gives the same outcome."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue.flows import CheckFlow
from bot.dialogue.state import DialogueState
from bot.eligibility import load_rules

TODAY = dt.date(2026, 12, 3)


@pytest.fixture
def flow():
    return CheckFlow(load_rules(), TODAY, dt.date(2023, 1, 8))


def check(rule="stabilization_refund", **facts):
    return DialogueState(check=rule, facts=dict(facts))


def test_facts_in_any_order_the_bound_checked_against_the_head_count_given_with_it(flow):
    state = check()
    step = flow.take(state, {"layoffs": 3, "employees": 28})  # layoffs first: still checked against 28
    assert not step.problems and state.facts == {"layoffs": 3, "employees": 28}
    assert flow.next_step(state).verdict.outcome == "eligible"


def test_a_bad_value_is_reported_and_not_kept(flow):
    state = check(employees=10)
    step = flow.take(state, {"layoffs": 12})
    assert step.problems and "layoffs" not in state.facts
    assert flow.next_step(state).ask == "layoffs"


def test_layoffs_given_after_a_rate_replace_it(flow):
    state = check(layoff_rate=3.5)
    flow.take(state, {"layoffs": 2, "employees": 50})
    assert "layoff_rate" not in state.facts


def test_contributions_paid_make_an_insured_person(flow):
    state = check("unemployment_subsidy", contribution_years=5)
    flow.take(state, {"separation_reason": "personal"})
    assert state.facts["social_insurance_paid"] is True
    assert flow.next_step(state).verdict.outcome == "eligible"


@pytest.mark.parametrize("facts, outcome", [
    ({"employees": 31, "layoffs": 6}, "not_eligible"),   # 19.4%: fails even the 5.5% bound
    ({"employees": 120, "layoffs": 3}, "eligible"),      # 2.5%: passes even the 3.62% bound
])
def test_a_verdict_every_answer_would_give_is_given_at_once(flow, facts, outcome):
    step = flow.next_step(check(**facts))
    assert step.ask is None and step.verdict.outcome == outcome
    assert "结论都相同" in step.problems[0]


def test_a_choice_that_decides_is_asked(flow):
    assert flow.next_step(check(employees=100, layoffs=5)).ask == "enterprise_size"  # 5%: depends on it


def test_the_outcome_per_value_of_an_unknown_choice(flow):
    outcomes = dict(flow.outcomes_by_value(check(employees=100, layoffs=5), "enterprise_size"))
    assert outcomes["中小微企业"].startswith("符合")
    assert outcomes["其他企业"] == "还要看受疫情影响。"


def test_the_opening_names_the_article_rule_and_end_date(flow):
    text = flow.opening("stabilization_refund")
    assert "第（四）条" in text and "5.5%" in text and "2023年1月8日结束" in text


def test_quick_replies_for_choices_and_yes_no(flow):
    assert flow.suggestions("enterprise_size") == ["中小微企业", "其他企业"]
    assert flow.suggestions("covid_infected") == ["是", "否"]
    assert flow.suggestions("employees") == []


@pytest.mark.parametrize("rate, outcome", [(4, "not_eligible"), (3.5, "eligible")])
def test_a_large_firm_is_judged_without_its_head_count_and_the_assumption_is_said(flow, rate, outcome):
    state = check(enterprise_size="other", affected_by_epidemic=False, layoff_rate=rate)
    step = flow.next_step(state)
    assert step.ask is None and step.verdict.outcome == outcome
    assert step.problems == ["（大型企业按参保职工30人以上计。）"]


def test_a_verdict_settled_without_the_head_count_shows_no_made_up_head_count(flow):
    state = check()
    flow.take(state, {"layoffs": 0})  # no layoffs: 0% whatever the head count
    step = flow.next_step(state)
    assert step.verdict.outcome == "eligible"
    assert "人" not in step.verdict.computation and "0%" in step.verdict.computation


def test_the_training_verdict_comes_before_the_class_hours_and_the_sum_after(flow):
    state = check("training_subsidy", enterprise_size="sme", class_minutes=50)
    verdict = flow.next_step(state).verdict
    assert verdict.outcome == "eligible" and "课时数" in verdict.body
    state = check("training_subsidy", enterprise_size="sme", class_minutes=50, class_hours=20)
    assert "200元" in flow.next_step(state).verdict.body


def test_another_loan_than_a_guarantee_loan_is_not_covered(flow):
    state = check("loan_extension", startup_guarantee_loan=False, other_loan_named=True, covid_infected=True)
    assert flow.next_step(state).verdict.outcome == "not_covered"


def test_a_loan_said_not_to_be_a_guarantee_loan_misses_the_extension(flow):
    state = check("loan_extension", startup_guarantee_loan=False, covid_infected=True)
    assert flow.next_step(state).verdict.outcome == "not_eligible"


def test_a_benefit_check_of_someone_who_quit_moves_to_the_subsidy_and_says_so(flow):
    state = check("unemployment_benefit", contribution_years=7)
    step = flow.next_step(state, flow.take(state, {"separation_reason": "personal"}))
    assert state.check == "unemployment_subsidy" and step.verdict.outcome == "eligible"
    assert "失业补助金" in step.problems[0] and "95%" in step.verdict.body
