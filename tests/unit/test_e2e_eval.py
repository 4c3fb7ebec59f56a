"""`bot.e2e_eval`: the scoring of the end-to-end evaluation, on replies written by hand."""
from __future__ import annotations

from bot import e2e_eval
from bot.e2e_eval import Report, has_figures, score_question, turn_checks, verdict_of


def body(reply="", articles=(), answered=True, asking=None, handoff=False):
    return {"reply": reply, "citations": [{"article": a} for a in articles], "answered": answered,
            "asking_for": asking, "handoff": handoff}


def test_verdicts_are_read_from_the_headline():
    assert verdict_of("【符合条件，但这项措施已结束】…") == "eligible"
    assert verdict_of("【不符合条件】…") == "not_eligible"
    assert verdict_of("根据…") is None


def test_figures_all_must_stand_with_alternatives_and_full_width_forms():
    assert has_figures("由85％上调至90%", ["85%", "90%"])
    assert has_figures("不超过一年", ["1年|一年"])
    assert not has_figures("90%", ["90%", "95%"])


def test_a_turn_is_right_only_when_every_stated_expectation_holds():
    checks = turn_checks({"articles": [4], "asks": True, "verdict": "eligible"}, body("【符合条件】", [4], asking="x"))
    assert checks == {"articles": True, "asks": True, "verdict": True}
    assert not all(turn_checks({"articles": [4]}, body("x", [8])).values())


def test_policy_questions_that_start_a_check_count_against_and_are_listed():
    report = Report()
    score_question({"id": "q1", "text": "t", "kind": "policy", "articles": [4]}, body("x", [4], answered=False, asking="employees"), report)
    assert report.figures["check_on_policy_question"].rate == 1.0
    assert report.figures["hit@1"].rate == 1.0 and report.figures["false_abstention"].rate == 0.0
    assert report.failures[0]["failed"] == ["check_on_policy_question"]


def test_out_of_scope_is_handled_when_not_answered():
    report = Report()
    score_question({"kind": "near_miss", "articles": []}, body("没有规定", answered=False), report)
    score_question({"kind": "out_of_scope", "articles": []}, body("根据…", [8]), report)
    assert report.figures["out_of_scope_handled"].rate == 0.5


def test_the_sets_load_and_are_blind_sets_of_the_right_size():
    """The held-out set has the size issue 13 asks for; each dev set is big enough to tune on."""
    for name in e2e_eval.SETS:
        questions, dialogues = e2e_eval.load_set(name)
        if name in e2e_eval.SPOT_CHECKS:  # measured, never tuned on: any size (dev8 holds dialogues only)
            assert questions or dialogues
            continue
        assert len(questions) >= (200 if name == "heldout" else 100) and len(dialogues) >= 40
        assert sum(len(d["turns"]) for d in dialogues) >= 120
