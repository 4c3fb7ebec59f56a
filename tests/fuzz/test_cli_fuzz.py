"""Fuzzing `hotline hotspots`'s output formats with hostile logged questions (formulas, control and
format characters, any Unicode), and its options with random values.

Whatever was asked: the CSV parses back with no cell a spreadsheet would evaluate, the table holds
no raw control character, the JSON parses; a bad option is a usage error (exit 2), never a
traceback. This suite needs no Rasa.
"""
from __future__ import annotations

import csv
import io
import json
import secrets

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.runtime.cli import main
from bot.core.turn import Reply, Turn
from bot.dashboard.exports import FORMULA_PREFIXES
from bot.hotspots import db
from bot.hotspots.log import TurnLog
from tests.fuzz.conftest import FUZZ_SETTINGS

FUZZ = settings(FUZZ_SETTINGS, max_examples=25)

hostile_start = st.sampled_from(list(FORMULA_PREFIXES) + ["", "", "'", "|", "%"])
any_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
controls = st.text(st.characters(whitelist_categories=("Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=4)
questions = st.builds(lambda a, b, c: a + b + c, hostile_start, any_text | controls, st.just("") | controls | any_text)


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli-fuzz.sqlite3'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "cli-fuzz-secret")
    log = TurnLog(url, secret="cli-fuzz-secret", spill_dir=tmp_path / "spill")
    yield log
    log.close()
    db.dispose_engine(url)


def test_hostile_questions_never_break_any_output_format(env):
    log = env

    @FUZZ
    @given(st.lists(questions, min_size=1, max_size=6), st.booleans())
    def run(asked: list[str], answered: bool) -> None:
        for text in asked:
            for _ in range(2):  # twice: a question asked once may not rank
                log.record(Turn("web", "u-" + secrets.token_hex(2), text, message_id=secrets.token_hex(8)),
                           Reply("答", answered=answered, abstain_reason=None if answered else "no_match"), 3)
        assert log.flush(30)
        runner = CliRunner()
        table = runner.invoke(main, ["hotspots", "--format", "table", "--limit", "1000"])
        assert table.exit_code == 0, table.output
        assert all(ch == "\n" or ch.isprintable() or ch == "\u3000" for ch in table.output), repr(table.output)
        raw = runner.invoke(main, ["hotspots", "--format", "csv", "--limit", "1000"])
        assert raw.exit_code == 0, raw.output
        rows = list(csv.reader(io.StringIO(raw.output, newline="")))
        assert all(len(row) == len(rows[0]) for row in rows)
        cells = [cell for row in rows for cell in row]
        assert not [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)]
        shown = runner.invoke(main, ["hotspots", "--format", "json", "--limit", "1000"])
        assert shown.exit_code == 0 and json.loads(shown.output)["overview"]["turns"] >= len(asked)

    run()


def test_random_options_are_usage_errors_never_tracebacks(env):
    option_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20) | st.integers(-10**20, 10**20).map(str)

    @settings(FUZZ, max_examples=60)
    @given(st.sampled_from(["--since", "--limit", "--format"]), option_values)
    def run(option: str, value: str) -> None:
        result = CliRunner().invoke(main, ["hotspots", option, value])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in (0, 2), result.output

    run()
