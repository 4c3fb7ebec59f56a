"""The `hotline` command. Each subcommand lives beside the code it drives and is imported
only when invoked, so `hotline --help` stays fast and a broken corner cannot break the rest."""
from __future__ import annotations

import importlib
import os

import click

from bot.config import DATA_UMASK

# command name → "module:attribute" of a click command or group
COMMANDS = {
    "kb": "knowledge_base.build:kb",
    "ask": "knowledge_base.ask:ask",
    "eval": "knowledge_base.evaluate:eval_command",
    "rasa": "bot.runtime.rasa_cli:rasa",
    "serve": "bot.runtime.serve:serve",
    "ivr-sim": "ivr.sim:ivr_sim",
    "hotspots": "bot.hotspots.cli:hotspots",
    "staff": "bot.dashboard.cli:staff",
    "doctor": "bot.runtime.doctor:doctor",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
def main() -> None:
    """hotline12333：大连 12333 政策问答助手 (policy Q&A assistant)."""
    # Every file this command and its children (gunicorn, Rasa) create is the service user's alone.
    os.umask(DATA_UMASK)
