"""`hotline rasa …` without training anything."""
from __future__ import annotations

import json

from click.testing import CliRunner

from bot.runtime.rasa_cli import macro_f1, rasa
from bot.runtime.rasa_process import model_path


def test_train_reuses_the_model_of_unchanged_training_data(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path))
    model = model_path(tmp_path / "rasa" / "models")
    model.parent.mkdir(parents=True)
    model.write_bytes(b"trained before")
    result = CliRunner().invoke(rasa, ["train"])
    assert result.exit_code == 0, result.output
    assert f"up to date: {model}" in result.output
    assert model.read_bytes() == b"trained before"


def test_macro_f1_is_read_from_rasas_intent_report(tmp_path):
    report = tmp_path / "intent_report.json"
    report.write_text(json.dumps({"greet": {"f1-score": 1.0}, "macro avg": {"f1-score": 0.9731}}))
    assert macro_f1(report) == 0.9731
