"""`scripts/rasa_nlu_server.py`: the NLU cache parses a repeated text once; the heap of a loaded model is
frozen out of the garbage collector's sight; the API token never stands on the command line.

Runs in the Rasa venv (Python 3.10, rasa 3.6.21), as the Rasa server does, from the script's folder
(a `-c` program imports from its working directory).
"""
from __future__ import annotations

import json
import subprocess

from bot.runtime.rasa_process import RASA_PYTHON, RASA_SERVER, rasa_env

PARSE_CACHE_PROBE = r"""
import json
from rasa.core.processor import MessageProcessor
from rasa.core.channels.channel import UserMessage

calls = []

def fake_parse(self, message, tracker, only_output_properties=True):
    calls.append((message.text, only_output_properties))
    return {"text": message.text, "intent": {"name": "ask_policy", "confidence": 0.9}, "entities": []}

MessageProcessor._parse_message_with_graph = fake_parse
from rasa_nlu_server import install_parse_cache
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
        [str(RASA_PYTHON), "-c", PARSE_CACHE_PROBE], cwd=RASA_SERVER.parent, env=rasa_env(), capture_output=True,
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
from rasa_nlu_server import install_gc_freeze_after_model_load

install_gc_freeze_after_model_load()
app = types.SimpleNamespace(ctx=types.SimpleNamespace())
before = gc.get_freeze_count()
loop = asyncio.new_event_loop()
agent = loop.run_until_complete(rasa_run.load_agent_on_start(sys.argv[1], None, None, app, loop))
print(json.dumps({"before": before, "after": gc.get_freeze_count(), "ready": agent.is_ready(), "kept": app.ctx.agent is agent}))
"""


def test_the_heap_of_the_loaded_model_is_frozen(rasa_model):
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", GC_FREEZE_PROBE, str(rasa_model)], cwd=RASA_SERVER.parent, env=rasa_env(),
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["before"] == 0
    assert outcome["after"] > 100_000  # TensorFlow and Rasa: the model's heap, not a handful
    assert outcome["ready"] and outcome["kept"]


def test_the_api_token_is_not_on_the_command_line_and_guards_the_api(rasa_stack):
    """`ps` shows every user the command lines; the token comes through the environment instead."""
    import requests

    from benchmarks.system import command_of, descendants
    from bot.rasa_client import api_token

    token = api_token(rasa_stack.settings.secret_key)
    pids = [rasa_stack.pid, *descendants(rasa_stack.pid)]
    assert all(token not in command_of(pid) for pid in pids) and "rasa_nlu_server.py" in command_of(pids[0])
    url = f"{rasa_stack.url}/model/parse"
    assert requests.post(url, json={"text": "失业金"}, timeout=30).status_code == 401
    assert requests.post(url, params={"token": token}, json={"text": "失业金"}, timeout=30).json()["intent"]["name"]
