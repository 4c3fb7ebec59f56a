"""Shared fixtures. Feature fixtures live in tests/fixtures/ and are registered here."""
from __future__ import annotations

import pytest

from bot.config import Settings

pytest_plugins = ["tests.fixtures.app", "tests.fixtures.rasa", "tests.fixtures.postgres"]


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings on a temporary var/ dir and SQLite file, no `.env` or environment read."""
    return Settings.from_env({}, var_dir=tmp_path / "var")
