"""The object graph, built once per process from `Settings`: retriever, turn log, conversation,
the staff side's hotspot analysis and its background refresher.

Everything is created lazily on first use, so importing this module or building the Flask
app does no heavy work and starts no thread; `warm_up()` loads the indexes before the first
request, and `close()` stops what runs in the background.
"""
from __future__ import annotations

import logging
import threading
from functools import cached_property

from bot.config import Settings

log = logging.getLogger(__name__)


class Services:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def knowledge_base(self):
        from knowledge_base.store import load_knowledge_base

        return load_knowledge_base()

    @cached_property
    def turn_log(self):
        from bot.hotspots.log import TurnLog

        return TurnLog.from_settings(self.settings)

    @cached_property
    def curated(self):
        from bot.hotspots.curated import CuratedAnswerStore

        return CuratedAnswerStore.from_settings(self.settings)

    @cached_property
    def retriever(self):
        from knowledge_base.retrieval import PolicyRetriever

        retriever = PolicyRetriever(
            self.knowledge_base,
            encoder=self.settings.encoder,
            index_dir=self.settings.var_dir / "index",
            curated=self.curated,
        )
        retriever.warm_up()
        return retriever

    @cached_property
    def state(self):
        from bot.state import make_store

        return make_store(self.settings.redis_url)

    @cached_property
    def handoff(self):
        from bot.handoff.desk import HandoffDesk

        return HandoffDesk.from_services(self)

    @cached_property
    def conversation(self):
        from bot.dialogue.conversation import Conversation

        return Conversation.from_services(self)

    @cached_property
    def hotspot_analysis(self):
        """The dashboard's figures (it caches the cluster map for a few seconds)."""
        from bot.hotspots.analysis import HotspotAnalysis

        try:
            knowledge_base = self.knowledge_base
        except Exception:  # noqa: BLE001 - titles are optional; figures still render
            log.warning("dashboard: knowledge base unavailable; articles shown without titles")
            knowledge_base = None
        return HotspotAnalysis.from_settings(self.settings, knowledge_base)

    @cached_property
    def hotspot_refresher(self):
        """Groups new questions into hotspots in the background; started by the dashboard."""
        from bot.hotspots.refresher import HotspotRefresher

        return HotspotRefresher(self.settings, on_done=self._forget_hotspot_cache)

    def _forget_hotspot_cache(self) -> None:
        if "hotspot_analysis" in self.__dict__:
            self.hotspot_analysis.forget_cache()

    def warm_up(self) -> None:
        """Load everything the first question would otherwise wait for: the index and encoder,
        jieba's dictionary, the curated-answer store and its schema."""
        with self._lock:
            self.retriever.run("稳岗返还的裁员率标准是多少")

    def close(self) -> None:
        if "hotspot_refresher" in self.__dict__:
            self.hotspot_refresher.close()
        if "turn_log" in self.__dict__:
            self.turn_log.close()
