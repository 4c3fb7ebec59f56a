"""`bot.rasa_server`: the response validator, the event-type table and the lean SQL tracker store
behave exactly like Rasa's own; the NLU cache parses a repeated text once; SQLite connections
commit with synchronous=NORMAL and stay open; the heap of a loaded model is frozen out of the
garbage collector's sight.

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
    "valid_many": {"events": [
        {"event": "slot", "name": "requested_slot", "value": None, "timestamp": 1.5},
        {"event": "active_loop", "name": None},
        {"event": "followup", "name": "action_listen"},
        {"event": "bot", "text": "好的", "data": {}, "metadata": {"clause": "第一条"}},
        {"event": "user", "text": "五年", "parse_data": {"intent": {"name": "inform", "confidence": 0.9}}},
        {"event": "reset_slots"}], "responses": []},
    "valid_no_events": {"responses": [{"text": "hi"}]},
    "bad_event": {"events": [{"event": "no_such_event"}], "responses": []},
    "bad_responses": {"events": [], "responses": "not a list"},
    "bad_slot_name": {"events": [{"event": "slot", "name": 28, "value": 28}], "responses": []},
    "bad_timestamp": {"events": [{"event": "slot", "name": "employees", "value": 28, "timestamp": "now"}]},
    "no_event_key": {"events": [{"name": "employees", "value": 28}]},
    "event_not_a_string": {"events": [{"event": ["slot"], "name": "employees"}]},
    "event_not_an_object": {"events": ["slot"]},
    "events_null": {"events": None},
    "not_an_object": [{"event": "slot"}],
    "second_event_bad": {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "slot", "name": 3, "value": 1}]},
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
    assert [name for name, verdict in outcome["after"].items() if verdict is True] == ["valid", "valid_many", "valid_no_events"]
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


PARSE_CACHE_PROBE = r"""
import json
from rasa.core.processor import MessageProcessor
from rasa.core.channels.channel import UserMessage

calls = []

def fake_parse(self, message, tracker, only_output_properties=True):
    calls.append((message.text, only_output_properties))
    return {"text": message.text, "intent": {"name": "ask_policy", "confidence": 0.9}, "entities": []}

MessageProcessor._parse_message_with_graph = fake_parse
from bot.rasa_server import install_parse_cache
install_parse_cache(max_texts=2)

class Processor:
    def __init__(self, model_id):
        self.model_metadata = type("ModelMetadata", (), {"model_id": model_id})()

parse = MessageProcessor._parse_message_with_graph
one, another = Processor("model-a"), Processor("model-b")
first = parse(one, UserMessage("失业金涨了吗"), None)
first["intent"]["name"] = "changed by a caller"
second = parse(one, UserMessage("失业金涨了吗"), None)
parse(one, UserMessage("失业金涨了吗"), None, False)    # full output: never cached
parse(another, UserMessage("失业金涨了吗"), None)       # another loaded model: its own entry
parse(one, UserMessage("五年"), None)                   # the cache holds 2 texts: evicts the oldest
parse(one, UserMessage("失业金涨了吗"), None)
print(json.dumps({"second": second, "calls": calls}, ensure_ascii=False))
"""


def test_the_parse_cache_answers_a_repeated_text_once_and_hands_out_copies():
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", PARSE_CACHE_PROBE], cwd=REPO_ROOT, env=rasa_env(), capture_output=True,
        text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["second"]["intent"]["name"] == "ask_policy"
    assert outcome["calls"] == [
        ["失业金涨了吗", True], ["失业金涨了吗", False], ["失业金涨了吗", True], ["五年", True], ["失业金涨了吗", True],
    ]


GC_FREEZE_PROBE = r"""
import asyncio, gc, json, sys, types
from rasa.core import run as rasa_run
from bot.rasa_server import install_gc_freeze_after_model_load

install_gc_freeze_after_model_load()
app = types.SimpleNamespace(ctx=types.SimpleNamespace())
before = gc.get_freeze_count()
loop = asyncio.new_event_loop()
agent = loop.run_until_complete(rasa_run.load_agent_on_start(sys.argv[1], None, None, app, loop))
print(json.dumps({"before": before, "after": gc.get_freeze_count(), "ready": agent.is_ready(), "kept": app.ctx.agent is agent}))
"""


def test_the_heap_of_the_loaded_model_is_frozen(rasa_model):
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", GC_FREEZE_PROBE, str(rasa_model)], cwd=REPO_ROOT, env=rasa_env(),
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["before"] == 0
    assert outcome["after"] > 100_000  # TensorFlow and Rasa: the model's heap, not a handful
    assert outcome["ready"] and outcome["kept"]


TRACKER_STORE_PROBE = r"""
import asyncio, copy, json, sys
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered, ActiveLoop
from rasa.shared.core.trackers import DialogueStateTracker

