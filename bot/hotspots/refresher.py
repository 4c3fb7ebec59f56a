"""Places new questions in hotspots in the background: every few minutes, and when staff ask.

    refresher = HotspotRefresher(settings, on_done=analysis.forget_cache)
    refresher.start(interval=600)   # once per process; the dashboard starts it on first use
    refresher.wake()                # new wordings wait: group them now
    refresher.run_now(full=True)    # one round in its own thread (the 重新归类 button)
    refresher.close()               # the loop ends after its current round

Owned by `Services`, which closes it; importing this module starts nothing.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)

# A burst of page views wakes the loop once.
MIN_GAP_S = 5.0


class HotspotRefresher:
    """Runs `HotspotClusterer` rounds off the request path.

    :param settings: the runtime settings (the clusterer's database and encoder).
    :param on_done: called after each successful round (the dashboard forgets its cached map).
    """

    def __init__(self, settings, on_done: Callable[[], None] = lambda: None):
        self.settings = settings
        self.on_done = on_done
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _clusterer(self):
        from bot.hotspots.clustering import HotspotClusterer

        return HotspotClusterer.from_settings(self.settings)

    def start(self, interval: float) -> None:
        """Start the loop once; later calls do nothing. `interval <= 0` never starts it."""
        if interval <= 0 or self._thread is not None:
            return
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, args=(interval,), name="hotspot-refresher", daemon=True)
            self._thread.start()

    def _loop(self, interval: float) -> None:
        clusterer = None
        while not self._stop.is_set():
            self._wake.clear()
            try:
                clusterer = clusterer or self._clusterer()
                clusterer.run(full=False)
                self.on_done()
            except Exception:  # noqa: BLE001 - try again next round
                log.exception("hotspot clustering failed; retrying in %.0f s", interval)
            self._wake.wait(interval)
            self._stop.wait(MIN_GAP_S)

    def wake(self) -> bool:
        """Group the waiting wordings now instead of at the next round.

        :returns: False when no loop runs in this process.
        """
        if self._thread is None:
            return False
        self._wake.set()
        return True

    def run_now(self, full: bool) -> None:
        """One round in its own thread; `full` regroups every wording from scratch."""

        def work() -> None:
            try:
                self._clusterer().run(full=full)
                self.on_done()
            except Exception:  # noqa: BLE001
                log.exception("manual hotspot clustering failed")

        threading.Thread(target=work, name="hotspot-cluster-now", daemon=True).start()

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
