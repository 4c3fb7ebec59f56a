"""gunicorn settings for `hotline serve` (gthread workers), read from the same `Settings` as the app.

Without HOTLINE_REDIS_URL, rate limits, WeChat dedupe and IVR call state live in process memory,
so exactly one worker process serves (with threads). With Redis, several workers share that state.
"""
from __future__ import annotations

import logging
import os

from bot.config import Settings

_settings = Settings.from_env()


def worker_count(settings: Settings) -> int:
    """One process without Redis; HOTLINE_WORKERS, else one per core (at most 4), with it."""
    if not settings.redis_url:
        if settings.workers > 1:
            logging.getLogger("hotline.serve").warning(
                "HOTLINE_WORKERS=%d ignored: several workers need HOTLINE_REDIS_URL for shared state", settings.workers
            )
        return 1
    return settings.workers or min(4, os.cpu_count() or 1)


bind = f"{_settings.host}:{_settings.port}"
worker_class = "gthread"
workers = worker_count(_settings)
threads = _settings.threads
timeout = 120  # warm-up (encoder, index) happens before a worker serves; see post_worker_init
graceful_timeout = 20
# Idle keep-alive connections stay open longer than clients and proxies keep theirs (nginx: 75 s):
# a server that closes first races a client reusing the connection (the load benchmark saw
# connection errors with 5 s and think times of 5-13 s).
keepalive = 75
accesslog = None  # every turn is already in the turn log; access logs would double the I/O
errorlog = "-"
loglevel = "info"
proc_name = "hotline12333"
control_socket_disable = True  # one fixed socket path per user would clash between instances
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False, "qualname": "gunicorn.error"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "formatters": {"plain": {"format": "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"}},
}


def post_worker_init(worker) -> None:
    """Load the retriever, the conversation and the log before the worker takes its first request."""
    from bot.app import services_of
    from bot.runtime.heap import freeze_loaded_heap

    services = services_of(worker.wsgi)
    try:
        services.warm_up()
        services.conversation.engine.warm_up()  # built now rather than inside the first request
        services.turn_log  # noqa: B018
    except Exception:  # serve anyway: each turn then answers politely and is logged as an error
        worker.log.exception("warm-up failed; serving without it")
    else:
        worker.log.info("worker %s warmed up", worker.pid)
    freeze_loaded_heap()


def worker_exit(server, worker) -> None:
    """Flush the turn log so no row is lost on shutdown."""
    from bot.app import services_of

    app = getattr(worker, "wsgi", None)
    if app is not None:
        services_of(app).close()
