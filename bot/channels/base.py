"""The contract every channel follows (after Rasa's `InputChannel`).

A channel is one class:

- `name()` is its slug: the URL prefix (`/wechat`), the Turn's `channel` and the log's `channel`;
- `from_config(settings)` maps `Settings` onto explicit `__init__` arguments, validated there;
- `blueprint(handle_turn)` returns the Flask blueprint that reads the platform's request, builds
  one `Turn`, calls `handle_turn(turn)` (the shared turn logic, which logs the turn) and renders
  the `Reply`. A channel never builds answers itself.
"""
from __future__ import annotations

import ipaddress
from typing import Callable

from flask import Blueprint, current_app, request

from bot.config import Settings
from bot.reply import Citation, Reply, Turn

TurnHandler = Callable[[Turn], Reply]

# The topics offered before the first question (web quick replies, WeChat welcome menu).
STARTER_TOPICS = (
    "我的企业能申请稳岗返还吗？",
    "失业保险金标准提高了多少？",
    "职工线上培训补贴怎么领？",
    "高校毕业生报到期限延长到什么时候？",
    "农民工有哪些帮扶政策？",
)
# How a citation is named to the user; `{article_cn}` is the article number in Chinese numerals.
# Written as every reply writes it (`Citation.reference`): 大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”.
CITATION_LABEL = "{document}第（{article_cn}）条“{title}”"
# Answer when the turn logic itself failed (the failure is logged with the turn).
UNAVAILABLE_REPLY = "抱歉，系统暂时无法回答您的问题，请稍后再试，或拨打 12333 咨询人工服务。"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 18 → 十八, 23 → 二十三 (article numbers as the notice writes them)."""
    import cn2an

    return cn2an.an2cn(int(n))


def citation_label(citation: Citation) -> str:
    """`大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”`, the same as `Citation.reference`."""
    return CITATION_LABEL.format(
        document=citation.document, article_cn=chinese_number(citation.article), title=citation.title
    )


class InputChannel:
    """Base class of the channels; subclasses override `name()` and `blueprint()`."""

    @classmethod
    def name(cls) -> str:
        """The slug: URL prefix, Turn channel and log channel.

        :returns: e.g. `"wechat"`.
        """
        raise NotImplementedError

    @classmethod
    def from_config(cls, settings: Settings) -> "InputChannel":
        """Build the channel from the settings.

        :param settings: the runtime settings.
        :returns: the channel.
        """
        return cls()

    def url_prefix(self) -> str:
        return "/" + self.name()

    def blueprint(self, handle_turn: TurnHandler) -> Blueprint:
        """The channel's endpoints.

        :param handle_turn: the shared turn logic, `Turn -> Reply`; it logs the turn.
        :returns: a blueprint named after the channel.
        """
        raise NotImplementedError


def current_services():
    """The app's `Services` (state store, turn log, …) while serving a request."""
    return current_app.extensions["hotline"]


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def client_address() -> str:
    """The caller's IP address.

    Behind a reverse proxy on the same machine (the peer is loopback), the address that proxy
    appended last to `X-Forwarded-For`; anyone else's `X-Forwarded-For` is ignored, since a client
    could write anything there.
    """
    peer = request.remote_addr or "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and is_loopback(peer):
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return peer
