"""The message catalogue (bot/core/messages.yaml): variants, fields, load-time checks, and that
the code and the catalogue name the same sentences."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.core import messages
from bot.core.messages import CatalogueError, catalogue, say, starter_questions, starter_topics

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("bot", "knowledge_base", "ivr")
# Keys the code builds from a code or a kind: say(f"error_{code}"), say(f"field_{field}"), say(f"basis_{kind}").
BUILT_PREFIXES = ("error_", "field_", "basis_")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "messages.yaml"
    path.write_text(
        "starter_topics:\n  - {label: 话题, question: 问题？, questions: [[问, 问题？]]}\n" + text, encoding="utf-8"
    )
    return path


@pytest.mark.parametrize(
    "channel, expected",
    [(None, "再见！如需帮助，欢迎随时咨询12333。"), ("web", "再见！如需帮助，欢迎随时咨询12333。"),
     ("api", "再见！如需帮助，欢迎随时咨询12333。"), ("ivr", "感谢您的来电，再见。"), ("voice", "感谢您的来电，再见。")],
)
def test_a_channel_reads_its_variant(channel, expected):
    assert say("goodbye", channel) == expected


def test_a_channel_without_a_variant_reads_the_text():
    assert say("thank", "wechat") == say("thank", "ivr") == say("thank") == "不客气！还有其他问题随时问我。"


def test_fields_and_constants_are_filled():
    assert say("near_miss", topic="以工代训补贴") == (
        "《关于做好疫情防控期间有关就业工作的通知》（大人社发[2020]38号）没有规定以工代训补贴，我无法据此回答。"
    )
    assert say("error_invalid_body") == '请求体必须是 JSON 对象，例如 {"user_id": "…", "text": "…"}。'


def test_an_unknown_key_or_a_missing_field_fails_naming_it():
    with pytest.raises(CatalogueError, match="no_such_sentence"):
        say("no_such_sentence")
    with pytest.raises(CatalogueError, match="'topic'"):
        say("near_miss")


@pytest.mark.parametrize(
    "entry, problem",
    [
        ("bad:\n  text: 甲{a}\n  voice: 乙{b}\n", "different fields"),
        ("bad:\n  sms: 甲\n  text: 乙\n", "mapping of"),
        ("bad:\n  voice: 只有语音\n", "mapping of"),
        ("bad: [一, 二]\n", "mapping of"),
    ],
)
def test_a_malformed_catalogue_fails_at_load(tmp_path, entry, problem):
    with pytest.raises(CatalogueError, match=problem):
        catalogue(write(tmp_path, entry))


def test_a_catalogue_without_starter_topics_fails_at_load(tmp_path):
    path = tmp_path / "messages.yaml"
    path.write_text("greet: 你好\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="starter_topics"):
        catalogue(path)


def test_one_list_of_starter_topics_serves_the_chat_and_the_voice_menu():
    from ivr import menu

    assert starter_questions() == [t["question"] for t in starter_topics()]
    assert [t.label for t in menu.TOPICS] == [t["label"] for t in starter_topics()]
    assert [t.key for t in menu.TOPICS] == [str(i) for i in range(1, len(starter_topics()) + 1)]


def _code_keys() -> tuple[set[str], str]:
    """The literal keys of say(...) in production code, and all its text (for built keys)."""
    keys, text = set(), []
    for package in PRODUCTION:
        for path in (ROOT / package).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            text.append(source)
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say" and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant):
                        keys.add(first.value)
                    elif isinstance(first, ast.IfExp):
                        keys |= {b.value for b in (first.body, first.orelse) if isinstance(b, ast.Constant)}
    return keys, "\n".join(text)


def test_every_sentence_the_code_says_is_in_the_catalogue_and_every_sentence_is_said():
    from bot.dialogue.engine import SMALL_TALK  # said by intent: say(first.intent)

    entries = catalogue()["entries"]
    used, _ = _code_keys()
    used |= SMALL_TALK
    assert used - set(entries) == set(), "keys the code says that the catalogue lacks"
    unused = {k for k in entries if k not in used and not k.startswith(BUILT_PREFIXES)}
    assert unused == set(), "sentences nobody says: delete them"


def test_the_catalogue_imports_nothing_from_the_app():
    tree = ast.parse(Path(messages.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "functools", "string", "pathlib", "yaml"}


def test_no_production_module_writes_a_citizens_sentence_the_catalogue_holds():
    """A sentence moved to the catalogue is not written again in code."""
    _, code = _code_keys()
    entries = catalogue()["entries"]
    long_sentences = {t for e in entries.values() for t in e.values() if len(t) >= 12 and "{" not in t}
    assert [t for t in long_sentences if t in code] == []
