"""`bot.rasa_server`: the cached response validator and event-type table behave exactly like
Rasa's own, and SQLite connections commit with synchronous=NORMAL.

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


EVENT_PROBE = r"""
import json
from rasa.shared.core.events import Event, SlotSet, UserUttered

names = ["slot", "user", "action", "active_loop", "topic", "no_such_event"]

def outcomes():
    result = {}
    for name in names:
        for default in (None, SlotSet):
            try:
                cls = Event.resolve_by_type(name, default)
                result[f"{name}/{default is not None}"] = cls.__name__ if cls else None
            except ValueError as e:
                result[f"{name}/{default is not None}"] = str(e)
    return result

before = outcomes()
from bot.rasa_server import install_event_type_cache, install_sqlite_synchronous_normal
install_event_type_cache()
after, again = outcomes(), outcomes()
events = [UserUttered("你好").as_dict(), SlotSet("employees", 28).as_dict()]
parsed = [type(Event.from_parameters(e)).__name__ for e in events]

install_sqlite_synchronous_normal()
import sqlalchemy
engine = sqlalchemy.create_engine("sqlite://")
with engine.connect() as connection:
    synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
print(json.dumps({"before": before, "after": after, "again": again, "parsed": parsed, "synchronous": synchronous}))
"""


def test_the_event_type_table_resolves_like_rasa_and_sqlite_skips_the_fsync():
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", EVENT_PROBE], cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["after"] == outcome["before"] == outcome["again"]
    assert outcome["after"]["slot/False"] == "SlotSet" and outcome["after"]["topic/False"] is None
    assert outcome["after"]["no_such_event/True"] == "SlotSet"
    assert "Unknown event name" in outcome["after"]["no_such_event/False"]
    assert outcome["parsed"] == ["UserUttered", "SlotSet"]
    assert outcome["synchronous"] == 1  # NORMAL
