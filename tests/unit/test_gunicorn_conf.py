"""gunicorn.conf.py: how many workers serve, and that a worker warms up and then freezes its heap."""
from __future__ import annotations

import gc
import importlib.util
import logging
import types

import pytest

from bot.app import create_app, services_of
from bot.config import REPO_ROOT, Settings


@pytest.fixture(scope="module")
def conf():
    spec = importlib.util.spec_from_file_location("hotline_gunicorn_conf", REPO_ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_worker_without_redis_and_the_configured_number_with_it(conf, tmp_path):
    assert conf.worker_count(Settings.from_env({"HOTLINE_WORKERS": "3"}, var_dir=tmp_path)) == 1
    redis = {"HOTLINE_REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert conf.worker_count(Settings.from_env({**redis, "HOTLINE_WORKERS": "3"}, var_dir=tmp_path)) == 3


def test_a_worker_warms_up_then_freezes_the_loaded_heap(conf, settings):
    app = create_app({"SETTINGS": settings})
    worker = types.SimpleNamespace(wsgi=app, log=logging.getLogger("test.gunicorn"), pid=0)
    gc.unfreeze()
    try:
        conf.post_worker_init(worker)
        frozen = gc.get_freeze_count()
        answer = services_of(app).retriever.run("失业保险金标准提高了多少")
    finally:
        gc.unfreeze()  # the rest of the suite runs with an ordinary collector
        services_of(app).close()
    assert frozen > 10_000  # the encoder, the index and jieba: the loaded heap, not a handful
    assert answer is not None
