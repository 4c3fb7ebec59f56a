"""`bot.rasa_server`: the cached response validator behaves exactly like Rasa's own.

Runs in the Rasa venv (Python 3.10, rasa 3.6.21), as the Rasa server does.
"""
from __future__ import annotations

import json
import subprocess

from bot.config import REPO_ROOT
from bot.rasa_process import RASA_PYTHON, rasa_env

PROBE = r"""
import json
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

cases = {
    "valid": {"events": [{"event": "slot", "name": "employees", "value": 28}], "responses": [{"text": "hi"}]},
    "bad_event": {"events": [{"event": "no_such_event"}], "responses": []},
    "bad_responses": {"events": [], "responses": "not a list"},
}

def outcomes():
    action = RemoteAction("action_x", None)
    result = {}
    for name, body in cases.items():
        try:
            result[name] = action._validate_action_result(body)
        except ValidationError as e:
            result[name] = e.message
    return result

before = outcomes()
from bot.rasa_server import install_action_result_validator_cache
install_action_result_validator_cache()
print(json.dumps({"before": before, "after": outcomes()}))
"""


def test_the_cached_validator_accepts_and_rejects_like_rasa():
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", PROBE], cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["after"] == outcome["before"]
    assert outcome["after"]["valid"] is True
    assert "Failed to validate Action server response" in outcome["after"]["bad_event"]
    assert "Failed to validate Action server response" in outcome["after"]["bad_responses"]
