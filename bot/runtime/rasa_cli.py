"""`hotline rasa …`: train (only when the training data changed), the NLU report, run."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from bot.config import REPO_ROOT, Settings
from bot.runtime.rasa_process import (
    NLU_DATA,
    RASA_BIN,
    RasaStack,
    RasaStartError,
    ensure_model,
    models_dir,
    prepare_training,
    rasa_dir,
    rasa_env,
)

# The target for intent classification in cross-validation.
MACRO_F1_TARGET = 0.95


@click.group()
def rasa() -> None:
    """Rasa 自然语言理解模型：训练、NLU 评估报告、启动服务 (Rasa NLU model and server)."""


@rasa.command()
@click.option("--force", is_flag=True, help="Train even if a model of the current training data exists.")
def train(force: bool) -> None:
    """训练模型（训练数据未变化时直接复用）. Train only when the training data changed."""
    settings = Settings.from_env()
    started = time.perf_counter()
    try:
        model, trained = ensure_model(models_dir(settings), force=force)
    except RasaStartError as err:
        raise click.ClickException(str(err)) from None
    if trained:
        click.echo(f"trained {model} in {time.perf_counter() - started:.0f} s")
    else:
        click.echo(f"up to date: {model}")


def macro_f1(report_file: Path) -> float:
    """The intent macro-F1 of a Rasa `intent_report.json`.

    :raises KeyError: the report has no `macro avg`.
    """
    return float(json.loads(report_file.read_text(encoding="utf-8"))["macro avg"]["f1-score"])


@rasa.command("nlu-report")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
def nlu_report(folds: int) -> None:
    """NLU 交叉验证报告 (intent macro-F1 must reach 0.95)."""
    settings = Settings.from_env()
    out = rasa_dir(settings) / "reports"
    config = prepare_training(rasa_dir(settings) / "report-config")
    command = [
        str(RASA_BIN), "test", "nlu",
        "--nlu", str(NLU_DATA),
        "--config", str(config),
        "--cross-validation", "--folds", str(folds),
        "--out", str(out),
    ]
    if subprocess.run(command, cwd=REPO_ROOT, env=rasa_env()).returncode != 0:
        raise click.ClickException("rasa test nlu failed (see above)")
    score = macro_f1(out / "intent_report.json")
    click.echo(f"intent macro-F1 ({folds}-fold cross-validation): {score:.4f}  report: {out}")
    if score < MACRO_F1_TARGET:
        raise click.ClickException(f"intent macro-F1 {score:.4f} is below the target {MACRO_F1_TARGET}")


@rasa.command()
def run() -> None:
    """启动 Rasa 自然语言理解服务 (until Ctrl-C)."""
    settings = Settings.from_env()
    try:
        stack = RasaStack.from_settings(settings)
        stack.start()
        stack.wait_ready()
    except RasaStartError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Rasa NLU {stack.url} (model {stack.model.name}); Ctrl-C stops it")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while stack.running:
            time.sleep(1)
        click.echo(f"the Rasa server stopped; see {stack.log_path}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
