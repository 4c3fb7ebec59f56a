"""The NLU training data and pipeline: one check intent per rule, enough varied examples, a
pipeline for Chinese. Rasa is the NLU server only: no domain, rules, stories or policies."""
from __future__ import annotations

import yaml

from bot.eligibility import load_rules
from bot.runtime.rasa_process import CONFIG, DATA_DIR, NLU_DATA, TRAINING_DIR

GENERAL_INTENTS = {
    "greet", "thank", "goodbye", "affirm", "deny", "stop", "ask_human", "out_of_scope", "chitchat",
    "ask_policy", "inform",
}
MIN_EXAMPLES = 15


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def examples() -> dict[str, list[str]]:
    return {
        block["intent"]: [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
        for block in load(NLU_DATA)["nlu"] if "intent" in block
    }


def test_one_check_intent_per_rule_and_the_general_intents():
    checks = {f"check_{rule_id}" for rule_id in load_rules().ids()}
    assert set(examples()) == GENERAL_INTENTS | checks


def test_every_intent_has_enough_varied_examples():
    found = examples()
    for intent, lines in found.items():
        assert len(lines) >= MIN_EXAMPLES, intent
        assert len(set(lines)) == len(lines), f"duplicate examples in {intent}"
    everywhere = [text for lines in found.values() for text in lines]
    assert len(set(everywhere)) == len(everywhere), "an example appears under two intents"


def test_rasa_is_trained_for_nlu_only():
    assert sorted(p.name for p in DATA_DIR.iterdir()) == ["nlu.yml"]
    assert not (TRAINING_DIR / "domain.yml").exists()
    assert "policies" not in load(CONFIG)


def test_the_pipeline_suits_chinese_and_falls_back_below_its_threshold():
    pipeline = load(CONFIG)["pipeline"]
    names = [c["name"] for c in pipeline]
    assert names[0] == "JiebaTokenizer"
    featurizers = [c for c in pipeline if c["name"] == "CountVectorsFeaturizer"]
    assert any(c.get("analyzer") == "char_wb" and c.get("max_ngram") == 4 for c in featurizers)
    assert {"DIETClassifier", "RegexEntityExtractor", "FallbackClassifier"} <= set(names)
    assert next(c for c in pipeline if c["name"] == "FallbackClassifier")["threshold"] == 0.6
