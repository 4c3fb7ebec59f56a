"""Validate the hand-written question sets under knowledge_base/questions/.

The sets label caller questions with the article of 大人社发[2020]38号 that
answers them (dev.yaml, heldout.yaml) and pair questions for hotspot
clustering (paraphrase_pairs.yaml). These tests check the format and the
promised mix only; they never look at retrieval results.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

QUESTIONS_DIR = Path(__file__).resolve().parents[2] / "knowledge_base" / "questions"
DEV = QUESTIONS_DIR / "dev.yaml"
HELDOUT = QUESTIONS_DIR / "heldout.yaml"
PAIRS = QUESTIONS_DIR / "paraphrase_pairs.yaml"

ARTICLES = range(1, 21)  # the notice has articles （一）…（二十）
STYLES = ("chat", "voice", "keyword")
ITEM_KEYS = {"q", "article", "style", "also"}
PAIR_KEYS = {"a", "b", "same", "hard"}
# Articles callers ask about most; dev carries more questions for them.
POPULAR_ARTICLES = (2, 4, 5, 6, 8, 9, 11, 15)

# Punctuation a speech recogniser does not produce (ASCII and full-width).
PUNCTUATION = re.compile(r"[，。？！、；：,.?!;:“”\"'‘’（）()《》]")
# Anything that is not a CJK character, letter or digit, for duplicate checks.
NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _load(path: Path) -> list:
    """Parse one question file; it must be a non-empty YAML list."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, list) and data, f"{path.name} must be a non-empty YAML list"
    return data


def _normalise(text: str) -> str:
    """Lower-case text without spaces or punctuation, to catch near-identical copies."""
    return NON_WORD.sub("", text).lower()


@pytest.fixture(scope="module")
def dev() -> list[dict]:
    return _load(DEV)


@pytest.fixture(scope="module")
def heldout() -> list[dict]:
    return _load(HELDOUT)


@pytest.fixture(scope="module")
def pairs() -> list[dict]:
    return _load(PAIRS)


@pytest.mark.parametrize("path", [DEV, HELDOUT, PAIRS], ids=lambda p: p.name)
def test_file_opens_with_explaining_comment(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(line.startswith("#") for line in lines[:5]), f"{path.name} must open with a comment block"


def test_heldout_header_warns_against_tuning():
    head = HELDOUT.read_text(encoding="utf-8")[:1500]
    assert "DO NOT TUNE ON THIS FILE" in head


def _check_items(items: list[dict], name: str) -> None:
    for i, item in enumerate(items):
        where = f"{name}[{i}] {item!r}"
        assert isinstance(item, dict), where
        assert set(item) <= ITEM_KEYS and {"q", "article", "style"} <= set(item), where
        q = item["q"]
        assert isinstance(q, str) and q.strip() == q and q, where
        article = item["article"]
        assert article is None or (type(article) is int and article in ARTICLES), where
        assert item["style"] in STYLES, where
        if "also" in item:
            also = item["also"]
            assert article is not None, f"{where}: out-of-scope item cannot have also"
            assert isinstance(also, list) and also, where
            assert all(type(a) is int and a in ARTICLES for a in also), where
            assert article not in also and len(set(also)) == len(also), where
        if item["style"] == "voice":
            assert not PUNCTUATION.search(q), f"{where}: voice transcripts carry no punctuation"
            assert not re.search(r"[0-9]", q), f"{where}: voice transcripts spell numbers as words"
        if item["style"] == "keyword":
            assert not re.search(r"[？?。！!，,]", q), f"{where}: keyword queries are not sentences"


def test_dev_schema(dev):
    _check_items(dev, "dev")


def test_heldout_schema(heldout):
    _check_items(heldout, "heldout")


def test_dev_counts_and_coverage(dev):
    assert len(dev) >= 180
    out_of_scope = [item for item in dev if item["article"] is None]
    assert len(out_of_scope) >= 40
    per_article = Counter(item["article"] for item in dev if item["article"] is not None)
    for article in ARTICLES:
        assert per_article[article] >= 5, f"dev covers article {article} only {per_article[article]} times"
    for article in POPULAR_ARTICLES:
        assert per_article[article] >= 8, f"popular article {article} needs more dev questions"


def test_heldout_counts_and_coverage(heldout):
    assert len(heldout) >= 120
    assert sum(item["article"] is None for item in heldout) >= 30
    covered = {item["article"] for item in heldout if item["article"] is not None}
    assert covered == set(ARTICLES)


@pytest.mark.parametrize("which", ["dev", "heldout"])
def test_style_mix(which, request):
    items = request.getfixturevalue(which)
    counts = Counter(item["style"] for item in items)
    for style in STYLES:
        assert counts[style] / len(items) >= 0.20, f"{which}: style {style} is {counts[style]}/{len(items)}"
    out_of_scope_styles = {item["style"] for item in items if item["article"] is None}
    assert out_of_scope_styles == set(STYLES), "out-of-scope questions come in every style"


@pytest.mark.parametrize("which", ["dev", "heldout"])
def test_no_duplicates_within_a_set(which, request):
    items = request.getfixturevalue(which)
    seen = Counter(_normalise(item["q"]) for item in items)
    assert [q for q, n in seen.items() if n > 1] == []


def test_no_duplicates_across_dev_and_heldout(dev, heldout):
    dev_exact = {item["q"] for item in dev}
    dev_normalised = {_normalise(item["q"]) for item in dev}
    assert [item["q"] for item in heldout if item["q"] in dev_exact] == []
    assert [item["q"] for item in heldout if _normalise(item["q"]) in dev_normalised] == []


def test_pairs_schema(pairs):
    for i, pair in enumerate(pairs):
        where = f"pairs[{i}] {pair!r}"
        assert isinstance(pair, dict), where
        assert set(pair) <= PAIR_KEYS and {"a", "b", "same"} <= set(pair), where
        for side in ("a", "b"):
            assert isinstance(pair[side], str) and pair[side] and pair[side].strip() == pair[side], where
        assert pair["a"] != pair["b"], where
        assert type(pair["same"]) is bool, where
        if "hard" in pair:
            assert pair["hard"] is True and pair["same"] is False, f"{where}: hard marks negatives only"


def test_pairs_counts_and_balance(pairs):
    assert len(pairs) >= 150
    positives = sum(pair["same"] for pair in pairs)
    assert 0.4 <= positives / len(pairs) <= 0.6, f"{positives} of {len(pairs)} pairs are positive"
    hard = sum(pair.get("hard", False) for pair in pairs)
    assert hard >= 30, "need hard negatives: same article, different question"


def test_pairs_unique_unordered(pairs):
    keys = Counter(frozenset((_normalise(p["a"]), _normalise(p["b"]))) for p in pairs)
    assert [sorted(k) for k, n in keys.items() if n > 1] == []
