"""Fixtures of the rule-table tests: the table itself and the data files of cases."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.eligibility import load_rules

HERE = Path(__file__).parent


def load_data(name: str):
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


CASES = load_data("cases.yaml")
PARSING = load_data("parsing.yaml")


@pytest.fixture(scope="session")
def rules():
    return load_rules()
