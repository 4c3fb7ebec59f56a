"""The channels: one class each (`name()`, `from_config()`, `blueprint(handle_turn)`); see `base.py`."""
from __future__ import annotations

from bot.channels.api import ApiChannel
from bot.channels.base import InputChannel, TurnHandler
from bot.channels.web import WebChannel
from bot.channels.wechat import WeChatChannel

# Every chat channel the app serves, in registration order.
CHANNEL_CLASSES: tuple[type[InputChannel], ...] = (ApiChannel, WeChatChannel, WebChannel)

__all__ = ["CHANNEL_CLASSES", "ApiChannel", "InputChannel", "TurnHandler", "WeChatChannel", "WebChannel"]
