"""Fixtures for the knowledge-base tests: the real notice and a small one written for the tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.parser import parse_notice
from knowledge_base.store import SOURCES_DIR

NOTICES_DIR = Path(__file__).parent / "notices"
SLUG_38 = "dalian-hrss-2020-38"
SAMPLE_SLUG = "shili-2021-7"


@pytest.fixture(scope="session")
def source_38() -> str:
    return (SOURCES_DIR / f"{SLUG_38}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def notice_38(source_38):
    """大人社发[2020]38号, parsed from its source (not read from the committed JSON)."""
    return parse_notice(source_38, SLUG_38)


@pytest.fixture(scope="session")
def sample_source() -> str:
    return (NOTICES_DIR / f"{SAMPLE_SLUG}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_notice(sample_source):
    """示人社发〔2021〕7号: a made-up notice in the same style, with sub-items and Markdown noise."""
    return parse_notice(sample_source, SAMPLE_SLUG)
