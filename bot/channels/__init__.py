"""The chat channels: one class each (`name()`, `from_config()`, `blueprint(handle_turn)`); see `base.py`.

The app serves the classes listed in `bot.app.channel_classes()`, the phone channel of `ivr/` among them.
"""
from __future__ import annotations

from bot.channels.api import ApiChannel
from bot.channels.base import InputChannel, TurnHandler
from bot.channels.web import WebChannel
from bot.channels.wechat import WeChatChannel

__all__ = ["ApiChannel", "InputChannel", "TurnHandler", "WeChatChannel", "WebChannel"]
