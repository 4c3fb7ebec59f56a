"""The training data: `rasa data validate` is clean, and the domain agrees with the code."""
from __future__ import annotations

import re
import subprocess

import yaml

from bot import slots as S
from bot.actions.common import ACTIVE_RULE, FORM
from bot.config import REPO_ROOT
from bot.eligibility import load_rules
from bot.rasa_process import CONFIG, DATA_DIR, DOMAIN, rasa_env, validate_command

GENERAL_INTENTS = {
    "greet", "thank", "goodbye", "affirm", "deny", "stop", "ask_human", "out_of_scope", "chitchat",
    "ask_policy", "inform",
}
MIN_EXAMPLES = 15


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_rasa_data_validate_is_clean():
    result = subprocess.run(validate_command(), cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "No story structure conflicts found" in output
    assert not re.search(r"UserWarning|rasa\.validator.*WARNING", output), output[-3000:]


def test_one_check_intent_per_rule_and_nothing_else():
    intents = set(load(DOMAIN)["intents"])
    checks = {f"check_{rule_id}" for rule_id in load_rules().ids()}
    assert intents == GENERAL_INTENTS | checks


def test_the_slots_are_the_canonical_ones():
    domain = load(DOMAIN)
    assert set(domain["slots"]) == set(S.ALL) | {ACTIVE_RULE}
    assert all(spec["mappings"] == [{"type": "custom"}] for spec in domain["slots"].values())
    assert domain["forms"] == {FORM: {"required_slots": []}}
    assert {f"action_ask_{slot}" for slot in S.ALL} <= set(domain["actions"])


def test_every_intent_has_enough_varied_examples():
    nlu = load(DATA_DIR / "nlu.yml")["nlu"]
    examples = {
        block["intent"]: [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
        for block in nlu if "intent" in block
    }
    assert set(examples) == set(load(DOMAIN)["intents"])
    for intent, lines in examples.items():
        assert len(lines) >= MIN_EXAMPLES, intent
        assert len(set(lines)) == len(lines), f"duplicate examples in {intent}"
    everywhere = [text for lines in examples.values() for text in lines]
    assert len(set(everywhere)) == len(everywhere), "an example appears under two intents"


def test_low_confidence_goes_to_retrieval():
    config = load(CONFIG)
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    assert fallback["threshold"] == 0.6
    rules = load(DATA_DIR / "rules.yml")["rules"]
    assert any(r["steps"][:2] == [{"intent": "nlu_fallback"}, {"action": "action_answer_policy"}] for r in rules)


def test_the_intents_the_app_answers_after_nlu_are_exactly_rasas_one_action_rules():
    """`bot.conversation` answers these intents itself when no check is open; that is right only
    while Rasa's unconditioned rules send each of them to exactly that one action, and nothing in
    the stories sends them elsewhere."""
    from bot.actions.stateless import ACTION_OF_INTENT

    def intents(step):
        if "or" in step:
            return [s["intent"] for s in step["or"] if "intent" in s]
        return [step["intent"]] if "intent" in step else []

    one_action = {}
    for rule in load(DATA_DIR / "rules.yml")["rules"]:
        if rule.get("condition"):
            continue
        steps = rule["steps"]
        if len(steps) == 2 and "action" in steps[1]:
            for intent in intents(steps[0]):
                one_action[intent] = steps[1]["action"]
    assert {intent: one_action.get(intent) for intent in ACTION_OF_INTENT} == ACTION_OF_INTENT
    # …and no other intent's rule runs those actions (转人工's action changes the dialogue state).
    actions = set(ACTION_OF_INTENT.values())
    assert {intent for intent, action in one_action.items() if action in actions} == set(ACTION_OF_INTENT)
    for story in load(DATA_DIR / "stories.yml")["stories"]:
        steps = story["steps"]
        for step, following in zip(steps, steps[1:]):
            for intent in intents(step):
                if intent in ACTION_OF_INTENT:
                    assert following == {"action": ACTION_OF_INTENT[intent]}, story["story"]


def test_the_pipeline_suits_chinese():
    names = [c["name"] for c in load(CONFIG)["pipeline"]]
    assert names[0] == "JiebaTokenizer"
    featurizers = [c for c in load(CONFIG)["pipeline"] if c["name"] == "CountVectorsFeaturizer"]
    assert any(c.get("analyzer") == "char_wb" and c.get("max_ngram") == 4 for c in featurizers)
    assert {"DIETClassifier", "RegexEntityExtractor", "FallbackClassifier"} <= set(names)