domain = Domain.load("training_data/domain.yml")
original_kwargs, lean_kwargs = json.loads(sys.argv[1])
clock = iter(range(1_000_000, 2_000_000))

def session_start():
    return [ActionExecuted("action_session_start", timestamp=next(clock)), SessionStarted(timestamp=next(clock)),
            ActionExecuted("action_listen", timestamp=next(clock))]

def turn(text, intent):
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.93}, "entities": [],
             "intent_ranking": [{"name": intent, "confidence": 0.93}]}
    return [UserUttered(text, parse["intent"], [], parse, timestamp=next(clock)),
            ActionExecuted("stabilization_form", timestamp=next(clock)),
            ActiveLoop("stabilization_form", timestamp=next(clock)),
            SlotSet("requested_slot", "enterprise_size", timestamp=next(clock)),
            ActionExecuted("action_listen", timestamp=next(clock))]

STEPS = [("new", session_start() + turn("我们公司能拿稳岗返还吗", "check_stabilization_refund")),
         ("again", turn("中小微企业", "inform")),
         ("twice", turn("二十八个人", "inform")),
         ("session", session_start() + turn("失业金涨了吗", "ask_policy")),
         ("again", turn("谢谢", "thanks"))]

async def run(store):
    seen = []
    for sender in ("alice", "bob"):
        tracker = None
        for how, events in copy.deepcopy(STEPS):
            if how == "new":
                tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
            else:
                tracker = await store.retrieve(sender)
                for event in events:
                    tracker.update(event)
            await store.save(tracker)
            if how == "twice":
                await store.save(tracker)  # nothing new: nothing written
            latest = await store.retrieve(sender)
            full = await store.retrieve_full_tracker(sender)
            seen.append([[e.as_dict() for e in latest.events], len(full.events)])
    assert await store.retrieve("nobody") is None
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id")).all()
    return {"seen": seen, "rows": [list(r) for r in rows]}

before = asyncio.run(run(SQLTrackerStore(domain, **original_kwargs)))
from bot.rasa_server import install_lean_sql_tracker_store, install_sqlite_connection_pool
install_lean_sql_tracker_store()
install_sqlite_connection_pool()
lean_store = SQLTrackerStore(domain, **lean_kwargs)
after = asyncio.run(run(lean_store))
pool = type(lean_store.engine.pool).__name__
print(json.dumps({"before": before, "after": after, "pool": pool}, ensure_ascii=False))
"""


def _compare_tracker_stores(original_kwargs: dict, lean_kwargs: dict) -> dict:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", TRACKER_STORE_PROBE, json.dumps([original_kwargs, lean_kwargs])],
        cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _assert_same_store(outcome: dict) -> None:
    assert outcome["after"] == outcome["before"]
    seen = outcome["after"]["seen"]
    # The latest session starts at its `session_started` event (Rasa's query), a new one at step 4.
    assert [len(latest) for latest, _ in seen[:5]] == [7, 12, 17, 7, 12]
    assert [full for _, full in seen[:5]] == [8, 13, 18, 26, 31]
    assert len(outcome["after"]["rows"]) == 62  # two senders; the second save of step 3 wrote nothing


def test_the_lean_tracker_store_writes_and_reads_what_rasa_does_on_sqlite(tmp_path):
    outcome = _compare_tracker_stores(
        {"dialect": "sqlite", "db": str(tmp_path / "original.db")}, {"dialect": "sqlite", "db": str(tmp_path / "lean.db")},
    )
    _assert_same_store(outcome)
    assert outcome["pool"] == "QueuePool"  # connections kept open (SQLAlchemy 1.4's default: NullPool)


def test_the_lean_tracker_store_writes_and_reads_what_rasa_does_on_postgresql(pg_database_pair):
    original, lean = (
        {"dialect": "postgresql", "host": "127.0.0.1", "port": 5432, "db": name, "username": "postgres"}
        for name in pg_database_pair
    )
    outcome = _compare_tracker_stores(original, lean)
    _assert_same_store(outcome)
    assert outcome["pool"] == "QueuePool"  # Rasa's own pool settings for PostgreSQL
