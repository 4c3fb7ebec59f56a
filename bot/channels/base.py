"""The contract every channel follows (after Rasa's `InputChannel`).

A channel is one class:

- `NAME` (read through `name()`) is its slug: the URL prefix (`/wechat`), the Turn's `channel` and the log's `channel`;
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
from bot.core.turn import Reply, Turn

TurnHandler = Callable[[Turn], Reply]


class InputChannel:
    """Base class of the channels; subclasses set `NAME` and override `blueprint()`."""

    NAME = ""  # the slug: URL prefix, Turn channel and log channel, e.g. "wechat"

    @classmethod
    def name(cls) -> str:
        return cls.NAME

    @classmethod
    def from_config(cls, settings: Settings) -> "InputChannel":
        return cls()

    def url_prefix(self) -> str:
        return "/" + self.name()

    def blueprint(self, handle_turn: TurnHandler) -> Blueprint:
        """The channel's endpoints, a blueprint named after it; `handle_turn` logs each turn."""
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
