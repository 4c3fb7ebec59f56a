"""Keep the garbage collector off the heap a server process loads once at start-up.

A full collection walks every tracked object. After the encoder, the index and jieba are loaded
that is hundreds of thousands of objects, so each one stops the process for tens to hundreds of
milliseconds, and every request in flight waits. `gc.freeze()` moves the objects alive now to a
permanent generation that collections skip; objects created later are collected as usual.
Call it once per process, after warm-up (`gunicorn.conf.post_worker_init`); the Rasa server does
the same after loading its model (`scripts/rasa_nlu_server.py`).
"""
from __future__ import annotations

import gc


def freeze_loaded_heap() -> None:
    """Collect what is garbage already, then freeze the rest."""
    gc.collect()
    gc.freeze()
